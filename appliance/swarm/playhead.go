package swarm

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"golang.org/x/time/rate"

	"github.com/atomicnetwork/atomicbox/appliance/swarm/piecechoice"
)

// Streaming policy. A stream's playhead is its reader position (the HTTP
// Range reads), paced to at most its pace lead ahead of its schedule; the
// deadline clock, the start-up window and which pieces come from the
// origin are decided in piecechoice (plain functions, table-tested); this
// file applies the decisions to anacrolix.
//
// Priorities: anacrolix's reader makes the piece at its position
// PiecePriorityNow and its readahead (Config.ReadaheadSeconds) Readahead,
// which v1.61 requests in index order; a seek moves both at once. The
// planner adds the file's tail at High; nothing else is wanted until a
// reader gets there. Measured in the 30-box flash crowd (2026-11-25):
// raising the next 4 s to Now made anacrolix request them rarest-first
// instead of in order, and wanting the rest at Normal (DownloadAll) plus
// the next minute at High made boxes queue bulk requests at their
// uploaders ahead of other boxes' urgent ones: seek p50 0.36 -> 2.8-3.1 s.
// The planner's period (piecechoice.PlanEvery), the peers' rate that
// keeps the origin off pieces they hold (piecechoice.PeerRate: when peers
// hold a piece but upload slowly, say a box that does not know its uplink
// uploads 2 Mbit/s while it plays, the overdue piece comes from the
// origin), a box's default origin budget (piecechoice.OriginRate) and the
// connection cap of a complete torrent (piecechoice.SeedConnsFactor) are
// in piecechoice, where the premiere simulator reads them too.
const (
	// After an origin fetch fails (the origin is down or answers 404/503,
	// a piece fails its hash check, the disk is full), the episode starts
	// no origin fetch for originRetryFirst, doubling with every further
	// failure up to originRetryMax, each wait jittered by +-25% so boxes
	// that saw the same outage do not come back in step. One success
	// resets it. Without this a box retried every 65 ms (the byte budget's
	// pace), and logged every try: 15 requests/s per box at a failing
	// origin on premiere night, or a piece downloaded and thrown away every
	// 65 ms on a full disk.
	originRetryFirst = 250 * time.Millisecond
	originRetryMax   = 16 * time.Second
)

// stream is one reader of an episode with its playhead. Read and Seek
// follow torrent.Reader's contract (one goroutine); the playhead fields are
// read by the episode's planner under mu.
type stream struct {
	r    torrent.Reader
	ep   *episode
	size int64
	ctx  context.Context // the reader's context (Open's)

	mu        sync.Mutex
	pos       int64
	since     time.Time // first read after open or seek; zero until then
	sinceOff  int64
	readahead int64 // bytes, as last set on r (window)

	steadyReadahead, startupReadahead int64 // bytes, fixed at Open
}

func (s *stream) Size() int64 { return s.size }

func (s *stream) Read(p []byte) (int, error) {
	now := time.Now()
	s.mu.Lock()
	fresh := s.since.IsZero()
	if fresh {
		s.since, s.sinceOff = now, s.pos
	}
	readahead, changed := s.windowLocked(now)
	s.mu.Unlock()
	if changed {
		s.r.SetReadahead(readahead)
	}
	if fresh {
		s.ep.kick()
	}
	if err := s.pace(); err != nil {
		return 0, err
	}
	n, err := s.r.Read(p)
	s.mu.Lock()
	s.pos += int64(n)
	s.mu.Unlock()
	return n, err
}

