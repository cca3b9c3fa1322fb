// Package collector is the network's side of verifiable contribution: it
// accepts boxes' signed daily reports (package ledger), keeps them in an
// append-only log, and credits each box's upload only as far as the boxes
// it gave to confirm it in their own reports.
//
// The rules, per month M of the reports' calendars:
//
//	claimed(A)    = what A's reports say it uploaded in M, to anyone
//	credit(A→B)   = min(what A says it gave B, what B says it got from A), summed over M
//	confirmed(A)  = Σ over B ≠ A of credit(A→B), counting a pair only if
//	                some reporting box other than B named A in M, and some
//	                box other than A named B (both are seen by a third box)
//
// So a box gets nothing for upload its receivers do not confirm (an
// inflated claim earns what they confirm), a key no other box ever names
// earns nothing, and a box cannot confirm itself through one invented key
// that only it talks to. What it cannot see: two real boxes that both lie
// consistently about each other, or a ring of three or more invented keys
// that name each other (see the README).
//
// A report is refused when its signature or its figures do not hold
// (ledger.VerifyReport), when its sequence is not above the box's last
// accepted one (a replay, or an old report sent late), when it covers a day
// that has not begun anywhere on Earth yet (beyond Options.Skew), and when
// it is larger than Options.MaxReport. A later report restating a day
// replaces that day of the box's figures; days it does not list are kept.
//
// Why an append-only log and not SQLite: reports are immutable signed
// documents, and the only writes are appends, so the log keeps the exact
// bytes each box signed (anyone can re-verify them) with one write and one
// fsync per report, and needs no dependency (the pure-Go SQLite would add
// a large transpiled C library to a CGO_ENABLED=0 build for what is a
// sequential file). Restating reports leave dead records behind; the log is
// compacted (live records copied to a new file, fsync, rename) when the dead
// outnumber the live. What a query needs is rebuilt in memory at start.
package collector

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/ledger"
)

// Defaults of Options.
const (
	DefaultMaxReport    = 1 << 20
	DefaultSkew         = 10 * time.Minute
	DefaultCompactAfter = 1024
)

// latestOffset is how far ahead of UTC a calendar day can begin (UTC+14,
// Kiribati): a report's day that has begun nowhere is in the future.
const latestOffset = 14 * time.Hour

// Errors Accept wraps; the HTTP handler maps them to status codes.
var (
	ErrTooLarge = errors.New("report too large")
	ErrInvalid  = errors.New("report invalid")
	ErrReplay   = errors.New("report sequence not above the box's last accepted one")
	ErrFuture   = errors.New("report covers a day that has not begun")
)

// Options are the collector's outside world; zero fields get defaults.
type Options struct {
	Now          func() time.Time // default time.Now
	Log          *slog.Logger     // default slog.Default()
	MaxReport    int              // bytes, default DefaultMaxReport
	Skew         time.Duration    // allowed clock skew of boxes, default DefaultSkew
	CompactAfter int              // dead records that allow a compaction, default DefaultCompactAfter
}

// Collector holds the accepted reports. Safe for concurrent use; accepts
// are serialized (one append and fsync each), verification is not.
type Collector struct {
	opts Options
	path string

	mu    sync.Mutex
	log   *logFile
	keys  []ledger.BoxKey // interned: a box's index in the tables below
	index map[ledger.BoxKey]uint32
	boxes []*boxState // by index; nil for a key only ever named by others
	live  int         // records that still supply a day
	dead  int         // records whose every day was restated since
	gen   uint64      // bumped by every accept: tallies cache on it
	cache map[string]tallyCache
}

type tallyCache struct {
	gen  uint64
	rows []Row
}

// boxState is one reporting box's figures.
type boxState struct {
	seq  uint64             // last accepted sequence
	days map[string]*dayFig // by date
	refs map[uint64]int     // sequence → days it still supplies
}

// dayFig is one box's day, from the report that last stated it.
type dayFig struct {
	seq      uint64
	uploaded int64
	boxes    []counterpart // sorted by peer
}

type counterpart struct {
	peer      uint32
	gave, got int64
}

