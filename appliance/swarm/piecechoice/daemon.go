package piecechoice

import "time"

// The daemon's figures around the planner (appliance/swarm uses them from
// here, and so does the premiere simulator in appliance/lab/sim: one edit
// changes both).
const (
	// PlanEvery: an episode's planner runs Decide this often (and at once
	// when a stream opens, first reads, seeks or closes).
	PlanEvery = 200 * time.Millisecond

	// PeerRateWindow and PeerRateShort: peers that delivered at least
	// PeerRateShort of the bit rate, averaged over about PeerRateWindow,
	// keep up (Input.PeersKeepUp; see PeerRate).
	PeerRateWindow = 2 * time.Second
	PeerRateShort  = 0.5

	// ConnsPerTorrent is the default cap on peer connections per torrent.
	// SeedConnsFactor raises it for a torrent the box holds completely:
	// it only uploads, and in a premiere everybody wants it.
	// 12, not 8 (2026-12-07, the benchmark's thin crowd, one run each
	// with the send queue bounded): rebuffering 0.101 at 8, 0.065 at 12,
	// 0.061 at 16; crowd30 stayed at 0.0056 to 0.0059 at 12, and turned
	// CPU-bound at 16 (idle 14%) on the 2-core benchmark machine.
	ConnsPerTorrent = 12
	SeedConnsFactor = 3

	// Readahead is a stream's steady readahead in media time (the
	// daemon's default; StartupReadahead during start-up); MinReadahead is
	// the smallest readahead a stream gets, in bytes.
	Readahead    = 4 * time.Second
	MinReadahead = 2 << 20

	// OriginRate and OriginBurst are a box's budget for origin fetches
	// (all episodes together, bytes/s and bytes) until the catalog sets
	// one: four times an 8 Mbit/s stream. A budget set by the catalog gets
	// a burst of one second of it, at least MinOriginBurst (one piece of
	// most episodes).
	OriginRate     = 4 * 1e6
	OriginBurst    = 4 << 20
	MinOriginBurst = 256 << 10
)

// ReadaheadBytes is seconds of media at bytesPerSecond in bytes, at least
// MinReadahead: a stream's readahead.
func ReadaheadBytes(seconds, bytesPerSecond float64) int64 {
	return max(int64(MinReadahead), int64(bytesPerSecond*seconds))
}

// PeerRate is the peers' delivery rate to one episode's streams (useful
// bytes/s), averaged over about PeerRateWindow, and what the planner
// passes as Input.PeersKeepUp. The zero value is ready. Not safe for
// concurrent use.
type PeerRate struct {
	Rate  float64   // bytes/s
	Bytes float64   // the byte count at At
	At    time.Time // last update
	From  time.Time // since when streams have been open; zero: none open
}

// KeepUp updates r with the episode's peer byte count at now (a counter
// that only grows) and reports whether the peers keep up: they delivered
// at least PeerRateShort of bytesPerSecond, or streams have been open for
// less than PeerRateWindow (too early to tell; at the start of a flash
// crowd every box is short, and racing the peers only wastes the origin).
// With no stream open it forgets the streams' start and reports true.
func (r *PeerRate) KeepUp(now time.Time, streaming bool, bytes, bytesPerSecond float64) bool {
	if !streaming {
		r.From = time.Time{}
		return true
	}
	if r.From.IsZero() {
		r.From, r.Bytes, r.At, r.Rate = now, bytes, now, 0
		return true
	}
	if dt := now.Sub(r.At); dt > 0 {
		inst := (bytes - r.Bytes) / dt.Seconds()
		w := min(1, dt.Seconds()/PeerRateWindow.Seconds())
		r.Rate += w * (inst - r.Rate)
		r.Bytes, r.At = bytes, now
	}
	return now.Sub(r.From) < PeerRateWindow || r.Rate >= PeerRateShort*bytesPerSecond
}

// OriginTimeWeight is the weight of the newest fetch in the moving
// average of the origin's fetch time (NoteOriginTime).
const OriginTimeWeight = 0.3

// NoteOriginTime returns the moving average avg of how long one piece
// takes from the origin (Input.OriginFetchTime; zero: unknown) with one
// fetch that ended added: took is from its request to its end (zero if it
// never sent one), ok whether it got the piece, failed whether it failed
// (failures say nothing of the time and are not counted), read the
// piece's bytes it received. One that got its piece counts its duration;
// one cancelled after reading part of it counts the time the whole piece
// would have taken at that pace, and one cancelled before any byte came
// counts at least the time it waited.
func NoteOriginTime(avg, took time.Duration, ok, failed bool, read, pieceLength int64) time.Duration {
	if took <= 0 || failed {
		return avg
	}
	sample := took
	if !ok {
		if read < pieceLength/16 {
			if sample <= avg {
				return avg // says only "at least this long"
			}
		} else {
			sample = time.Duration(float64(took) * float64(pieceLength) / float64(read))
		}
	}
	if avg == 0 {
		return sample
	}
	return avg + time.Duration(OriginTimeWeight*float64(sample-avg))
}

// OriginFetchTime is how long one piece takes from the origin as of now
// (Input.OriginFetchTime): the moving average avg of fetches that ended,
// or the age of the oldest fetch still in flight (its request sent at
// oldest; zero: none) when that is longer. A crowd at a shared origin
// makes every fetch slow, and the fetches that would tell are the ones
// the peers beat and that are cancelled.
func OriginFetchTime(avg time.Duration, now, oldest time.Time) time.Duration {
	if oldest.IsZero() {
		return avg
	}
	return max(avg, now.Sub(oldest))
}
