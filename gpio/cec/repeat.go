package cec

import (
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"periph.io/x/conn/v3/ir"
)

// Autorepeat defaults, as rc-core does them for CEC.
const (
	DefaultRepeatDelay  = 500 * time.Millisecond // first repeat after the press
	DefaultRepeatPeriod = 125 * time.Millisecond // then one repeat per period
	DefaultKeyUpTimeout = 550 * time.Millisecond // release when neither a new press nor a release came
)

// repeater turns CEC presses and releases into press, repeat and release
// events. CEC carries no repeats of its own (a TV may resend User Control
// Pressed while a key is held, which only keeps the key down), so the
// repeats are made here. It is a pure state machine: time is a parameter.
// Not safe for concurrent use.
type repeater struct {
	delay, period, keyUp time.Duration

	held       ir.Key // "" when no key is down
	nextRepeat time.Time
	keyUpAt    time.Time
}

func newRepeater(delay, period, keyUp time.Duration) *repeater {
	return &repeater{delay: delay, period: period, keyUp: keyUp}
}

func ev(k ir.Key, a keys.Action, at time.Time) keys.Event {
	return keys.Event{Key: k, Action: a, Source: keys.SourceCEC, At: at}
}

// press handles User Control Pressed for k at now. The same key while held
// keeps it down (no new press); another key releases the held one first.
func (r *repeater) press(now time.Time, k ir.Key) []keys.Event {
	out := r.tick(now)
	if r.held == k {
		r.keyUpAt = now.Add(r.keyUp)
		return out
	}
	out = append(out, r.release(now)...)
	r.held = k
	r.nextRepeat = now.Add(r.delay)
	r.keyUpAt = now.Add(r.keyUp)
	return append(out, ev(k, keys.Press, now))
}

// release handles User Control Released (or a press of an unmapped key).
func (r *repeater) release(now time.Time) []keys.Event {
	out := r.tick(now)
	if r.held == "" {
		return out
	}
	k := r.held
	r.held = ""
	return append(out, ev(k, keys.Release, now))
}

// tick emits every repeat and timeout release due at or before now, each
// stamped with the time it was due.
func (r *repeater) tick(now time.Time) []keys.Event {
	var out []keys.Event
	for r.held != "" {
		if !r.keyUpAt.After(now) && !r.keyUpAt.After(r.nextRepeat) {
			out = append(out, ev(r.held, keys.Release, r.keyUpAt))
			r.held = ""
			break
		}
		if r.nextRepeat.After(now) {
			break
		}
		out = append(out, ev(r.held, keys.Repeat, r.nextRepeat))
		r.nextRepeat = r.nextRepeat.Add(r.period)
	}
	return out
}

// deadline returns when tick has something to do, if ever.
func (r *repeater) deadline() (time.Time, bool) {
	if r.held == "" {
		return time.Time{}, false
	}
	if r.keyUpAt.Before(r.nextRepeat) {
		return r.keyUpAt, true
	}
	return r.nextRepeat, true
}
