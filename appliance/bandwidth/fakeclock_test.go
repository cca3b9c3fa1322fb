package bandwidth

import (
	"context"
	"sync"
	"time"
)

// fakeClock is a Clock that moves only when Advance is called.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers map[*fakeTimer]bool
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, timers: map[*fakeTimer]bool{}}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{at: f.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- f.now
		return t.c, func() bool { return false }
	}
	f.timers[t] = true
	return t.c, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		pending := f.timers[t]
		delete(f.timers, t)
		return pending
	}
}

// Advance moves the clock by d and fires the timers that are due.
func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	for t := range f.timers {
		if !t.at.After(f.now) {
			t.c <- f.now
			delete(f.timers, t)
		}
	}
}

// Set moves the clock to t (forward) and fires the timers that are due.
func (f *fakeClock) Set(t time.Time) { f.Advance(t.Sub(f.Now())) }

// WaitTimers blocks until exactly n timers are pending or ctx is done.
func (f *fakeClock) WaitTimers(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		got := len(f.timers)
		f.mu.Unlock()
		if got == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}
