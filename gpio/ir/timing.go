package ir

import "time"

const us = time.Microsecond

// tol is the accepted deviation from a nominal duration want: the larger of
// the kernel's margin and LIRC's rule (30 % of want, at least 100 us).
// Accepting either survives both uniform jitter (where the fixed kernel
// margins fail) and a constant mark/space bias (where LIRC's fails on short
// pulses); see the package tests for the figures.
func tol(want, margin time.Duration) time.Duration {
	t := want * 3 / 10
	if t < 100*us {
		t = 100 * us
	}
	if margin > t {
		t = margin
	}
	return t
}

// near reports whether d is within tol(want, margin) of want.
func near(d, want, margin time.Duration) bool {
	t := tol(want, margin)
	return d >= want-t && d <= want+t
}

// atLeast reports whether d is no shorter than want less tol(want, margin).
func atLeast(d, want, margin time.Duration) bool {
	return d >= want-tol(want, margin)
}

// quietMin is the space that must precede a frame's first mark: longer than
// any space inside a frame that could precede a header, shorter than any gap
// between frames. Without it a decoder without a header (RC-5) could lock on
// to the middle of another protocol's frame.
const quietMin = 3500 * time.Microsecond

// quiet tracks whether the line was idle before the current pulse.
type quiet struct{ was, now bool }

// step records p and reports whether the line was quiet before it.
func (q *quiet) step(p Pulse) bool {
	q.was = q.now
	q.now = !p.Level && p.Duration >= quietMin
	return q.was
}
