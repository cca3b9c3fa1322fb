package api

import (
	"context"
	"sync"
)

// Hub fans daemon events (pairing, catalog) out to every /api/events
// subscriber. Key events travel on KeyBus instead. Safe for concurrent
// use; Publish never blocks: a subscriber that does not keep up loses
// events.
type Hub struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

// NewHub returns a hub with no subscribers.
func NewHub() *Hub { return &Hub{subs: make(map[chan Event]struct{})} }

// Publish sends ev to every subscriber that has room.
func (h *Hub) Publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// Subscribe returns a channel of events, closed when ctx ends.
func (h *Hub) Subscribe(ctx context.Context, buffer int) <-chan Event {
	ch := make(chan Event, max(buffer, 1))
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
		close(ch)
	}()
	return ch
}
