package publish

import (
	"context"
	"log/slog"
	"path/filepath"
	"reflect"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

// ReleaseOptions shape RunReleases.
type ReleaseOptions struct {
	// Every is the longest time between two publications (0: 24 h): the
	// catalog's validity keeps moving ahead of the boxes' clocks, and edits
	// to the manifest go out without a release to carry them.
	Every time.Duration
	// Recheck is how often the manifest is read again (0: 30 s); an
	// edited manifest is published at once, so that a new episode is
	// listed (sealed, when its release is ahead) and hashed well before
	// its hour rather than at it. A release added less than Recheck
	// before its time goes out up to Recheck late.
	Recheck time.Duration
	// Retry is the wait after a failed publication before the next try
	// (0: 5 s).
	Retry time.Duration
	// Published is called after each publication with the new catalog
	// (from RunReleases' goroutine); nil: nobody.
	Published func(*catalog.Catalog)
	Log       *slog.Logger // nil: discard
}

// NextRelease returns the earliest release time in m strictly after t.
func NextRelease(m *Manifest, t time.Time) (time.Time, bool) {
	var next time.Time
	for _, s := range m.Shows {
		for _, e := range s.Episodes {
			if e.ReleaseAt.After(t) && (next.IsZero() || e.ReleaseAt.Before(next)) {
				next = e.ReleaseAt
			}
		}
	}
	return next, !next.IsZero()
}

// RunReleases keeps a channel published on time: it publishes the manifest
// at manifestPath (as Publish does, with opt) at once, then again as soon
// as the release time of an episode comes (the catalog signed then carries
// the content key of an embargoed premiere), and at least every
// ro.Every. It reads the manifest again before each publication and every
// ro.Recheck, and publishes a manifest that changed. Each publication signs with one reading of opt.Now, so every
// release at or before that instant is in it. A manifest or publication
// that fails the first time is returned (a configuration error); later
// failures are logged and retried after ro.Retry, keeping the last good
// manifest. It is the only publisher of opt.OriginDir while it runs (see
// Publish). Blocks until ctx ends, then returns nil.
func RunReleases(ctx context.Context, manifestPath string, opt Options, ro ReleaseOptions) error {
	if err := checkOptions(&opt); err != nil {
		return err
	}
	if ro.Every <= 0 {
		ro.Every = 24 * time.Hour
	}
	if ro.Recheck <= 0 {
		ro.Recheck = 30 * time.Second
	}
	if ro.Retry <= 0 {
		ro.Retry = 5 * time.Second
	}
	log := ro.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clock := opt.Now
	var (
		m       *Manifest
		lastPub time.Time // the instant the last publication signed at
		failing bool
	)
	for {
		now := clock()
		edited := false
		switch fresh, err := LoadManifest(manifestPath); {
		case err == nil:
			edited = m != nil && !reflect.DeepEqual(m, fresh)
			m = fresh
		case m == nil:
			return err
		default:
			log.Warn("manifest unreadable; keeping the last good one", "path", manifestPath, "err", err)
		}
		next, release := NextRelease(m, lastPub)
		due := lastPub.IsZero() || failing || edited || !now.Before(lastPub.Add(ro.Every)) || release && !now.Before(next)
		if due {
			o := opt
			o.Now = func() time.Time { return now }
			c, err := Publish(ctx, m, filepath.Dir(manifestPath), o)
			switch {
			case ctx.Err() != nil:
				return nil
			case err != nil && lastPub.IsZero():
				return err
			case err != nil:
				failing = true
				log.Error("publication failed; retrying", "in", ro.Retry, "err", err)
			default:
				log.Info("published", "sequence", c.Sequence, "at", now.UTC().Format(time.RFC3339Nano), "released", released(m, lastPub, now), "edited", edited)
				failing, lastPub = false, now
				if ro.Published != nil {
					ro.Published(c)
				}
			}
		}
		wake := lastPub.Add(ro.Every)
		if next, ok := NextRelease(m, lastPub); ok && next.Before(wake) {
			wake = next
		}
		wait := min(wake.Sub(clock()), ro.Recheck)
		if failing {
			wait = ro.Retry
		}
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// released lists the episodes of m whose release time is in (prev, now],
// for the log.
func released(m *Manifest, prev, now time.Time) []string {
	var ids []string
	for _, s := range m.Shows {
		for _, e := range s.Episodes {
			if e.ReleaseAt.After(prev) && !e.ReleaseAt.After(now) {
				ids = append(ids, e.ID)
			}
		}
	}
	return ids
}
