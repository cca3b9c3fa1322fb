package piecechoice

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var t0 = time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)

// The deadline clock of the package comment.
func TestHeadDue(t *testing.T) {
	h := Head{Pos: 3_000_000, Since: t0, SinceOff: 1_000_000}
	if got, want := h.Due(1_000_000, 1e6), t0.Add(StartSlack); !got.Equal(want) {
		t.Errorf("due at the start offset = %v, want %v", got, want)
	}
	if got, want := h.Lead(t0.Add(time.Second), 1e6), StartSlack+time.Second; got != want {
		t.Errorf("lead 2 MB past the start, 1 s in, at 1 MB/s = %v, want %v", got, want)
	}
	if got := (Head{Pos: 5}).Lead(t0, 1e6); got != 0 {
		t.Errorf("lead of a stream that has not read = %v, want 0", got)
	}
	if !(Head{Since: t0}).StartingUp(t0.Add(StartupFor-time.Millisecond)) || (Head{Since: t0}).StartingUp(t0.Add(StartupFor)) {
		t.Errorf("the start-up window is not the StartupFor after the first read")
	}
	if got := (Head{Since: t0}).PaceLead(t0.Add(StartupFor)); got != PaceLead {
		t.Errorf("pace lead after the start-up window = %v, want %v", got, PaceLead)
	}
}

// world is a table case's episode: 100 pieces of 1 MB at 1 MB/s (one
// piece per second of media).
type world struct {
	peerHas, partial, complete map[int]bool
	peerHasAll                 bool
}

func (w world) piece(i int) Piece {
	return Piece{Complete: w.complete[i], Wanted: !w.complete[i], Partial: w.partial[i]}
}

func (w world) has(i int) bool { return w.peerHasAll || w.peerHas[i] }

var episode = Episode{Pieces: 100, PieceLength: 1e6, Size: 100e6, BytesPerSecond: 1e6}

// behind is a steady stream (past its start-up window) whose reader is at
// piece pos and lag behind its schedule (negative: ahead).
func behind(pos int, lag time.Duration) Head {
	// Due(pos) = Since + StartSlack + pos s = now - lag.
	since := t0.Add(-lag - StartSlack - time.Duration(pos)*time.Second)
	return Head{Pos: int64(pos) * 1e6, Since: since, Readahead: 4e6}
}

func urgentFor(d time.Duration, pieces ...int) map[int]time.Time {
	m := make(map[int]time.Time)
	for _, i := range pieces {
		m[i] = t0.Add(-d)
	}
	return m
}

func set(is ...int) map[int]bool {
	m := make(map[int]bool)
	for _, i := range is {
		m[i] = true
	}
	return m
}

