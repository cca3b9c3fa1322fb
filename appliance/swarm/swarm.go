// Package swarm runs the box's one BitTorrent client: it holds each
// episode's torrent, seeds what it has and streams episodes to the API.
package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	g "github.com/anacrolix/generics"
	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
	"golang.org/x/time/rate"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	_ "github.com/atomicnetwork/atomicbox/appliance/swarm/internal/classicio" // before anacrolix's storage init: classic file I/O, not mmap
	"github.com/atomicnetwork/atomicbox/appliance/swarm/internal/openfiles"
	"github.com/atomicnetwork/atomicbox/appliance/swarm/piecechoice"
)

// Data dir layout (relative to Config.DataDir). A script may pre-place an
// episode's file at media/<torrent name> (the publisher names it
// "<episodeID>.mp4") before the daemon first sees that torrent; the daemon
// hashes it and seeds whatever verifies.
const (
	MediaDir  = "media"         // episode files, exactly as in the torrent
	SwarmDir  = "swarm"         // piece completion database (.torrent.bolt.db)
	runningMk = "swarm/running" // present while a swarm is open: found at start => unclean stop
	boltFile  = "swarm/.torrent.bolt.db"
)

// ErrUnknownEpisode is returned by Open for an episode never added.
var ErrUnknownEpisode = errors.New("swarm: unknown episode")

// Config is what New needs. Zero values are production defaults except
// DataDir, which is required.
type Config struct {
	DataDir    string
	ListenHost string // "" = all interfaces; tests use 127.0.0.1
	Port       int    // BitTorrent TCP/uTP port; 0 = chosen by the kernel
	// Peers are host:port addresses added to every torrent (the demo and
	// tests; production finds peers through DHT and the torrents' trackers).
	Peers           []string
	DisableDHT      bool
	DisableTrackers bool
	// UTP also listens and dials over uTP. Off by default: anacrolix's
	// uTP runs in user space and costs CPU per packet that TCP leaves to
	// the kernel; in the 30-box flash crowd (appliance/bench, CPU-bound,
	// 2026-11-25) TCP only took time-to-first-frame p95 from 2.2 s to 1.0
	// to 1.5 s. Uploads are kept polite by the bandwidth caps, not by
	// uTP's congestion control, and BitTorrent clients all speak TCP.
	UTP bool
	// EstablishedConnsPerTorrent caps peer connections per torrent; 0 =
	// DefaultConnsPerTorrent.
	// A torrent held completely (it only uploads) gets three times as many.
	// Every piece a box completes is announced to each connection and makes
	// each of them re-plan its requests, so CPU grows with connections
	// times pieces. More connections let a box find peers with upload to
	// spare when supply is tight: see piecechoice.ConnsPerTorrent for the
	// figures behind the default.
	EstablishedConnsPerTorrent int
	// HeldConnsPerTorrent caps peer connections per torrent the box holds
	// completely; 0 = EstablishedConnsPerTorrent x
	// piecechoice.SeedConnsFactor. The network's seed box, a server whose
	// uplink feeds hundreds of viewers, sets it higher (atomicboxd
	// -seed-conns): the premiere simulator (appliance/lab/sim, 1,000
	// viewers, 1 Gbit/s seed box, 2026-12-07) rebuffered 0.0017 with the
	// seed box at 36 connections and 0.0010 at 250, and the origin sent
	// 19,957 and 13,858 kbit per viewer.
	HeldConnsPerTorrent int
	// Push speaks the atomicbox_push extension (pieces a stream needs
	// within seconds pushed by a peer, earliest deadline first; see
	// pushing.go). Off by default: in the 30-box flash crowd (2026-12-06)
	// it raised the rebuffering ratio from 0.0069 to 0.021 and 0.053 (two
	// runs; pushed pieces that anacrolix also fetched cost the uploaders),
	// while with the network at a quarter of demand it lowered it from
	// 0.369 to 0.314 and raised upload use from 60% to 80%.
	Push bool
	// ReadaheadSeconds of video to prefetch past a stream's read position;
	// 0 = piecechoice.Readahead (4 s). Never less than MinReadahead
	// bytes. A player reads as fast as the data comes (mpv's cache), so
	// the read position runs ahead of the picture; streams are paced
	// (piecechoice.PaceLead) so that what a box asks of its peers stays
	// near what it needs (see playhead.go).
	ReadaheadSeconds float64
	Log              *slog.Logger // nil = slog.Default()
	// SendQueue bounds the bytes each peer TCP connection holds unsent in
	// the kernel (TCP_NOTSENT_LOWAT): 0 = DefaultSendQueue, below 0 = the
	// kernel's own bound (megabytes; the side-by-side baseline).
	SendQueue int
	// ConfigureClient, when set, adjusts the anacrolix config last, just
	// before the client starts: the daemon sets rate limiters and
	// KeepAliveTimeout (bandwidth.Scheduler.Configure) and callbacks such
	// as Callbacks.PeerConnClosed (the ledger's meter) there.
	ConfigureClient func(*torrent.ClientConfig)
	// OriginClient makes the deadline-driven origin fetches (Range requests
	// to the torrents' url-list); nil = a client with a 30 s timeout.
	OriginClient *http.Client
}

