// Package testbox runs real channels and real boxes inside a test: a
// published origin on loopback HTTP and in-process daemons (swarm, box,
// API) on loopback ports, all cleaned up with t.Cleanup.
package testbox

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/atomicnetwork/atomicbox/appliance/box"
	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/library"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/remotes"
	"github.com/atomicnetwork/atomicbox/appliance/swarm"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
)

// ChannelOptions shape the generated channel. Zero values are small
// defaults that keep tests fast.
type ChannelOptions struct {
	Network         string  // default "Test Channel"
	Shows           int     // default 1
	EpisodesPerShow int     // default 1
	Seconds         float64 // clip length, default 4
	Width, Height   int     // default 320x180
	Bitrate         string  // ffmpeg -b:v, default "400k"
	FastStart       bool    // moov at the front; false leaves it at the end
	PieceLength     int64   // 0 = publisher's choice (256 KiB for small files)
	Posters         bool    // give shows and episodes posters
	RateLimit       int64   // origin body bytes/s, 0 = unlimited
	OriginBoxRate   int64   // the catalog's per-box origin budget, bytes/s; 0 = none
	// TLS serves the channel over https with httptest's own certificate;
	// Channel.Client trusts it, nothing else does.
	TLS bool
	// Manifest, when set, is published instead of generated clips (Shows,
	// EpisodesPerShow, Seconds, Width, Height, Bitrate, FastStart and
	// Posters are then ignored): a publisher's own channel, such as the
	// one scripts/demo-media.sh writes. Its relative paths are resolved
	// against ManifestDir.
	Manifest    *publish.Manifest
	ManifestDir string
}

// Channel is a published channel served on loopback.
type Channel struct {
	URL       string // base URL ending in "/"
	Key       ed25519.PrivateKey
	PublicKey ed25519.PublicKey
	KeyString string // FormatPublicKey(PublicKey), as -network-key takes it
	Catalog   *catalog.Catalog
	OriginDir string
	Origin    *publish.Origin
	// Files maps an episode ID to its published file (in OriginDir/media).
	Files map[string]string
	// Names maps an episode ID to its torrent's file name.
	Names map[string]string

	manifest      *publish.Manifest
	manifestDir   string // where the manifest's relative paths start
	originBoxRate int64
	client        *http.Client // trusts the origin's certificate (TLS channels); nil = none needed
}

// Client returns an HTTP client for the channel's origin: for a TLS
// channel one that trusts its test certificate (and nothing else), else
// nil (the daemon's default).
func (ch *Channel) Client() *http.Client { return ch.client }

