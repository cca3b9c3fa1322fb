package tv

import (
	"os"
	"slices"
)

// MaxPosters bounds the scaled posters kept on disk and in memory. A card
// is 320x180 BGRA (225 KiB), the hero 384x216 and the show page's 560x315
// (690 KiB): 80 files stay under about 40 MiB, and two screens' worth of
// posters (about 25) stay cached for going back and forth.
const MaxPosters = 80

// prunePosters forgets the least recently wanted posters beyond limit,
// deleting their files. Posters loading or on screen are kept (the
// current render wanted them last). Loop-owned.
func (a *App) prunePosters(limit int) {
	if len(a.posters) <= limit {
		return
	}
	type entry struct {
		key  string
		used uint64
	}
	var old []entry
	for k, ps := range a.posters {
		if ps.loading || ps.used == a.renders {
			continue
		}
		old = append(old, entry{k, ps.used})
	}
	slices.SortFunc(old, func(x, y entry) int {
		if x.used < y.used {
			return -1
		}
		if x.used > y.used {
			return 1
		}
		return 0
	})
	for _, e := range old {
		if len(a.posters) <= limit {
			break
		}
		if f := a.posters[e.key].file; f != "" {
			if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
				a.log.Warn("prune poster", "file", f, "err", err)
			}
		}
		delete(a.posters, e.key)
	}
}