// MaxReadAheadPerConn is how many bytes of requested chunks the box reads
// from disk ahead of sending, per peer connection: 16 chunks, a quarter
// second of an 8 Mbit/s uplink given to one peer. anacrolix refuses
// requests longer than this (clients ask for 16 KiB).
const MaxReadAheadPerConn = 256 << 10

// DefaultConnsPerTorrent is Config.EstablishedConnsPerTorrent's default
// (piecechoice.ConnsPerTorrent).
const DefaultConnsPerTorrent = piecechoice.ConnsPerTorrent

// MinReadahead is the smallest readahead a stream gets, in bytes
// (piecechoice.MinReadahead).
const MinReadahead = piecechoice.MinReadahead

// Swarm is the client and its torrents. Safe for concurrent use.
type Swarm struct {
	cfg      Config
	log      *slog.Logger
	client   *torrent.Client
	store    storage.ClientImplCloser
	peers    []torrent.PeerInfo
	started  time.Time
	unclean  bool
	stopPeer context.CancelFunc
	peerDone chan struct{}

	httpClient  *http.Client
	originLimit *rate.Limiter // this box's budget for origin fetches, all episodes together
	pusher      *pusher       // nil unless Config.Push
	overlap     *overlapMeter
	peerTCP     *peerTCP // the BitTorrent TCP listener and dialer; closed after the client
	stopPush    context.CancelFunc
	pushDone    chan struct{}

	activating sync.Mutex // held while a dormant episode joins the client

	mu       sync.Mutex
	episodes map[string]*episode // in the BitTorrent client
	dormant  map[string]*dormant // registered only; never in both maps
	closed   bool
}

// dormant is an episode the box knows but neither holds nor has been asked
// for: it stays out of the BitTorrent client until it is opened,
// prefetched or warmed. anacrolix v1.61 keeps 430-590 bytes of heap per
// piece of every torrent it has, data or not (40 torrents of 2.7 GB, 2026-12-07:
// 57 MiB at 1 MiB pieces, 349 MiB at 128 KiB), so a catalog added whole
// would cost the box memory in proportion to the network's library rather
// than to what it holds. A dormant episode has nothing to seed and no
// peers to keep, so nothing is lost by waiting.
type dormant struct {
	mi       *metainfo.MetaInfo
	ih       metainfo.Hash
	name     string // the file's name in the media dir
	length   int64
	duration float64 // seconds; 0 = unknown
}

