// Package tracker turns decoded IR frames into key presses, autorepeats, long presses and releases, the way Linux rc-core and the input core do.
//
// The tracker is a pure state machine over time values on the IR source's
// clock (ir.Frame.At): Frame feeds a frame, Advance moves time on, Deadline
// says when Advance next has something to do. Whoever drives it (edge.Run)
// owns the real clock, so tests replay captures deterministically.
package tracker

import (
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
)

// Event is one key transition of a code. The keymap turns Code into a key.
type Event struct {
	Code   ir.Code
	Action keys.Action // Press, Repeat (autorepeat) or Release
	// LongPress marks, once per press, the moment the key has been held for
	// Config.LongPress: that event has Action Repeat and is not an
	// autorepeat (skip it if you only want repeats). The Release of a long
	// press carries LongPress too.
	LongPress bool
	At        time.Duration // on the source's clock
}

// Step is one stage of autorepeat acceleration: from the After-th repeat on,
// repeats come every Period.
type Step struct {
	After  int
	Period time.Duration
}

// Config holds the timings; zero fields take the defaults in DefaultConfig.
type Config struct {
	Delay     time.Duration // first autorepeat after the press (500 ms)
	Period    time.Duration // autorepeat period (125 ms)
	Accel     []Step        // faster repeats for scrolling (8th: 80 ms, 24th: 50 ms)
	LongPress time.Duration // long-press marker after the press (800 ms)
	// Window is added to the protocol's release timeout (ir.ReleaseAfter)
	// before a key without frames is released (25 ms).
	Window time.Duration
	// Dedup: a frame of the key just released, arriving within Dedup of
	// that key's last frame, is the tail of the same press (a remote's extra
	// copies after a lost one), not a second press (150 ms). With a toggle
	// bit, an unchanged toggle proves it: DedupToggle (500 ms).
	Dedup, DedupToggle time.Duration
	// NoAutorepeat turns autorepeat off (the UI does its own).
	NoAutorepeat bool
}

