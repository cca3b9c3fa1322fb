package tv

import (
	"os"
	"slices"

	"github.com/atomicnetwork/atomicbox/ui/screens"
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

// osdSize records mpv's osd-width or osd-height (the window in pixels).
func (a *App) osdSize(name string, v any) {
	n, ok := v.(int64)
	if !ok || n <= 0 {
		return
	}
	if name == "osd-width" {
		a.osdW = int(n)
	} else {
		a.osdH = int(n)
	}
}

// scaleSlots maps poster slots from the overlay space (screens.Width x
// Height, which mpv scales for ASS) to window pixels w x h: bitmaps from
// overlay-add are placed and sized in window pixels and are not scaled by
// mpv. Unknown sizes (0) leave the slots alone.
func scaleSlots(ps []screens.PosterSlot, w, h int) []screens.PosterSlot {
	if w <= 0 || h <= 0 || (w == screens.Width && h == screens.Height) {
		return ps
	}
	out := make([]screens.PosterSlot, len(ps))
	for i, p := range ps {
		x0, y0 := p.X*w/screens.Width, p.Y*h/screens.Height
		x1, y1 := (p.X+p.W)*w/screens.Width, (p.Y+p.H)*h/screens.Height
		p.X, p.Y, p.W, p.H = x0, y0, max(x1-x0, 1), max(y1-y0, 1)
		out[i] = p
	}
	return out
}
