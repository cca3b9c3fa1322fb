// Package box wires the verified catalog to the swarm and the API: it
// fetches and checks each episode's torrent, caches posters, and answers
// the API's questions about the library.
package box

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/embargo"
	"github.com/atomicnetwork/atomicbox/appliance/resume"
	"github.com/atomicnetwork/atomicbox/appliance/state"
	"github.com/atomicnetwork/atomicbox/appliance/swarm"
)

// Data dir layout added by this package (see also swarm's).
const (
	TorrentsDir = "torrents" // <episodeID>.torrent, checked against the signed catalog
	PostersDir  = "posters"  // <sha256 of the catalog path>.png|.jpg
	CatalogDir  = "catalog"  // the fetcher's last good catalog
)

// Size limits for what the origin sends.
const (
	MaxTorrentBytes = 4 << 20
	MaxPosterBytes  = catalog.MaxPosterBytes
)

// ErrHashMismatch means a .torrent does not match the signed catalog.
var ErrHashMismatch = errors.New("torrent does not match the signed catalog")

// Config is what New needs.
type Config struct {
	DataDir string
	Fetcher *catalog.Fetcher
	Swarm   *swarm.Swarm
	Resume  *resume.Store
	Hub     *api.Hub     // catalog events go here; may be nil
	Client  *http.Client // for torrents and posters; nil = 30 s timeout client
	// Trusted decides releases (package embargo); nil = a clock on the
	// system's monotonic time. The box feeds it every verified catalog.
	Trusted *embargo.TrustedClock
	// Watching is told whether any stream is open (true on the first open,
	// false when the last one closes); nil = nobody listens.
	Watching func(bool)
	// SyncBudget bounds one Sync, all fetches included; 0 = 2 minutes.
	SyncBudget time.Duration
	Log        *slog.Logger
}

// Box implements api.Backend. Safe for concurrent use.
type Box struct {
	cfg Config
	log *slog.Logger

	syncMu sync.Mutex // serialises Sync

	mu      sync.Mutex
	refused map[string]string    // episode ID -> why its torrent was refused
	posters map[string]string    // "kind/id" -> cached file
	playing map[string]int       // episode ID -> open streams
	closed  map[string]time.Time // episode ID -> when its last stream closed (monotonic)
	open    int                  // open streams, all episodes
	warm    map[string]bool      // premieres the last Sync warmed (warmPremieres)
}

// New returns a box; it does no I/O.
func New(cfg Config) (*Box, error) {
	if cfg.DataDir == "" || cfg.Fetcher == nil || cfg.Swarm == nil || cfg.Resume == nil {
		return nil, errors.New("box: needs a data dir, fetcher, swarm and resume store")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	// Torrents and posters come from the channel's origin only, redirects
	// included.
	cfg.Client = catalog.OnOriginClient(cfg.Client)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.SyncBudget <= 0 {
		cfg.SyncBudget = defaultSyncBudget
	}
	if cfg.Trusted == nil {
		cfg.Trusted = embargo.NewTrustedClock(embargo.SystemMonotonic())
	}
	return &Box{cfg: cfg, log: cfg.Log.With("component", "box"),
		refused: make(map[string]string), posters: make(map[string]string), playing: make(map[string]int), closed: make(map[string]time.Time)}, nil
}

// Run syncs the stored catalog at once, then follows the channel (every
// interval) until ctx ends, publishing an EventCatalog on every change.
// Blocks until ctx ends.
func (b *Box) Run(ctx context.Context, interval time.Duration) {
	if c, _ := b.cfg.Fetcher.Current(); c != nil {
		// The stored catalog was verified when it arrived: trusted time
		// restarts from it (late, never early).
		b.cfg.Trusted.Observe(c.Published)
		b.Sync(ctx, c)
	}
	go b.retryRefused(ctx, interval)
	b.cfg.Fetcher.Run(ctx, interval, func(c *catalog.Catalog, st catalog.Status) {
		if st.Problem != "" {
			b.log.Warn("catalog problem", "problem", st.Problem, "err", st.Err)
		} else {
			b.log.Info("catalog updated", "sequence", st.Sequence)
		}
		if c != nil {
			b.cfg.Trusted.Observe(c.Published)
			b.Sync(ctx, c)
		}
		b.publish()
	})
}

// retryRefused syncs the current catalog again while some episode could
// not be added (its torrent fetch failed, or did not match), 2 s after the
// failure and then backing off to interval: the fetcher syncs only when the
// catalog changes, and a box that booted while the network was down would
// otherwise miss that episode until the network publishes again. Blocks
// until ctx ends.
func (b *Box) retryRefused(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	const first = 2 * time.Second
	wait := first
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		b.mu.Lock()
		failed := len(b.refused) > 0
		b.mu.Unlock()
		c, _ := b.cfg.Fetcher.Current()
		if !failed || c == nil {
			wait = first
			continue
		}
		b.Sync(ctx, c)
		b.publish()
		wait = min(2*wait, interval)
	}
}