// DefaultConfig returns rc-core's and the input core's timings, with the
// acceleration and de-duplication this box adds.
func DefaultConfig() Config {
	return Config{
		Delay:       500 * time.Millisecond,
		Period:      125 * time.Millisecond,
		Accel:       []Step{{After: 8, Period: 80 * time.Millisecond}, {After: 24, Period: 50 * time.Millisecond}},
		LongPress:   800 * time.Millisecond,
		Window:      25 * time.Millisecond,
		Dedup:       150 * time.Millisecond,
		DedupToggle: 500 * time.Millisecond,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Delay <= 0 {
		c.Delay = d.Delay
	}
	if c.Period <= 0 {
		c.Period = d.Period
	}
	if c.Accel == nil {
		c.Accel = d.Accel
	}
	if c.LongPress <= 0 {
		c.LongPress = d.LongPress
	}
	if c.Window <= 0 {
		c.Window = d.Window
	}
	if c.Dedup <= 0 {
		c.Dedup = d.Dedup
	}
	if c.DedupToggle <= 0 {
		c.DedupToggle = d.DedupToggle
	}
	return c
}

// Stats counts what the tracker swallowed.
type Stats struct {
	Frames        int // frames fed, repeat codes included
	IgnoredRepeat int // repeat codes with no key held (noise makes these)
	Deduplicated  int // presses suppressed as copies of the previous press
}

// key is the held key's state.
type key struct {
	code       ir.Code
	toggle     bool
	last       time.Duration // At of the last frame
	silent     bool          // held as a duplicate: no events at all
	nextRepeat time.Duration
	repeats    int
	longAt     time.Duration
	long       bool // long-press marker sent
}

// Tracker holds at most one key, as rc-core does. Not safe for concurrent use.
type Tracker struct {
	cfg   Config
	held  *key
	prev  key // the last released key, for de-duplication
	had   bool
	stats Stats
}

// New returns a tracker with cfg (zero fields take defaults).
func New(cfg Config) *Tracker { return &Tracker{cfg: cfg.withDefaults()} }

// Stats returns the counters so far.
func (t *Tracker) Stats() Stats { return t.stats }

// Frame feeds one decoded frame; it first advances time to f.At. Frames
// must come in At order.
func (t *Tracker) Frame(f ir.Frame) []Event {
	out := t.Advance(f.At)
	t.stats.Frames++
	if f.Repeat {
		// A repeat code only says "still held": honoured only while an NEC
		// key is held, so noise cannot press anything with it.
		if t.held != nil && t.held.code.Protocol.Family() == ir.NEC {
			t.held.last = f.At
		} else {
			t.stats.IgnoredRepeat++
		}
		return out
	}
	code := f.Code()
	if h := t.held; h != nil && h.code == code && h.toggle == f.Toggle {
		h.last = f.At
		return out
	}
	if h := t.held; h != nil {
		out = t.release(out, f.At)
	}
	k := &key{code: code, toggle: f.Toggle, last: f.At}
	if t.had && t.prev.code == code && t.prev.toggle == f.Toggle {
		window := t.cfg.Dedup
		if ir.HasToggle(code.Protocol) {
			window = t.cfg.DedupToggle
		}
		if f.At-t.prev.last <= window {
			t.stats.Deduplicated++
			k.silent = true
			t.held = k
			return out
		}
	}
	k.nextRepeat = f.At + t.cfg.Delay
	k.longAt = f.At + t.cfg.LongPress
	t.held = k
	return append(out, Event{Code: code, Action: keys.Press, At: f.At})
}

func (t *Tracker) releaseAt() time.Duration {
	return t.held.last + ir.ReleaseAfter(t.held.code.Protocol) + t.cfg.Window
}

// release ends the held key at time at.
func (t *Tracker) release(out []Event, at time.Duration) []Event {
	h := t.held
	if !h.silent {
		out = append(out, Event{Code: h.code, Action: keys.Release, LongPress: h.long, At: at})
	}
	t.prev, t.had, t.held = *h, true, nil
	return out
}

// Deadline returns the next time Advance has something to do, if any.
func (t *Tracker) Deadline() (time.Duration, bool) {
	h := t.held
	if h == nil {
		return 0, false
	}
	d := t.releaseAt()
	if h.silent {
		return d, true
	}
	if !h.long && h.longAt < d {
		d = h.longAt
	}
	if !t.cfg.NoAutorepeat && h.nextRepeat < d {
		d = h.nextRepeat
	}
	return d, true
}

// Advance emits, in time order, everything due at or before now: releases
// (first, on a tie), long-press markers and autorepeats.
func (t *Tracker) Advance(now time.Duration) []Event {
	var out []Event
	for t.held != nil {
		h := t.held
		rel := t.releaseAt()
		switch {
		case rel <= now && (h.silent || (h.long || rel <= h.longAt) && (t.cfg.NoAutorepeat || rel <= h.nextRepeat)):
			out = t.release(out, rel)
		case h.silent:
			return out
		case !h.long && h.longAt <= now && (t.cfg.NoAutorepeat || h.longAt <= h.nextRepeat):
			h.long = true
			out = append(out, Event{Code: h.code, Action: keys.Repeat, LongPress: true, At: h.longAt})
		case !t.cfg.NoAutorepeat && h.nextRepeat <= now:
			out = append(out, Event{Code: h.code, Action: keys.Repeat, At: h.nextRepeat})
			h.repeats++
			h.nextRepeat += t.period(h.repeats)
		default:
			return out
		}
	}
	return out
}

// period is the autorepeat period after n repeats.
func (t *Tracker) period(n int) time.Duration {
	p := t.cfg.Period
	for _, s := range t.cfg.Accel {
		if n >= s.After {
			p = s.Period
		}
	}
	return p
}
