// Package resume keeps where each episode's playback stopped, in one JSON
// file in the data dir.
package resume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// FileName is the store's file in the data dir.
const FileName = "resume.json"

// Watched thresholds: a position within the last WatchedFraction of the
// duration, or within WatchedTail of the end, counts as watched.
const (
	WatchedFraction = 0.05
	WatchedTail     = 10 * time.Second
)

// ErrBadUpdate is returned by Set for positions or durations that are not
// finite and non-negative.
var ErrBadUpdate = api.ErrBadResumeUpdate

// Options tune a Store. Zero values are the defaults.
//
// The default is write-through: Set returns only after the file is written
// and fsynced, so a position the API acknowledged (204) survives kill -9 and
// power loss. The UI reports a position every 5 s, so this costs one small
// fsync per 5 s of playback. A positive Delay debounces instead (positions
// younger than the delay are lost on a crash).
type Options struct {
	Delay time.Duration    // write debounce; 0 or < 0 = write (and fsync) on every Set before returning
	Now   func() time.Time // nil = time.Now
	Log   *slog.Logger     // nil = slog.Default()
}

// Store holds the positions. Safe for concurrent use. By default every Set
// is durable when it returns; with a debounce Delay, Close (or Flush) writes
// whatever is pending, so a clean shutdown loses nothing.
type Store struct {
	path  string
	delay time.Duration
	now   func() time.Time
	log   *slog.Logger

	mu      sync.Mutex
	entries map[string]api.Resume
	dirty   bool
	timer   *time.Timer
	closed  bool
	writeMu sync.Mutex // serialises file writes
}

type file struct {
	Version  int                   `json:"version"`
	Episodes map[string]api.Resume `json:"episodes"`
}

// Open loads the store from dir (created if missing). A missing or corrupt
// file starts an empty store (the corrupt one is kept aside and logged).
func Open(dir string, opts Options) (*Store, error) {
	if opts.Delay == 0 {
		opts.Delay = -1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	s := &Store{
		path: filepath.Join(dir, FileName), delay: opts.Delay, now: opts.Now,
		log: opts.Log.With("component", "resume"), entries: make(map[string]api.Resume),
	}
	var f file
	if _, err := state.ReadJSON(s.path, &f, s.log); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	for id, r := range f.Episodes {
		if valid(r.Seconds) && valid(r.DurationSeconds) {
			s.entries[id] = r
		}
	}
	return s, nil
}

// Get returns the episode's resume state; the zero Resume if never set.
func (s *Store) Get(episodeID string) api.Resume {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries[episodeID]
}

// Set records a position and returns the state stored: a position within
// the watched thresholds marks the episode watched and resumes at 0. A
// later position that is not near the end clears "watched" (a rewatch).
func (s *Store) Set(episodeID string, u api.ResumeUpdate) (api.Resume, error) {
	if !valid(u.Seconds) || !valid(u.DurationSeconds) {
		return api.Resume{}, fmt.Errorf("%w: seconds=%v duration=%v", ErrBadUpdate, u.Seconds, u.DurationSeconds)
	}
	seconds, watched := Decide(u.Seconds, u.DurationSeconds)
	r := api.Resume{Seconds: seconds, DurationSeconds: u.DurationSeconds, Watched: watched, UpdatedAt: s.now().UTC()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return api.Resume{}, errors.New("resume: store closed")
	}
	s.entries[episodeID] = r
	s.dirty = true
	if s.delay < 0 {
		s.mu.Unlock()
		err := s.Flush()
		s.mu.Lock()
		return r, err
	}
	if s.timer == nil {
		s.timer = time.AfterFunc(s.delay, func() {
			if err := s.Flush(); err != nil {
				s.log.Error("write resume positions", "err", err)
			}
		})
	}
	return r, nil
}

// Decide applies the watched rule: within the last 5% or 10 s of the
// duration => (0, true); otherwise (seconds, false). An unknown duration
// (0) never counts as watched.
func Decide(seconds, duration float64) (resumeAt float64, watched bool) {
	if duration <= 0 {
		return seconds, false
	}
	remaining := duration - seconds
	if remaining <= duration*WatchedFraction || remaining <= WatchedTail.Seconds() {
		return 0, true
	}
	return seconds, false
}

// Flush writes pending changes now. It blocks on the file write.
func (s *Store) Flush() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	f := file{Version: 1, Episodes: make(map[string]api.Resume, len(s.entries))}
	for id, r := range s.entries {
		f.Episodes[id] = r
	}
	s.dirty = false
	s.mu.Unlock()
	if err := state.WriteJSON(s.path, f); err != nil {
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
		return fmt.Errorf("resume: %w", err)
	}
	return nil
}

// Close writes what is pending and refuses further Sets. ctx is accepted
// for symmetry with the other closers; the write itself is short.
func (s *Store) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return s.Flush()
}

func valid(f float64) bool { return f >= 0 && !math.IsInf(f, 0) && !math.IsNaN(f) }
