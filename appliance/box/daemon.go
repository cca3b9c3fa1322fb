package box

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/anacrolix/torrent"
	"golang.org/x/time/rate"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/bandwidth"
	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/embargo"
	"github.com/atomicnetwork/atomicbox/appliance/ledger"
	"github.com/atomicnetwork/atomicbox/appliance/library"
	"github.com/atomicnetwork/atomicbox/appliance/remotes"
	"github.com/atomicnetwork/atomicbox/appliance/resume"
	"github.com/atomicnetwork/atomicbox/appliance/state"
	"github.com/atomicnetwork/atomicbox/appliance/swarm"
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
	SyncBudget time.Duration     // bounds one catalog sync (Config.SyncBudget); 0 = 2 minutes
	// APITimeouts are the API server's; zero fields get the defaults
	// (DefaultAPITimeouts).
	APITimeouts APITimeouts
	// APIAllowPublic lets API requests in from global addresses
	// (api.ServerConfig.AllowPublic).
	APIAllowPublic bool
	Keys           *api.KeyBus      // nil = a new bus
	Now            func() time.Time // nil = time.Now
	Heartbeat      time.Duration    // SSE keep-alive; 0 = 15 s
	// Remote configures the remote-control inputs (IR, CEC, USB input).
	// nil means none: keys then come only from the web remote and the UI
	// window. remotes.New fills in the rest; the keymap is in DataDir.
	Remote *remotes.Config

	// Home node (issue 6). Zero values are production defaults.
	Location  *time.Location    // household time zone for the night window; nil = time.Local
	StatFS    library.StatFS    // nil = statfs(2) on DataDir
	Monotonic embargo.Monotonic // trusted-time base; nil = the system's monotonic clock
	Discover  Discoverer        // UPnP discovery; nil = real SSDP unless the swarm listens on loopback
	Policy    time.Duration     // disk and pre-fetch round interval; 0 = 1 min
	Meter     time.Duration     // ledger poll interval of peer upload counters; 0 = 10 s
	// CollectorURL is the network's collector (atomicpublish collect):
	// the box sends it its signed contribution reports and shows what it
	// confirmed. Empty: none (reports stay on the box).
	CollectorURL string
	// CollectorEvery is the interval of reports to the collector; 0 = 1 h.
	CollectorEvery time.Duration
	Version        string // shown in settings
	Hostname       string // shown in settings
	// Wifi turns on the Wi-Fi client; nil = none (GET /api/network still
	// lists the interfaces; the Wi-Fi endpoints answer 404).
	Wifi *WifiConfig
	// WatchNetwork publishes api.EventNetwork when links, addresses or
	// routes change (atomicboxd sets it; tests leave it off, since other
	// processes' interfaces would announce themselves).
	WatchNetwork bool
	Log          *slog.Logger
}

// Daemon is a running box: swarm, catalog follower and API server.
type Daemon struct {
	Swarm  *swarm.Swarm
	Box    *Box
	Server *api.Server
	Keys   *api.KeyBus
	Hub    *api.Hub
	Resume *resume.Store
	Home   *Home
	// Bandwidth sets the swarm's rate limiters from the settings, the
	// schedule and whether a stream is open.
	Bandwidth *bandwidth.Scheduler
	Ledger    *ledger.Ledger
	Reach     *Reacher
	Network   *Network
	// UploadLimiter and DownloadLimiter are the limiters anacrolix uses;
	// Bandwidth sets them.
	UploadLimiter, DownloadLimiter *rate.Limiter

	log     *slog.Logger
	http    *http.Server
	cancel  context.CancelFunc
	runDone chan struct{}
	srvDone chan error
	bgDone  sync.WaitGroup // ledger meter and flusher, scheduler, home policy, reacher
}

