package swarm

import (
	"context"
	"errors"
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

// TestPace: a stream's read waits while its position is more than paceLead
// ahead of its schedule, for as long as it is, and not at all otherwise;
// the reader's context ends the wait. The episode has no duration, so its
// rate is the 1 MB/s default.
func TestPace(t *testing.T) {
	const bps = 1e6
	ahead := func(lead time.Duration) int64 { // position whose lead is lead at the stream's start
		return int64((lead - startSlack).Seconds() * bps)
	}
	for _, tc := range []struct {
		lead     time.Duration
		min, max time.Duration
	}{
		{paceLead - time.Second, 0, 100 * time.Millisecond},
		{paceLead, 0, 100 * time.Millisecond},
		{paceLead + 400*time.Millisecond, 350 * time.Millisecond, 1500 * time.Millisecond},
	} {
		st := &stream{ep: &episode{}, ctx: context.Background(), since: time.Now(), pos: ahead(tc.lead)}
		start := time.Now()
		if err := st.pace(); err != nil {
			t.Fatalf("lead %v: %v", tc.lead, err)
		}
		if took := time.Since(start); took < tc.min || took > tc.max {
			t.Errorf("lead %v: read waited %v, want %v..%v", tc.lead, took, tc.min, tc.max)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	st := &stream{ep: &episode{}, ctx: ctx, since: time.Now(), pos: ahead(paceLead + time.Minute)}
	start := time.Now()
	if err := st.pace(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a minute ahead with a context ending in 200 ms: err %v, want the context's", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the wait ended %v after the read began, want about 200 ms", took)
	}

	fresh := &stream{ep: &episode{}, ctx: context.Background(), pos: ahead(paceLead + time.Minute)}
	if err := fresh.pace(); err != nil {
		t.Errorf("a stream that has not read yet waited: %v", err)
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