func (b *Box) publish() {
	if b.cfg.Hub == nil {
		return
	}
	v := b.Catalog()
	b.cfg.Hub.Publish(api.Event{Type: api.EventCatalog, Catalog: &api.CatalogEvent{Sequence: v.Sequence, Problem: v.Problem}})
}

// Sync bounds: a slow or hostile origin must not hold catalog updates (the
// fetcher waits for Sync) for longer than syncBudget, and fetches run
// syncWorkers at a time.
const (
	defaultSyncBudget = 2 * time.Minute
	syncWorkers       = 4
)

// Sync brings the swarm in line with c: every episode's torrent is fetched
// (or taken from the cache), checked against the signed info hash and size,
// and added; posters are cached. Fetches run syncWorkers at a time and the
// whole Sync ends within Config.SyncBudget: what is not done by then is
// left for retryRefused. Failures are per episode: logged, kept for the
// catalog view, and retried later. Episodes and posters that left the
// catalog are forgotten (refusals, poster paths); nothing is removed from
// the swarm or the disk here.
func (b *Box) Sync(ctx context.Context, c *catalog.Catalog) {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	b.cfg.Swarm.SetOriginRate(c.OriginBoxRate)
	ctx, cancel := context.WithTimeout(ctx, b.cfg.SyncBudget)
	defer cancel()

	var jobs []func()
	var added atomic.Int64
	listed := map[string]bool{}
	for _, sh := range c.Shows {
		if sh.Poster != "" {
			listed["show/"+sh.ID] = true
			jobs = append(jobs, func() { b.cachePoster(ctx, "show", sh.ID, sh.Poster, sh.PosterSHA256) })
		}
		for _, ep := range sh.Episodes {
			listed[ep.ID] = true
			if ep.Poster != "" {
				listed["episode/"+ep.ID] = true
				jobs = append(jobs, func() { b.cachePoster(ctx, "episode", ep.ID, ep.Poster, ep.PosterSHA256) })
			}
			jobs = append(jobs, func() {
				if b.syncEpisode(ctx, ep, c.Trackers) {
					added.Add(1)
				}
			})
		}
	}
	work := make(chan func())
	var wg sync.WaitGroup
	for range min(syncWorkers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range work {
				job()
			}
		}()
	}
	for _, job := range jobs {
		work <- job
	}
	close(work)
	wg.Wait()
	b.warmPremieres(c)

	b.mu.Lock()
	for id := range b.refused {
		if !listed[id] {
			delete(b.refused, id)
		}
	}
	for key := range b.posters {
		if !listed[key] {
			delete(b.posters, key)
		}
	}
	for id, at := range b.closed {
		if time.Since(at) >= playingGrace {
			delete(b.closed, id)
		}
	}
	b.mu.Unlock()
	if ctx.Err() != nil && !errors.Is(context.Cause(ctx), context.Canceled) {
		b.log.Warn("catalog sync ran out of time; the rest is retried", "budget", b.cfg.SyncBudget)
	}
	b.log.Info("catalog synced", "sequence", c.Sequence, "episodes", added.Load())
	b.publish()
}

