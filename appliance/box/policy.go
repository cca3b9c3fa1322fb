package box

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/bandwidth"
	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/library"
)

// NewReleaseFor is how long after its release time an episode of a show the
// household watches counts as a new release worth pre-fetching.
const NewReleaseFor = 14 * 24 * time.Hour

// episodeState is what the pre-fetch planner knows about one episode.
type episodeState struct {
	Held    int64 // verified bytes on disk
	Watched bool
	Skip    bool // not in the swarm, evicted, or its torrent was refused
}

// planPrefetch returns the episodes to fetch in the background at wall time
// now, most wanted first: nothing outside the night window; inside it,
// episodes not yet held that are upcoming (released after now) or new
// releases (within NewReleaseFor) of followed shows, by priority (higher
// first), then release time (sooner first), then ID. A pure function.
func planPrefetch(c *catalog.Catalog, night bandwidth.Window, loc *time.Location, now time.Time, followed map[string]bool, st func(id string) episodeState) []catalog.Episode {
	if c == nil || !night.Enabled || !night.InWindow(now.In(loc)) {
		return nil
	}
	var out []catalog.Episode
	for _, sh := range c.Shows {
		for _, ep := range sh.Episodes {
			s := st(ep.ID)
			if s.Skip || s.Watched || s.Held >= ep.Size {
				continue
			}
			upcoming := ep.ReleaseAt.After(now)
			newRelease := followed[sh.ID] && !ep.ReleaseAt.IsZero() && !upcoming && now.Sub(ep.ReleaseAt) <= NewReleaseFor
			if upcoming || newRelease {
				out = append(out, ep)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b catalog.Episode) int {
		if a.Priority != b.Priority {
			return b.Priority - a.Priority
		}
		if c := a.ReleaseAt.Compare(b.ReleaseAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// followedShows are the shows with any episode the household has played.
func (h *Home) followedShows(c *catalog.Catalog) map[string]bool {
	rs := h.cfg.Box.cfg.Resume
	out := map[string]bool{}
	for _, sh := range c.Shows {
		for _, ep := range sh.Episodes {
			if r := rs.Get(ep.ID); !r.UpdatedAt.IsZero() || r.Watched {
				out[sh.ID] = true
				break
			}
		}
	}
	return out
}

// Tick runs one round: evict down to the budget, then start or stop
// background downloads. Errors are logged (the next round tries again).
func (h *Home) Tick(ctx context.Context) {
	c, _ := h.cfg.Box.cfg.Fetcher.Current()
	if c == nil {
		return
	}
	h.evict(ctx, c)
	h.prefetch(c)
}

// evict deletes the least valuable episodes until the free space is back
// at the budget's KeepFree share. Playing episodes are never taken.
func (h *Home) evict(ctx context.Context, c *catalog.Catalog) {
	budget := h.Budget()
	toFree, err := budget.ToFree()
	if err != nil {
		h.log.Warn("disk budget", "err", err)
		return
	}
	if toFree <= 0 {
		h.setStuck(false)
		return
	}
	b, sw, rs := h.cfg.Box, h.cfg.Box.cfg.Swarm, h.cfg.Box.cfg.Resume
	followed := h.followedShows(c)
	now := h.cfg.Now()
	var items []library.Item
	for _, sh := range c.Shows {
		for _, ep := range sh.Episodes {
			held := sw.Held(ep.ID)
			if held == 0 {
				continue
			}
			r := rs.Get(ep.ID)
			items = append(items, library.Item{
				Episode: ep.ID, Size: ep.Size, Held: held, Watched: r.Watched, LastWatched: r.UpdatedAt,
				Playing: b.Playing(ep.ID) || midEpisode(r, now), Copies: sw.Copies(ep.ID), Released: ep.ReleaseAt, Followed: followed[sh.ID],
			})
		}
	}
	plan, freed := library.PlanEviction(items, toFree, now, library.Policy{})
	for _, e := range plan {
		if b.Playing(e.Episode) { // started since the plan
			continue
		}
		if _, err := sw.Drop(ctx, e.Episode); err != nil {
			h.log.Warn("evict", "episode", e.Episode, "err", err)
			continue
		}
		h.mu.Lock()
		h.evicted[e.Episode] = true
		delete(h.fetching, e.Episode)
		h.mu.Unlock()
		h.log.Info("evicted", "episode", e.Episode, "bytes", e.Bytes, "reason", e.Reason)
		// Listed episodes stay playable: the torrent comes back empty (from
		// the cached .torrent) and streams fetch it again from the swarm.
		if ep, ok := b.find(e.Episode); ok {
			if err := b.addEpisode(ctx, ep, b.trackers()); err != nil {
				h.log.Warn("re-add evicted episode", "episode", e.Episode, "err", err)
			}
		}
	}
	if freed < toFree {
		h.log.Warn("disk over budget: nothing more may be evicted (playing or pinned)", "toFree", toFree, "freed", freed)
	}
	h.setStuck(freed < toFree)
}

// setStuck records whether the eviction round left the disk over budget
// (api.StorageView.Full).
func (h *Home) setStuck(stuck bool) {
	h.mu.Lock()
	h.stuck = stuck
	h.mu.Unlock()
}

// midEpisode reports whether the household stopped part-way through the
// episode less than playingGrace ago by the resume record. Box.Playing only
// knows the streams of this run: after a restart (a power cut, an update,
// a daemon crash) the episode the viewer was in the middle of would
// otherwise be the first thing a full disk evicts. A watched episode is
// not protected: the viewer is done with it.
func midEpisode(r api.Resume, now time.Time) bool {
	if r.Watched || r.UpdatedAt.IsZero() {
		return false
	}
	ago := now.Sub(r.UpdatedAt)
	return ago >= 0 && ago < playingGrace
}

// prefetch starts what planPrefetch wants, as far as the budget allows,
// and withdraws background downloads outside the window or on a full disk.
// A stream's own reads are never withdrawn.
func (h *Home) prefetch(c *catalog.Catalog) {
	b, sw := h.cfg.Box, h.cfg.Box.cfg.Swarm
	h.mu.Lock()
	evicted := keySet(h.evicted)
	h.mu.Unlock()
	b.mu.Lock()
	refused := keySet(b.refused)
	b.mu.Unlock()
	rs := b.cfg.Resume
	plan := planPrefetch(c, h.cfg.Bandwidth.Settings().Night, h.location(), h.cfg.Now(), h.followedShows(c), func(id string) episodeState {
		return episodeState{Held: sw.Held(id), Watched: rs.Get(id).Watched, Skip: evicted[id] || refused[id] || !sw.Has(id)}
	})
	h.mu.Lock()
	budget, keepFree := h.budget, float64(h.settings.KeepFreePercent)/100
	h.mu.Unlock()
	want := map[string]bool{}
	full := false
	var planned int64
	for _, ep := range plan {
		need := ep.Size - sw.Held(ep.ID)
		planned += need
		if err := budget.Reserve(planned); err != nil {
			var dfe *library.DiskFullError
			if errors.As(err, &dfe) {
				full = true
			} else {
				h.log.Warn("disk budget", "err", err)
			}
			break
		}
		if u, err := budget.Usage(); err == nil && u.Avail-planned < int64(float64(u.Total)*keepFree) {
			full = true // it would eat into the share kept free
			break
		}
		want[ep.ID] = true
	}
	h.mu.Lock()
	if full && !h.full {
		h.log.Warn("disk budget reached: background downloads paused", "planned", planned)
	}
	h.full = full
	var start, stop []string
	for id := range want {
		if !h.fetching[id] {
			start = append(start, id)
			h.fetching[id] = true
		}
	}
	for id := range h.fetching {
		if !want[id] {
			stop = append(stop, id)
			delete(h.fetching, id)
		}
	}
	h.mu.Unlock()
	for _, id := range stop {
		if b.Playing(id) {
			continue
		}
		sw.StopPrefetch(id)
	}
	for _, id := range start {
		if err := sw.Prefetch(id); err != nil {
			h.log.Warn("pre-fetch", "episode", id, "err", err)
			continue
		}
		h.log.Info("pre-fetching", "episode", id)
	}
}

// Fetching returns the episodes being pre-fetched now, sorted.
func (h *Home) Fetching() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for id := range h.fetching {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func keySet[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
