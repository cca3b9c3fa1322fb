// Command atomicpublish is the network's side of a channel.
//
//	atomicpublish publish -manifest FILE -origin DIR -base-url URL -key FILE [-tracker URL ...]
//	    reads the manifest and its media, writes media/, posters/, torrents/,
//	    catalog.json and catalog.json.sig into DIR; prints the sequence, the
//	    number of episodes and the network public key.
//	atomicpublish serve -origin DIR -listen ADDR [-rate-limit BYTES_PER_S]
//	    serves DIR over HTTP (the BEP 19 web seed and the catalog) until
//	    SIGINT or SIGTERM.
//	atomicpublish pubkey -key FILE
//	    prints the network public key (base64), creating the key on first use.
//
// The signing key (-key) defaults to atomicbox/network.key under the user's
// config dir and is refused inside a git work tree.
package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
)

const usage = `usage:
  atomicpublish publish -manifest FILE -origin DIR -base-url URL [-key FILE] [-tracker URL ...]
  atomicpublish serve -origin DIR -listen ADDR [-rate-limit BYTES_PER_S]
  atomicpublish pubkey [-key FILE]
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "publish":
		err = publishCmd(ctx, args)
	case "serve":
		err = serveCmd(ctx, args)
	case "pubkey":
		err = pubkeyCmd(args)
	case "collect":
		err = collectCmd(ctx, args)
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "atomicpublish:", err)
		os.Exit(1)
	}
}

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }

func defaultKeyPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "atomicbox", "network.key")
}

func publishCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("publish", flag.ExitOnError)
	manifest := fs.String("manifest", "", "manifest JSON file")
	origin := fs.String("origin", "", "origin directory to write")
	baseURL := fs.String("base-url", "", "public URL of the origin directory, ending in /")
	keyPath := fs.String("key", defaultKeyPath(), "network signing key (created on first use)")
	pieceLen := fs.Int64("piece-length", 0, "torrent piece length in bytes (0: automatic)")
	originBoxRate := fs.Int64("origin-box-rate", 0, "the most each box may fetch from the origin, bytes/s (a share of the origin's capacity; 0: the boxes' default, 4 MB/s)")
	validFor := fs.Duration("valid-for", publish.DefaultValidFor, "how long boxes take this catalog as current; publish again within it (at most 8784h)")
	var trackers repeated
	fs.Var(&trackers, "tracker", "tracker announce URL (repeatable)")
	fs.Parse(args)
	if *manifest == "" || *origin == "" || *baseURL == "" || *keyPath == "" {
		return errors.New("publish needs -manifest, -origin, -base-url and -key")
	}
	return runPublish(ctx, *manifest, *keyPath, publish.Options{
		OriginDir: *origin, BaseURL: *baseURL, Trackers: trackers, PieceLength: *pieceLen,
		OriginBoxRate: *originBoxRate, ValidFor: *validFor,
	})
}

// runPublish publishes manifestPath with opt, the key loaded from keyPath.
func runPublish(ctx context.Context, manifestPath, keyPath string, opt publish.Options) error {
	key, created, err := publish.LoadOrCreateKey(keyPath)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(os.Stderr, "created a new network signing key at %s: keep it safe and private\n", keyPath)
	}
	m, err := publish.LoadManifest(manifestPath)
	if err != nil {
		return err
	}
	opt.Key = key
	c, err := publish.Publish(ctx, m, filepath.Dir(manifestPath), opt)
	if err != nil {
		return err
	}
	n := 0
	for _, s := range c.Shows {
		n += len(s.Episodes)
	}
	fmt.Printf("sequence=%d episodes=%d pubkey=%s\n", c.Sequence, n, catalog.FormatPublicKey(key.Public().(ed25519.PublicKey)))
	return nil
}

func serveCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	origin := fs.String("origin", "", "origin directory to serve")
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	rateLimit := fs.Int64("rate-limit", 0, "bytes per second for all responses together (0: unlimited)")
	fs.Parse(args)
	if *origin == "" {
		return errors.New("serve needs -origin")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	return runServe(ctx, ln, publish.NewOrigin(*origin, publish.OriginOptions{RateLimit: *rateLimit, Log: log}), log)
}

func runServe(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	log.Info("serving origin", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutCtx)
}

func pubkeyCmd(args []string) error {
	fs := flag.NewFlagSet("pubkey", flag.ExitOnError)
	keyPath := fs.String("key", defaultKeyPath(), "network signing key (created on first use)")
	fs.Parse(args)
	if *keyPath == "" {
		return errors.New("pubkey needs -key")
	}
	key, created, err := publish.LoadOrCreateKey(*keyPath)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(os.Stderr, "created a new network signing key at %s: keep it safe and private\n", *keyPath)
	}
	fmt.Println(catalog.FormatPublicKey(key.Public().(ed25519.PublicKey)))
	return nil
}
