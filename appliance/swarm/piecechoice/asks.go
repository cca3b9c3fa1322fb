package piecechoice

import (
	"slices"
	"time"
)

// Pushed pieces (the atomicbox_push extension, package push): a box asks
// one connected peer at a time to push it a whole piece its stream needs
// within AskAhead, and the peer pushes the asks it holds in ServeNext's
// order. The uploader's spare upload thus goes to the box whose picture
// stops first, where anacrolix v1.61 serves each connection's requests in
// random order and shares its upload alike between connections.

// Ask is one box's ask as the pushing peer holds it.
type Ask struct {
	Piece  int
	Due    time.Time     // when the asking box's picture needs the piece
	Buffer time.Duration // the asking stream's lead over its schedule when it asked
	Since  time.Time     // when the ask arrived
}

// ServeNext returns the index of the ask to push next: the earliest Due,
// then the least Buffer (the box closest to a stall), then the oldest; -1
// for none. Asks older than ttl are passed over (the caller drops them:
// the asker has moved on or asked elsewhere).
func ServeNext(asks []Ask, now time.Time, ttl time.Duration) int {
	best := -1
	for i, a := range asks {
		if now.Sub(a.Since) > ttl {
			continue
		}
		if best < 0 || servesBefore(a, asks[best]) {
			best = i
		}
	}
	return best
}

func servesBefore(a, b Ask) bool {
	if !a.Due.Equal(b.Due) {
		return a.Due.Before(b.Due)
	}
	if a.Buffer != b.Buffer {
		return a.Buffer < b.Buffer
	}
	return a.Since.Before(b.Since)
}

// AskPeer is a connected peer that announced the extension.
type AskPeer struct {
	Has   func(piece int) bool
	Asked int // asks of this box outstanding at the peer
}

// AskInput is a round's view for choosing asks.
type AskInput struct {
	Now     time.Time
	Episode Episode
	Heads   []Head
	Piece   func(i int) Piece
	// Asked holds the pieces with an ask outstanding; Fetching those being
	// fetched from the origin (never asked for too).
	Asked, Fetching map[int]bool
	Peers           []AskPeer
}

// AskTo is one ask to send: piece to Peers[Peer].
type AskTo struct {
	Piece  int
	Peer   int
	Due    time.Time
	Buffer time.Duration
}

// ChooseAsks picks the asks to send this round: pieces of a started stream
// due within p.AskAhead that are still wanted, have no chunk yet (a peer
// that is delivering one through anacrolix finishes it), and are neither
// asked for nor fetched from the origin, earliest deadline first; each to
// the peer holding it with the fewest asks outstanding (the first such
// peer on a tie), at most p.AsksPerPeer per peer and p.Asks in all.
func ChooseAsks(p Policy, in AskInput) []AskTo {
	ep := in.Episode
	if ep.Pieces == 0 || ep.PieceLength <= 0 || ep.BytesPerSecond <= 0 || len(in.Peers) == 0 {
		return nil
	}
	outstanding := len(in.Asked)
	if outstanding >= p.Asks {
		return nil
	}
	type cand struct {
		piece  int
		due    time.Time
		buffer time.Duration
	}
	var cands []cand
	seen := map[int]bool{}
	for _, h := range in.Heads {
		if h.Since.IsZero() {
			continue
		}
		lead := max(h.Lead(in.Now, ep.BytesPerSecond), 0)
		for i := int(h.Pos / ep.PieceLength); i < ep.Pieces; i++ {
			due := h.Due(max(int64(i)*ep.PieceLength, h.SinceOff), ep.BytesPerSecond)
			if due.Sub(in.Now) > p.AskAhead {
				break
			}
			if seen[i] || in.Asked[i] || in.Fetching[i] {
				continue
			}
			seen[i] = true
			if ps := in.Piece(i); ps.Wanted && !ps.Partial {
				cands = append(cands, cand{i, due, lead})
			}
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return a.due.Compare(b.due) })
	asked := make([]int, len(in.Peers))
	for i, pr := range in.Peers {
		asked[i] = pr.Asked
	}
	var out []AskTo
	for _, c := range cands {
		if outstanding >= p.Asks {
			break
		}
		best := -1
		for i, pr := range in.Peers {
			if asked[i] >= p.AsksPerPeer || !pr.Has(c.piece) {
				continue
			}
			if best < 0 || asked[i] < asked[best] {
				best = i
			}
		}
		if best < 0 {
			continue
		}
		asked[best]++
		outstanding++
		out = append(out, AskTo{Piece: c.piece, Peer: best, Due: c.due, Buffer: c.buffer})
	}
	return out
}