func TestDecideOrigin(t *testing.T) {
	long := 5 * time.Second // urgent long enough for any grace
	for _, tc := range []struct {
		reason      string
		heads       []Head
		w           world
		fetching    map[int]bool
		urgentSince map[int]time.Time
		keepUp      bool
		noOrigin    bool
		backingOff  bool
		fetchTime   time.Duration // Input.OriginFetchTime
		wantFetch   []Fetch
		wantCancel  []int
	}{
		{
			reason: "no peer has the reader's piece: due now though the stream is ahead, rescued once urgent NoPeerGrace",
			heads:  []Head{behind(50, -PaceLead-time.Second)}, urgentSince: urgentFor(300*time.Millisecond, 50, 51, 52, 53, 54),
			w: world{peerHas: set(51, 52, 53, 54)}, keepUp: true,
			wantFetch: []Fetch{{Piece: 50}},
		},
		{
			reason: "just urgent: handshakes may be in flight, nothing yet",
			heads:  []Head{behind(50, -PaceLead-time.Second)}, urgentSince: urgentFor(100*time.Millisecond, 50, 51, 52, 53, 54),
			keepUp: true,
		},
		{
			reason: "a peer has the piece and its deadline is ahead: left to the peers even when they are slow (only the supplement)",
			heads:  []Head{behind(50, -time.Second)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54),
			w:         world{peerHasAll: true},
			wantFetch: []Fetch{{Piece: 54, Supplement: true}},
		},
		{
			reason: "a slow peer holds the overdue piece, nothing of it arrived: the origin rescues it and the next overdue one (and, the stream being behind, supplements the piece past its readahead)",
			heads:  []Head{behind(50, 1500*time.Millisecond)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54),
			w:         world{peerHasAll: true},
			wantFetch: []Fetch{{Piece: 54, Supplement: true}, {Piece: 50}, {Piece: 51}},
		},
		{
			reason: "overdue but the peers deliver half the bit rate or more: left to them (only the supplement)",
			heads:  []Head{behind(50, 1500*time.Millisecond)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54),
			w: world{peerHasAll: true}, keepUp: true,
			wantFetch: []Fetch{{Piece: 54, Supplement: true}},
		},
		{
			reason: "overdue, slow peers, but chunks of it arrived: the peer delivering it finishes it (never from both)",
			heads:  []Head{behind(50, 1500*time.Millisecond)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54),
			w:         world{peerHasAll: true, partial: set(50)},
			wantFetch: []Fetch{{Piece: 54, Supplement: true}, {Piece: 51}},
		},
		{
			reason: "overdue, slow peers, but urgent for less than PeerChance: the peers' fair chance (only the supplement)",
			heads:  []Head{behind(50, 1500*time.Millisecond)}, urgentSince: urgentFor(500*time.Millisecond, 50, 51, 52, 53, 54),
			w:         world{peerHasAll: true},
			wantFetch: []Fetch{{Piece: 54, Supplement: true}},
		},
		{
			reason: "earliest deadline first, at most OriginFetches rescues, pieces complete are skipped",
			heads:  []Head{behind(20, 3*time.Second), behind(60, 500*time.Millisecond)}, urgentSince: urgentFor(long, 20, 21, 22, 23, 24, 60, 61, 62, 63, 64),
			w:         world{complete: set(20)},
			wantFetch: []Fetch{{Piece: 24, Supplement: true}, {Piece: 21}, {Piece: 22}},
		},
		{
			reason: "backing off after a failed fetch: nothing starts",
			heads:  []Head{behind(50, 3*time.Second)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54), backingOff: true,
		},
		{
			reason: "no origin: nothing starts",
			heads:  []Head{behind(50, 3*time.Second)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54), noOrigin: true,
		},
		{
			reason: "fetches of a completed piece and of a piece no stream needs stop; a supplement goes on",
			heads:  []Head{behind(50, -5*time.Second)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54),
			w: world{peerHasAll: true, complete: set(51)}, keepUp: true,
			fetching:   map[int]bool{51: false, 10: false, 58: true},
			wantCancel: []int{10, 51},
		},
		{
			reason: "a steady stream behind its pace lead gets one supplement just past its readahead, skipping a piece peers are delivering",
			heads:  []Head{behind(50, -2*time.Second)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54),
			w: world{peerHasAll: true, partial: set(54)}, keepUp: true,
			wantFetch: []Fetch{{Piece: 55, Supplement: true}},
		},
		{
			reason: "one supplement at a time",
			heads:  []Head{behind(50, -2*time.Second)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54),
			w: world{peerHasAll: true}, keepUp: true, fetching: map[int]bool{57: true},
		},
		{
			reason: "the origin takes 3 s a piece (a crowd shares it): a slow peer's overdue pieces are left to the peers, and the supplement lands 1.5 x 3 s of media past the readahead",
			heads:  []Head{behind(50, 1500*time.Millisecond)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54),
			w: world{peerHasAll: true}, fetchTime: 3 * time.Second,
			wantFetch: []Fetch{{Piece: 58, Supplement: true}},
		},
		{
			reason: "the origin takes 1 s a piece, within OriginLead: the slow peer's overdue pieces are rescued, the supplement lands 1.5 s of media past the readahead",
			heads:  []Head{behind(50, 1500*time.Millisecond)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54),
			w: world{peerHasAll: true}, fetchTime: time.Second,
			wantFetch: []Fetch{{Piece: 55, Supplement: true}, {Piece: 50}, {Piece: 51}},
		},
		{
			reason: "no peer has the reader's piece: rescued however slow the origin (nothing else can deliver it)",
			heads:  []Head{behind(50, -PaceLead-time.Second)}, urgentSince: urgentFor(300*time.Millisecond, 50, 51, 52, 53, 54),
			w: world{peerHas: set(51, 52, 53, 54)}, keepUp: true, fetchTime: 10 * time.Second,
			wantFetch: []Fetch{{Piece: 50}},
		},
		{
			reason: "a steady stream ahead of its pace lead gets no supplement",
			heads:  []Head{behind(50, -PaceLead-time.Second)}, urgentSince: urgentFor(long, 50, 51, 52, 53, 54),
			w: world{peerHasAll: true}, keepUp: true,
		},
	} {
		in := Input{
			Now: t0, Episode: episode, Heads: tc.heads, Piece: tc.w.piece, PeerHas: tc.w.has, Fetching: tc.fetching,
			UrgentSince: tc.urgentSince, PeersKeepUp: tc.keepUp, Origin: !tc.noOrigin, OriginBackingOff: tc.backingOff,
			OriginFetchTime: tc.fetchTime,
		}
		got := Decide(DefaultPolicy, in)
		if diff := cmp.Diff(tc.wantFetch, got.Fetch, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: fetches (-want +got):\n%s", tc.reason, diff)
		}
		if diff := cmp.Diff(tc.wantCancel, got.Cancel, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: cancelled (-want +got):\n%s", tc.reason, diff)
		}
	}
}

func TestDecideUrgencyAndTail(t *testing.T) {
	h := behind(50, 0)
	earlier := t0.Add(-time.Minute)
	got := Decide(DefaultPolicy, Input{
		Now: t0, Episode: episode, Heads: []Head{h}, Piece: world{}.piece, PeerHas: world{}.has,
		UrgentSince: map[int]time.Time{50: earlier, 10: earlier}, Origin: true,
	})
	// UrgentAhead (4 s) at 1 MB/s: pieces 50..53; 50 keeps its time, 10 is
	// no longer urgent.
	want := map[int]time.Time{50: earlier, 51: t0, 52: t0, 53: t0}
	if diff := cmp.Diff(want, got.UrgentSince); diff != "" {
		t.Errorf("urgent pieces (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{99}, got.High); diff != "" {
		t.Errorf("high-priority tail (the last 1%%) (-want +got):\n%s", diff)
	}
	none := Decide(DefaultPolicy, Input{Now: t0, Episode: episode, Piece: world{}.piece, PeerHas: world{}.has, Origin: true})
	if len(none.High) != 0 || len(none.UrgentSince) != 0 || len(none.Fetch) != 0 {
		t.Errorf("no stream open: %+v, want nothing wanted", none)
	}
}