type episode struct {
	id       string
	t        *torrent.Torrent
	duration float64  // seconds, for the readahead
	origin   string   // URL of the file at the origin; "" = none
	asleep   *dormant // what Add registered, for Cool

	originBytes atomic.Int64 // verified piece bytes fetched from the origin
	// originSupplementBytes: the part of originBytes fetched as
	// supplements (piecechoice.Fetch.Supplement), not rescues.
	originSupplementBytes atomic.Int64
	pushedIn              atomic.Int64 // verified piece bytes peers pushed (atomicbox_push)
	pushedOut             atomic.Int64 // piece bytes pushed to peers
	originPieces                       // pieces the origin completed, peer bytes that came after
	kickc                 chan struct{}
	stopPlan              context.CancelFunc
	planDone              chan struct{}

	mu      sync.Mutex
	streams map[*stream]struct{}
}

// drop stops the episode's planner and removes its torrent.
func (ep *episode) drop() {
	ep.stopPlan()
	<-ep.planDone
	ep.t.Drop()
}

// New opens the client on cfg.DataDir and starts listening. If the previous
// run did not Close cleanly, the piece completion records are discarded so
// every piece is hashed again before it is served (anacrolix records a
// completion before the data is flushed, without fsync).
func New(ctx context.Context, cfg Config) (*Swarm, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("swarm: no data dir")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.EstablishedConnsPerTorrent == 0 {
		cfg.EstablishedConnsPerTorrent = DefaultConnsPerTorrent
	}
	if cfg.HeldConnsPerTorrent == 0 {
		cfg.HeldConnsPerTorrent = cfg.EstablishedConnsPerTorrent * piecechoice.SeedConnsFactor
	}
	if cfg.ReadaheadSeconds == 0 {
		cfg.ReadaheadSeconds = piecechoice.Readahead.Seconds()
	}
	log := cfg.Log.With("component", "swarm")
	for _, d := range []string{MediaDir, SwarmDir} {
		if err := os.MkdirAll(filepath.Join(cfg.DataDir, d), 0o755); err != nil {
			return nil, fmt.Errorf("swarm: %w", err)
		}
	}
	peers, err := resolvePeers(ctx, cfg.Peers)
	if err != nil {
		return nil, err
	}
	marker := filepath.Join(cfg.DataDir, runningMk)
	unclean := false
	if _, err := os.Stat(marker); err == nil {
		unclean = true
		log.Warn("previous run did not stop cleanly; re-verifying all pieces")
		if err := os.Remove(filepath.Join(cfg.DataDir, boltFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("swarm: drop completion records: %w", err)
		}
	}
	if err := writeMarker(marker); err != nil {
		return nil, err
	}
	completion, err := storage.NewBoltPieceCompletion(filepath.Join(cfg.DataDir, SwarmDir))
	if err != nil {
		return nil, fmt.Errorf("swarm: open completion records: %w", err)
	}
	torrentLog := slog.New(minLevel{cfg.Log.Handler(), slog.LevelWarn}).With("component", "torrent")
	store := openfiles.New(storage.NewFileClientOpts{
		ClientBaseDir:   filepath.Join(cfg.DataDir, MediaDir),
		PieceCompletion: completion,
		UsePartFiles:    g.Some(false), // part files lose resume in v1.61
		Logger:          torrentLog,
	})
	tc := torrent.NewDefaultClientConfig()
	tc.DefaultStorage = store
	tc.Seed = true
	tc.NoDHT = cfg.DisableDHT
	tc.DisableTrackers = cfg.DisableTrackers
	tc.DisableUTP = !cfg.UTP
	tc.NoDefaultPortForwarding = true
	host := cfg.ListenHost
	// The box's own TCP listener and dialer (peertcp.go), for the socket
	// option anacrolix's cannot be given; uTP and the DHT listen on the
	// same port number.
	sendQueue := cfg.SendQueue
	if sendQueue == 0 {
		sendQueue = DefaultSendQueue
	}
	ptcp, err := listenPeerTCP(ctx, host, cfg.Port, max(sendQueue, 0))
	if err != nil {
		store.Close()
		return nil, err
	}
	tc.DisableTCP = true
	tc.ListenPort = ptcp.Port()
	// What anacrolix reads from disk ahead of sending, per connection
	// (its default 1 MiB). With the send queue bounded, chunks a slow
	// peer has asked for wait here, in the heap, rather than in the
	// kernel: in the seeding benchmark (100 episodes to 20 leechers
	// capped at 1 MiB/s) the daemon's peak RSS rose from 125 to 156 MiB,
	// over its 150 MiB budget.
	tc.MaxAllocPeerRequestDataPerConn = MaxReadAheadPerConn
	tc.ListenHost = func(string) string { return host }
	if host != "" {
		if ip, err := netip.ParseAddr(host); err == nil && ip.Is4() {
			tc.DisableIPv6 = true
		}
	}
	tc.EstablishedConnsPerTorrent = cfg.EstablishedConnsPerTorrent
	// Plaintext handshakes first: header obfuscation (MSE) is a
	// Diffie-Hellman exchange per connection, 15% of a box's CPU in the
	// 30-box crowd (pprof, 2026-12-06), and every box's traffic is the
	// same public episodes anyway. A peer that insists on obfuscation is
	// still reached (anacrolix retries with it) and still accepted.
	tc.HeaderObfuscationPolicy = torrent.HeaderObfuscationPolicy{Preferred: false, RequirePreferred: false}
	tc.Slogger = torrentLog
	if cfg.ConfigureClient != nil {
		cfg.ConfigureClient(tc)
	}
	overlap := &overlapMeter{}
	overlap.configure(tc)
	var p *pusher
	if cfg.Push {
		p = newPusher()
		p.configure(tc)
	}
	client, err := torrent.NewClient(tc)
	if err != nil {
		ptcp.Close()
		store.Close()
		return nil, fmt.Errorf("swarm: start client: %w", err)
	}
	ptcp.attach(client)
	s := &Swarm{
		cfg: cfg, log: log, client: client, store: store, peers: peers,
		started: time.Now(), unclean: unclean, episodes: make(map[string]*episode), dormant: make(map[string]*dormant),
		httpClient: cfg.OriginClient, originLimit: newOriginLimit(), pusher: p,
		overlap: overlap, peerTCP: ptcp,
	}
	if p != nil {
		p.s = s // the callbacks only queue until run starts
		pctx, cancel := context.WithCancel(context.Background())
		s.stopPush, s.pushDone = cancel, make(chan struct{})
		go func() {
			defer close(s.pushDone)
			s.pusher.run(pctx)
		}()
	}
	if s.httpClient == nil {
		s.httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	if len(peers) > 0 {
		pctx, cancel := context.WithCancel(context.Background())
		s.stopPeer = cancel
		s.peerDone = make(chan struct{})
		go s.readdPeers(pctx)
	}
	log.Info("swarm started", "listen", s.Addr(), "peers", len(peers), "dht", !cfg.DisableDHT)
	return s, nil
}

// Addr is the BitTorrent listen address (TCP), e.g. 127.0.0.1:41234.
func (s *Swarm) Addr() string {
	for _, a := range s.client.ListenAddrs() {
		if a.Network() == "tcp" {
			return a.String()
		}
	}
	if as := s.client.ListenAddrs(); len(as) > 0 {
		return as[0].String()
	}
	return ""
}

// Unclean reports whether New found the previous run had not stopped
// cleanly (and so re-verified everything).
func (s *Swarm) Unclean() bool { return s.unclean }

// Add makes the episode's torrent part of the swarm: it seeds what the data
// dir holds and downloads what streams ask for. durationSeconds (0 if
// unknown) sizes the stream readahead. Adding an episode again with the same
// info hash is a no-op; a different one replaces it. Only single-file
// torrents are accepted.
//
// An episode whose file is not in the data dir is only registered (see
// dormant): it joins the BitTorrent client when it is first opened,
// prefetched or warmed. One whose file is there joins at once, and Add blocks until
// its torrent's info is ready or ctx ends.
func (s *Swarm) Add(ctx context.Context, episodeID string, mi *metainfo.MetaInfo, durationSeconds float64) error {
	info, err := mi.UnmarshalInfo()
	if err != nil {
		return fmt.Errorf("swarm: episode %s: bad info: %w", episodeID, err)
	}
	if len(info.Files) != 0 {
		return fmt.Errorf("swarm: episode %s: torrent has %d files, want a single-file torrent", episodeID, len(info.Files))
	}
	// Checked here, not at activation: a torrent anacrolix would refuse is
	// the catalog sync's error, not the viewer's when they press play.
	if _, err := torrent.TorrentSpecFromMetaInfoErr(mi); err != nil {
		return fmt.Errorf("swarm: episode %s: %w", episodeID, err)
	}
	d := &dormant{mi: mi, ih: mi.HashInfoBytes(), name: info.BestName(), length: info.TotalLength(), duration: durationSeconds}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("swarm: closed")
	}
	if old, ok := s.dormant[episodeID]; ok && old.ih == d.ih {
		old.duration = durationSeconds
		s.mu.Unlock()
		return nil
	}
	if old, ok := s.episodes[episodeID]; ok {
		if old.t.InfoHash() == d.ih {
			old.mu.Lock()
			old.duration = durationSeconds
			old.mu.Unlock()
			s.mu.Unlock()
			return nil
		}
		delete(s.episodes, episodeID)
		s.mu.Unlock()
		s.overlap.forget(old)
		old.drop()
		s.mu.Lock()
	}
	s.dormant[episodeID] = d
	s.mu.Unlock()
	if !s.holdsFile(d.name) {
		s.log.Debug("episode registered", "episode", episodeID, "infohash", d.ih.HexString(), "size", d.length)
		return nil
	}
	_, err = s.activate(ctx, episodeID)
	return err
}

// holdsFile reports whether the media dir has a non-empty file of that
// name: an episode the box holds (part of), or one placed by hand.
func (s *Swarm) holdsFile(name string) bool {
	st, err := os.Stat(filepath.Join(s.cfg.DataDir, MediaDir, name))
	return err == nil && st.Size() > 0
}

// activate returns the episode's place in the BitTorrent client, adding its
// torrent there first if it is dormant. It blocks until the torrent's info
// is ready (at once: the info is in the metainfo) or ctx ends. Activations
// are serialised so that an episode is added to the client once.
func (s *Swarm) activate(ctx context.Context, episodeID string) (*episode, error) {
	s.activating.Lock()
	defer s.activating.Unlock()
	s.mu.Lock()
	if ep, ok := s.episodes[episodeID]; ok {
		s.mu.Unlock()
		return ep, nil
	}
	d, ok := s.dormant[episodeID]
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, errors.New("swarm: closed")
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownEpisode, episodeID)
	}

	// The url-list is kept out of anacrolix: its v1.61 web seed fetches
	// every wanted piece in index order, cannot be removed and hogs a
	// constrained origin. The planner (playhead.go) fetches from the origin
	// only the pieces peers will not deliver before their deadline.
	origin := originURL(d.mi.UrlList, d.name)
	spec, err := torrent.TorrentSpecFromMetaInfoErr(d.mi)
	if err != nil {
		return nil, fmt.Errorf("swarm: episode %s: %w", episodeID, err)
	}
	spec.Webseeds = nil
	t, _, err := s.client.AddTorrentSpec(spec)
	if err != nil {
		return nil, fmt.Errorf("swarm: add episode %s: %w", episodeID, err)
	}
	select {
	case <-t.GotInfo():
	case <-ctx.Done():
		t.Drop()
		return nil, ctx.Err()
	}
	t.AddPeers(s.peers)
	pctx, stop := context.WithCancel(context.Background())
	ep := &episode{
		id: episodeID, t: t, duration: d.duration, origin: origin, asleep: d,
		kickc: make(chan struct{}, 1), stopPlan: stop, planDone: make(chan struct{}),
		streams: make(map[*stream]struct{}),
	}
	s.mu.Lock()
	if s.closed || s.dormant[episodeID] != d {
		// Closed, dropped or replaced while the torrent was being added.
		s.mu.Unlock()
		stop()
		t.Drop()
		return nil, fmt.Errorf("%w: %s (dropped while being added)", ErrUnknownEpisode, episodeID)
	}
	ep.duration = d.duration // Add may have updated it meanwhile
	delete(s.dormant, episodeID)
	s.episodes[episodeID] = ep
	s.mu.Unlock()
	s.overlap.add(ep)
	go s.plan(pctx, ep)

	// A file placed by hand after the completion records said "nothing here"
	// would otherwise never be looked at: hash it in the background. Pieces
	// without a record are already queued for hashing by anacrolix itself.
	if t.BytesCompleted() == 0 && !checking(t) && s.holdsFile(d.name) {
		go func() {
			if err := t.VerifyDataContext(context.Background()); err != nil {
				s.log.Debug("verify placed file", "episode", episodeID, "err", err)
			}
		}()
	}
	s.log.Debug("episode added", "episode", episodeID, "infohash", d.ih.HexString(), "have", t.BytesCompleted(), "size", t.Length())
	return ep, nil
}

