package piecechoice

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestServeNext(t *testing.T) {
	s := time.Second
	ttl := 5 * s
	for _, tc := range []struct {
		reason string
		asks   []Ask
		want   int
	}{
		{"nothing to serve", nil, -1},
		{"earliest deadline first", []Ask{
			{Piece: 1, Due: t0.Add(3 * s), Since: t0},
			{Piece: 2, Due: t0.Add(s), Since: t0},
			{Piece: 3, Due: t0.Add(2 * s), Since: t0},
		}, 1},
		{"an overdue ask (a box stalled) before one due later", []Ask{
			{Piece: 1, Due: t0.Add(s), Since: t0},
			{Piece: 2, Due: t0.Add(-s), Since: t0},
		}, 1},
		{"same deadline: the box with the least buffer", []Ask{
			{Piece: 1, Due: t0.Add(s), Buffer: 4 * s, Since: t0},
			{Piece: 2, Due: t0.Add(s), Buffer: s, Since: t0},
		}, 1},
		{"same deadline and buffer: the oldest ask", []Ask{
			{Piece: 1, Due: t0.Add(s), Since: t0.Add(-s / 2)},
			{Piece: 2, Due: t0.Add(s), Since: t0.Add(-s)},
		}, 1},
		{"asks older than the TTL are passed over", []Ask{
			{Piece: 1, Due: t0.Add(-10 * s), Since: t0.Add(-6 * s)},
			{Piece: 2, Due: t0.Add(2 * s), Since: t0},
		}, 1},
	} {
		if got := ServeNext(tc.asks, t0, ttl); got != tc.want {
			t.Errorf("%s: ServeNext = %d, want %d", tc.reason, got, tc.want)
		}
	}
}

func TestChooseAsks(t *testing.T) {
	s := time.Second
	has := func(pieces ...int) func(int) bool {
		m := set(pieces...)
		return func(i int) bool { return m[i] }
	}
	// A steady stream at piece 50, 1 s ahead of its schedule: pieces 50
	// (due in 1 s), 51 (2 s) and 52 (3 s) are within AskAhead.
	h := behind(50, -s)
	for _, tc := range []struct {
		reason string
		heads  []Head
		w      world
		asked  map[int]bool
		fetch  map[int]bool
		peers  []AskPeer
		want   []AskTo
	}{
		{
			reason: "pieces due within AskAhead go to the peers holding them, one per peer, earliest first",
			heads:  []Head{h},
			peers:  []AskPeer{{Has: has(50, 51, 52)}, {Has: has(51, 52)}},
			want: []AskTo{
				{Piece: 50, Peer: 0, Due: t0.Add(s), Buffer: s},
				{Piece: 51, Peer: 1, Due: t0.Add(2 * s), Buffer: s},
			},
		},
		{
			reason: "a peer without the piece is not asked; one already asking is full",
			heads:  []Head{h},
			peers:  []AskPeer{{Has: has(50), Asked: 1}, {Has: has(52)}},
			want:   []AskTo{{Piece: 52, Peer: 1, Due: t0.Add(3 * s), Buffer: s}},
		},
		{
			reason: "pieces complete, partly delivered through anacrolix, asked already or fetched from the origin are skipped",
			heads:  []Head{h},
			w:      world{complete: set(50), partial: set(51)},
			asked:  map[int]bool{52: true},
			peers:  []AskPeer{{Has: has(50, 51, 52, 53)}, {Has: has(50, 51, 52, 53)}},
		},
		{
			reason: "the origin's pieces are not asked for",
			heads:  []Head{h},
			fetch:  map[int]bool{50: true},
			peers:  []AskPeer{{Has: has(50, 51)}},
			want:   []AskTo{{Piece: 51, Peer: 0, Due: t0.Add(2 * s), Buffer: s}},
		},
		{
			reason: "a stream that has not read yet asks nothing",
			heads:  []Head{{Pos: 50e6}},
			peers:  []AskPeer{{Has: has(50)}},
		},
		{
			reason: "at most Asks outstanding for the episode",
			heads:  []Head{behind(50, 3*s)}, // behind: 50..55 are all due within 3 s
			asked:  map[int]bool{1: true, 2: true, 3: true},
			peers:  []AskPeer{{Has: has(50, 51)}, {Has: has(50, 51)}},
			want:   []AskTo{{Piece: 50, Peer: 0, Due: t0.Add(-3 * s), Buffer: 0}},
		},
		{
			reason: "no peer with the extension: nothing",
			heads:  []Head{h},
		},
	} {
		got := ChooseAsks(DefaultPolicy, AskInput{
			Now: t0, Episode: episode, Heads: tc.heads, Piece: tc.w.piece,
			Asked: tc.asked, Fetching: tc.fetch, Peers: tc.peers,
		})
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: asks (-want +got):\n%s", tc.reason, diff)
		}
	}
}
