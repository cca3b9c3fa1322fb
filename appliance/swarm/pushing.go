package swarm

import (
	"bytes"
	"context"
	"crypto/sha1"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/bencode"
	pp "github.com/anacrolix/torrent/peer_protocol"
	"golang.org/x/time/rate"

	"github.com/atomicnetwork/atomicbox/appliance/swarm/piecechoice"
	"github.com/atomicnetwork/atomicbox/appliance/swarm/push"
)

// pusher runs the atomicbox_push extension (package push) for a swarm:
// it announces the extension on every connection, asks peers that
// announced it for pieces a stream needs soon (the planner calls ask), and
// pushes the pieces peers ask of it, earliest deadline first, within the
// box's upload limit. Received pieces are hash-checked and written
// through the storage API, as origin fetches are.
//
// Concurrency: anacrolix calls the callbacks with its locks held, so they
// only copy and queue; one goroutine (dispatch) handles what arrives, one
// (send) pushes, and the planners call ask from their own goroutines. All
// shared state is under mu.
type pusher struct {
	s      *Swarm
	upload *rate.Limiter // the box's upload limiter (anacrolix's), or nil
	in     chan incoming
	wake   chan struct{}

	mu      sync.Mutex
	peers   map[*torrent.PeerConn]bool // connections that announced the extension
	queue   []*serving                 // asks to push, any episode
	serving *serving                   // the ask being pushed
	pending map[pieceKey]*receiving    // our asks, by piece
}

type incoming struct {
	pc      *torrent.PeerConn
	payload []byte
}

type pieceKey struct {
	t     *torrent.Torrent
	piece int
}

// serving is an ask a peer made of us.
type serving struct {
	pc        *torrent.PeerConn
	key       pieceKey
	ask       piecechoice.Ask
	cancelled atomic.Bool
}

// receiving is an ask we made.
type receiving struct {
	pc     *torrent.PeerConn
	ep     *episode
	buf    []byte
	got    int
	lastAt time.Time // when it was sent or data last arrived
}

// pushInbox bounds what arrives faster than dispatch handles it; beyond
// it messages are dropped (asks are re-sent, data re-asked elsewhere).
const pushInbox = 1024

// newPusher returns a pusher whose s the caller sets before run.
func newPusher() *pusher {
	return &pusher{
		in: make(chan incoming, pushInbox), wake: make(chan struct{}, 1),
		peers: map[*torrent.PeerConn]bool{}, pending: map[pieceKey]*receiving{},
	}
}

// configure hooks the extension into the client config. Call it before
// the client is made, after ConfigureClient (whose upload limiter the
// pushes share).
func (p *pusher) configure(tc *torrent.ClientConfig) {
	p.upload = tc.UploadRateLimiter
	tc.Callbacks.PeerConnAdded = append(tc.Callbacks.PeerConnAdded, func(pc *torrent.PeerConn) {
		// The map is the client's, shared by every connection: copy it.
		m := *pc.LocalLtepProtocolMap
		m.Index = slices.Clone(m.Index)
		m.AddUserProtocol(push.Extension)
		pc.LocalLtepProtocolMap = &m
	})
	tc.Callbacks.PeerConnReadExtensionMessage = append(tc.Callbacks.PeerConnReadExtensionMessage, func(ev torrent.PeerConnReadExtensionMessageEvent) {
		if ev.ExtensionNumber == pp.HandshakeExtendedID {
			var d pp.ExtendedHandshakeMessage
			if bencode.Unmarshal(ev.Payload, &d) == nil {
				if _, ok := d.M[push.Extension]; ok {
					p.mu.Lock()
					p.peers[ev.PeerConn] = true
					p.mu.Unlock()
				}
			}
			return
		}
		name, builtin, err := ev.PeerConn.LocalLtepProtocolMap.LookupId(ev.ExtensionNumber)
		if err != nil || builtin || name != push.Extension {
			return
		}
		select {
		case p.in <- incoming{ev.PeerConn, bytes.Clone(ev.Payload)}:
		default:
		}
	})
}

// run handles incoming messages and pushes asks until ctx ends.
func (p *pusher) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { p.send(ctx) })
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case m := <-p.in:
			p.dispatch(ctx, m)
		}
	}
}

