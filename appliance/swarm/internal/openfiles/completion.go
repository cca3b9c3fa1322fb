package openfiles

import (
	"sync"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
)

// Completion answers piece completion queries from memory once it has read
// them from inner, and writes every change through to inner. It must be
// the only writer of inner's records while it is in use (anacrolix's bolt
// store locks its file, so no other process writes them). Safe for
// concurrent use.
type Completion struct {
	inner storage.PieceCompletion

	mu   sync.Mutex
	seen map[metainfo.PieceKey]storage.Completion
}

// NewCompletion caches inner's records.
func NewCompletion(inner storage.PieceCompletion) *Completion {
	return &Completion{inner: inner, seen: make(map[metainfo.PieceKey]storage.Completion)}
}

// Get returns the piece's record; a query inner failed is not remembered.
// The mutex is held across inner's read so that a concurrent Set cannot be
// overwritten by an older answer.
func (c *Completion) Get(pk metainfo.PieceKey) (storage.Completion, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if got, ok := c.seen[pk]; ok {
		return got, nil
	}
	got, err := c.inner.Get(pk)
	if err == nil && got.Err == nil {
		c.seen[pk] = got
	}
	return got, err
}

// Set records the piece in inner, then in memory; a record inner refused
// is forgotten, so the next Get asks inner again. Setting what is recorded
// already does not reach inner.
func (c *Completion) Set(pk metainfo.PieceKey, complete bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if got, ok := c.seen[pk]; ok && got.Ok && got.Complete == complete {
		return nil
	}
	if err := c.inner.Set(pk, complete); err != nil {
		delete(c.seen, pk)
		return err
	}
	c.seen[pk] = storage.Completion{Ok: true, Complete: complete}
	return nil
}

// Persistent is inner's: anacrolix flushes a completed piece's data when
// the records outlive the process.
func (c *Completion) Persistent() bool {
	if p, ok := c.inner.(storage.PieceCompletionPersistenter); ok {
		return p.Persistent()
	}
	return true
}

// Close closes inner.
func (c *Completion) Close() error { return c.inner.Close() }