// Premieres: an episode whose release is at most premiereAhead away or
// at most premiereAfter past is where a crowd is expected. Sync warms the
// nearest maxWarm of them (swarm.Warm: the box joins the episode's swarm
// before its viewers press play, as one that pre-fetched it has) and
// cools those that left the window or the catalog (swarm.Cool: only if
// the box holds nothing of them). A warmed episode costs memory while it
// is in the BitTorrent client (swarm's dormant), hence the cap.
const (
	premiereAhead = 48 * time.Hour
	premiereAfter = 24 * time.Hour
	maxWarm       = 4
)

// warmPremieres warms and cools premieres for catalog c (see
// premiereAhead). It does not block on the network.
func (b *Box) warmPremieres(c *catalog.Catalog) {
	now, _ := b.cfg.Trusted.TrustedNow()
	type premiere struct {
		id    string
		until time.Duration // to or since the release
	}
	var ps []premiere
	for _, sh := range c.Shows {
		for _, ep := range sh.Episodes {
			if ep.ReleaseAt.IsZero() {
				continue
			}
			if d := ep.ReleaseAt.Sub(now); d <= premiereAhead && d >= -premiereAfter {
				ps = append(ps, premiere{ep.ID, d.Abs()})
			}
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].until < ps[j].until })
	warm := make(map[string]bool)
	for _, p := range ps[:min(len(ps), maxWarm)] {
		if err := b.cfg.Swarm.Warm(p.id); err != nil {
			if !errors.Is(err, swarm.ErrUnknownEpisode) { // unknown: refused, already logged
				b.log.Warn("premiere not warmed", "episode", p.id, "err", err)
			}
			continue
		}
		warm[p.id] = true
	}
	b.mu.Lock()
	old := b.warm
	b.warm = warm
	b.mu.Unlock()
	for id := range old {
		if !warm[id] && b.cfg.Swarm.Cool(id) {
			b.log.Debug("premiere cooled", "episode", id)
		}
	}
	if len(warm) > 0 {
		b.log.Info("premieres warmed", "episodes", len(warm))
	}
}

// syncEpisode adds one episode and records the outcome for the catalog
// view; it reports whether the episode is in the swarm.
func (b *Box) syncEpisode(ctx context.Context, ep catalog.Episode, trackers []string) bool {
	err := b.addEpisode(ctx, ep, trackers)
	b.mu.Lock()
	if err != nil {
		b.refused[ep.ID] = err.Error()
	} else {
		delete(b.refused, ep.ID)
	}
	b.mu.Unlock()
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrHashMismatch):
		b.log.Error("REFUSED torrent: info hash differs from the signed catalog", "episode", ep.ID, "err", err)
	default:
		b.log.Warn("episode not added", "episode", ep.ID, "err", err)
	}
	return false
}

func (b *Box) addEpisode(ctx context.Context, ep catalog.Episode, trackers []string) error {
	path := filepath.Join(b.cfg.DataDir, TorrentsDir, ep.ID+".torrent")
	mi, err := loadChecked(path, ep)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			b.log.Warn("cached torrent unusable; fetching again", "episode", ep.ID, "err", err)
		}
		data, ferr := b.get(ctx, ep.Torrent, MaxTorrentBytes)
		if ferr != nil {
			return fmt.Errorf("fetch torrent: %w", ferr)
		}
		if mi, err = checkTorrent(data, ep); err != nil {
			return err
		}
		if err := state.WriteFileAtomic(path, data, 0o644); err != nil {
			b.log.Warn("cache torrent", "episode", ep.ID, "err", err)
		}
	}
	return b.cfg.Swarm.Add(ctx, ep.ID, b.confine(ep.ID, mi, trackers), ep.DurationSeconds)
}

// confine returns mi with what lies outside its info hash taken from the
// signed catalog and the channel only: the web seeds are the url-list
// entries under the channel's base URL (others are dropped and logged), and
// the trackers are the catalog's, without local ones unless the channel
// itself is local. A torrent cannot send the box to 127.0.0.1 or to a
// stranger's server.
func (b *Box) confine(id string, mi *metainfo.MetaInfo, trackers []string) *metainfo.MetaInfo {
	out := *mi
	out.UrlList = nil
	for _, u := range mi.UrlList {
		if b.cfg.Fetcher.Within(u) {
			out.UrlList = append(out.UrlList, u)
		} else {
			b.log.Warn("web seed outside the channel's origin dropped", "episode", id, "url", u)
		}
	}
	out.Announce, out.AnnounceList = "", nil
	var tier []string
	for _, tr := range trackers {
		if catalog.LocalHost(tr) && !b.cfg.Fetcher.BaseIsLocal() {
			b.log.Warn("local tracker in the catalog dropped", "tracker", tr)
			continue
		}
		tier = append(tier, tr)
	}
	if len(tier) > 0 {
		out.AnnounceList = metainfo.AnnounceList{tier}
	}
	return &out
}

