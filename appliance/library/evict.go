package library

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Item is an episode the box holds some of.
type Item struct {
	Episode     string
	Size        int64     // bytes of the whole file
	Held        int64     // bytes on disk now: what deleting it frees
	Watched     bool      // watched to the end
	LastWatched time.Time // last time it was played; zero: never
	Pinned      bool      // the household asked to keep it
	Playing     bool      // being watched (a stream open now or lately; the caller decides): never evicted
	Copies      int       // complete copies seen in the swarm, not counting this box
	Released    time.Time // release time from the catalog; zero: unknown (treated as old)
	Followed    bool      // the household follows the show
}

// Eviction is one episode to delete.
type Eviction struct {
	Episode string
	Bytes   int64  // bytes freed
	Reason  string // why it goes before the rest, for logs and the settings screen
}

// Policy tunes PlanEviction; zero fields get defaults.
type Policy struct {
	// WellSeeded is the number of other complete copies in the swarm from
	// which the box's copy is not needed by the neighbours (default 3).
	WellSeeded int
	// NewFor is how long an unwatched episode of a followed show counts as
	// a new release (default 14 days).
	NewFor time.Duration
}

// Value classes, least valuable first.
const (
	classWatchedSeeded  = iota // watched, and the swarm has plenty of copies
	classUnwantedSeeded        // never asked for (not followed, unwatched), plenty of copies
	classWatchedRare           // watched, but the neighbours need our copy
	classUnwantedRare          // not asked for, and rare
	classFollowed              // a followed show not yet watched, or a started episode
	classNewRelease            // a new release of a followed show, unwatched
)

// PlanEviction returns what to delete, in order, to free at least toFree
// bytes, and how many bytes that frees (less than toFree when everything else
// is pinned or playing). Least valuable first: watched long ago and well
// seeded before anything rare in the swarm; unwatched new releases of
// followed shows last. Pinned and playing episodes are never returned. A pure
// function: now is the box's time for "how long ago".
func PlanEviction(items []Item, toFree int64, now time.Time, p Policy) ([]Eviction, int64) {
	if p.WellSeeded <= 0 {
		p.WellSeeded = 3
	}
	if p.NewFor <= 0 {
		p.NewFor = 14 * 24 * time.Hour
	}
	type cand struct {
		it    Item
		class int
		when  time.Time // older first within a class
	}
	var cands []cand
	for _, it := range items {
		if it.Pinned || it.Playing || it.Held <= 0 {
			continue
		}
		seeded := it.Copies >= p.WellSeeded
		started := !it.Watched && !it.LastWatched.IsZero()
		c := cand{it: it, when: it.Released}
		switch {
		case it.Watched && seeded:
			c.class, c.when = classWatchedSeeded, it.LastWatched
		case it.Watched:
			c.class, c.when = classWatchedRare, it.LastWatched
		case it.Followed && !it.Released.IsZero() && now.Sub(it.Released) < p.NewFor:
			c.class = classNewRelease
		case it.Followed || started:
			c.class = classFollowed
			if started {
				c.when = it.LastWatched
			}
		case seeded:
			c.class = classUnwantedSeeded
		default:
			c.class = classUnwantedRare
		}
		cands = append(cands, c)
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(
			cmp.Compare(a.class, b.class),
			a.when.Compare(b.when),
			-cmp.Compare(a.it.Copies, b.it.Copies), // rarer copies stay longer
			-cmp.Compare(a.it.Held, b.it.Held),     // then free more at once
			cmp.Compare(a.it.Episode, b.it.Episode),
		)
	})
	var plan []Eviction
	var freed int64
	for _, c := range cands {
		if freed >= toFree {
			break
		}
		plan = append(plan, Eviction{Episode: c.it.Episode, Bytes: c.it.Held, Reason: reason(c.class, c.it, now)})
		freed += c.it.Held
	}
	return plan, freed
}

func reason(class int, it Item, now time.Time) string {
	copies := fmt.Sprintf("%d other copies in the swarm", it.Copies)
	switch it.Copies {
	case 0:
		copies = "no other copy in the swarm"
	case 1:
		copies = "1 other copy in the swarm"
	}
	switch class {
	case classWatchedSeeded:
		return fmt.Sprintf("watched %s; %s", ago(now, it.LastWatched), copies)
	case classUnwantedSeeded:
		return "not followed and never played; " + copies
	case classWatchedRare:
		return fmt.Sprintf("watched %s; rare (%s) but nothing less useful is left", ago(now, it.LastWatched), copies)
	case classUnwantedRare:
		return "not followed and never played; rare (" + copies + ")"
	case classFollowed:
		if !it.LastWatched.IsZero() {
			return fmt.Sprintf("started %s and not finished; only new releases are left", ago(now, it.LastWatched))
		}
		return "followed show, not watched yet; only new releases are left"
	default:
		return "new release of a followed show, not watched yet: the last resort"
	}
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	d := now.Sub(t)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d/time.Hour))
	}
	return "just now"
}
