package catalog_test

import (
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

func TestNextRefresh(t *testing.T) {
	const interval = 5 * time.Minute
	signed := time.Date(2026, 12, 24, 19, 0, 0, 0, time.UTC)
	hour := time.Date(2026, 12, 24, 20, 0, 0, 0, time.UTC)
	listing := func(published time.Time, eps ...catalog.Episode) *catalog.Catalog {
		return &catalog.Catalog{Published: published, Shows: []catalog.Show{{ID: "s", Episodes: eps}}}
	}
	premiere := catalog.Episode{ID: "p", ReleaseAt: hour, Embargo: &catalog.Embargo{}}
	keyed := premiere
	keyed.ContentKey = "a2V5"
	later := catalog.Episode{ID: "l", ReleaseAt: hour.Add(time.Hour)}
	for _, tc := range []struct {
		reason string
		c      *catalog.Catalog
		now    time.Time
		jitter float64
		want   time.Duration
	}{
		{reason: "no catalog yet: the regular interval", c: nil, now: signed, want: interval},
		{reason: "nothing announced: the regular interval", c: listing(signed, catalog.Episode{ID: "e"}), now: signed, want: interval},
		{reason: "a release an hour away: the regular interval", c: listing(signed, premiere), now: signed, want: interval},
		{reason: "a release 10 s away: a second after it", c: listing(signed, premiere), now: hour.Add(-10 * time.Second), want: 11 * time.Second},
		{reason: "the jitter spreads the first refresh over ReleaseSpread", c: listing(signed, premiere), now: hour.Add(-10 * time.Second), jitter: 0.5, want: 11500 * time.Millisecond},
		{reason: "just past the release, no new catalog yet: retry after ReleaseRetry", c: listing(signed, premiere), now: hour.Add(1500 * time.Millisecond), want: catalog.ReleaseRetry},
		{reason: "a minute late: half of it", c: listing(signed, premiere), now: hour.Add(time.Minute), want: 30 * time.Second},
		{reason: "an hour late (the network does not publish at the hour): back to the interval", c: listing(signed, premiere), now: hour.Add(time.Hour), want: interval},
		{reason: "the key is in the catalog: nothing to wait for", c: listing(signed, keyed), now: hour.Add(-10 * time.Second), want: interval},
		{reason: "a catalog signed at the hour: the release is in it", c: listing(hour, premiere), now: hour.Add(2 * time.Second), want: interval},
		{reason: "signed in the second of the release (published is truncated): in it", c: listing(hour, catalog.Episode{ID: "p", ReleaseAt: hour.Add(400 * time.Millisecond)}), now: hour.Add(2 * time.Second), want: interval},
		{reason: "signed a second before the release: still to come", c: listing(hour.Add(-time.Second), premiere), now: hour.Add(-500 * time.Millisecond), want: 1500 * time.Millisecond},
		{reason: "a release in the clear also waits for a catalog signed after it (trusted time)", c: listing(signed, later), now: hour.Add(time.Hour - 30*time.Second), want: 31 * time.Second},
		{reason: "the soonest of two releases", c: listing(signed, later, premiere), now: hour.Add(-4 * time.Second), want: 5 * time.Second},
	} {
		if got := catalog.NextRefresh(tc.c, tc.now, interval, tc.jitter); got != tc.want {
			t.Errorf("%s: NextRefresh = %v, want %v", tc.reason, got, tc.want)
		}
	}
}