// pace blocks while the read position is more than its pace lead (piecechoice.Head.PaceLead) ahead of its
// schedule (until it is not, or the reader's context ends). A player's
// cache reads as fast as the data comes; without pacing a box that started
// early keeps asking its peers for minutes of video while boxes that joined
// later wait for their first seconds, and uploaders serve every connection
// alike. Data the box holds already is never held back: pacing is about
// what the box asks of its peers, and a reader of a held episode (a copy
// check, a box that has it all) reads at disk speed.
func (s *stream) pace() error {
	s.mu.Lock()
	h := playhead{Pos: s.pos, Since: s.since, SinceOff: s.sinceOff}
	s.mu.Unlock()
	now := time.Now()
	wait := h.Lead(now, s.ep.bytesPerSecond()) - h.PaceLead(now)
	if wait <= 0 {
		return nil
	}
	// Only now ask anacrolix (it takes the client lock): most reads are
	// within the lead.
	if t := s.ep.t; t != nil && t.Info() != nil && t.Info().PieceLength > 0 && h.Pos < s.size {
		if t.PieceState(int(h.Pos / t.Info().PieceLength)).Complete {
			return nil
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-s.ctx.Done():
		return s.ctx.Err()
	case <-t.C:
		return nil
	}
}

// window sets the reader's readahead for the stream's phase at now: the
// start-up window during its first piecechoice.StartupFor, the configured one after.
// Read does the same inline, under the lock it already takes; like Read,
// call it from the reader's goroutine only.
func (s *stream) window(now time.Time) {
	s.mu.Lock()
	readahead, changed := s.windowLocked(now)
	s.mu.Unlock()
	if changed {
		s.r.SetReadahead(readahead)
	}
}

// windowLocked records the readahead for the stream's phase at now and
// reports whether it differs from the one last set on the reader (the
// caller then sets it, outside s.mu). s.mu must be held.
func (s *stream) windowLocked(now time.Time) (readahead int64, changed bool) {
	readahead = s.steadyReadahead
	if (playhead{Since: s.since}).StartingUp(now) {
		readahead = s.startupReadahead
	}
	changed = readahead != s.readahead
	s.readahead = readahead
	return readahead, changed
}

// Seek moves the playhead at once: the next read restarts its deadline
// clock, and the planner drops the old window's urgency on its next round.
func (s *stream) Seek(off int64, whence int) (int64, error) {
	n, err := s.r.Seek(off, whence)
	if err != nil {
		return n, err
	}
	s.mu.Lock()
	if n != s.pos {
		s.pos, s.since = n, time.Time{}
	}
	s.mu.Unlock()
	return n, nil
}

func (s *stream) Close() error {
	err := s.r.Close()
	s.ep.mu.Lock()
	delete(s.ep.streams, s)
	s.ep.mu.Unlock()
	s.ep.kick()
	return err
}

// playhead is a stream's position and deadline clock.
type playhead = piecechoice.Head

func (s *stream) playhead() playhead {
	s.mu.Lock()
	defer s.mu.Unlock()
	return playhead{Pos: s.pos, Since: s.since, SinceOff: s.sinceOff, Readahead: s.readahead}
}

// planner is an episode's scheduling state, owned by its plan goroutine.
type planner struct {
	raised      map[int]torrent.PiecePriority // priorities we set on pieces
	urgentSince map[int]time.Time             // piecechoice.Plan.UrgentSince of the last round
	fetching    map[int]context.CancelFunc
	supplement  map[int]bool     // fetches of pieces past the readahead, for a stream behind its schedule
	done        chan fetchResult // fetch goroutines report here when they end
	seedConns   bool             // connection cap raised for a complete torrent

	// Origin failures in a row, and when the next fetch may start.
	originFailures int
	originRetryAt  time.Time

	// originTime is how long one piece takes from the origin lately
	// (piecechoice.Input.OriginFetchTime), zero until a fetch ended;
	// started holds when each fetch in flight sent its request (zero
	// while it waits for the box's own origin budget).
	originTime time.Duration
	started    map[int]*atomic.Int64 // unix nanoseconds

	// Peers' delivery rate (useful bytes, all streams of the episode).
	peerRate piecechoice.PeerRate
}

func (ep *episode) kick() {
	select {
	case ep.kickc <- struct{}{}:
	default:
	}
}

// bytesPerSecond is the episode's bit rate in bytes/s (size/duration); 8
// Mbit/s when the duration is unknown.
func (ep *episode) bytesPerSecond() float64 {
	ep.mu.Lock()
	d := ep.duration
	ep.mu.Unlock()
	if d > 0 && ep.t.Length() > 0 {
		return float64(ep.t.Length()) / d
	}
	return 1e6
}

// plan runs until ctx ends: every piecechoice.PlanEvery (and at once when a stream
// opens, first reads, seeks or closes) it keeps the tail priority while
// streams are open, raises the connection cap of a complete torrent and
// starts origin fetches for pieces peers will not deliver in time. It
// owns p; fetches run in their own goroutines and report on p.done.
func (s *Swarm) plan(ctx context.Context, ep *episode) {
	defer close(ep.planDone)
	p := &planner{
		raised:      make(map[int]torrent.PiecePriority),
		urgentSince: make(map[int]time.Time),
		fetching:    make(map[int]context.CancelFunc),
		supplement:  make(map[int]bool),
		started:     make(map[int]*atomic.Int64),
		done:        make(chan fetchResult, piecechoice.DefaultPolicy.OriginFetches+1),
	}
	tick := time.NewTicker(piecechoice.PlanEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			for _, cancel := range p.fetching {
				cancel()
			}
			for range p.fetching {
				<-p.done
			}
			return
		case <-tick.C:
		case <-ep.kickc:
		case r := <-p.done:
			p.fetching[r.piece]()
			delete(p.fetching, r.piece)
			delete(p.supplement, r.piece)
			delete(p.started, r.piece)
			s.fetchEnded(ep, p, r, time.Now())
		}
		s.planOnce(ctx, ep, p, time.Now())
	}
}

