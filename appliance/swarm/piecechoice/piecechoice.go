// Package piecechoice decides, for one episode on one box, which pieces
// its streams need when, and which of them the box fetches from the
// network's origin instead of waiting for its peers. It is plain functions
// over plain values: no anacrolix, no network and no clock (the time is an
// argument), so the daemon, table tests and a simulator of a crowd run the
// same decisions.
//
// The deadline clock: a stream's clock starts at its first read after it
// was opened or sought (Head.Since, at offset Head.SinceOff), so the byte
// at offset o is due on screen at Since + StartSlack + (o - SinceOff) /
// bit rate. A player that reads ahead of real time has deadlines in the
// future; a fresh or stalled one has them now.
package piecechoice

import (
	"slices"
	"time"
)

// Stream timing. The figures behind them were measured in the 30-box flash
// crowd (appliance/lab/bench, 2026-11-25).
const (
	// StartSlack: a player buffers about this much before it shows its
	// first frame.
	StartSlack = time.Second

	// PaceLead: a stream's reads wait while they are more than this ahead
	// of its schedule (the swarm paces them). With the readahead a box
	// holds at most about PaceLead + readahead of video ahead of the
	// picture and asks nothing more of its peers, whose uploads then go to
	// the boxes that need them. Rebuffering ratio: 10 s 0.016 and 0.018 in
	// two runs, 6 s 0.013 and 0.014, 4 s 0.028 (too little buffer).
	PaceLead = 6 * time.Second

	// Start-up window: for StartupFor after a stream's first read it reads
	// ahead only StartupReadahead of media and is paced to
	// StartupPaceLead. Uploaders share their upload alike between the
	// connections that ask, so in a flash crowd the boxes that joined first
	// filled 10 to 12 s windows while boxes joining 1 to 5 s later hovered
	// 0 to 2 s ahead for 30 s and stalled. With the small window every
	// box's lead grows alike, and the early boxes' spare uploads go to the
	// late ones: rebuffering 0.0135 to 0.033 in 8 runs without, 0.0049 to
	// 0.0124 in 12 runs with. StartupPaceLead is StartSlack: any less and
	// pace holds back the very first read.
	StartupFor       = 25 * time.Second
	StartupReadahead = 2 * time.Second
	StartupPaceLead  = StartSlack
)

// Head is one stream's playhead.
type Head struct {
	Pos       int64     // read position, bytes
	Since     time.Time // first read after open or seek; zero until then
	SinceOff  int64     // read position at Since
	Readahead int64     // bytes the reader asks for past Pos
}

// StartingUp reports whether the stream is in its start-up window at now;
// a stream that has not read yet is.
func (h Head) StartingUp(now time.Time) bool {
	return h.Since.IsZero() || now.Sub(h.Since) < StartupFor
}

// PaceLead is how far ahead of its schedule the stream may read at now.
func (h Head) PaceLead(now time.Time) time.Duration {
	if h.StartingUp(now) {
		return StartupPaceLead
	}
	return PaceLead
}

// Due is when the byte at off is due on screen (the deadline clock).
func (h Head) Due(off int64, bytesPerSecond float64) time.Time {
	return h.Since.Add(StartSlack + time.Duration(float64(off-h.SinceOff)/bytesPerSecond*float64(time.Second)))
}

// Lead is how far the read position is ahead of its schedule at now,
// negative when behind; zero for a stream that has not read yet.
func (h Head) Lead(now time.Time, bytesPerSecond float64) time.Duration {
	if h.Since.IsZero() {
		return 0
	}
	return h.Due(h.Pos, bytesPerSecond).Sub(now)
}

// Policy holds the planner's knobs. DefaultPolicy is what the daemon runs.
type Policy struct {
	// UrgentAhead: media past a read position whose pieces count as
	// urgent (candidates for an origin rescue).
	UrgentAhead time.Duration
	// TailShare: the file's last share (MP4 moov at the end, MKV cues) is
	// wanted at high priority while a stream is open.
	TailShare float64
	// OriginLead: a piece is rescued from the origin at most this long
	// before its deadline.
	OriginLead time.Duration
	// NoPeerGrace: a piece no connected peer has is rescued once it has
	// been urgent this long (handshakes may be in flight).
	NoPeerGrace time.Duration
	// PeerChance: a piece a peer has is left to the peers for at least
	// this long after it became urgent, and after that only while it is
	// overdue, the peers deliver under half the bit rate and no chunk of
	// it has arrived from a peer (see Decide).
	PeerChance time.Duration
	// OriginFetches: rescues at once (supplements not counted).
	OriginFetches int
	// Lookahead: pieces past a read position looked at for fetching.
	Lookahead int
	// SupplementMargin: a supplement is placed this many origin fetch
	// times (Input.OriginFetchTime) of media past the readahead, so that
	// it lands before the reader's readahead reaches it and anacrolix asks
	// the peers for it too.
	SupplementMargin float64

	// Pushed pieces (ChooseAsks): pieces due within AskAhead are asked
	// for, at most Asks outstanding per episode and AsksPerPeer at one
	// peer; an ask with no data for AskTimeout is given up (the asker may
	// ask another peer), and a pushing peer drops asks older than AskTTL.
	AskAhead    time.Duration
	Asks        int
	AsksPerPeer int
	AskTimeout  time.Duration
	AskTTL      time.Duration
}

