package edge

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// ackPin is a gpiotest.Pin whose WaitForEdge stops its timer when an edge
// comes and then acknowledges it: gpiotest's own leaves the timer on the
// fake clock, so the test could not count the watcher's waiters.
type ackPin struct {
	*gpiotest.Pin
	ack chan struct{}
}

func (p *ackPin) WaitForEdge(timeout time.Duration) bool {
	timer := p.Clock.NewTimer(timeout)
	select {
	case <-timer.Chan():
		return false
	case l := <-p.EdgesChan:
		timer.Stop()
		p.Out(l)
		p.ack <- struct{}{}
		return true
	}
}

// TestWatchButton drives a gpiotest.Pin with the deterministic pattern from
// the lab notes: send an edge on an unbuffered channel, wait for the
// watcher's acknowledgement and for it to sleep on the fake clock again,
// then advance the clock.
func TestWatchButton(t *testing.T) {
	clock := clockwork.NewFakeClock()
	pin := &ackPin{&gpiotest.Pin{N: "GPIO17", Num: 17, Clock: clock, EdgesChan: make(chan gpio.Level)}, make(chan struct{})}
	type change struct {
		Pressed bool
		At      time.Duration
	}
	start := clock.Now()
	got := make(chan change, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- WatchButton(ctx, pin, clock, 20*time.Millisecond, func(p bool, at time.Time) {
			got <- change{p, at.Sub(start)}
		})
	}()
	edge := func(l gpio.Level) {
		pin.EdgesChan <- l
		<-pin.ack
		clock.BlockUntilContext(context.Background(), 1)
	}
	advance := func(d time.Duration) {
		clock.BlockUntilContext(context.Background(), 1)
		clock.Advance(d)
	}
	// Press with contact bounce: low, high after 2 ms, low after 1 ms more.
	advance(0)
	edge(gpio.Low)
	advance(2 * time.Millisecond)
	edge(gpio.High)
	advance(1 * time.Millisecond)
	edge(gpio.Low)
	advance(25 * time.Millisecond) // stable for the debounce time: pressed
	want := []change{{true, 3 * time.Millisecond}}
	// Release cleanly after 200 ms.
	advance(200 * time.Millisecond)
	edge(gpio.High)
	advance(25 * time.Millisecond)
	want = append(want, change{false, 228 * time.Millisecond})
	// A 5 ms glitch is no press.
	advance(100 * time.Millisecond)
	edge(gpio.Low)
	advance(5 * time.Millisecond)
	edge(gpio.High)
	advance(50 * time.Millisecond)

	var changes []change
	for len(changes) < len(want) {
		select {
		case c := <-got:
			changes = append(changes, c)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %v, waiting for %v", changes, want)
		}
	}
	cancel()
	clock.Advance(time.Second)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("WatchButton after cancel = %v", err)
	}
	select {
	case c := <-got:
		changes = append(changes, c)
	default:
	}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("button changes (-want +got):\n%s", diff)
	}
}
