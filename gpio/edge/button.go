package edge

import (
	"context"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
)

// WatchButton reports presses of a push button that pulls pin low (the pin's
// pull-up on): fn(true, t) when it goes down, fn(false, t) when it comes up.
// A level must hold for debounce before it counts, so contact bounce makes
// no extra presses. It blocks until ctx ends (returning ctx.Err()) and polls
// ctx every 100 ms of clock time. Buttons need no microsecond timing, so
// periph's gpio.PinIn (and gpiotest.Pin in tests) is the right tool here;
// clock is the one pin edges are timed on (nil: the real clock).
func WatchButton(ctx context.Context, pin gpio.PinIn, clock clockwork.Clock, debounce time.Duration, fn func(pressed bool, at time.Time)) error {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if err := pin.In(gpio.PullUp, gpio.BothEdges); err != nil {
		return fmt.Errorf("button %s: %w", pin, err)
	}
	stable := pin.Read() // the level last reported (initially: released)
	pending := stable    // the level seen last
	var since time.Time  // when pending was first seen
	for ctx.Err() == nil {
		wait := 100 * time.Millisecond
		if pending != stable {
			wait = min(wait, debounce-clock.Since(since))
		}
		if wait > 0 && pin.WaitForEdge(wait) {
			if l := pin.Read(); l != pending {
				pending, since = l, clock.Now()
			}
			continue
		}
		if pending != stable && clock.Since(since) >= debounce {
			stable = pending
			fn(stable == gpio.Low, since)
		}
	}
	return ctx.Err()
}