func (p *pusher) dispatch(ctx context.Context, in incoming) {
	m, err := push.Decode(in.payload)
	if err != nil {
		p.s.log.Debug("push: bad message", "peer", in.pc.RemoteAddr, "err", err)
		return
	}
	t := in.pc.Torrent()
	ep := p.s.episodeOf(t)
	if ep == nil || t.Info() == nil || m.Piece >= t.NumPieces() {
		return
	}
	key := pieceKey{t, m.Piece}
	now := time.Now()
	switch m.Kind {
	case push.KindAsk:
		if !t.PieceState(m.Piece).Complete {
			go in.pc.WriteExtendedMessage(push.Extension, push.No(m.Piece))
			return
		}
		p.mu.Lock()
		p.queue = slices.DeleteFunc(p.queue, func(sv *serving) bool { return sv.pc == in.pc && sv.key == key })
		full := len(p.queue) >= pushQueue
		if !full {
			p.queue = append(p.queue, &serving{pc: in.pc, key: key,
				ask: piecechoice.Ask{Piece: m.Piece, Due: now.Add(m.Due), Buffer: m.Buffer, Since: now}})
		}
		p.mu.Unlock()
		if full {
			go in.pc.WriteExtendedMessage(push.Extension, push.No(m.Piece))
			return
		}
		select {
		case p.wake <- struct{}{}:
		default:
		}
	case push.KindCancel:
		p.mu.Lock()
		p.queue = slices.DeleteFunc(p.queue, func(sv *serving) bool { return sv.pc == in.pc && sv.key == key })
		if sv := p.serving; sv != nil && sv.pc == in.pc && sv.key == key {
			sv.cancelled.Store(true)
		}
		p.mu.Unlock()
	case push.KindNo:
		p.mu.Lock()
		if r := p.pending[key]; r != nil && r.pc == in.pc {
			delete(p.pending, key)
		}
		p.mu.Unlock()
	case push.KindData:
		p.mu.Lock()
		r := p.pending[key]
		if r == nil || r.pc != in.pc || m.Begin+len(m.Data) > len(r.buf) {
			p.mu.Unlock()
			return // not asked of this peer (any more), or past the piece
		}
		copy(r.buf[m.Begin:], m.Data)
		r.got += len(m.Data)
		r.lastAt = now
		done := r.got >= len(r.buf)
		if done {
			delete(p.pending, key)
		}
		p.mu.Unlock()
		if done {
			go p.complete(ctx, ep, m.Piece, r.buf)
		}
	}
}

// pushQueue bounds the asks a box holds from all its peers.
const pushQueue = 64

// complete checks a pushed piece against the metainfo and writes it, as
// an origin fetch does.
func (p *pusher) complete(ctx context.Context, ep *episode, i int, data []byte) {
	pc := ep.t.Piece(i)
	want, ok := pc.Info().V1Hash().AsTuple()
	if !ok || sha1.Sum(data) != want {
		p.s.log.Warn("push: a peer pushed a piece that fails its hash check", "episode", ep.id, "piece", i)
		return
	}
	if pc.State().Complete {
		return
	}
	if _, err := pc.Storage().WriteAt(data, 0); err != nil {
		p.s.log.Warn("push: write piece", "episode", ep.id, "piece", i, "err", err)
		return
	}
	ep.pushedIn.Add(int64(len(data)))
	if err := pc.VerifyDataContext(ctx); err != nil && ctx.Err() == nil {
		p.s.log.Warn("push: verify piece", "episode", ep.id, "piece", i, "err", err)
	}
	ep.kick()
}

// send pushes the queued asks one piece at a time in ServeNext's order
// until ctx ends.
func (p *pusher) send(ctx context.Context) {
	ttl := piecechoice.DefaultPolicy.AskTTL
	for {
		p.mu.Lock()
		now := time.Now()
		p.queue = slices.DeleteFunc(p.queue, func(sv *serving) bool { return now.Sub(sv.ask.Since) > ttl })
		asks := make([]piecechoice.Ask, len(p.queue))
		for i, sv := range p.queue {
			asks[i] = sv.ask
		}
		var sv *serving
		if i := piecechoice.ServeNext(asks, now, ttl); i >= 0 {
			sv = p.queue[i]
			p.queue = slices.Delete(p.queue, i, i+1)
		}
		p.serving = sv
		p.mu.Unlock()
		if sv == nil {
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
				continue
			}
		}
		if err := p.pushPiece(ctx, sv); err != nil && ctx.Err() != nil {
			return
		}
	}
}