func loadChecked(path string, ep catalog.Episode) (*metainfo.MetaInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return checkTorrent(data, ep)
}

// checkTorrent parses a .torrent and checks it against the signed episode.
func checkTorrent(data []byte, ep catalog.Episode) (*metainfo.MetaInfo, error) {
	mi, err := metainfo.Load(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parse torrent: %w", err)
	}
	if got := mi.HashInfoBytes().HexString(); got != ep.InfoHash {
		return nil, fmt.Errorf("%w: episode %s: got %s, catalog says %s", ErrHashMismatch, ep.ID, got, ep.InfoHash)
	}
	info, err := mi.UnmarshalInfo()
	if err != nil {
		return nil, fmt.Errorf("parse torrent info: %w", err)
	}
	if info.TotalLength() != ep.Size {
		return nil, fmt.Errorf("%w: episode %s: %d bytes, catalog says %d", ErrHashMismatch, ep.ID, info.TotalLength(), ep.Size)
	}
	return mi, nil
}

// get fetches a catalog-relative path from the origin, at most limit bytes.
func (b *Box) get(ctx context.Context, rel string, limit int64) ([]byte, error) {
	return b.getType(ctx, rel, limit, nil)
}

func (b *Box) getType(ctx context.Context, rel string, limit int64, check func(ctype string) error) ([]byte, error) {
	u, err := b.cfg.Fetcher.Resolve(rel)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if check != nil {
		if err := check(resp.Header.Get("Content-Type")); err != nil {
			return nil, fmt.Errorf("GET %s: %w", u, err)
		}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", u, limit)
	}
	return data, nil
}

var imageExt = map[string]string{"image/png": ".png", "image/jpeg": ".jpg"}

// cachePoster keeps a poster in the data dir, named by the SHA-256 the
// signed catalog gives for it (by its catalog path in catalogs without
// one), so a changed poster is fetched again. Only bytes that pass
// catalog.CheckPoster are kept or served, a cached copy included: a poster
// bomb cached before this check is dropped, not served after every
// restart. Failures are logged: a missing poster is not worth more.
func (b *Box) cachePoster(ctx context.Context, kind, id, rel, wantSHA string) {
	key := kind + "/" + id
	name := wantSHA
	if name == "" {
		sum := sha256.Sum256([]byte(rel))
		name = hex.EncodeToString(sum[:12])
	}
	base := filepath.Join(b.cfg.DataDir, PostersDir, name)
	for _, ext := range imageExt {
		data, err := os.ReadFile(base + ext)
		if err != nil {
			continue
		}
		if _, err := catalog.CheckPoster(data, wantSHA); err != nil {
			b.log.Warn("cached poster refused; fetching it again", "poster", key, "err", err)
			os.Remove(base + ext)
			continue
		}
		b.mu.Lock()
		b.posters[key] = base + ext
		b.mu.Unlock()
		return
	}
	data, err := b.getType(ctx, rel, MaxPosterBytes, func(ctype string) error {
		ct := strings.TrimSpace(strings.SplitN(ctype, ";", 2)[0])
		if _, ok := imageExt[ct]; !ok {
			return fmt.Errorf("content type %q is not PNG or JPEG", ctype)
		}
		return nil
	})
	if err != nil {
		b.log.Warn("poster not cached", "poster", key, "err", err)
		return
	}
	sniffed, err := catalog.CheckPoster(data, wantSHA)
	if err != nil {
		b.log.Warn("poster not cached", "poster", key, "err", err)
		return
	}
	ext := imageExt[sniffed]
	if err := state.WriteFileAtomic(base+ext, data, 0o644); err != nil {
		b.log.Warn("poster not cached", "poster", key, "err", err)
		return
	}
	b.mu.Lock()
	b.posters[key] = base + ext
	b.mu.Unlock()
}

