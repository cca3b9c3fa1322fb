package swarm

import (
	"testing"

	"github.com/anacrolix/torrent"
	pp "github.com/anacrolix/torrent/peer_protocol"
)

// TestOverlapMeter: peer chunks count as "after the origin" only for
// pieces the origin completed, only once it had, and only Piece messages;
// a ReadMessage callback set before the meter still runs.
func TestOverlapMeter(t *testing.T) {
	tc := torrent.NewDefaultClientConfig()
	var chained int
	tc.Callbacks.ReadMessage = func(*torrent.PeerConn, *pp.Message) { chained++ }
	var m overlapMeter
	m.configure(tc)
	read := tc.Callbacks.ReadMessage

	// A PeerConn outside any client belongs to the nil torrent: the
	// episode is registered under that key.
	pc := &torrent.PeerConn{}
	ep := &episode{t: pc.Torrent()}
	m.add(ep)
	chunk := func(index int) *pp.Message {
		return &pp.Message{Type: pp.Piece, Index: pp.Integer(index), Piece: make([]byte, 16<<10)}
	}

	read(pc, chunk(3)) // before the origin completed piece 3: not counted
	if got := ep.originPieces.after.Load(); got != 0 {
		t.Fatalf("before the origin completed the piece: %d bytes counted, want 0", got)
	}
	ep.originPieces.completed(3)
	read(pc, chunk(3))
	read(pc, chunk(4))                             // a piece the origin did not complete
	read(pc, &pp.Message{Type: pp.Have, Index: 3}) // not a chunk
	read(pc, &pp.Message{Keepalive: true})         // not a chunk
	if got := ep.originPieces.after.Load(); got != 16<<10 {
		t.Errorf("%d bytes counted after the origin, want 16384 (one chunk of piece 3)", got)
	}
	if chained != 5 {
		t.Errorf("the earlier ReadMessage callback ran %d times, want 5", chained)
	}

	m.forget(ep)
	read(pc, chunk(3))
	if got := ep.originPieces.after.Load(); got != 16<<10 {
		t.Errorf("a forgotten episode still counts: %d bytes", got)
	}
}