// Open loads the log at path (missing: empty) and returns the collector.
// A torn last record (power lost mid-append) is cut off and logged; a
// record that fails its checksum ends the readable log: what follows is
// moved aside with the file (path.corrupt-<unix time>) and logged, and
// the collector starts from the records before it.
func Open(path string, opts Options) (*Collector, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.MaxReport <= 0 {
		opts.MaxReport = DefaultMaxReport
	}
	if opts.Skew <= 0 {
		opts.Skew = DefaultSkew
	}
	if opts.CompactAfter <= 0 {
		opts.CompactAfter = DefaultCompactAfter
	}
	c := &Collector{opts: opts, path: path, index: map[ledger.BoxKey]uint32{}, cache: map[string]tallyCache{}}
	lf, err := openLog(path, opts.Log, func(doc []byte) error {
		r, err := ledger.VerifyReport(doc)
		if err != nil {
			// A record that was checked on accept and passes its
			// checksum but not the verifier: the verifier's rules
			// changed. Skip it, loudly.
			opts.Log.Warn("collector: a stored report no longer verifies; skipped", "err", err)
			return nil
		}
		c.apply(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.log = lf
	return c, nil
}

// Close closes the log. Accepted reports are already on disk.
func (c *Collector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.close()
}

// Accepted is what Accept returns about a stored report.
type Accepted struct {
	BoxKey   string `json:"boxKey"`
	Sequence uint64 `json:"sequence"`
	Days     int    `json:"days"`
}

// Accept verifies doc (a signed report document) and stores it: when
// Accept returns nil the report is on disk. Errors wrap ErrTooLarge,
// ErrInvalid, ErrReplay or ErrFuture, or are storage failures. Blocks on
// disk I/O.
func (c *Collector) Accept(doc []byte) (Accepted, error) {
	if len(doc) > c.opts.MaxReport {
		return Accepted{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(doc), c.opts.MaxReport)
	}
	r, err := ledger.VerifyReport(doc)
	if err != nil {
		return Accepted{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	to, _ := time.Parse(ledger.DateFormat, r.To) // checked by VerifyReport
	if begins := to.Add(-latestOffset); begins.After(c.opts.Now().Add(c.opts.Skew)) {
		return Accepted{}, fmt.Errorf("%w: %s begins at %s at the earliest, now is %s", ErrFuture, r.To, begins.Format(time.RFC3339), c.opts.Now().UTC().Format(time.RFC3339))
	}
	key, _ := ledger.ParseBoxKey(r.BoxKey) // checked by VerifyReport
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.box(key); b != nil && r.Sequence <= b.seq {
		return Accepted{}, fmt.Errorf("%w: box %s sent sequence %d, last accepted %d", ErrReplay, r.BoxKey, r.Sequence, b.seq)
	}
	if err := c.log.append(key, r.Sequence, doc); err != nil {
		return Accepted{}, fmt.Errorf("collector: store report: %w", err)
	}
	c.apply(r)
	if c.dead >= c.opts.CompactAfter && c.dead > c.live {
		if err := c.compactLocked(); err != nil {
			// Degradable: the log is still whole, only longer.
			c.opts.Log.Warn("collector: compaction failed; the log keeps its dead records", "err", err)
		}
	}
	return Accepted{BoxKey: r.BoxKey, Sequence: r.Sequence, Days: len(r.Days)}, nil
}

func (c *Collector) intern(k ledger.BoxKey) uint32 {
	if i, ok := c.index[k]; ok {
		return i
	}
	i := uint32(len(c.keys))
	c.keys = append(c.keys, k)
	c.boxes = append(c.boxes, nil)
	c.index[k] = i
	return i
}

func (c *Collector) box(k ledger.BoxKey) *boxState {
	if i, ok := c.index[k]; ok {
		return c.boxes[i]
	}
	return nil
}

// apply folds a verified report into the tables (sequence checked by the
// caller, or the log's order on replay). Call with mu held or before the
// collector is shared.
func (c *Collector) apply(r ledger.Report) {
	key, _ := ledger.ParseBoxKey(r.BoxKey)
	i := c.intern(key)
	b := c.boxes[i]
	if b == nil {
		b = &boxState{days: map[string]*dayFig{}, refs: map[uint64]int{}}
		c.boxes[i] = b
	}
	if r.Sequence <= b.seq {
		return // only on replay of a log that holds a stale record
	}
	b.seq = r.Sequence
	c.gen++
	supplied := 0
	for _, d := range r.Days {
		f := &dayFig{seq: r.Sequence, uploaded: d.BytesUploaded, boxes: make([]counterpart, 0, len(d.Boxes))}
		for _, rb := range d.Boxes {
			k, _ := ledger.ParseBoxKey(rb.BoxKey)
			f.boxes = append(f.boxes, counterpart{peer: c.intern(k), gave: rb.Gave, got: rb.Got})
		}
		slices.SortFunc(f.boxes, func(x, y counterpart) int { return int(x.peer) - int(y.peer) })
		if old := b.days[d.Date]; old != nil {
			b.refs[old.seq]--
			if b.refs[old.seq] == 0 {
				delete(b.refs, old.seq)
				c.live--
				c.dead++
			}
		}
		b.days[d.Date] = f
		supplied++
	}
	if supplied > 0 {
		b.refs[r.Sequence] = supplied
		c.live++
	} else {
		c.dead++ // a report with no days supplies nothing
	}
}

// isLive reports whether the record (key, seq) still supplies a day.
// Call with mu held.
func (c *Collector) isLive(k ledger.BoxKey, seq uint64) bool {
	b := c.box(k)
	return b != nil && b.refs[seq] > 0
}

func (c *Collector) compactLocked() error {
	kept, err := c.log.compact(func(k ledger.BoxKey, seq uint64) bool { return c.isLive(k, seq) })
	if err != nil {
		return err
	}
	c.opts.Log.Info("collector: log compacted", "dropped", c.dead, "kept", kept)
	c.dead = 0
	c.live = kept
	return nil
}