// checking reports whether any piece is queued for or being hashed.
func checking(t *torrent.Torrent) bool {
	for _, run := range t.PieceStateRuns() {
		if run.Checking || run.QueuedForHash || run.Hashing {
			return true
		}
	}
	return false
}

// Stream is one reader over an episode's file. Reads block until the data
// has arrived and been verified (or the reader's context ends). Not safe
// for concurrent use: open one per HTTP request.
type Stream interface {
	io.ReadSeekCloser
	Size() int64
}

// Open returns a new reader of the episode. ctx bounds every read: when it
// ends (the HTTP client went away), pending reads return and the reader
// stops prioritising its pieces. The readahead is ReadaheadSeconds of the
// episode's bitrate (size/duration), at least MinReadahead, after a
// start-up window with less (piecechoice.StartupFor).
func (s *Swarm) Open(ctx context.Context, episodeID string) (Stream, error) {
	ep, err := s.activate(ctx, episodeID)
	if err != nil {
		return nil, err
	}
	size := ep.t.Length()
	steady := s.readaheadBytes(ep)
	startup := min(steady, readaheadFor(ep, piecechoice.StartupReadahead.Seconds()))
	r := ep.t.NewReader()
	r.SetContext(ctx)
	r.SetReadahead(startup) // a fresh stream starts up (stream.window)
	// Deliberately not SetResponsive: it hands out chunks before their piece
	// is hash-checked, so a bad peer's bytes would reach the player; the
	// streaming trial measured no material gain from it.
	st := &stream{r: r, ep: ep, size: size, ctx: ctx,
		readahead: startup, steadyReadahead: steady, startupReadahead: startup}
	ep.mu.Lock()
	ep.streams[st] = struct{}{}
	ep.mu.Unlock()
	ep.kick()
	return st, nil
}