func (p *pusher) pushPiece(ctx context.Context, sv *serving) error {
	t, i := sv.key.t, sv.key.piece
	ep := p.s.episodeOf(t)
	if ep == nil || !t.PieceState(i).Complete {
		return sv.pc.WriteExtendedMessage(push.Extension, push.No(i))
	}
	pc := t.Piece(i)
	buf := make([]byte, pc.Info().Length())
	if _, err := pc.Storage().ReadAt(buf, 0); err != nil {
		p.s.log.Warn("push: read piece", "episode", ep.id, "piece", i, "err", err)
		return sv.pc.WriteExtendedMessage(push.Extension, push.No(i))
	}
	for off := 0; off < len(buf); off += push.MaxData {
		if sv.cancelled.Load() {
			return nil
		}
		n := min(push.MaxData, len(buf)-off)
		if p.upload != nil {
			if err := p.upload.WaitN(ctx, n); err != nil {
				return err
			}
		}
		if err := sv.pc.WriteExtendedMessage(push.Extension, push.Data(i, off, buf[off:off+n])); err != nil {
			return err
		}
		ep.pushedOut.Add(int64(n))
	}
	return nil
}

// ask runs the receiving side of one planning round of ep: it gives up
// asks that stalled, cancels those a peer completed otherwise, and sends
// the asks piecechoice.ChooseAsks picks. Called from ep's planner.
func (p *pusher) ask(ep *episode, heads []playhead, fetching map[int]bool, now time.Time) {
	t := ep.t
	pol := piecechoice.DefaultPolicy
	conns := t.PeerConns()
	// anacrolix calls our callbacks with its lock held and they take mu:
	// never call into anacrolix while holding mu.
	type mine struct {
		key pieceKey
		r   *receiving
	}
	var outstanding []mine
	p.mu.Lock()
	for key, r := range p.pending {
		if key.t == t {
			outstanding = append(outstanding, mine{key, r})
		}
	}
	p.mu.Unlock()
	gone := map[pieceKey]bool{}
	for _, o := range outstanding {
		if t.PieceState(o.key.piece).Complete {
			gone[o.key] = true
		}
	}
	asked := map[int]bool{}
	perPeer := map[*torrent.PeerConn]int{}
	var cancels []pieceKey
	var cancelTo []*torrent.PeerConn
	p.mu.Lock()
	for _, o := range outstanding {
		if p.pending[o.key] != o.r {
			continue // answered or completed meanwhile
		}
		if gone[o.key] || now.Sub(o.r.lastAt) > pol.AskTimeout {
			delete(p.pending, o.key)
			cancels, cancelTo = append(cancels, o.key), append(cancelTo, o.r.pc)
			continue
		}
		asked[o.key.piece] = true
		perPeer[o.r.pc]++
	}
	var peers []*torrent.PeerConn
	for _, pc := range conns {
		if p.peers[pc] {
			peers = append(peers, pc)
		}
	}
	// Forget connections that closed.
	for pc := range p.peers {
		if pc.Torrent() == t && !slices.Contains(conns, pc) {
			delete(p.peers, pc)
		}
	}
	p.mu.Unlock()
	for i, key := range cancels {
		cancelTo[i].WriteExtendedMessage(push.Extension, push.Cancel(key.piece))
	}
	if len(peers) == 0 || len(heads) == 0 {
		return
	}
	views := make([]piecechoice.AskPeer, len(peers))
	for i, pc := range peers {
		views[i] = piecechoice.AskPeer{Has: func(piece int) bool { return pc.PeerPieces().Contains(uint32(piece)) }, Asked: perPeer[pc]}
	}
	info := t.Info()
	asks := piecechoice.ChooseAsks(pol, piecechoice.AskInput{
		Now:     now,
		Episode: piecechoice.Episode{Pieces: t.NumPieces(), PieceLength: info.PieceLength, Size: t.Length(), BytesPerSecond: ep.bytesPerSecond()},
		Heads:   heads,
		Piece: func(i int) piecechoice.Piece {
			ps := t.PieceState(i)
			return piecechoice.Piece{Complete: ps.Complete, Wanted: wanted(ps), Partial: ps.Partial}
		},
		Asked: asked, Fetching: fetching, Peers: views,
	})
	for _, a := range asks {
		pc := peers[a.Peer]
		key := pieceKey{t, a.Piece}
		r := &receiving{pc: pc, ep: ep, buf: make([]byte, t.Piece(a.Piece).Info().Length()), lastAt: now}
		p.mu.Lock()
		p.pending[key] = r
		p.mu.Unlock()
		if err := pc.WriteExtendedMessage(push.Extension, push.Ask(a.Piece, a.Due.Sub(now), a.Buffer)); err != nil {
			p.mu.Lock()
			delete(p.pending, key)
			p.mu.Unlock()
		}
	}
}
