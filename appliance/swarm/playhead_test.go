package swarm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/atomicnetwork/atomicbox/appliance/swarm/piecechoice"
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
// phase's pace lead (piecechoice.StartupPaceLead during its first piecechoice.StartupFor, piecechoice.PaceLead
// after) ahead of its schedule, for as long as it is, and not at all
// otherwise; the reader's context ends the wait. The episode has no
// duration, so its rate is the 1 MB/s default.
func TestPace(t *testing.T) {
	const bps = 1e6
	steady := piecechoice.StartupFor + 5*time.Second // how long ago a steady stream first read
	// withLead is a stream that first read age ago and whose position is
	// lead ahead of its schedule now.
	withLead := func(ctx context.Context, lead, age time.Duration) *stream {
		return &stream{ep: &episode{}, ctx: ctx, since: time.Now().Add(-age),
			pos: int64((lead - piecechoice.StartSlack + age).Seconds() * bps)}
	}
	for _, tc := range []struct {
		lead, age time.Duration
		min, max  time.Duration
	}{
		{piecechoice.PaceLead - time.Second, steady, 0, 100 * time.Millisecond},
		{piecechoice.PaceLead, steady, 0, 100 * time.Millisecond},
		{piecechoice.PaceLead + 400*time.Millisecond, steady, 350 * time.Millisecond, 1500 * time.Millisecond},
		{piecechoice.StartupPaceLead, 2 * time.Second, 0, 100 * time.Millisecond},
		{piecechoice.StartupPaceLead + 400*time.Millisecond, 2 * time.Second, 350 * time.Millisecond, 1500 * time.Millisecond},
		{piecechoice.StartupPaceLead + 400*time.Millisecond, 0, 350 * time.Millisecond, 1500 * time.Millisecond},
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
	// piecechoice.StartSlack, which piecechoice.StartupPaceLead allows.
	if piecechoice.StartupPaceLead < piecechoice.StartSlack {
		t.Errorf("piecechoice.StartupPaceLead %v < piecechoice.StartSlack %v: pace would hold back a stream's first read", piecechoice.StartupPaceLead, piecechoice.StartSlack)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	st := withLead(ctx, piecechoice.PaceLead+time.Minute, steady)
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
// open through its first piecechoice.StartupFor after its first read, the configured
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
	startup := max(int64(MinReadahead), int64(bps*piecechoice.StartupReadahead.Seconds()))
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
	first := st.playhead().Since
	st.window(first.Add(piecechoice.StartupFor + time.Second))
	if got := readahead(); got != steady {
		t.Errorf("%v after the first read: readahead %d, want the configured %d", piecechoice.StartupFor+time.Second, got, steady)
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

// TestOriginBackoff: a box streaming an episode no peer has, from an origin
// that answers 404, backs off instead of asking 15 times a second, and
// streams as soon as the origin is back (within one maximum wait).
func TestOriginBackoff(t *testing.T) {
	const size = 2 << 20
	f := newFixture(t, size, false)
	var down atomic.Bool
	var requests atomic.Int64
	down.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if down.Load() {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.data))
	}))
	t.Cleanup(srv.Close)
	f.mi.UrlList = []string{srv.URL + "/"}
	s := newSwarm(t, t.TempDir())
	add(t, s, f)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := s.Open(ctx, f.id)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := make(chan error, 1)
	go func() {
		buf := make([]byte, 1<<20)
		_, err := io.ReadFull(st, buf)
		if err == nil && !bytes.Equal(buf, f.data[:len(buf)]) {
			err = errors.New("bytes differ from the file")
		}
		got <- err
	}()
	const outage = 6 * time.Second
	time.Sleep(outage)
	// Without the back-off: about 90 (one per 65 ms). With it: failures
	// near 0.25, 0.5, 1, 2 and 4 s, up to piecechoice.DefaultPolicy.OriginFetches at a time.
	n := requests.Load()
	t.Logf("origin requests during a %v outage: %d", outage, n)
	if n < 2 || n > 16 {
		t.Errorf("origin requests during a %v outage: %d, want 2 to 16 (it tries, and backs off)", outage, n)
	}
	down.Store(false)
	back := time.Now()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("read after the origin came back: %v", err)
		}
		t.Logf("first MiB read %v after the origin came back", time.Since(back).Round(time.Millisecond))
	case <-time.After(originRetryMax*5/4 + 5*time.Second):
		t.Fatalf("no data %v after the origin came back", time.Since(back))
	}
}

