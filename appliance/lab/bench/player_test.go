package bench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type arrival struct {
	at    time.Duration // from the request
	total int64
}

func TestPlayback(t *testing.T) {
	// 1000 bytes per second of media; 2 s to start, 1 s to resume.
	cfg := PlayerConfig{BytesPerSecond: 1000, StartBuffer: 2 * time.Second, ResumeBuffer: time.Second}
	s := time.Second
	tests := []struct {
		reason   string
		size     int64
		arrivals []arrival
		end      time.Duration
		err      error
		want     PlayResult
	}{
		{
			reason:   "everything at once: starts at once, plays all without stalls",
			size:     10000,
			arrivals: []arrival{{s / 2, 10000}},
			end:      s / 2,
			want:     PlayResult{Started: true, TTFF: s / 2, Played: 10 * s, Bytes: 10000, Complete: true, FinishedAt: s / 2},
		},
		{
			reason:   "starts only when 2 s of media are buffered",
			size:     10000,
			arrivals: []arrival{{s, 1000}, {2 * s, 1999}, {3 * s, 10000}},
			end:      3 * s,
			want:     PlayResult{Started: true, TTFF: 3 * s, Played: 10 * s, Bytes: 10000, Complete: true, FinishedAt: 3 * s},
		},
		{
			reason:   "a short stream starts when all of it arrived, below the start buffer",
			size:     500,
			arrivals: []arrival{{s, 500}},
			end:      s,
			want:     PlayResult{Started: true, TTFF: s, Played: s / 2, Bytes: 500, Complete: true, FinishedAt: s},
		},
		{
			reason: "runs dry at 4 s, resumes when 1 s is buffered again at 6 s",
			size:   10000,
			// Starts at 1 s with 2000 bytes; playhead reaches 3000 at 4 s.
			arrivals: []arrival{{s, 2000}, {2 * s, 3000}, {5 * s, 3500}, {6 * s, 4000}, {7 * s, 10000}},
			end:      7 * s,
			want: PlayResult{
				Started: true, TTFF: s, Stalls: 1, Stalled: 2 * s, LastStall: 4 * s,
				Played: 10 * s, Bytes: 10000, Complete: true, FinishedAt: 7 * s,
			},
		},
		{
			reason:   "never starts: the elapsed time is the censored time to first frame",
			size:     10000,
			arrivals: []arrival{{s, 100}},
			end:      30 * s,
			err:      context.DeadlineExceeded,
			want:     PlayResult{TTFF: 30 * s, Bytes: 100, FinishedAt: 30 * s, Err: "context deadline exceeded"},
		},
		{
			reason:   "cut while stalled: the stall counts up to the cut",
			size:     10000,
			arrivals: []arrival{{0, 2000}},
			end:      10 * s,
			err:      context.DeadlineExceeded,
			want: PlayResult{
				Started: true, Stalls: 1, Stalled: 8 * s, Played: 2 * s, LastStall: 2 * s,
				Bytes: 2000, FinishedAt: 10 * s, Err: "context deadline exceeded",
			},
		},
		{
			reason:   "cut while playing: played time up to the cut",
			size:     10000,
			arrivals: []arrival{{0, 5000}},
			end:      3 * s,
			err:      context.DeadlineExceeded,
			want:     PlayResult{Started: true, Played: 3 * s, Bytes: 5000, FinishedAt: 3 * s, Err: "context deadline exceeded"},
		},
	}
	t0 := time.Unix(1000, 0)
	for _, tt := range tests {
		pb := NewPlayback(cfg, tt.size, t0)
		for _, a := range tt.arrivals {
			pb.Arrive(t0.Add(a.at), a.total)
		}
		got := pb.Finish(t0.Add(tt.end), tt.err)
		if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(PlayResult{}, "Seconds")); diff != "" {
			t.Errorf("%s: result (-want +got):\n%s", tt.reason, diff)
		}
	}
}

// TestPlaybackSeconds checks the per-second flow of a playback that runs
// dry: what arrived and what the picture played in each whole second.
func TestPlaybackSeconds(t *testing.T) {
	s := time.Second
	cfg := PlayerConfig{BytesPerSecond: 1000, StartBuffer: 2 * time.Second, ResumeBuffer: time.Second}
	t0 := time.Unix(1000, 0)
	pb := NewPlayback(cfg, 10000, t0)
	// Starts at 1 s with 2000 bytes, runs dry at 4 s (3000 held), resumes
	// at 6 s with 1000 bytes buffered.
	for _, a := range []arrival{{s, 2000}, {2 * s, 3000}, {5 * s, 3500}, {6 * s, 4000}, {7 * s, 10000}} {
		pb.Arrive(t0.Add(a.at), a.total)
	}
	got := pb.Finish(t0.Add(7*s+s/2), nil).Seconds
	want := []SecondFlow{
		{0, 0, 0},       // 0-1 s: nothing yet
		{2000, 1000, s}, // 1-2 s: the first 2000 bytes, one second played
		{1000, 1000, s}, // 2-3 s
		{0, 1000, 0},    // 3-4 s: plays its buffer to the end
		{0, 0, 0},       // 4-5 s: stalled
		{500, 0, s / 2}, // 5-6 s
		{500, 1000, 0},  // 6-7 s: resumed at 6 s with 1 s, played it
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("seconds (-want +got):\n%s", diff)
	}
}