func (s *Swarm) planOnce(ctx context.Context, ep *episode, p *planner, now time.Time) {
	t := ep.t
	ep.mu.Lock()
	heads := make([]playhead, 0, len(ep.streams))
	for st := range ep.streams {
		heads = append(heads, st.playhead())
	}
	ep.mu.Unlock()

	n := t.NumPieces()
	pl := t.Info().PieceLength
	size := t.Length()
	if n == 0 || pl <= 0 {
		return
	}
	if !p.seedConns && t.BytesCompleted() == size {
		t.SetMaxEstablishedConns(s.cfg.HeldConnsPerTorrent)
		p.seedConns = true
	}
	bps := ep.bytesPerSecond()
	var peerHas func(int) bool // computed once per round, when Decide asks
	fetching := make(map[int]bool, len(p.fetching))
	for i := range p.fetching {
		fetching[i] = p.supplement[i]
	}
	plan := piecechoice.Decide(piecechoice.DefaultPolicy, piecechoice.Input{
		Now:     now,
		Episode: piecechoice.Episode{Pieces: n, PieceLength: pl, Size: size, BytesPerSecond: bps},
		Heads:   heads,
		Piece: func(i int) piecechoice.Piece {
			ps := t.PieceState(i)
			return piecechoice.Piece{Complete: ps.Complete, Wanted: wanted(ps), Partial: ps.Partial}
		},
		PeerHas: func(i int) bool {
			if peerHas == nil {
				peerHas = peerPieces(t)
			}
			return peerHas(i)
		},
		Fetching:         fetching,
		UrgentSince:      p.urgentSince,
		PeersKeepUp:      p.peersKeepUp(ep, len(heads) > 0, bps, now),
		Origin:           ep.origin != "",
		OriginBackingOff: now.Before(p.originRetryAt),
		OriginFetchTime:  p.originFetchTime(now),
	})
	p.urgentSince = plan.UrgentSince

	// Apply: raise the tail, drop what is no longer wanted.
	want := make(map[int]torrent.PiecePriority, len(plan.High))
	for _, i := range plan.High {
		want[i] = torrent.PiecePriorityHigh
		if p.raised[i] != torrent.PiecePriorityHigh {
			t.Piece(i).SetPriority(torrent.PiecePriorityHigh)
		}
	}
	for i := range p.raised {
		if _, ok := want[i]; !ok {
			t.Piece(i).SetPriority(torrent.PiecePriorityNone)
		}
	}
	p.raised = want

	for _, i := range plan.Cancel {
		p.fetching[i]()
	}
	for _, f := range plan.Fetch {
		if f.Supplement {
			p.supplement[f.Piece] = true
		}
		s.startFetch(ctx, ep, p, f.Piece, f.Supplement)
		fetching[f.Piece] = f.Supplement
	}
	if s.pusher != nil {
		s.pusher.ask(ep, heads, fetching, now) // never a piece the origin fetches
	}
}

