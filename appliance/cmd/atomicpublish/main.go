// Command atomicpublish is the network's side of a channel.
//
//	atomicpublish publish -manifest FILE -origin DIR -base-url URL -key FILE [-tracker URL ...] [-tracker-whitelist FILE]
//	    reads the manifest and its media, writes media/, posters/, torrents/,
//	    catalog.json and catalog.json.sig into DIR; prints the sequence, the
//	    number of episodes and the network public key; with
//	    -tracker-whitelist, writes the catalog's info hashes to FILE for a
//	    tracker in whitelist mode (opentracker).
//	atomicpublish release -manifest FILE -origin DIR -base-url URL -key FILE [-tracker URL ...] [-tracker-whitelist FILE] [-every DURATION] [-listen ADDR]
//	    publishes as publish does, then again whenever an episode's release
//	    time comes (the catalog that carries an embargoed premiere's key is
//	    signed within a second of its hour), whenever the manifest changes
//	    (read every 30 s) and at least every -every; with -listen it also
//	    serves DIR. Runs until
//	    SIGINT or SIGTERM, holding DIR's publisher lock (publish refuses to
//	    run meanwhile: two publishers would sign the same sequence).
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
  atomicpublish publish -manifest FILE -origin DIR -base-url URL [-key FILE] [-tracker URL ...] [-tracker-whitelist FILE]
  atomicpublish release -manifest FILE -origin DIR -base-url URL [-key FILE] [-tracker URL ...] [-tracker-whitelist FILE] [-every DURATION] [-listen ADDR]
  atomicpublish serve -origin DIR -listen ADDR [-rate-limit BYTES_PER_S]
  atomicpublish pubkey [-key FILE]
  atomicpublish collect -state FILE [-listen ADDR] [-max-report BYTES] [-skew DURATION]
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
	case "release":
		err = releaseCmd(ctx, args)
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

// publishFlags are the flags publish and release share.
type publishFlags struct {
	manifest, origin, baseURL, keyPath *string
	whitelist                          *string
	pieceLen, originBoxRate            *int64
	validFor                           *time.Duration
	trackers                           repeated
}

func addPublishFlags(fs *flag.FlagSet) *publishFlags {
	var p publishFlags
	p.manifest = fs.String("manifest", "", "manifest JSON file")
	p.origin = fs.String("origin", "", "origin directory to write")
	p.baseURL = fs.String("base-url", "", "public URL of the origin directory, ending in /")
	p.keyPath = fs.String("key", defaultKeyPath(), "network signing key (created on first use)")
	p.pieceLen = fs.Int64("piece-length", 0, "torrent piece length in bytes (0: automatic)")
	p.originBoxRate = fs.Int64("origin-box-rate", 0, "the most each box may fetch from the origin, bytes/s (a share of the origin's capacity; 0: the boxes' default, 4 MB/s)")
	p.validFor = fs.Duration("valid-for", publish.DefaultValidFor, "how long boxes take this catalog as current; publish again within it (at most 8784h)")
	fs.Var(&p.trackers, "tracker", "tracker announce URL (repeatable)")
	p.whitelist = fs.String("tracker-whitelist", "", "after each publication, write the catalog's info hashes here, one a line (opentracker's access.whitelist; send it SIGHUP to reload)")
	return &p
}

func (p *publishFlags) options(cmd string) (publish.Options, error) {
	if *p.manifest == "" || *p.origin == "" || *p.baseURL == "" || *p.keyPath == "" {
		return publish.Options{}, fmt.Errorf("%s needs -manifest, -origin, -base-url and -key", cmd)
	}
	return publish.Options{
		OriginDir: *p.origin, BaseURL: *p.baseURL, Trackers: p.trackers, PieceLength: *p.pieceLen,
		OriginBoxRate: *p.originBoxRate, ValidFor: *p.validFor,
	}, nil
}

func releaseCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("release", flag.ExitOnError)
	p := addPublishFlags(fs)
	every := fs.Duration("every", 24*time.Hour, "publish at least this often, release or not (keeps the catalog valid; must be well under -valid-for)")
	listen := fs.String("listen", "", "also serve the origin directory on this address (empty: another server, e.g. nginx, serves it)")
	fs.Parse(args)
	opt, err := p.options("release")
	if err != nil {
		return err
	}
	if *every <= 0 || *every >= *p.validFor {
		return fmt.Errorf("release: -every %v must be positive and under -valid-for %v", *every, *p.validFor)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var ln net.Listener
	if *listen != "" {
		if ln, err = net.Listen("tcp", *listen); err != nil {
			return err
		}
	}
	return runRelease(ctx, *p.manifest, *p.keyPath, *p.whitelist, opt, *every, ln, log)
}

// runRelease runs publish.RunReleases with the key from keyPath, writing
// the tracker whitelist after each publication when whitelist is not "",
// and, when ln is not nil, serves the origin on it meanwhile. Blocks until
// ctx ends.
func runRelease(ctx context.Context, manifestPath, keyPath, whitelist string, opt publish.Options, every time.Duration, ln net.Listener, log *slog.Logger) error {
	key, created, err := publish.LoadOrCreateKey(keyPath)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}
	if created {
		fmt.Fprintf(os.Stderr, "created a new network signing key at %s: keep it safe and private\n", keyPath)
	}
	unlock, err := publish.LockOrigin(opt.OriginDir)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}
	defer unlock()
	opt.Key = key
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	serveErr := make(chan error, 1)
	if ln != nil {
		go func() {
			err := runServe(ctx, ln, publish.NewOrigin(opt.OriginDir, publish.OriginOptions{Log: log}), log)
			if err != nil {
				cancel() // an origin that cannot serve is fatal: stop publishing too
			}
			serveErr <- err
		}()
	} else {
		serveErr <- nil
	}
	pub := catalog.FormatPublicKey(key.Public().(ed25519.PublicKey))
	err = publish.RunReleases(ctx, manifestPath, opt, publish.ReleaseOptions{
		Every: every, Log: log,
		Published: func(c *catalog.Catalog) {
			fmt.Printf("sequence=%d published=%s pubkey=%s\n", c.Sequence, c.Published.Format(time.RFC3339), pub)
			if whitelist != "" {
				// Degradable: boxes still meet through the DHT and
				// the tracker keeps the previous list.
				if err := publish.WriteTrackerWhitelist(whitelist, c); err != nil {
					log.Error("tracker whitelist not written", "err", err)
				}
			}
		},
	})
	cancel()
	return errors.Join(err, <-serveErr)
}

func publishCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("publish", flag.ExitOnError)
	p := addPublishFlags(fs)
	fs.Parse(args)
	opt, err := p.options("publish")
	if err != nil {
		return err
	}
	return runPublish(ctx, *p.manifest, *p.keyPath, *p.whitelist, opt)
}

// runPublish publishes manifestPath with opt, the key loaded from keyPath,
// then writes the tracker whitelist when whitelist is not "".
func runPublish(ctx context.Context, manifestPath, keyPath, whitelist string, opt publish.Options) error {
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
	unlock, err := publish.LockOrigin(opt.OriginDir)
	if err != nil {
		return fmt.Errorf("%w: while atomicpublish release runs, edit the manifest instead (it publishes the change within 30 s)", err)
	}
	defer unlock()
	opt.Key = key
	c, err := publish.Publish(ctx, m, filepath.Dir(manifestPath), opt)
	if err != nil {
		return err
	}
	if whitelist != "" {
		if err := publish.WriteTrackerWhitelist(whitelist, c); err != nil {
			return err
		}
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
