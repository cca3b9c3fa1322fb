package resume

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

var fixed = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func open(t *testing.T, dir string, delay time.Duration) *Store {
	t.Helper()
	s, err := Open(dir, Options{Delay: delay, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		seconds, duration float64
		wantAt            float64
		wantWatched       bool
		reason            string
	}{
		{0, 600, 0, false, "start of the episode"},
		{300, 600, 300, false, "middle"},
		{569, 600, 569, false, "31 s left of 600 (5% is 30 s): not yet"},
		{570, 600, 0, true, "exactly 5% left"},
		{595, 600, 0, true, "in the last 10 s"},
		{600, 600, 0, true, "at the end"},
		{700, 600, 0, true, "past the end (player overshoot)"},
		{45, 60, 45, false, "15 s left of a 60 s clip: 5% is 3 s, tail is 10 s"},
		{50, 60, 0, true, "10 s left of a 60 s clip: the 10 s rule wins"},
		{1000, 0, 1000, false, "unknown duration never counts as watched"},
	} {
		at, w := Decide(tc.seconds, tc.duration)
		if at != tc.wantAt || w != tc.wantWatched {
			t.Errorf("Decide(%v, %v) = (%v, %v), want (%v, %v): %s", tc.seconds, tc.duration, at, w, tc.wantAt, tc.wantWatched, tc.reason)
		}
	}
}

func TestPersistAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, time.Hour) // debounce longer than the test: only Close writes
	if _, err := s.Set("a", api.ResumeUpdate{Seconds: 120, DurationSeconds: 600}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Set("b", api.ResumeUpdate{Seconds: 598, DurationSeconds: 600}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
		t.Error("file written before the debounce delay")
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Set("c", api.ResumeUpdate{Seconds: 1, DurationSeconds: 2}); err == nil {
		t.Error("Set after Close succeeded")
	}
	s2 := open(t, dir, 0)
	for _, tc := range []struct {
		id     string
		want   api.Resume
		reason string
	}{
		{"a", api.Resume{Seconds: 120, DurationSeconds: 600, UpdatedAt: fixed}, "position kept over a restart"},
		{"b", api.Resume{Seconds: 0, DurationSeconds: 600, Watched: true, UpdatedAt: fixed}, "near the end: watched, resume at 0"},
		{"never", api.Resume{}, "unknown episode: zero value"},
	} {
		if diff := cmp.Diff(tc.want, s2.Get(tc.id)); diff != "" {
			t.Errorf("Get(%q) (-want +got):\n%s (%s)", tc.id, diff, tc.reason)
		}
	}
}

func TestDebouncedWrite(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 20*time.Millisecond)
	s.Set("a", api.ResumeUpdate{Seconds: 5, DurationSeconds: 100})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("debounced write never happened")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := open(t, dir, 0).Get("a").Seconds; got != 5 {
		t.Errorf("reloaded seconds = %v, want 5", got)
	}
}

func TestCorruptFileStartsFresh(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir, -1)
	if got := s.Get("a"); got != (api.Resume{}) {
		t.Errorf("corrupt file: Get = %+v, want zero", got)
	}
	if _, err := s.Set("a", api.ResumeUpdate{Seconds: 7, DurationSeconds: 100}); err != nil {
		t.Fatalf("Set after a corrupt file: %v", err)
	}
	if got := open(t, dir, 0).Get("a").Seconds; got != 7 {
		t.Errorf("after fresh start and Set, reloaded = %v, want 7", got)
	}
	aside, _ := filepath.Glob(filepath.Join(dir, FileName+".corrupt-*"))
	if len(aside) != 1 {
		t.Errorf("corrupt file kept aside: %v, want one", aside)
	}
}

func TestBadUpdates(t *testing.T) {
	s := open(t, t.TempDir(), -1)
	for _, tc := range []struct {
		u      api.ResumeUpdate
		reason string
	}{
		{api.ResumeUpdate{Seconds: -1, DurationSeconds: 10}, "negative position"},
		{api.ResumeUpdate{Seconds: math.NaN(), DurationSeconds: 10}, "NaN position"},
		{api.ResumeUpdate{Seconds: 1, DurationSeconds: math.Inf(1)}, "infinite duration"},
	} {
		if _, err := s.Set("a", tc.u); err == nil {
			t.Errorf("Set(%+v) accepted: %s", tc.u, tc.reason)
		}
	}
}

func TestConcurrentSets(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, time.Millisecond)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				s.Set(string(rune('a'+i)), api.ResumeUpdate{Seconds: float64(j), DurationSeconds: 1000})
			}
		}(i)
	}
	wg.Wait()
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, dir, 0)
	for i := 0; i < 8; i++ {
		if got := s2.Get(string(rune('a' + i))).Seconds; got != 49 {
			t.Errorf("episode %c: %v, want the last Set (49)", 'a'+i, got)
		}
	}
}
