package keys

import (
	"context"
	"sync"
	"time"
)

// Bus fans key events out to every subscriber (normally the one UI process,
// plus diagnostics). It is safe for concurrent use. A subscriber that does
// not keep up loses events rather than stalling the inputs: a remote that
// lags is worse than one that drops a repeat.
type Bus struct {
	now func() time.Time

	mu   sync.Mutex
	subs map[chan Event]struct{}
}

// NewBus returns an empty bus. now is the clock stamped on events that
// arrive without a time; nil means time.Now.
func NewBus(now func() time.Time) *Bus {
	if now == nil {
		now = time.Now
	}
	return &Bus{now: now, subs: make(map[chan Event]struct{})}
}

// SendKey implements Sink. It never blocks.
func (b *Bus) SendKey(ev Event) {
	if ev.At.IsZero() {
		ev.At = b.now()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default: // slow subscriber: drop rather than block an input
		}
	}
}

// Subscribe returns a channel of events that is closed when ctx ends.
// buffer is the number of events held for a slow reader (at least 1).
func (b *Bus) Subscribe(ctx context.Context, buffer int) <-chan Event {
	if buffer < 1 {
		buffer = 1
	}
	ch := make(chan Event, buffer)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
		close(ch)
	}()
	return ch
}
