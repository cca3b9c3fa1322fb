// Command atomicload is the home node's seeding benchmark: it builds (or
// takes) atomicboxd, has it seed -torrents episodes of -size bytes of
// generated content to -leechers in-process leecher clients over loopback
// (which check every byte they receive against that content), and prints
// the daemon's RSS and CPU as a table and a last line of key=value
// figures. It exits 1 if the peak RSS is over -budget-mib or a leecher got
// anything but the content. It writes only under -work (a temp dir by
// default, removed): one copy of the content, -torrents x -size bytes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/lab/rssbench"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbin"
)

func main() {
	var cfg rssbench.Config
	var budgetMiB int64
	var keep bool
	flag.StringVar(&cfg.Bin, "daemon", "", "atomicboxd binary; empty = build it")
	flag.StringVar(&cfg.Work, "work", "", "scratch directory; empty = a temp dir, removed afterwards")
	flag.IntVar(&cfg.Torrents, "torrents", 100, "episodes seeded")
	flag.Int64Var(&cfg.Size, "size", 52<<20, "bytes per episode (a multiple of 256 KiB)")
	flag.IntVar(&cfg.Leechers, "leechers", 20, "leecher clients")
	flag.IntVar(&cfg.PerLeecher, "per-leecher", 0, "torrents each leecher downloads at once; 0 = torrents/leechers")
	flag.Int64Var(&cfg.LeecherRate, "leecher-rate", 1<<20, "download cap per leecher, bytes/s")
	flag.DurationVar(&cfg.Warmup, "warmup", 10*time.Second, "seeding before sampling")
	flag.DurationVar(&cfg.Duration, "duration", 30*time.Second, "sampling window")
	flag.Int64Var(&budgetMiB, "budget-mib", 150, "RSS budget; exit 1 if the peak is above it")
	flag.BoolVar(&keep, "keep", false, "keep the scratch directory")
	memLimit := flag.String("daemon-gomemlimit", "", "GOMEMLIMIT for the daemon, e.g. 100MiB; empty = inherit")
	flag.Parse()
	if *memLimit != "" {
		cfg.DaemonEnv = append(cfg.DaemonEnv, "GOMEMLIMIT="+*memLimit)
	}
	cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, cfg, budgetMiB<<20, keep, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "atomicload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg rssbench.Config, budget int64, keep bool, out io.Writer) error {
	if cfg.Work == "" {
		dir, err := os.MkdirTemp("", "atomicload-")
		if err != nil {
			return err
		}
		if !keep {
			defer os.RemoveAll(dir)
		}
		cfg.Work = dir
	}
	if cfg.Bin == "" {
		bin, err := testbin.Build(ctx, cfg.Work, testbin.DaemonPackage)
		if err != nil {
			return err
		}
		cfg.Bin = bin
	}
	r, err := rssbench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	rssbench.WriteTable(out, r, budget)
	if r.PeakRSS > budget {
		return fmt.Errorf("peak RSS %d MiB is over the %d MiB budget", r.PeakRSS>>20, budget>>20)
	}
	if r.Wrong > 0 || r.Checked == 0 {
		return fmt.Errorf("leechers got %d chunks that were not the seeded content (%d bytes were): the daemon did not seed what was published", r.Wrong, r.Checked)
	}
	return nil
}