// Catalog implements api.Backend.
func (b *Box) Catalog() api.CatalogView {
	c, st := b.cfg.Fetcher.Current()
	v := api.CatalogView{Problem: st.Problem, Shows: []api.ShowView{}}
	if c == nil {
		if v.Problem == "" {
			v.Problem = "No listing yet: waiting for the channel."
		}
		return v
	}
	v.Network, v.Sequence = c.Network, c.Sequence
	b.mu.Lock()
	var refused []string
	for id := range b.refused {
		refused = append(refused, id)
	}
	b.mu.Unlock()
	for _, sh := range c.Shows {
		sv := api.ShowView{ID: sh.ID, Title: sh.Title, Synopsis: sh.Synopsis, Episodes: []api.EpisodeView{}}
		if b.hasPoster("show", sh.ID) {
			sv.PosterURL = "/api/poster/show/" + sh.ID
		}
		for _, ep := range sh.Episodes {
			sv.Episodes = append(sv.Episodes, b.episodeView(ep))
		}
		v.Shows = append(v.Shows, sv)
	}
	if len(refused) > 0 {
		sort.Strings(refused)
		msg := fmt.Sprintf("%d episode(s) are unavailable: their files did not match the channel's signed listing or could not be fetched (%s).", len(refused), strings.Join(refused, ", "))
		v.Problem = strings.TrimSpace(v.Problem + " " + msg)
	}
	return v
}

func (b *Box) episodeView(ep catalog.Episode) api.EpisodeView {
	r := b.cfg.Resume.Get(ep.ID)
	ev := api.EpisodeView{
		ID: ep.ID, Season: ep.Season, Number: ep.Number, Title: ep.Title, Synopsis: ep.Synopsis,
		DurationSeconds: ep.DurationSeconds, StreamURL: "/api/stream/" + ep.ID, MimeType: ep.MimeType,
		Size: ep.Size, ResumeSeconds: r.Seconds, Watched: r.Watched, ResumedAt: r.UpdatedAt, Completion: b.cfg.Swarm.Completion(ep.ID),
	}
	if b.hasPoster("episode", ep.ID) {
		ev.PosterURL = "/api/poster/episode/" + ep.ID
	}
	// The release time is shown also after release: the UI's "New
	// episodes" row orders by it. Zero (omitted) when the channel gave none.
	ev.AvailableAt = ep.ReleaseAt
	if ok, why := b.playable(ep); !ok {
		ev.Locked = why
	}
	return ev
}

func (b *Box) hasPoster(kind, id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.posters[kind+"/"+id]
	return ok
}

// trackers are the catalog's tracker list (nil without a catalog).
func (b *Box) trackers() []string {
	if c, _ := b.cfg.Fetcher.Current(); c != nil {
		return c.Trackers
	}
	return nil
}

func (b *Box) find(id string) (catalog.Episode, bool) {
	c, _ := b.cfg.Fetcher.Current()
	if c == nil {
		return catalog.Episode{}, false
	}
	for _, sh := range c.Shows {
		for _, ep := range sh.Episodes {
			if ep.ID == id {
				return ep, true
			}
		}
	}
	return catalog.Episode{}, false
}

// Episode implements api.Backend.
func (b *Box) Episode(id string) (api.EpisodeView, bool) {
	ep, ok := b.find(id)
	if !ok {
		return api.EpisodeView{}, false
	}
	return b.episodeView(ep), true
}