func TestCrowdFlow(t *testing.T) {
	s := time.Second
	results := []PlayResult{
		// Reads the episode from disk at once, then plays its buffer down:
		// never short.
		{Seconds: []SecondFlow{{5000, 1000, 4 * s}, {0, 1000, 3 * s}, {0, 1000, 2 * s}}},
		// Falls behind: short in its second and third seconds (receives
		// less than it plays, under LowBuffer left), not in its first
		// (nothing played) nor its last (receives more than it plays).
		{Seconds: []SecondFlow{{1000, 0, s}, {500, 1000, s / 2}, {0, 500, 0}, {2000, 1000, s}}},
	}
	want := Flow{Received: 8500, Consumed: 5500, BoxSeconds: 6, ShortSeconds: 2}
	if diff := cmp.Diff(want, CrowdFlow(results)); diff != "" {
		t.Errorf("CrowdFlow (-want +got):\n%s", diff)
	}
}

func TestRebufferRatio(t *testing.T) {
	tests := []struct {
		reason string
		r      PlayResult
		want   float64
	}{
		{"no time at all is no rebuffering", PlayResult{}, 0},
		{"one stalled second in four", PlayResult{Stalled: time.Second, Played: 3 * time.Second}, 0.25},
	}
	for _, tt := range tests {
		if got := tt.r.RebufferRatio(); got != tt.want {
			t.Errorf("%s: RebufferRatio() = %v, want %v", tt.reason, got, tt.want)
		}
	}
}

// fakeClock advances only when slept on.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return ctx.Err()
}

// slowReader returns chunk bytes per Read and advances the clock by per.
type slowReader struct {
	r     io.Reader
	clock *fakeClock
	chunk int
	per   time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	s.clock.now = s.clock.now.Add(s.per)
	if len(p) > s.chunk {
		p = p[:s.chunk]
	}
	return s.r.Read(p)
}

func TestPlay(t *testing.T) {
	cfg := PlayerConfig{BytesPerSecond: 1000, StartBuffer: 2 * time.Second, ResumeBuffer: time.Second, MaxAhead: 3000}
	t0 := time.Unix(1000, 0)
	tests := []struct {
		reason string
		size   int64
		data   int
		per    time.Duration
		want   PlayResult
	}{
		{
			reason: "twice the playback rate: starts after 2 reads, never stalls, the cache limit throttles reading",
			size:   10000, data: 10000, per: 500 * time.Millisecond,
			want: PlayResult{Started: true, TTFF: time.Second, Played: 10 * time.Second, Bytes: 10000, Complete: true},
		},
		{
			reason: "the stream ends early: reported, not complete",
			size:   10000, data: 4000, per: 100 * time.Millisecond,
			want: PlayResult{Started: true, TTFF: 200 * time.Millisecond, Bytes: 4000, Err: "stream ended at 4000 of 10000 bytes"},
		},
	}
	for _, tt := range tests {
		clock := &fakeClock{now: t0}
		r := &slowReader{r: bytes.NewReader(make([]byte, tt.data)), clock: clock, chunk: 1000, per: tt.per}
		got := Play(context.Background(), clock, cfg, r, tt.size, t0)
		// Played and FinishedAt depend on the sleeps' granularity in the cut case; compare the rest.
		got.FinishedAt = 0
		if !got.Complete {
			got.Played = 0
		}
		// Per-second flows are TestPlaybackSeconds's.
		if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(PlayResult{}, "Seconds")); diff != "" {
			t.Errorf("%s: result (-want +got):\n%s", tt.reason, diff)
		}
	}
	t.Run("cache limit", func(t *testing.T) {
		// Reading is instant, so the cache limit alone paces the reads: the
		// last byte must not arrive before the playhead is within MaxAhead of it.
		clock := &fakeClock{now: t0}
		r := &slowReader{r: bytes.NewReader(make([]byte, 10000)), clock: clock, chunk: 1000}
		got := Play(context.Background(), clock, cfg, r, 10000, t0)
		if min := 6 * time.Second; got.FinishedAt < min || !got.Complete {
			t.Errorf("instant reads with a 3 s cache: finished at %v complete=%v, want >= %v and complete", got.FinishedAt, got.Complete, min)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		clock := &fakeClock{now: t0}
		got := Play(ctx, clock, cfg, errReader{}, 10000, t0)
		if got.Err == "" || got.Complete {
			t.Errorf("failing reader: got %+v, want an error and not complete", got)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestWatchRetriesDial: a viewer whose server is not up yet (connection
// refused) tries again and starts once it is, the wait counted in its
// time to first frame.
func TestWatchRetriesDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const size = 256 << 10
	const downFor = 1200 * time.Millisecond
	served := make(chan error, 1)
	go func() {
		time.Sleep(downFor)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			served <- err
			return
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(make([]byte, size))
		})}
		t.Cleanup(func() { srv.Close() })
		served <- nil
		srv.Serve(ln)
	}()
	crowd := Crowd{Player: DefaultPlayer(8e6), Size: size, Cap: 20 * time.Second}
	res := Watch(context.Background(), RealClock{}, crowd, []Viewer{{Client: &http.Client{}, URL: "http://" + addr + "/"}})
	if err := <-served; err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	if r := res[0]; !r.Started || !r.Complete || r.TTFF < downFor {
		t.Errorf("result %+v: want started and complete after at least %v", r, downFor)
	}
}