// readaheadBytes is a stream's readahead: ReadaheadSeconds of the episode's
// bit rate, at least MinReadahead.
func (s *Swarm) readaheadBytes(ep *episode) int64 {
	return readaheadFor(ep, s.cfg.ReadaheadSeconds)
}

// readaheadFor is seconds of the episode's bit rate in bytes, at least
// MinReadahead.
func readaheadFor(ep *episode, seconds float64) int64 {
	return piecechoice.ReadaheadBytes(seconds, ep.bytesPerSecond())
}

// Has reports whether the episode has been added (dormant or not).
func (s *Swarm) Has(episodeID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.episodes[episodeID]
	_, sleeping := s.dormant[episodeID]
	return ok || sleeping
}

// Completion returns the fraction (0..1) of the episode held and verified;
// 0 for an unknown episode.
func (s *Swarm) Completion(episodeID string) float64 {
	s.mu.Lock()
	ep, ok := s.episodes[episodeID]
	s.mu.Unlock()
	if !ok || ep.t.Length() == 0 {
		return 0
	}
	return float64(ep.t.BytesCompleted()) / float64(ep.t.Length())
}

// Stats returns transfer figures since this swarm started, per torrent
// (sorted by episode) and in total. Useful payload bytes are split by the
// kind of connection: anacrolix counts BEP 19 web seed "peers" in
// TorrentStats.WebSeeds and BitTorrent connections in PeerConns.
func (s *Swarm) Stats() api.Stats {
	s.mu.Lock()
	eps := make([]*episode, 0, len(s.episodes))
	for _, ep := range s.episodes {
		eps = append(eps, ep)
	}
	var sleeping []api.TorrentStats
	for id, d := range s.dormant {
		sleeping = append(sleeping, api.TorrentStats{Episode: id, InfoHash: d.ih.HexString(), TransferStats: api.TransferStats{Size: d.length}})
	}
	s.mu.Unlock()
	var out api.Stats
	out.Torrents = []api.TorrentStats{}
	var held int64
	for _, ts := range sleeping {
		out.Total.Size += ts.Size
		out.Torrents = append(out.Torrents, ts)
	}
	for _, ep := range eps {
		st := ep.t.Stats()
		ts := api.TorrentStats{
			Episode:  ep.id,
			InfoHash: ep.t.InfoHash().HexString(),
			TransferStats: api.TransferStats{
				BytesFromPeers:             st.PeerConns.BytesReadUsefulData.Int64() + ep.pushedIn.Load(),
				BytesFromWebSeed:           st.WebSeeds.BytesReadUsefulData.Int64() + ep.originBytes.Load(),
				BytesUploaded:              st.PeerConns.BytesWrittenData.Int64() + ep.pushedOut.Load(),
				BytesFromPeersWasted:       max(0, st.PeerConns.BytesReadData.Int64()-st.PeerConns.BytesReadUsefulData.Int64()),
				BytesFromPeersAfterOrigin:  ep.originPieces.after.Load(),
				BytesFromOriginSupplements: ep.originSupplementBytes.Load(),
				Peers:                      len(ep.t.PeerConns()),
				Size:                       ep.t.Length(),
			},
		}
		have := ep.t.BytesCompleted()
		if ts.Size > 0 {
			ts.Completion = float64(have) / float64(ts.Size)
		}
		held += have
		out.Total.BytesFromPeers += ts.BytesFromPeers
		out.Total.BytesFromWebSeed += ts.BytesFromWebSeed
		out.Total.BytesUploaded += ts.BytesUploaded
		out.Total.BytesFromPeersWasted += ts.BytesFromPeersWasted
		out.Total.BytesFromPeersAfterOrigin += ts.BytesFromPeersAfterOrigin
		out.Total.BytesFromOriginSupplements += ts.BytesFromOriginSupplements
		out.Total.Peers += ts.Peers
		out.Total.Size += ts.Size
		out.Torrents = append(out.Torrents, ts)
	}
	if out.Total.Size > 0 {
		out.Total.Completion = float64(held) / float64(out.Total.Size)
	}
	slices.SortFunc(out.Torrents, func(a, b api.TorrentStats) int { return strings.Compare(a.Episode, b.Episode) })
	return out
}

