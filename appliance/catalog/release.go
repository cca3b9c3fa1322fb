package catalog

import "time"

// A box that knows a release time from its catalog asks for the next
// catalog shortly after that moment, not at its regular interval: the
// network publishes the catalog that carries the content key (and a signing
// time past the release, which trusted time needs) when the hour comes, and
// a premiere should open within seconds of it, not minutes.
const (
	// ReleaseDelay is how long after a release time the first refresh
	// comes at the earliest: the publisher signs at the hour, and its
	// catalog takes a moment to reach the origin and a CDN.
	ReleaseDelay = time.Second
	// ReleaseSpread spreads the first refreshes of all boxes over this much
	// more (Run draws a jitter), so that a nation of boxes does not ask the
	// CDN in the same millisecond.
	ReleaseSpread = time.Second
	// ReleaseRetry is the shortest wait between refreshes after a release
	// time while no catalog signed after it has come; the wait grows with
	// half the time since the release, up to the regular interval, so a
	// network that does not publish at the hour costs a box a few dozen
	// small requests, not one a second.
	ReleaseRetry = time.Second
)

// NextRefresh returns how long to wait at now before refreshing again after
// c (the catalog in use; nil: none), given the regular interval: interval,
// or less when an episode's release time is near or just past and c was
// signed before it, so the catalog signed at the release is still to come.
// An episode whose content key c already carries waits for nothing. jitter
// (in [0, 1)) places the first refresh within ReleaseSpread. now is the
// box's wall clock, which only schedules fetches: a wrong clock costs an
// early or late fetch, never an early release (trusted time and the key
// decide that). Pure.
func NextRefresh(c *Catalog, now time.Time, interval time.Duration, jitter float64) time.Duration {
	wait := interval
	if c == nil {
		return wait
	}
	for _, sh := range c.Shows {
		for _, ep := range sh.Episodes {
			r := ep.ReleaseAt
			// Published is truncated to the second: a catalog signed at
			// or after r has Published > r - 1 s.
			if r.IsZero() || ep.ContentKey != "" || r.Before(c.Published.Add(time.Second)) {
				continue
			}
			first := r.Add(ReleaseDelay + time.Duration(jitter*float64(ReleaseSpread)))
			w := max(ReleaseRetry, now.Sub(r)/2)
			if now.Before(first) {
				w = first.Sub(now)
			}
			wait = min(wait, w)
		}
	}
	return wait
}