// StartDaemon opens everything on cfg.DataDir and starts serving. It
// returns once the API listens and the stored catalog (if any) is loaded;
// syncing and fetching go on in the background.
func StartDaemon(ctx context.Context, cfg DaemonConfig) (*Daemon, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Keys == nil {
		cfg.Keys = api.NewKeyBus(cfg.Now)
	}
	if cfg.Listener == nil {
		return nil, errors.New("box: no API listener")
	}
	cfg.APITimeouts = cfg.APITimeouts.withDefaults()
	// Before anything writes: a power cut between a state write's create
	// and rename leaves its temp file, which nothing else would remove.
	if n, err := state.RemoveStaleTemps(cfg.DataDir, 1); n > 0 || err != nil {
		cfg.Log.Info("removed temp files of writes a power cut interrupted", "files", n, "err", err)
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
	if cfg.Policy <= 0 {
		cfg.Policy = time.Minute
	}
	if cfg.Meter <= 0 {
		cfg.Meter = 10 * time.Second
	}
	if cfg.Monotonic == nil {
		cfg.Monotonic = embargo.SystemMonotonic()
	}
	up, down := rate.NewLimiter(rate.Inf, bandwidth.UploadBurst), rate.NewLimiter(rate.Inf, bandwidth.DownloadBurst)
	sched, err := bandwidth.New(up, down, filepath.Join(cfg.DataDir, BandwidthFile), bandwidth.Options{Location: cfg.Location, Log: cfg.Log.With("component", "bandwidth")})
	if err != nil {
		return nil, err
	}
	led, err := ledger.Open(filepath.Join(cfg.DataDir, LedgerFile), ledger.Options{Now: cfg.Now, Log: cfg.Log.With("component", "ledger")})
	if err != nil {
		return nil, err
	}
	boxKey, err := ledger.LoadOrCreateBoxKey(filepath.Join(cfg.DataDir, BoxKeyFile), cfg.Log)
	if err != nil {
		return nil, err
	}
	meter := ledger.NewMeter(led)
	// Boxes prove their keys to each other on every connection
	// (atomicbox_id), so the ledger names the boxes it gave to.
	ids := swarm.NewBoxIDs(boxKey, cfg.Log.With("component", "boxid"))
	meter.SetIdentify(func(pc *torrent.PeerConn) (ledger.BoxKey, bool) {
		k, ok := ids.Key(pc)
		return ledger.BoxKey(k), ok
	})
	var contrib *Contributor
	if cfg.CollectorURL != "" {
		if contrib, err = NewContributor(cfg.CollectorURL, cfg.HTTPClient, led, boxKey, cfg.Now, cfg.Log.With("component", "contribution")); err != nil {
			return nil, err
		}
	}
	if cfg.CollectorEvery <= 0 {
		cfg.CollectorEvery = time.Hour
	}
	sc := cfg.Swarm
	// The swarm's origin fetches (the episode's web seed, which confine
	// keeps under the channel's base) follow no redirect off that origin.
	if sc.OriginClient == nil {
		sc.OriginClient = &http.Client{Timeout: 30 * time.Second}
	}
	sc.OriginClient = catalog.OnOriginClient(sc.OriginClient)
	sc.DataDir, sc.Log = cfg.DataDir, cfg.Log
	userConfigure := sc.ConfigureClient
	sc.ConfigureClient = func(tc *torrent.ClientConfig) {
		sched.Configure(tc)
		prev := tc.Callbacks.PeerConnClosed
		tc.Callbacks.PeerConnClosed = func(pc *torrent.PeerConn) {
			meter.PeerConnClosed(pc) // reads the peer's box key: before Forget
			ids.Forget(pc)
			if prev != nil {
				prev(pc)
			}
		}
		if userConfigure != nil {
			userConfigure(tc)
		}
		ids.Configure(tc) // last: it takes the peer ID the user may have set
	}
	sw, err := swarm.New(ctx, sc)
	if err != nil {
		return nil, err
	}
	var rem *remotes.Remotes
	mounts := map[string]http.Handler{}
	if cfg.Remote != nil {
		if rem, err = remotes.New(*cfg.Remote, cfg.DataDir, cfg.Keys, cfg.Log.With("component", "remote")); err != nil {
			return nil, err
		}
		mounts["/api/remote/"] = rem.Handler()
	}
	hub := api.NewHub()
	b, err := New(Config{DataDir: cfg.DataDir, Fetcher: fetcher, Swarm: sw, Resume: rs, Hub: hub, Client: cfg.HTTPClient, SyncBudget: cfg.SyncBudget,
		Trusted: embargo.NewTrustedClock(cfg.Monotonic), Watching: sched.Watching, Log: cfg.Log})
	if err != nil {
		sw.Close(ctx)
		return nil, err
	}
	discover := cfg.Discover
	if discover == nil && !loopbackOnly(sc.ListenHost) {
		discover = UPnPDiscover
	}
	reach := NewReacher(discover, swarmPort(sw), cfg.Now, cfg.Log.With("component", "reachability"))
	home, err := NewHome(HomeConfig{
		DataDir: cfg.DataDir, Box: b, Bandwidth: sched, Ledger: led, BoxKey: boxKey, StatFS: cfg.StatFS,
		Location: cfg.Location, Now: cfg.Now, Reach: reach, Version: cfg.Version, Hostname: cfg.Hostname, Log: cfg.Log,
		Contributor: contrib,
	})
	if err != nil {
		sw.Close(ctx)
		return nil, err
	}
	netw := NewNetwork("", "")
	srv, err := api.NewServer(api.ServerConfig{Backend: b, Resume: rs, Keys: cfg.Keys, Hub: hub, Pairer: pairer, Heartbeat: cfg.Heartbeat, Mounts: mounts, Home: home, Network: netw, Hostname: cfg.Hostname, Port: listenPort(cfg.Listener), AllowPublic: cfg.APIAllowPublic, Log: cfg.Log})
	if err != nil {
		sw.Close(ctx)
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	d := &Daemon{
		Swarm: sw, Box: b, Server: srv, Keys: cfg.Keys, Hub: hub, Resume: rs, log: cfg.Log,
		Home: home, Bandwidth: sched, Ledger: led, Reach: reach, Network: netw, UploadLimiter: up, DownloadLimiter: down,
		http: &http.Server{Handler: srv, BaseContext: func(net.Listener) context.Context { return runCtx },
			ReadHeaderTimeout: cfg.APITimeouts.Header, ReadTimeout: cfg.APITimeouts.Read,
			WriteTimeout: cfg.APITimeouts.Write, IdleTimeout: cfg.APITimeouts.Idle},
		cancel: cancel, runDone: make(chan struct{}), srvDone: make(chan error, 1),
	}
	go func() {
		defer close(d.runDone)
		b.Run(runCtx, cfg.Refresh)
	}()
	bg := func(f func()) {
		d.bgDone.Add(1)
		go func() { defer d.bgDone.Done(); f() }()
	}
	bg(func() { sched.Run(runCtx) })
	bg(func() { meter.Run(runCtx, sw.Client(), cfg.Meter) })
	bg(func() { led.Run(runCtx, time.Minute) })
	bg(func() { home.Run(runCtx, cfg.Policy) })
	bg(func() { reach.Run(runCtx, time.Hour) })
	if contrib != nil {
		bg(func() { contrib.Run(runCtx, cfg.CollectorEvery) })
	}
	if cfg.Wifi != nil {
		bg(func() { netw.runWifi(runCtx, *cfg.Wifi, cfg.DataDir, hub, cfg.Log) })
	}
	if cfg.WatchNetwork {
		bg(func() {
			if err := watchLinks(runCtx, 0, hub, time.Second); err != nil {
				cfg.Log.Warn("network changes are not announced", "err", err)
			}
		})
	}
	if rem != nil {
		// Inputs are degradable: a missing device is logged by remote and
		// skipped, so an error here never stops the seeder.
		go func() {
			if err := rem.Run(runCtx); err != nil {
				cfg.Log.Warn("remote inputs stopped", "err", err)
			}
		}()
	}
	limited := api.LimitListener(cfg.Listener, cfg.APITimeouts.MaxConns, cfg.APITimeouts.MaxConnsPerSource)
	go func() { d.srvDone <- d.http.Serve(limited) }()
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
	bgDone := make(chan struct{})
	go func() { d.bgDone.Wait(); close(bgDone) }()
	select {
	case <-bgDone: // the meter took its last reading, the ledger flushed
	case <-ctx.Done():
	}
	lerr := d.Ledger.Close()
	rerr := d.Resume.Close(ctx)
	serr := d.Swarm.Close(ctx)
	if err := errors.Join(herr, lerr, rerr, serr); err != nil {
		return fmt.Errorf("daemon close: %w", err)
	}
	d.log.Info("atomicbox daemon stopped")
	return nil
}

// loopbackOnly reports whether a swarm listen host keeps the box off the
// LAN (tests, demos): no port mapping is tried then.
func loopbackOnly(host string) bool {
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func swarmPort(sw *swarm.Swarm) int {
	_, p, err := net.SplitHostPort(sw.Addr())
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// listenPort is the TCP port ln listens on (0 when it is not TCP).
func listenPort(ln net.Listener) uint16 {
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		return uint16(a.Port)
	}
	return 0
}

// APITimeouts bound the API's connections, so that a few idle or slow
// clients cannot hold file descriptors shared with BitTorrent.
type APITimeouts struct {
	Header   time.Duration // to read a request's headers
	Read     time.Duration // to read a whole request (bodies are small)
	Write    time.Duration // to write a response, except streams and events (api lifts it)
	Idle     time.Duration // a kept-alive connection with no request
	MaxConns int           // open connections in all (api.LimitListener)

	MaxConnsPerSource int // from one LAN address
}

// apiDefaults are the API's bounds in production.
var apiDefaults = APITimeouts{
	Header: 10 * time.Second, Read: 30 * time.Second, Write: 30 * time.Second, Idle: 2 * time.Minute,
	MaxConns: api.DefaultMaxConns, MaxConnsPerSource: api.DefaultMaxConnsPerSource,
}

func (t APITimeouts) withDefaults() APITimeouts {
	t.Header = cmp.Or(t.Header, apiDefaults.Header)
	t.Read = cmp.Or(t.Read, apiDefaults.Read)
	t.Write = cmp.Or(t.Write, apiDefaults.Write)
	t.Idle = cmp.Or(t.Idle, apiDefaults.Idle)
	t.MaxConns = cmp.Or(t.MaxConns, apiDefaults.MaxConns)
	t.MaxConnsPerSource = cmp.Or(t.MaxConnsPerSource, apiDefaults.MaxConnsPerSource)
	return t
}