func TestOriginRetryWait(t *testing.T) {
	for _, tc := range []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{1, 0.5, originRetryFirst},
		{1, 0, originRetryFirst * 3 / 4},
		{2, 0.5, 2 * originRetryFirst},
		{7, 0.5, originRetryMax},
		{8, 0.5, originRetryMax},
		{1000, 0.999, time.Duration(float64(originRetryMax) * (0.75 + 0.999/2))},
	} {
		if got := originRetryWait(tc.n, tc.jitter); got != tc.want {
			t.Errorf("originRetryWait(%d, %v) = %v, want %v", tc.n, tc.jitter, got, tc.want)
		}
	}
}

// TestSetOriginRate: the catalog's per-box budget replaces the default
// (burst: a second of it, at least 256 KiB), and 0 restores the default.
func TestSetOriginRate(t *testing.T) {
	s := newSwarm(t, t.TempDir())
	def := newOriginLimit()
	for _, tc := range []struct {
		set       int64
		wantLimit float64
		wantBurst int
	}{
		{500_000, 500_000, 500_000},
		{100_000, 100_000, 256 << 10},
		{0, float64(def.Limit()), def.Burst()},
		{-5, float64(def.Limit()), def.Burst()},
	} {
		s.SetOriginRate(tc.set)
		if got := float64(s.originLimit.Limit()); got != tc.wantLimit {
			t.Errorf("SetOriginRate(%d): limit %v bytes/s, want %v", tc.set, got, tc.wantLimit)
		}
		if got := s.originLimit.Burst(); got != tc.wantBurst {
			t.Errorf("SetOriginRate(%d): burst %d bytes, want %d", tc.set, got, tc.wantBurst)
		}
	}
}

// The origin's fetch time the planner hands piecechoice: fetches that got
// their piece count their duration, cancelled ones what the piece would
// have taken at their pace, and a fetch still in flight counts its age
// once that is longer.
func TestOriginFetchTime(t *testing.T) {
	const piece = 256 << 10
	now := time.Unix(1_000_000, 0)
	p := &planner{started: map[int]*atomic.Int64{}}
	if got := p.originFetchTime(now); got != 0 {
		t.Fatalf("before any fetch: %v, want 0 (unknown)", got)
	}
	p.noteOriginTime(fetchResult{ok: true, took: time.Second, read: piece}, piece)
	if got := p.originFetchTime(now); got != time.Second {
		t.Fatalf("after one 1 s fetch: %v, want 1s", got)
	}
	// Cancelled a quarter of the way in after 2 s: 8 s for the piece.
	p.noteOriginTime(fetchResult{took: 2 * time.Second, read: piece / 4}, piece)
	if got, want := p.originFetchTime(now), time.Second+time.Duration(piecechoice.OriginTimeWeight*float64(7*time.Second)); got != want {
		t.Fatalf("after a fetch cancelled at a quarter in 2 s: %v, want %v", got, want)
	}
	before := p.originTime
	p.noteOriginTime(fetchResult{took: 100 * time.Millisecond}, piece)
	p.noteOriginTime(fetchResult{took: time.Hour, err: errors.New("503")}, piece)
	if p.originTime != before {
		t.Fatalf("a fetch cancelled before its data, shorter than the average, or a failed one moved it: %v, want %v", p.originTime, before)
	}
	inFlight := new(atomic.Int64)
	inFlight.Store(now.Add(-20 * time.Second).UnixNano())
	p.started[7] = inFlight
	p.started[8] = new(atomic.Int64) // still waiting for the box's budget: no age
	if got := p.originFetchTime(now); got != 20*time.Second {
		t.Fatalf("with a fetch in flight for 20 s: %v, want 20s", got)
	}
}