// DefaultPolicy: the figures measured in the 30-box crowd.
//
// Rescues of pieces peers hold were the origin's main waste: racing the
// peers for every overdue piece used 10 to 14 MiB of 80 to 107 MiB served,
// and the origin is capped and shared by every box, so a fetch among
// dozens takes seconds and loses. Supplements (one piece just past the
// readahead, which no peer has been asked for, while a stream is behind
// its pace lead) add the origin's bandwidth to the peers' instead of
// duplicating it: 33 to 63 MiB used of 80 to 107, rebuffering 0.047 to
// 0.018-0.021. Tried and dropped: the rarest piece past the readahead, two
// at a time (9 to 14 MiB used, rebuffering 0.024 to 0.030).
var DefaultPolicy = Policy{
	UrgentAhead:   4 * time.Second,
	TailShare:     0.01,
	OriginLead:    2 * time.Second,
	NoPeerGrace:   250 * time.Millisecond,
	PeerChance:    time.Second,
	OriginFetches: 2,
	Lookahead:     16,
	// Measured in the thin crowd (2026-12-06): supplements just past the
	// readahead took 4 s and more at an origin shared by 30 boxes, so the
	// peers delivered them first and the origin served 205 MiB of which
	// the boxes used 8.5.
	SupplementMargin: 1.5,
	AskAhead:         3 * time.Second,
	Asks:             4,
	AsksPerPeer:      1,
	AskTimeout:       2 * time.Second,
	AskTTL:           5 * time.Second,
}

// Episode is the shape of the torrent being planned.
type Episode struct {
	Pieces         int
	PieceLength    int64
	Size           int64
	BytesPerSecond float64 // bit rate / 8; above 0
}

// Piece is what the box knows of one piece now.
type Piece struct {
	Complete bool // verified on disk
	Wanted   bool // still needs data: not complete and not being checked
	Partial  bool // some of its chunks have arrived (from peers)
}

// Input is one planning round's view of an episode.
type Input struct {
	Now     time.Time
	Episode Episode
	Heads   []Head
	// Piece reports piece i's state; Decide asks only about pieces near a
	// playhead and those being fetched.
	Piece func(i int) Piece
	// PeerHas reports whether a connected peer claims piece i; Decide asks
	// only when a rule needs it (it is the costly question).
	PeerHas func(i int) bool
	// Fetching holds the origin fetches in flight: piece -> whether it is
	// a supplement (true) or a rescue (false).
	Fetching map[int]bool
	// UrgentSince is when each urgent piece became urgent, from the last
	// round (Plan.UrgentSince); nil on the first round.
	UrgentSince map[int]time.Time
	// PeersKeepUp: the peers delivered at least half the bit rate lately
	// (or streams opened too recently to tell).
	PeersKeepUp bool
	// Origin: the episode has an origin to fetch from, and it may be asked
	// now (not backing off after a failure).
	Origin, OriginBackingOff bool
	// OriginFetchTime is how long one piece takes from the origin lately
	// (from the request to the last byte; an origin shared by a crowd is
	// slow), zero while unknown. A supplement is placed that far past the
	// readahead (Policy.SupplementMargin), and a piece peers hold is not
	// rescued when the origin takes longer than OriginLead: the peers
	// deliver it first and the origin's bytes are thrown away.
	OriginFetchTime time.Duration
}

// Plan is what a round decided.
type Plan struct {
	// High are the pieces to want at high priority (the file's tail while
	// streams are open); every other piece the planner raised before
	// goes back to none.
	High []int
	// UrgentSince is the urgent pieces with when they became urgent; pass
	// it to the next round.
	UrgentSince map[int]time.Time
	// Cancel are origin fetches to stop: a peer completed the piece, or no
	// stream needs it any more.
	Cancel []int
	// Fetch are origin fetches to start, in order.
	Fetch []Fetch
}

// Fetch is one origin fetch to start.
type Fetch struct {
	Piece      int
	Supplement bool // past the readahead, for a stream behind its pace lead
}

type candidate struct {
	piece    int
	deadline time.Time
}

