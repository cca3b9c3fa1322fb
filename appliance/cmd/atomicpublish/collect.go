package main

// atomicpublish collect -state FILE -listen ADDR [-max-report BYTES] [-skew DURATION]
//     accepts boxes' signed contribution reports (POST /api/reports) into
//     the append-only log FILE and serves the per-box, per-month table of
//     confirmed contribution (GET /api/confirmed?month=YYYY-MM[&box=KEY]
//     [&format=text]) until SIGINT or SIGTERM. Rules: package collector.

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"os"

	"github.com/atomicnetwork/atomicbox/appliance/collector"
)

func collectCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("collect", flag.ExitOnError)
	state := fs.String("state", "", "the collector's log file (created if missing)")
	listen := fs.String("listen", "127.0.0.1:8081", "address to listen on")
	maxReport := fs.Int("max-report", collector.DefaultMaxReport, "largest report accepted, bytes")
	skew := fs.Duration("skew", collector.DefaultSkew, "clock skew allowed to boxes")
	fs.Parse(args)
	if *state == "" {
		return errors.New("collect needs -state")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	return runCollect(ctx, ln, *state, collector.Options{MaxReport: *maxReport, Skew: *skew, Log: log})
}

// runCollect serves the collector with its log at path on ln until ctx
// ends, then closes the log.
func runCollect(ctx context.Context, ln net.Listener, path string, opts collector.Options) error {
	c, err := collector.Open(path, opts)
	if err != nil {
		ln.Close()
		return err
	}
	defer c.Close()
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	return runServe(ctx, ln, c.Handler(), log)
}