// NewChannel publishes generated clips (testmedia) with a fresh key into a
// temp origin served by httptest.
func NewChannel(t testing.TB, o ChannelOptions) *Channel {
	t.Helper()
	if o.Network == "" {
		o.Network = "Test Channel"
	}
	o.Shows = max(o.Shows, 1)
	o.EpisodesPerShow = max(o.EpisodesPerShow, 1)
	if o.Seconds == 0 {
		o.Seconds = 4
	}
	if o.Width == 0 {
		o.Width, o.Height = 320, 180
	}
	if o.Bitrate == "" {
		o.Bitrate = "400k"
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ch := &Channel{Key: priv, PublicKey: pub, KeyString: catalog.FormatPublicKey(pub), OriginDir: t.TempDir(),
		Files: map[string]string{}, Names: map[string]string{}, originBoxRate: o.OriginBoxRate}
	ch.Origin = publish.NewOrigin(ch.OriginDir, publish.OriginOptions{RateLimit: o.RateLimit})
	var srv *httptest.Server
	if o.TLS {
		srv = httptest.NewTLSServer(ch.Origin)
		ch.client = srv.Client()
		ch.client.Timeout = 30 * time.Second
	} else {
		srv = httptest.NewServer(ch.Origin)
	}
	t.Cleanup(srv.Close)
	ch.URL = srv.URL + "/"

	if o.Manifest != nil {
		ch.manifest, ch.manifestDir = o.Manifest, o.ManifestDir
		ch.publish(t, o.PieceLength)
		return ch
	}
	m := &publish.Manifest{Network: o.Network}
	for s := 1; s <= o.Shows; s++ {
		show := publish.ManifestShow{ID: fmt.Sprintf("show%d", s), Title: fmt.Sprintf("Show %d", s), Synopsis: "A generated test show."}
		if o.Posters {
			show.Poster = testmedia.PosterImage(t, testmedia.Poster{Title: show.Title})
		}
		for e := 1; e <= o.EpisodesPerShow; e++ {
			title := fmt.Sprintf("Show %d Episode %d", s, e)
			video := testmedia.Video(t, testmedia.Clip{Title: title, Seconds: o.Seconds, Width: o.Width, Height: o.Height, Bitrate: o.Bitrate, FastStart: o.FastStart})
			ep := publish.ManifestEpisode{ID: fmt.Sprintf("s%de%d", s, e), Season: 1, Number: e, Title: title, Video: video, DurationSeconds: o.Seconds}
			if o.Posters {
				ep.Poster = testmedia.PosterImage(t, testmedia.Poster{Title: title, Color: "0x803020"})
			}
			show.Episodes = append(show.Episodes, ep)
		}
		m.Shows = append(m.Shows, show)
	}
	ch.manifest, ch.manifestDir = m, ch.OriginDir
	ch.publish(t, o.PieceLength)
	return ch
}

func (ch *Channel) publish(t testing.TB, pieceLength int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := publish.Publish(ctx, ch.manifest, ch.manifestDir, publish.Options{
		OriginDir: ch.OriginDir, BaseURL: ch.URL, Key: ch.Key, PieceLength: pieceLength,
		OriginBoxRate: ch.originBoxRate,
	})
	if err != nil {
		t.Fatalf("testbox: publish: %v", err)
	}
	ch.Catalog = c
	for _, sh := range c.Shows {
		for _, ep := range sh.Episodes {
			mi, err := metainfo.LoadFromFile(filepath.Join(ch.OriginDir, filepath.FromSlash(ep.Torrent)))
			if err != nil {
				t.Fatal(err)
			}
			info, err := mi.UnmarshalInfo()
			if err != nil {
				t.Fatal(err)
			}
			ch.Names[ep.ID] = info.Name
			ch.Files[ep.ID] = filepath.Join(ch.OriginDir, publish.MediaDir, info.Name)
		}
	}
}

// Republish publishes the same manifest again (the sequence goes up).
func (ch *Channel) Republish(t testing.TB) *catalog.Catalog {
	t.Helper()
	ch.publish(t, 0)
	return ch.Catalog
}

// Tamper rewrites the served catalog (its network name and a higher
// sequence) without re-signing it: boxes must refuse it.
func (ch *Channel) Tamper(t testing.TB) {
	t.Helper()
	p := filepath.Join(ch.OriginDir, catalog.CatalogFile)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), ch.Catalog.Network, "Evil Channel", 1)
	s = strings.Replace(s, fmt.Sprintf(`"sequence": %d`, ch.Catalog.Sequence), fmt.Sprintf(`"sequence": %d`, ch.Catalog.Sequence+100), 1)
	if s == string(data) {
		t.Fatal("testbox: tamper changed nothing")
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Episodes lists the channel's episode IDs in catalog order.
func (ch *Channel) Episodes() []string {
	var ids []string
	for _, sh := range ch.Catalog.Shows {
		for _, ep := range sh.Episodes {
			ids = append(ids, ep.ID)
		}
	}
	return ids
}

// DaemonOptions shape an in-process box.
type DaemonOptions struct {
	Peers        []string // BT addresses of other boxes
	PreloadFiles bool     // copy every episode file into the data dir first (a neighbour that already holds them)
	DataDir      string   // "" = a new temp dir; reuse one to test restarts
	Refresh      time.Duration
	Heartbeat    time.Duration
	Policy       time.Duration // disk and pre-fetch round interval; 0 = the daemon's default (1 min)
	Now          func() time.Time
	Log          *slog.Logger    // nil = test log at Info
	Remote       *remotes.Config // remote inputs (fake CEC/IR devices in tests); nil = none
	Wifi         *box.WifiConfig // the Wi-Fi client (a fake radio in tests); nil = none
	// HTTPClient fetches the catalog, torrents, posters and origin pieces;
	// nil = the channel's Client (a TLS channel's), else the daemon's own.
	HTTPClient *http.Client
	// StatFS is the disk the daemon's budget sees; nil = roomyDisk, never
	// the machine's own: a test machine with under 10% free (the budget's
	// share) made the daemon evict the episode a test had just fetched.
	StatFS library.StatFS
}

// roomyDisk is a 1 TiB file system, half free, whatever the machine has.
type roomyDisk struct{}

func (roomyDisk) Statfs(string) (library.Usage, error) {
	return library.Usage{Total: 1 << 40, Avail: 1 << 39}, nil
}

// Daemon is a running in-process box.
type Daemon struct {
	URL     string // API base, http://127.0.0.1:port (no trailing slash)
	BTAddr  string // BitTorrent listen address
	DataDir string
	D       *box.Daemon
	closed  bool
}

// StartDaemon starts a box following ch on loopback; Close (or the test's
// cleanup) stops it cleanly.
func StartDaemon(t testing.TB, ch *Channel, o DaemonOptions) *Daemon {
	t.Helper()
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Log == nil {
		o.Log = TestLog(t, slog.LevelInfo)
	}
	if o.PreloadFiles {
		for id, src := range ch.Files {
			dst := filepath.Join(o.DataDir, swarm.MediaDir, ch.Names[id])
			if err := testmedia.CopyFile(src, dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := o.HTTPClient
	if client == nil {
		client = ch.client
	}
	var statfs library.StatFS = roomyDisk{}
	if o.StatFS != nil {
		statfs = o.StatFS
	}
	bd, err := box.StartDaemon(ctx, box.DaemonConfig{
		DataDir: o.DataDir, ChannelURL: ch.URL, PublicKey: ch.PublicKey, Listener: ln,
		Refresh: o.Refresh, Heartbeat: o.Heartbeat, Policy: o.Policy, Now: o.Now, Log: o.Log, Remote: o.Remote, Wifi: o.Wifi,
		HTTPClient: client, StatFS: statfs,
		Swarm: swarm.Config{ListenHost: "127.0.0.1", Peers: o.Peers, DisableDHT: true, DisableTrackers: true, OriginClient: client},
	})
	if err != nil {
		ln.Close()
		t.Fatalf("testbox: start daemon: %v", err)
	}
	d := &Daemon{URL: "http://" + ln.Addr().String(), BTAddr: bd.Swarm.Addr(), DataDir: o.DataDir, D: bd}
	t.Cleanup(func() { d.Close(t) })
	return d
}

// Close stops the daemon cleanly (idempotent).
func (d *Daemon) Close(t testing.TB) {
	if d.closed {
		return
	}
	d.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.D.Close(ctx); err != nil {
		t.Errorf("testbox: close daemon: %v", err)
	}
}

// WaitEpisodes waits until every listed episode is in the swarm (the
// catalog was fetched and its torrents checked and added); with complete,
// until each is also fully held and verified.
func (d *Daemon) WaitEpisodes(t testing.TB, ids []string, complete bool, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok := true
		for _, id := range ids {
			if !d.D.Swarm.Has(id) || complete && d.D.Swarm.Completion(id) < 1 {
				ok = false
				break
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testbox: episodes %v not ready (complete=%v) after %v", ids, complete, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLog returns a logger that writes through t.Log until the test's
// cleanups have run (later lines, from goroutines still winding down, are
// dropped rather than panicking the test binary).
func TestLog(t testing.TB, level slog.Level) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.done.Store(true) }) // registered first, so it runs last
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type testWriter struct {
	t    testing.TB
	done atomic.Bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
