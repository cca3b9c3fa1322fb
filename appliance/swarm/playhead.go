package swarm

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/metainfo"
	"golang.org/x/time/rate"
)

// Streaming policy. A stream's playhead is its reader position (the HTTP
// Range reads); its deadline clock starts at the first read after it was
// opened or sought, so the piece at byte o is due at
// start + startSlack + (o - startOffset) / bitrate: a player that reads
// ahead of real time has deadlines in the future, a fresh or stalled one
// has them now.
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
const (
	urgentAhead = 4 * time.Second // media past a read position whose pieces count as urgent for the origin fallback
	tailShare   = 0.01            // the file's last 1% (MP4 moov at the end, MKV cues) is high priority once a stream opens
	startSlack  = time.Second     // a player buffers about this much before it shows the first frame
	planEvery   = 200 * time.Millisecond

	// Deadline-driven origin fallback: a piece at most originLead before its
	// deadline that is still missing is fetched from the origin with a
	// Range request of exactly that piece, once it has been urgent for
	// originGrace (originNoPeer when no connected peer has it). Per box at most
	// originFetches pieces at once, and originRateFactor times the
	// episode's bit rate on average.
	originLead       = 2 * time.Second
	originGrace      = 700 * time.Millisecond
	originNoPeer     = 250 * time.Millisecond // grace when no connected peer has the piece (handshakes in flight)
	originFetches    = 2
	originRateFactor = 4
	originLookahead  = 16 // pieces past a read position looked at for fetching

	// seedConnsFactor raises the connection cap of a torrent we hold
	// completely: it only uploads, and in a premiere everybody wants it.
	seedConnsFactor = 3
)

// stream is one reader of an episode with its playhead. Read and Seek
// follow torrent.Reader's contract (one goroutine); the playhead fields are
// read by the episode's planner under mu.
type stream struct {
	r    torrent.Reader
	ep   *episode
	size int64

	mu       sync.Mutex
	pos      int64
	since    time.Time // first read after open or seek; zero until then
	sinceOff int64
}

func (s *stream) Size() int64 { return s.size }

func (s *stream) Read(p []byte) (int, error) {
	s.mu.Lock()
	fresh := s.since.IsZero()
	if fresh {
		s.since, s.sinceOff = time.Now(), s.pos
	}
	s.mu.Unlock()
	if fresh {
		s.ep.kick()
	}
	n, err := s.r.Read(p)
	s.mu.Lock()
	s.pos += int64(n)
	s.mu.Unlock()
	return n, err
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

type playhead struct {
	pos, sinceOff int64
	since         time.Time
}

func (s *stream) playhead() playhead {
	s.mu.Lock()
	defer s.mu.Unlock()
	return playhead{pos: s.pos, since: s.since, sinceOff: s.sinceOff}
}

// planner is an episode's scheduling state, owned by its plan goroutine.
type planner struct {
	raised      map[int]torrent.PiecePriority // priorities we set on pieces
	urgentSince map[int]time.Time
	fetching    map[int]context.CancelFunc
	done        chan int // fetch goroutines report their piece here
	seedConns   bool     // connection cap raised for a complete torrent
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

// plan runs until ctx ends: every planEvery (and at once when a stream
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
		done:        make(chan int, originFetches),
	}
	tick := time.NewTicker(planEvery)
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
		case i := <-p.done:
			p.fetching[i]()
			delete(p.fetching, i)
		}
		s.planOnce(ctx, ep, p, time.Now())
	}
}