// peersKeepUp updates the peers' delivery rate (piecechoice.PeerRate.KeepUp)
// with the episode's useful peer bytes and pushed pieces, and reports
// whether they keep up.
func (p *planner) peersKeepUp(ep *episode, streaming bool, bps float64, now time.Time) bool {
	if !streaming {
		return p.peerRate.KeepUp(now, false, 0, bps)
	}
	st := ep.t.Stats()
	got := st.PeerConns.BytesReadUsefulData.Int64() + ep.pushedIn.Load()
	return p.peerRate.KeepUp(now, true, float64(got), bps)
}

// originFetchTime is how long one piece takes from the origin as of now
// (piecechoice.OriginFetchTime: the moving average, or the age of the
// oldest fetch in flight when that is longer).
func (p *planner) originFetchTime(now time.Time) time.Duration {
	var oldest time.Time
	for _, at := range p.started {
		if ns := at.Load(); ns != 0 {
			if t := time.Unix(0, ns); oldest.IsZero() || t.Before(oldest) {
				oldest = t
			}
		}
	}
	return piecechoice.OriginFetchTime(p.originTime, now, oldest)
}

// noteOriginTime adds a fetch that ended to the moving average
// (piecechoice.NoteOriginTime).
func (p *planner) noteOriginTime(r fetchResult, pieceLength int64) {
	p.originTime = piecechoice.NoteOriginTime(p.originTime, r.took, r.ok, r.err != nil, r.read, pieceLength)
}

// fetchResult is how an origin fetch ended: ok, failed with err, or
// neither (cancelled: a peer delivered first or nobody wants the piece);
// took is from its request to its end (zero if it never sent one), read
// the piece's bytes it received.
type fetchResult struct {
	piece int
	ok    bool
	err   error
	took  time.Duration
	read  int64
}

// startFetch fetches piece i from the origin in its own goroutine, which
// reports on p.done when it ends.
func (s *Swarm) startFetch(ctx context.Context, ep *episode, p *planner, i int, supplement bool) {
	fctx, cancel := context.WithCancel(ctx)
	p.fetching[i] = cancel
	started := new(atomic.Int64)
	p.started[i] = started
	go func() {
		var read atomic.Int64
		err := s.fetchPiece(fctx, ep, i, supplement, started, &read)
		r := fetchResult{piece: i, ok: err == nil, read: read.Load()}
		if ns := started.Load(); ns != 0 {
			r.took = time.Since(time.Unix(0, ns))
		}
		if err != nil && fctx.Err() == nil {
			r.err = err
		}
		p.done <- r
	}()
}

// fetchEnded updates the origin back-off (originRetryFirst) with a fetch's
// result at time now, and logs failures: with the back-off that is at most
// one line per originRetryMax per episode while the origin stays down.
// Runs on the planner's goroutine.
func (s *Swarm) fetchEnded(ep *episode, p *planner, r fetchResult, now time.Time) {
	p.noteOriginTime(r, ep.t.Info().PieceLength)
	switch {
	case r.ok:
		if p.originFailures > 0 {
			s.log.Info("origin fetch works again", "episode", ep.id, "afterFailures", p.originFailures)
		}
		p.originFailures, p.originRetryAt = 0, time.Time{}
	case r.err != nil:
		p.originFailures++
		wait := originRetryWait(p.originFailures, rand.Float64())
		p.originRetryAt = now.Add(wait)
		s.log.Warn("origin fetch failed", "episode", ep.id, "piece", r.piece, "err", r.err,
			"failures", p.originFailures, "retryIn", wait.Round(time.Millisecond))
	}
}

// originRetryWait is the wait after the n-th failure in a row (n >= 1):
// originRetryFirst doubled n-1 times, at most originRetryMax, scaled by
// 0.75 + jitter/2 (jitter in [0, 1)).
func originRetryWait(n int, jitter float64) time.Duration {
	wait := min(originRetryFirst<<min(n-1, 6), originRetryMax) // 250 ms << 6 = 16 s; no shift overflow
	return time.Duration(float64(wait) * (0.75 + jitter/2))
}

// wanted reports whether a piece in state ps still needs data.
func wanted(ps torrent.PieceState) bool {
	return !ps.Complete && !ps.Checking && !ps.Hashing && !ps.QueuedForHash && !ps.Marking
}

