package swarm

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

func TestOriginURL(t *testing.T) {
	for _, tc := range []struct {
		urls   metainfo.UrlList
		name   string
		want   string
		reason string
	}{
		{metainfo.UrlList{"http://o.example/media/"}, "ep 1.mp4", "http://o.example/media/ep%201.mp4", "a directory URL gets the file name appended, escaped (BEP 19)"},
		{metainfo.UrlList{"https://o.example/media/ep1.mp4"}, "ep1.mp4", "https://o.example/media/ep1.mp4", "a file URL is used as it is"},
		{metainfo.UrlList{"ftp://o.example/", "http://o.example/m/"}, "a.mp4", "http://o.example/m/a.mp4", "only http(s) entries count"},
		{nil, "a.mp4", "", "no url-list: no origin fallback"},
	} {
		if got := originURL(tc.urls, tc.name); got != tc.want {
			t.Errorf("originURL(%q, %q) = %q, want %q (%s)", tc.urls, tc.name, got, tc.want, tc.reason)
		}
	}
}

// TestPace: a stream's read waits while its position is more than its
// phase's pace lead (startupPaceLead during its first startupFor, paceLead
// after) ahead of its schedule, for as long as it is, and not at all
// otherwise; the reader's context ends the wait. The episode has no
// duration, so its rate is the 1 MB/s default.
func TestPace(t *testing.T) {
	const bps = 1e6
	steady := startupFor + 5*time.Second // how long ago a steady stream first read
	// withLead is a stream that first read age ago and whose position is
	// lead ahead of its schedule now.
	withLead := func(ctx context.Context, lead, age time.Duration) *stream {
		return &stream{ep: &episode{}, ctx: ctx, since: time.Now().Add(-age),
			pos: int64((lead - startSlack + age).Seconds() * bps)}
	}
	for _, tc := range []struct {
		lead, age time.Duration
		min, max  time.Duration
	}{
		{paceLead - time.Second, steady, 0, 100 * time.Millisecond},
		{paceLead, steady, 0, 100 * time.Millisecond},
		{paceLead + 400*time.Millisecond, steady, 350 * time.Millisecond, 1500 * time.Millisecond},
		{startupPaceLead, 2 * time.Second, 0, 100 * time.Millisecond},
		{startupPaceLead + 400*time.Millisecond, 2 * time.Second, 350 * time.Millisecond, 1500 * time.Millisecond},
		{startupPaceLead + 400*time.Millisecond, 0, 350 * time.Millisecond, 1500 * time.Millisecond},
	} {
		st := withLead(context.Background(), tc.lead, tc.age)
		start := time.Now()
		if err := st.pace(); err != nil {
			t.Fatalf("lead %v after %v: %v", tc.lead, tc.age, err)
		}
		if took := time.Since(start); took < tc.min || took > tc.max {
			t.Errorf("lead %v, first read %v ago: read waited %v, want %v..%v", tc.lead, tc.age, took, tc.min, tc.max)
		}
	}

	// The first read of a fresh stream is never held back: its lead is
	// startSlack, which startupPaceLead allows.
	if startupPaceLead < startSlack {
		t.Errorf("startupPaceLead %v < startSlack %v: pace would hold back a stream's first read", startupPaceLead, startSlack)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	st := withLead(ctx, paceLead+time.Minute, steady)
	start := time.Now()
	if err := st.pace(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a minute ahead with a context ending in 200 ms: err %v, want the context's", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the wait ended %v after the read began, want about 200 ms", took)
	}

	fresh := &stream{ep: &episode{}, ctx: context.Background(), pos: int64(time.Minute.Seconds() * bps)}
	if err := fresh.pace(); err != nil {
		t.Errorf("a stream that has not read yet waited: %v", err)
	}
}

// TestStartupWindow: a stream reads ahead the start-up window from its
// open through its first startupFor after its first read, the configured
// readahead after that, and a seek starts a new start-up window.
func TestStartupWindow(t *testing.T) {
	f := newFixture(t, 32<<20, false)
	s := seeder(t, f) // duration 10 s: 3.4 MB/s
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opened, err := s.Open(ctx, f.id)
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	st := opened.(*stream)
	bps := st.ep.bytesPerSecond()
	steady := s.readaheadBytes(st.ep)
	startup := max(int64(MinReadahead), int64(bps*startupReadahead.Seconds()))
	if steady <= startup {
		t.Fatalf("fixture: steady readahead %d not above the start-up one %d", steady, startup)
	}
	readahead := func() int64 {
		st.mu.Lock()
		defer st.mu.Unlock()
		return st.readahead
	}
	if got := readahead(); got != startup {
		t.Errorf("after Open: readahead %d, want the start-up window %d", got, startup)
	}
	if _, err := io.ReadFull(st, make([]byte, 1<<10)); err != nil {
		t.Fatal(err)
	}
	if got := readahead(); got != startup {
		t.Errorf("after the first read: readahead %d, want %d", got, startup)
	}
	first := st.playhead().since
	st.window(first.Add(startupFor + time.Second))
	if got := readahead(); got != steady {
		t.Errorf("%v after the first read: readahead %d, want the configured %d", startupFor+time.Second, got, steady)
	}
	if _, err := st.Seek(16<<20, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(st, make([]byte, 1<<10)); err != nil {
		t.Fatal(err)
	}
	if got := readahead(); got != startup {
		t.Errorf("after a seek: readahead %d, want the start-up window %d", got, startup)
	}
}

// TestPlayheadLead: the deadline clock of the package comment.
func TestPlayheadLead(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	h := playhead{pos: 3_000_000, since: t0, sinceOff: 1_000_000}
	if got, want := h.due(1_000_000, 1e6), t0.Add(startSlack); !got.Equal(want) {
		t.Errorf("due at the start offset = %v, want %v", got, want)
	}
	if got, want := h.lead(t0.Add(time.Second), 1e6), startSlack+time.Second; got != want {
		t.Errorf("lead 2 MB past the start, 1 s in, at 1 MB/s = %v, want %v", got, want)
	}
	if got := (playhead{pos: 5}).lead(t0, 1e6); got != 0 {
		t.Errorf("lead of a stream that has not read = %v, want 0", got)
	}
}