// Open implements api.Backend. An episode that may not be played yet
// (embargo.Playable by trusted time and key) is api.ErrEmbargoed; an
// embargoed one that is out is decrypted on the fly. Open streams are
// counted (Config.Watching, and eviction never takes a playing episode).
func (b *Box) Open(ctx context.Context, episodeID string) (api.Stream, error) {
	ep, ok := b.find(episodeID)
	if !ok || !b.cfg.Swarm.Has(episodeID) {
		return nil, fmt.Errorf("%w: episode %s", api.ErrNotFound, episodeID)
	}
	if ok, why := b.playable(ep); !ok {
		return nil, fmt.Errorf("%w: %s", api.ErrEmbargoed, why)
	}
	var key, nonce []byte
	if ep.Embargo != nil {
		var err error
		if key, nonce, err = embargo.ParamsFor(sealed(ep), ep.ContentKey); err != nil {
			return nil, fmt.Errorf("%w: %v", api.ErrEmbargoed, err)
		}
	}
	s, err := b.cfg.Swarm.Open(ctx, episodeID)
	if errors.Is(err, swarm.ErrUnknownEpisode) {
		return nil, fmt.Errorf("%w: episode %s", api.ErrNotFound, episodeID)
	}
	if err != nil {
		return nil, err
	}
	out := &countedStream{Stream: s, rs: s, b: b, id: episodeID}
	if key != nil {
		d, err := embargo.NewDecryptingReadSeeker(s, key, nonce)
		if err != nil {
			s.Close()
			return nil, err
		}
		out.rs = d
	}
	b.streamOpened(episodeID)
	return out, nil
}

// playable applies embargo.Playable to ep at trusted time.
func (b *Box) playable(ep catalog.Episode) (bool, string) {
	ce := embargo.CatalogEpisode{ReleaseAt: ep.ReleaseAt, ContentKey: ep.ContentKey}
	if ep.Embargo != nil {
		s := sealed(ep)
		ce.Embargo = &s
	}
	now, _ := b.cfg.Trusted.TrustedNow()
	return embargo.Playable(ce, now, ep.ContentKey != "")
}

func sealed(ep catalog.Episode) embargo.Sealed {
	return embargo.Sealed{Cipher: ep.Embargo.Cipher, KeyID: ep.Embargo.KeyID, Nonce: ep.Embargo.Nonce}
}

func (b *Box) streamOpened(id string) {
	b.mu.Lock()
	b.playing[id]++
	b.open++
	first := b.open == 1
	b.mu.Unlock()
	if first && b.cfg.Watching != nil {
		b.cfg.Watching(true)
	}
}

func (b *Box) streamClosed(id string) {
	b.mu.Lock()
	if b.playing[id]--; b.playing[id] <= 0 {
		delete(b.playing, id)
		b.closed[id] = time.Now()
	}
	b.open--
	last := b.open == 0
	b.mu.Unlock()
	if last && b.cfg.Watching != nil {
		b.cfg.Watching(false)
	}
}

// playingGrace is how long an episode counts as playing after its last
// stream closed: a player opens a new Range request for every seek, and a
// person who pauses or steps away must not come back to an evicted episode.
const playingGrace = 10 * time.Minute

// Playing reports whether a stream is open on the episode, or was within
// playingGrace.
func (b *Box) Playing(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.playing[id] > 0 {
		return true
	}
	at, ok := b.closed[id]
	return ok && time.Since(at) < playingGrace
}

// countedStream reads through rs (the swarm stream, or a decrypting view
// of it) and tells the box when it closes. Not safe for concurrent use.
type countedStream struct {
	swarm.Stream
	rs     io.ReadSeeker
	b      *Box
	id     string
	closed bool
}

func (c *countedStream) Read(p []byte) (int, error) { return c.rs.Read(p) }

func (c *countedStream) Seek(off int64, whence int) (int64, error) { return c.rs.Seek(off, whence) }

func (c *countedStream) Close() error {
	if !c.closed {
		c.closed = true
		c.b.streamClosed(c.id)
	}
	return c.Stream.Close()
}

// Poster implements api.Backend.
func (b *Box) Poster(kind, id string) (string, string, error) {
	b.mu.Lock()
	p, ok := b.posters[kind+"/"+id]
	b.mu.Unlock()
	if !ok {
		return "", "", api.ErrNotFound
	}
	ct := "image/png"
	if strings.HasSuffix(p, ".jpg") {
		ct = "image/jpeg"
	}
	return p, ct, nil
}

// Stats implements api.Backend.
func (b *Box) Stats() api.Stats { return b.cfg.Swarm.Stats() }