type candidate struct {
	piece    int
	deadline time.Time
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
		t.SetMaxEstablishedConns(s.cfg.EstablishedConnsPerTorrent * seedConnsFactor)
		p.seedConns = true
	}
	bps := ep.bytesPerSecond()
	want := make(map[int]torrent.PiecePriority)
	urgent := make(map[int]bool)
	raise := func(i int, prio torrent.PiecePriority) {
		if prio > want[i] {
			want[i] = prio
		}
	}
	var cands []candidate
	var peerHas func(int) bool // computed once per round, when needed
	for _, h := range heads {
		first := int(h.pos / pl)
		urgentEnd := h.pos + int64(bps*urgentAhead.Seconds())
		for i := first; i < n && int64(i)*pl < urgentEnd; i++ {
			urgent[i] = true
		}
		if h.since.IsZero() || ep.origin == "" {
			continue
		}
		for i := first; i < n && i < first+originLookahead; i++ {
			off := max(int64(i)*pl, h.sinceOff)
			due := h.since.Add(startSlack + time.Duration(float64(off-h.sinceOff)/bps*float64(time.Second)))
			if i == first && due.After(now) {
				// The reader waits on this piece. Ahead of its schedule that
				// is fine while a connected peer has the piece (peers will
				// deliver it); when none has it, peers never will, so it
				// is due now (an origin-only box still streams at once).
				if peerHas == nil {
					peerHas = peerPieces(t)
				}
				if !peerHas(i) {
					due = now
				}
			}
			if due.Sub(now) > originLead {
				break
			}
			if ps := t.PieceState(i); !ps.Complete && !ps.Checking && !ps.Hashing && !ps.QueuedForHash && !ps.Marking {
				cands = append(cands, candidate{i, due})
			}
		}
	}
	if len(heads) > 0 {
		tail := max(int64(float64(size)*tailShare), 1)
		for i := int((size - tail) / pl); i < n; i++ {
			raise(i, torrent.PiecePriorityHigh)
		}
	}

	// Apply: raise the new window, drop what is no longer wanted.
	for i, prio := range want {
		if p.raised[i] != prio {
			t.Piece(i).SetPriority(prio)
		}
	}
	for i := range urgent {
		if _, ok := p.urgentSince[i]; !ok {
			p.urgentSince[i] = now
		}
	}
	for i := range p.raised {
		if _, ok := want[i]; !ok {
			t.Piece(i).SetPriority(torrent.PiecePriorityNone)
		}
	}
	for i := range p.urgentSince {
		if !urgent[i] {
			delete(p.urgentSince, i)
		}
	}
	p.raised = want

	// Cancel origin fetches that peers beat or nobody wants any more.
	for i, cancel := range p.fetching {
		if !urgent[i] || t.PieceState(i).Complete {
			cancel()
		}
	}
	if len(cands) == 0 || len(p.fetching) >= originFetches {
		return
	}
	slices.SortFunc(cands, func(a, b candidate) int { return a.deadline.Compare(b.deadline) })
	for _, c := range cands {
		if len(p.fetching) >= originFetches {
			break
		}
		if _, ok := p.fetching[c.piece]; ok || !urgent[c.piece] {
			continue
		}
		if since, ok := p.urgentSince[c.piece]; ok && now.Sub(since) < originGrace {
			if now.Sub(since) < originNoPeer {
				continue
			}
			if peerHas == nil {
				peerHas = peerPieces(t)
			}
			if peerHas(c.piece) {
				continue
			}
		}
		fctx, cancel := context.WithCancel(ctx)
		p.fetching[c.piece] = cancel
		go func(i int) {
			if err := s.fetchPiece(fctx, ep, i); err != nil && fctx.Err() == nil {
				s.log.Warn("origin fetch", "episode", ep.id, "piece", i, "err", err)
			}
			p.done <- i
		}(c.piece)
	}
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
// Blocks until done or ctx ends.
func (s *Swarm) fetchPiece(ctx context.Context, ep *episode, i int) error {
	pc := ep.t.Piece(i)
	info := pc.Info()
	off, length := info.Offset(), info.Length()
	want, ok := info.V1Hash().AsTuple()
	if !ok {
		return fmt.Errorf("piece %d has no v1 hash", i)
	}
	if err := s.originLimit.WaitN(ctx, int(min(length, int64(s.originLimit.Burst())))); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.origin, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+length-1))
	resp, err := s.httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		return fmt.Errorf("GET %s: %s, want 206", ep.origin, resp.Status)
	}
	buf := make([]byte, length)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
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
	return pc.VerifyDataContext(ctx)
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

// newOriginLimit is a box's budget for origin fetches: originRateFactor
// times an 8 Mbit/s stream, with a burst of 4 MiB.
func newOriginLimit() *rate.Limiter {
	return rate.NewLimiter(rate.Limit(originRateFactor*1e6), 4<<20)
}