// Decide plans one round. It does not modify in.
//
// Origin fetches, both bounded per box:
//   - Rescue: a piece at most OriginLead before its deadline. The reader's
//     own piece, ahead of its schedule, counts as due now when no peer has
//     it (peers never will deliver it; an origin-only box streams at once).
//     A piece no peer has is rescued once it has been urgent NoPeerGrace.
//     A piece a peer has is left to the peers unless all of these hold: it
//     has been urgent PeerChance, it is overdue, the peers deliver under
//     half the bit rate (in.PeersKeepUp false), and no chunk of it has
//     arrived (a peer that is delivering it finishes it: one piece never
//     comes from both). At most OriginFetches at once, earliest deadline
//     first.
//     And only while one origin fetch takes at most OriginLead
//     (Input.OriginFetchTime): a slower origin loses the race for a piece
//     peers hold.
//   - Supplement: while a stream is less ahead of its schedule than its
//     pace lead, one piece at a time past its readahead that no peer has
//     been asked for (not partly downloaded), placed SupplementMargin
//     origin fetch times of media further on so it is on disk before the
//     readahead reaches it.
func Decide(p Policy, in Input) Plan {
	ep := in.Episode
	out := Plan{UrgentSince: make(map[int]time.Time)}
	if ep.Pieces == 0 || ep.PieceLength <= 0 || ep.BytesPerSecond <= 0 {
		return out
	}
	urgent := make(map[int]bool)
	var rescues, supplements []candidate
	for _, h := range in.Heads {
		first := int(h.Pos / ep.PieceLength)
		urgentEnd := h.Pos + int64(ep.BytesPerSecond*p.UrgentAhead.Seconds())
		for i := first; i < ep.Pieces && int64(i)*ep.PieceLength < urgentEnd; i++ {
			urgent[i] = true
		}
		if h.Since.IsZero() || !in.Origin {
			continue
		}
		if h.Lead(in.Now, ep.BytesPerSecond) < h.PaceLead(in.Now) {
			beyond := int64(p.SupplementMargin * in.OriginFetchTime.Seconds() * ep.BytesPerSecond)
			from := int((h.Pos + h.Readahead + beyond) / ep.PieceLength)
			for i := from; i < ep.Pieces && i < from+p.Lookahead; i++ {
				if _, ok := in.Fetching[i]; ok {
					break
				}
				if ps := in.Piece(i); ps.Wanted && !ps.Partial {
					supplements = append(supplements, candidate{i, h.Due(int64(i)*ep.PieceLength, ep.BytesPerSecond)})
					break
				}
			}
		}
		for i := first; i < ep.Pieces && i < first+p.Lookahead; i++ {
			due := h.Due(max(int64(i)*ep.PieceLength, h.SinceOff), ep.BytesPerSecond)
			if i == first && due.After(in.Now) && !in.PeerHas(i) {
				due = in.Now
			}
			if due.Sub(in.Now) > p.OriginLead {
				break
			}
			if in.Piece(i).Wanted {
				rescues = append(rescues, candidate{i, due})
			}
		}
	}
	if len(in.Heads) > 0 {
		tail := max(int64(float64(ep.Size)*p.TailShare), 1)
		for i := int((ep.Size - tail) / ep.PieceLength); i < ep.Pieces; i++ {
			out.High = append(out.High, i)
		}
	}
	for i := range urgent {
		if since, ok := in.UrgentSince[i]; ok {
			out.UrgentSince[i] = since
		} else {
			out.UrgentSince[i] = in.Now
		}
	}

	inFlight := make(map[int]bool, len(in.Fetching))
	rescuing := 0
	for i, supplement := range in.Fetching {
		if (!urgent[i] && !supplement) || in.Piece(i).Complete {
			out.Cancel = append(out.Cancel, i)
			continue
		}
		inFlight[i] = supplement
		if !supplement {
			rescuing++
		}
	}
	slices.Sort(out.Cancel)
	if !in.Origin || in.OriginBackingOff {
		return out
	}
	if len(supplements) > 0 && !hasSupplement(inFlight) {
		out.Fetch = append(out.Fetch, Fetch{Piece: supplements[0].piece, Supplement: true})
		inFlight[supplements[0].piece] = true
	}
	slices.SortStableFunc(rescues, func(a, b candidate) int { return a.deadline.Compare(b.deadline) })
	for _, c := range rescues {
		if rescuing >= p.OriginFetches {
			break
		}
		if _, ok := inFlight[c.piece]; ok || !urgent[c.piece] {
			continue
		}
		urgentFor := in.Now.Sub(out.UrgentSince[c.piece])
		if urgentFor < p.NoPeerGrace {
			continue
		}
		if in.PeerHas(c.piece) &&
			(in.PeersKeepUp || c.deadline.After(in.Now) || urgentFor < p.PeerChance || in.Piece(c.piece).Partial ||
				in.OriginFetchTime > p.OriginLead) {
			continue // the peers deliver it; racing them wastes the origin
		}
		out.Fetch = append(out.Fetch, Fetch{Piece: c.piece})
		inFlight[c.piece] = false
		rescuing++
	}
	return out
}

func hasSupplement(inFlight map[int]bool) bool {
	for _, s := range inFlight {
		if s {
			return true
		}
	}
	return false
}
