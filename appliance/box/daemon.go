package box

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/keys"
	"github.com/atomicnetwork/atomicbox/appliance/resume"
	"github.com/atomicnetwork/atomicbox/appliance/swarm"
	"github.com/atomicnetwork/atomicbox/gpio/remote"
)

// DaemonConfig is everything the daemon takes from the outside world.
type DaemonConfig struct {
	DataDir    string
	ChannelURL string            // channel base URL, ending in "/"
	PublicKey  ed25519.PublicKey // the network key
	Listener   net.Listener      // the API's; the daemon serves on it and closes it
	Refresh    time.Duration     // catalog refresh interval; 0 = 5 min
	Swarm      swarm.Config      // DataDir and Log are filled in
	HTTPClient *http.Client      // catalog, torrents, posters; nil = 30 s timeout
	Keys       *keys.Bus         // nil = a new bus
	Now        func() time.Time  // nil = time.Now
	Heartbeat  time.Duration     // SSE keep-alive; 0 = 15 s
	// Remote configures the remote-control inputs (IR, CEC, USB input).
	// nil means none: keys then come only from the web remote and the UI
	// window. Sink and Log are filled in; KeymapPath defaults to
	// DataDir/keymap.json.
	Remote *remote.Config
	Log    *slog.Logger
}

// Daemon is a running box: swarm, catalog follower and API server.
type Daemon struct {
	Swarm  *swarm.Swarm
	Box    *Box
	Server *api.Server
	Keys   *keys.Bus
	Hub    *api.Hub
	Resume *resume.Store

	log     *slog.Logger
	http    *http.Server
	cancel  context.CancelFunc
	runDone chan struct{}
	srvDone chan error
}

// StartDaemon opens everything on cfg.DataDir and starts serving. It
// returns once the API listens and the stored catalog (if any) is loaded;
// syncing and fetching go on in the background.
func StartDaemon(ctx context.Context, cfg DaemonConfig) (*Daemon, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Keys == nil {
		cfg.Keys = keys.NewBus(cfg.Now)
	}
	if cfg.Listener == nil {
		return nil, errors.New("box: no API listener")
	}
	fetcher, err := catalog.NewFetcher(catalog.FetcherConfig{
		BaseURL: cfg.ChannelURL, PublicKey: cfg.PublicKey, Dir: filepath.Join(cfg.DataDir, CatalogDir),
		Client: cfg.HTTPClient, Log: cfg.Log.With("component", "catalog"), Now: cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	rs, err := resume.Open(cfg.DataDir, resume.Options{Now: cfg.Now, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	pairer, err := api.NewPairer(cfg.DataDir, cfg.Now, cfg.Log.With("component", "pairing"))
	if err != nil {
		return nil, err
	}
	sc := cfg.Swarm
	sc.DataDir, sc.Log = cfg.DataDir, cfg.Log
	sw, err := swarm.New(ctx, sc)
	if err != nil {
		return nil, err
	}
	var rem *remote.Remote
	mounts := map[string]http.Handler{}
	if cfg.Remote != nil {
		rc := *cfg.Remote
		rc.Sink, rc.Log = cfg.Keys, cfg.Log.With("component", "remote")
		if rc.KeymapPath == "" {
			rc.KeymapPath = filepath.Join(cfg.DataDir, "keymap.json")
		}
		if rem, err = remote.New(rc); err != nil {
			return nil, err
		}
		mounts["/api/remote/"] = rem.Handler()
	}
	hub := api.NewHub()
	b, err := New(Config{DataDir: cfg.DataDir, Fetcher: fetcher, Swarm: sw, Resume: rs, Hub: hub, Client: cfg.HTTPClient, Log: cfg.Log})
	if err != nil {
		sw.Close(ctx)
		return nil, err
	}
	srv, err := api.NewServer(api.ServerConfig{Backend: b, Resume: rs, Keys: cfg.Keys, Hub: hub, Pairer: pairer, Heartbeat: cfg.Heartbeat, Mounts: mounts, Log: cfg.Log})
	if err != nil {
		sw.Close(ctx)
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	d := &Daemon{
		Swarm: sw, Box: b, Server: srv, Keys: cfg.Keys, Hub: hub, Resume: rs, log: cfg.Log,
		http:   &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return runCtx }},
		cancel: cancel, runDone: make(chan struct{}), srvDone: make(chan error, 1),
	}
	go func() {
		defer close(d.runDone)
		b.Run(runCtx, cfg.Refresh)
	}()
	if rem != nil {
		// Inputs are degradable: a missing device is logged by remote and
		// skipped, so an error here never stops the seeder.
		go func() {
			if err := rem.Run(runCtx); err != nil {
				cfg.Log.Warn("remote inputs stopped", "err", err)
			}
		}()
	}
	go func() { d.srvDone <- d.http.Serve(cfg.Listener) }()
	cfg.Log.Info("atomicbox daemon up", "api", cfg.Listener.Addr().String(), "bt", sw.Addr(), "channel", cfg.ChannelURL)
	return d, nil
}

// Close stops serving (open streams are cut), stops following the channel,
// writes pending resume positions and closes the swarm cleanly. It blocks
// until done or ctx ends.
func (d *Daemon) Close(ctx context.Context) error {
	d.cancel() // ends streams and /api/events through their base context
	herr := d.http.Shutdown(ctx)
	if errors.Is(herr, context.DeadlineExceeded) || errors.Is(herr, context.Canceled) {
		herr = d.http.Close()
	}
	select {
	case <-d.runDone:
	case <-ctx.Done():
	}
	rerr := d.Resume.Close(ctx)
	serr := d.Swarm.Close(ctx)
	if err := errors.Join(herr, rerr, serr); err != nil {
		return fmt.Errorf("daemon close: %w", err)
	}
	d.log.Info("atomicbox daemon stopped")
	return nil
}