// peerPieces returns a test for "some connected peer claims piece i".
func peerPieces(t *torrent.Torrent) func(int) bool {
	conns := t.PeerConns()
	have := make([]func(uint32) bool, 0, len(conns))
	for _, c := range conns {
		have = append(have, c.PeerPieces().Contains)
	}
	return func(i int) bool {
		for _, h := range have {
			if h(uint32(i)) {
				return true
			}
		}
		return false
	}
}

// fetchPiece gets piece i from the origin with one Range request, checks
// its SHA-1 against the metainfo, writes it into the torrent's storage and
// has anacrolix verify it (which marks it complete and wakes readers).
// It stores the time it sends its request in started (unix nanoseconds)
// and counts the piece's bytes it receives in read. Blocks until done or
// ctx ends.
func (s *Swarm) fetchPiece(ctx context.Context, ep *episode, i int, supplement bool, started, read *atomic.Int64) error {
	pc := ep.t.Piece(i)
	info := pc.Info()
	off, length := info.Offset(), info.Length()
	want, ok := info.V1Hash().AsTuple()
	if !ok {
		return fmt.Errorf("piece %d has no v1 hash", i)
	}
	// The budget is taken before the request, a burst at a time: a fetch
	// waits at the box, not at the shared origin.
	for left := length; left > 0; {
		n := min(left, int64(s.originLimit.Burst()))
		if err := s.originLimit.WaitN(ctx, int(n)); err != nil {
			return err
		}
		left -= n
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.origin, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+length-1))
	started.Store(time.Now().UnixNano())
	resp, err := s.httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		return fmt.Errorf("GET %s: %s, want 206", ep.origin, resp.Status)
	}
	buf := make([]byte, length)
	if _, err := io.ReadFull(countingReader{resp.Body, read}, buf); err != nil {
		return fmt.Errorf("GET %s: %w", ep.origin, err)
	}
	if sum := sha1.Sum(buf); !bytes.Equal(sum[:], want[:]) {
		return fmt.Errorf("GET %s: piece %d fails its hash check", ep.origin, i)
	}
	if pc.State().Complete {
		return nil // peers were faster
	}
	if _, err := pc.Storage().WriteAt(buf, 0); err != nil {
		return fmt.Errorf("write piece %d: %w", i, err)
	}
	// Counted before anacrolix wakes the readers: the bytes passed our own
	// hash check already.
	ep.originBytes.Add(length)
	if supplement {
		ep.originSupplementBytes.Add(length)
	}
	if err := pc.VerifyDataContext(ctx); err != nil {
		return err
	}
	ep.originPieces.completed(i)
	return nil
}

// countingReader counts what it reads in n.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	c.n.Add(int64(k))
	return k, err
}

// originURL is where the origin serves a single-file torrent's file: the
// first http(s) url-list entry, with the file name appended when it ends in
// "/" (BEP 19). "" when there is none.
func originURL(urls metainfo.UrlList, name string) string {
	for _, u := range urls {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			continue
		}
		if strings.HasSuffix(u, "/") {
			u += url.PathEscape(name)
		}
		return u
	}
	return ""
}

// newOriginLimit is a box's budget for origin fetches until the catalog
// sets one: piecechoice.OriginRate with a burst of piecechoice.OriginBurst.
func newOriginLimit() *rate.Limiter {
	return rate.NewLimiter(rate.Limit(piecechoice.OriginRate), piecechoice.OriginBurst)
}

// SetOriginRate sets the box's budget for origin fetches, all episodes
// together, to bytesPerSec with a burst of one second of it (at least
// piecechoice.MinOriginBurst, one piece of most episodes); 0 or less restores the default
// (newOriginLimit). The network sets it in its catalog as a share of its
// origin's capacity. Safe for concurrent use; fetches waiting on the
// budget see the new rate at once.
func (s *Swarm) SetOriginRate(bytesPerSec int64) {
	now := time.Now()
	if bytesPerSec <= 0 {
		def := newOriginLimit()
		s.originLimit.SetLimitAt(now, def.Limit())
		s.originLimit.SetBurstAt(now, def.Burst())
		return
	}
	s.originLimit.SetLimitAt(now, rate.Limit(bytesPerSec))
	s.originLimit.SetBurstAt(now, int(max(bytesPerSec, piecechoice.MinOriginBurst)))
}