// Close stops the client, makes the completion records durable and removes
// the running marker, so the next start trusts them. Safe to call twice.
func (s *Swarm) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	eps := make([]*episode, 0, len(s.episodes))
	for _, ep := range s.episodes {
		eps = append(eps, ep)
	}
	s.mu.Unlock()
	if s.stopPeer != nil {
		s.stopPeer()
		<-s.peerDone
	}
	for _, ep := range eps {
		ep.stopPlan()
		<-ep.planDone
	}
	if s.stopPush != nil {
		s.stopPush()
		<-s.pushDone
	}
	done := make(chan []error, 1)
	go func() { done <- s.client.Close() }()
	var errs []error
	select {
	case errs = <-done:
		// After the client: its accept loop ends when it sees itself
		// closed, not on the listener's error.
		if err := s.peerTCP.Close(); err != nil {
			errs = append(errs, err)
		}
	case <-ctx.Done():
		// Leave the marker: the next start re-verifies.
		return fmt.Errorf("swarm: close: %w", ctx.Err())
	}
	if err := s.store.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := syncFile(filepath.Join(s.cfg.DataDir, boltFile)); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("swarm: close: %w", err)
	}
	if err := os.Remove(filepath.Join(s.cfg.DataDir, runningMk)); err != nil {
		return fmt.Errorf("swarm: remove running marker: %w", err)
	}
	syncDir(filepath.Join(s.cfg.DataDir, SwarmDir))
	s.log.Info("swarm stopped cleanly")
	return nil
}

