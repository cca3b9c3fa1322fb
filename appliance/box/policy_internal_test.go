package box

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/upnp"
	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/appliance/bandwidth"
	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

// TestPlanPrefetch: what the box fetches in the background at time T.
func TestPlanPrefetch(t *testing.T) {
	loc := time.FixedZone("household", 3600) // UTC+1
	day := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, loc) }
	ep := func(id string, release time.Time, prio int) catalog.Episode {
		return catalog.Episode{ID: id, ReleaseAt: release, Priority: prio, Size: 1000}
	}
	c := &catalog.Catalog{Shows: []catalog.Show{
		{ID: "orbit", Episodes: []catalog.Episode{
			ep("orbit-1", day(1, 20, 0).AddDate(0, 0, -30), 0), // old, watched
			ep("orbit-2", day(1, 20, 0), 0),                    // released tonight at 20:00
			ep("orbit-3", day(8, 20, 0), 5),                    // upcoming next week
		}},
		{ID: "tides", Episodes: []catalog.Episode{
			ep("tides-1", day(1, 12, 0), 0),  // released today, show not followed
			ep("tides-2", day(3, 20, 0), 50), // upcoming, high priority
			ep("tides-3", day(3, 20, 0), 50), // same release and priority: by ID
			ep("tides-4", time.Time{}, 0),    // no release time: not a pre-fetch target
		}},
		{ID: "held", Episodes: []catalog.Episode{
			ep("held-1", day(9, 20, 0), 99), // upcoming but already held
			ep("held-2", day(9, 20, 0), 99), // upcoming but evicted earlier
		}},
	}}
	followed := map[string]bool{"orbit": true}
	st := func(id string) episodeState {
		switch id {
		case "orbit-1":
			return episodeState{Held: 0, Watched: true}
		case "held-1":
			return episodeState{Held: 1000}
		case "held-2":
			return episodeState{Skip: true}
		}
		return episodeState{}
	}
	night := bandwidth.Window{Enabled: true, StartMinute: 1 * 60, EndMinute: 6 * 60}
	tests := []struct {
		reason string
		at     time.Time
		night  bandwidth.Window
		want   []string
	}{
		{reason: "daytime: nothing in the background", at: day(2, 14, 0), night: night},
		{reason: "00:59 local is just before the window", at: day(2, 0, 59), night: night},
		{reason: "01:00 local opens the window: upcoming by priority, then the followed show's new release",
			at: day(2, 1, 0), night: night, want: []string{"tides-2", "tides-3", "orbit-3", "orbit-2"}},
		{reason: "05:59 local is still inside", at: day(2, 5, 59), night: night, want: []string{"tides-2", "tides-3", "orbit-3", "orbit-2"}},
		{reason: "06:00 local closes the window", at: day(2, 6, 0), night: night},
		{reason: "a disabled window fetches nothing", at: day(2, 2, 0), night: bandwidth.Window{StartMinute: 60, EndMinute: 360}},
		{reason: "after tides-2/3 are out, they are new releases of a show nobody follows: not fetched",
			at: day(4, 2, 0), night: night, want: []string{"orbit-3", "orbit-2"}},
		{reason: "15 days after release orbit-2 is no longer new; orbit-3 (out 8 days) still is",
			at: day(16, 2, 0), night: night, want: []string{"orbit-3"}},
		{reason: "a window crossing midnight (23:00-05:00) is open at 00:30",
			at: day(2, 0, 30), night: bandwidth.Window{Enabled: true, StartMinute: 23 * 60, EndMinute: 5 * 60}, want: []string{"tides-2", "tides-3", "orbit-3", "orbit-2"}},
	}
	for _, tt := range tests {
		var got []string
		for _, e := range planPrefetch(c, tt.night, loc, tt.at, followed, st) {
			got = append(got, e.ID)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: at %s (-want +got):\n%s", tt.reason, tt.at.Format(time.RFC3339), diff)
		}
	}
}

// TestReachabilityNoRouter: with no UPnP device answering, the result is
// "none", not OK, with a sentence for a person; a loopback box does not try.
func TestReachabilityNoRouter(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	calls := 0
	r := NewReacher(func(ctx context.Context) []upnp.Device { calls++; return nil }, 42069, now, nil)
	got := r.Check(context.Background())
	if calls != 1 || got.Method != "none" || got.OK || got.ListenPort != 42069 || !got.CheckedAt.Equal(at) || !strings.Contains(got.Message, "No router answered UPnP") {
		t.Errorf("no router: %+v (discover called %d times)", got, calls)
	}
	if diff := cmp.Diff(got, r.Last()); diff != "" {
		t.Errorf("Last differs from Check (-check +last):\n%s", diff)
	}
	lo := NewReacher(nil, 1, now, nil).Check(context.Background())
	if lo.Method != "none" || lo.OK || !strings.Contains(lo.Message, "loopback") {
		t.Errorf("loopback box: %+v", lo)
	}
}
