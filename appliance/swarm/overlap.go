package swarm

import (
	"sync"
	"sync/atomic"

	"github.com/anacrolix/torrent"
	pp "github.com/anacrolix/torrent/peer_protocol"
)

// overlapMeter tells apart the two ways peer bytes go to waste
// (api.TransferStats.BytesFromPeersWasted): chunks that arrive for a piece
// the origin fallback already completed, and the rest, which are chunks
// two peers both sent (anacrolix v1.61 moves a request from a slower peer
// to a faster one with a cancel, and a chunk already on its way arrives
// anyway). The first kind is the origin's doing and this box can act on
// it; the second is anacrolix's request stealing.
//
// Tried against the second kind and measured side by side with the
// unchanged daemon (thin flash crowd at 15 boxes, valid runs,
// 2026-12-08), none of which helped, so none is in the code:
//   - A peer connection that paced chunks itself and kept back those whose
//     request the peer had cancelled before they left: about 9,800 chunks
//     kept back, yet the boxes still threw away 106 MiB (unchanged daemon:
//     103 to 223 MiB in 17 runs). Across the daemons 22,700 cancels came for
//     73,600 requests, 19,600 of them after anacrolix had taken the chunk
//     out of its queue: half of those the connection kept back, the other
//     half had been handed to the kernel already.
//   - Capping every peer's request queue at 2, 4 or 8 (the reqq anacrolix
//     reads in Callbacks.ReadExtendedHandshake): still 21,900 cancels for
//     72,200 requests at 4.
//   - Less waste did not mean less rebuffering: with 6 connections per box
//     instead of 12 the boxes threw away 70 to 85 MiB and rebuffered 0.10
//     to 0.15 of the time, as with 12.
//
// It sees every message a peer connection reads (ClientConfig.Callbacks.
// ReadMessage, called with anacrolix's client lock held: it must not call
// into anacrolix and only takes its own locks).
type overlapMeter struct {
	episodes sync.Map // *torrent.Torrent -> *episode
}

// configure chains the meter into tc's ReadMessage callback.
func (m *overlapMeter) configure(tc *torrent.ClientConfig) {
	prev := tc.Callbacks.ReadMessage
	tc.Callbacks.ReadMessage = func(pc *torrent.PeerConn, msg *pp.Message) {
		if prev != nil {
			prev(pc, msg)
		}
		if msg.Keepalive || msg.Type != pp.Piece {
			return
		}
		if v, ok := m.episodes.Load(pc.Torrent()); ok {
			v.(*episode).peerChunk(int(msg.Index), len(msg.Piece))
		}
	}
}

func (m *overlapMeter) add(ep *episode)    { m.episodes.Store(ep.t, ep) }
func (m *overlapMeter) forget(ep *episode) { m.episodes.Delete(ep.t) }

// originPieces is the set of an episode's pieces the origin fallback
// completed (hash-checked by anacrolix), and the peer payload bytes that
// arrived for them afterwards: anacrolix counts those as wasted, since the
// piece was complete when they came. Safe for concurrent use.
type originPieces struct {
	mu    sync.Mutex
	done  map[int]struct{}
	after atomic.Int64 // bytes
}

// completed records that the origin completed piece i.
func (o *originPieces) completed(i int) {
	o.mu.Lock()
	if o.done == nil {
		o.done = make(map[int]struct{})
	}
	o.done[i] = struct{}{}
	o.mu.Unlock()
}

// peerChunk counts n payload bytes a peer sent for piece i if the origin
// had completed it.
func (o *originPieces) peerChunk(i, n int) {
	o.mu.Lock()
	_, ok := o.done[i]
	o.mu.Unlock()
	if ok {
		o.after.Add(int64(n))
	}
}