// readdPeers adds the configured peers again: every 2 s to a torrent with
// less than half the connections it could have (a peer that was down when
// the torrent was added, since boxes boot in any order, is dialled again
// promptly), every 30 s to one with fewer than it could have (a peer that
// dropped us). Never to a torrent at its cap: anacrolix would dial them
// all to replace incoming connections (one box in the 30-box crowd opened
// 29 connections in 5 s at the 30 s round), churn that every box did at
// the same moment. anacrolix skips addresses it is already connected to.
func (s *Swarm) readdPeers(ctx context.Context) {
	defer close(s.peerDone)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for round := 1; ; round++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.mu.Lock()
		for _, ep := range s.episodes {
			conns, want := len(ep.t.PeerConns()), min(len(s.peers), s.cfg.EstablishedConnsPerTorrent)
			if (round%15 == 0 && conns < want) || 2*conns < want {
				ep.t.AddPeers(s.peers)
			}
		}
		s.mu.Unlock()
	}
}

func resolvePeers(ctx context.Context, addrs []string) ([]torrent.PeerInfo, error) {
	var out []torrent.PeerInfo
	for _, a := range addrs {
		host, portStr, err := net.SplitHostPort(a)
		if err != nil {
			return nil, fmt.Errorf("swarm: peer %q: %w", a, err)
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil || port == 0 {
			return nil, fmt.Errorf("swarm: peer %q: bad port", a)
		}
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("swarm: peer %q: %w", a, err)
		}
		for _, ip := range ips {
			ap := netip.AddrPortFrom(ip.Unmap(), uint16(port))
			out = append(out, torrent.PeerInfo{Addr: torrent.StringAddr(ap.String()), Trusted: true, Source: torrent.PeerSourceDirect})
		}
	}
	return out, nil
}

func writeMarker(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("swarm: write running marker: %w", err)
	}
	fmt.Fprintf(f, "pid %d since %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("swarm: write running marker: %w", err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// minLevel drops records below a level (anacrolix is chatty at Info and
// gokrazy keeps only the last 100 lines).
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// harmless are v1.61 warnings that fire on every healthy download without
// part files (it flushes a ".part" path that does not exist, and reports a
// "short write" for pieces it then finds correct).
var harmless = map[string]bool{
	"error flushing file before promotion": true,
	"finished hashing piece":               true,
}

func (h minLevel) Handle(ctx context.Context, r slog.Record) error {
	if harmless[r.Message] {
		bad := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "correct" && a.Value.String() == "false" {
				bad = true
			}
			return !bad
		})
		if !bad {
			return nil
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
