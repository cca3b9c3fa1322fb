package screens

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// Text sizes on the home and show pages: nothing under 24 px at 1080p,
// readable from 3 m.
const (
	sizeSmall = 24
	sizeBody  = 26
)

// CardRect is the card at visible slot (row) and column cs of the home
// screen, in overlay pixels; the focused card has a white frame of
// focusFrame pixels around it.
func CardRect(slot, cs int) (x, y, w, h, frame int) {
	return marginX + cs*cardPitch, rowsY + slot*rowPitch + labelH, cardW, cardH, focusFrame
}

func renderHome(m *Model, now time.Time) (string, []PosterSlot) {
	var b assBuilder
	if !m.Loaded {
		if !m.Offline {
			b.text(Width/2, Height/2, 5, 40, colDim, false, "Loading…")
		}
		return b.String(), nil
	}
	cv := m.Catalog
	b.text(marginX, marginY, 7, 44, colWhite, true, cv.Network)
	renderHeaderButton(&b, m.Header)
	if len(m.Rows) == 0 {
		b.text(Width/2, Height/2, 5, 40, colDim, false, "No shows yet. New episodes appear here as the channel publishes them.")
		return b.String(), nil
	}
	var posters []PosterSlot

	// Hero: the focused card.
	if row, it, ok := m.FocusedItem(); ok {
		show := cv.Shows[it.Show]
		ep := api.EpisodeView{Title: show.Title, Synopsis: show.Synopsis, PosterURL: show.PosterURL}
		if it.Ep != ShowCard {
			ep = show.Episodes[it.Ep]
		}
		b.text(marginX, 112, 7, sizeBody, colAccent, true, strings.ToUpper(show.Title))
		title := ep.Title
		if title == "" {
			title = fmt.Sprintf("Episode %d", ep.Number)
		}
		heroW := heroPostX - marginX - 40
		b.text(marginX, 142, 7, 56, colWhite, true, ellipsize(title, heroW, 56))
		meta := heroMeta(m, ep, now)
		if it.Ep == ShowCard {
			meta = []string{plural(len(show.Episodes), "episode"), "OK: seasons, episodes, watched marks"}
		}
		_ = row
		b.text(marginX, 212, 7, 28, colText, false, strings.Join(nonEmpty(meta), "   ·   "))
		syn := ep.Synopsis
		if syn == "" {
			syn = show.Synopsis
		}
		for i, l := range clampLines(wrap(syn, heroW, 28), 2, heroW, 28) {
			b.text(marginX, 256+i*36, 7, 28, colDim, false, l)
		}
		if url := posterOf(ep, show); url != "" {
			b.rect(heroPostX, heroPostY, heroPostW, heroPostH, colCard, 0)
			posters = append(posters, PosterSlot{ID: 0, URL: url, X: heroPostX, Y: heroPostY, W: heroPostW, H: heroPostH})
		}
	}

	for slot := 0; slot < VisibleRows; slot++ {
		r := m.RowTop + slot
		if r >= len(m.Rows) {
			break
		}
		row := m.Rows[r]
		y := rowsY + slot*rowPitch
		b.text(marginX, y, 7, 30, colText, true, row.Title)
		n := len(row.Items)
		if row.Kind == RowShow {
			n-- // the show's own card
		}
		b.text(rightEdge, y+4, 9, sizeSmall, colDim, false, plural(n, "episode"))
		top := 0
		if r < len(m.ColTop) {
			top = m.ColTop[r]
		}
		cy := y + labelH
		for cs := 0; cs < VisibleCols; cs++ {
			c := top + cs
			if c >= len(row.Items) {
				break
			}
			it := row.Items[c]
			show := cv.Shows[it.Show]
			ep := api.EpisodeView{Title: "All episodes", PosterURL: show.PosterURL}
			if it.Ep != ShowCard {
				ep = show.Episodes[it.Ep]
			}
			x := marginX + cs*cardPitch
			focused := r == m.Row && c == m.Col && !m.Header
			if focused {
				b.rect(x-focusFrame, cy-focusFrame, cardW+2*focusFrame, cardH+2*focusFrame, colWhite, 0)
			}
			b.rect(x, cy, cardW, cardH, colCard, 0)
			label := episodeCode(ep)
			if it.Ep == ShowCard {
				label = show.Title
			}
			b.text(x+cardW/2, cy+cardH/2, 5, sizeBody, colDim, false, ellipsize(label, cardW-24, sizeBody))
			if url := posterOf(ep, show); url != "" {
				posters = append(posters, PosterSlot{ID: 1 + slot*VisibleCols + cs, URL: url, X: x, Y: cy, W: cardW, H: cardH})
			}
			if ep.ResumeSeconds > 0 && ep.DurationSeconds > 0 && !ep.Watched {
				frac := min(ep.ResumeSeconds/ep.DurationSeconds, 1)
				b.rect(x, cy+cardH+focusFrame+4, cardW, 6, colTrack, 0)
				b.rect(x, cy+cardH+focusFrame+4, max(int(math.Round(frac*cardW)), 4), 6, colAccent, 0)
			}
			ty := cy + cardH + 18
			tc := colDim
			if focused {
				tc = colWhite
			}
			b.text(x, ty, 7, sizeBody, tc, focused, ellipsize(ep.Title, cardW, sizeBody))
			meta, mc := cardMeta(row.Kind, show, ep, now)
			if it.Ep == ShowCard {
				meta, mc = plural(len(show.Episodes), "episode")+" · OK to open", colDim
			}
			b.text(x, ty+32, 7, sizeSmall, mc, false, ellipsize(meta, cardW, sizeSmall))
		}
		if top > 0 {
			b.text(marginX/2, cy+cardH/2, 5, 48, colDim, false, "‹")
		}
		if top+VisibleCols < len(row.Items) {
			b.text(rightEdge+(Width-rightEdge)/2, cy+cardH/2, 5, 48, colDim, false, "›")
		}
	}
	// Rows below the visible ones: name them, so the viewer knows Down
	// leads somewhere.
	if below := m.RowTop + VisibleRows; below < len(m.Rows) {
		var names []string
		for _, r := range m.Rows[below:] {
			names = append(names, r.Title)
		}
		hint := ellipsize("▾  More below: "+strings.Join(names, "  ·  "), rightEdge-marginX, sizeSmall)
		b.text(marginX, Height-marginY, 1, sizeSmall, colAccent, false, hint)
	}
	return b.String(), posters
}

// heroMeta is the line under the hero's title.
func heroMeta(m *Model, ep api.EpisodeView, now time.Time) []string {
	meta := []string{episodeCode(ep), minutes(ep.DurationSeconds)}
	switch {
	case locked(ep, now):
		if !ep.AvailableAt.IsZero() {
			at := ep.AvailableAt.In(m.Location())
			meta = append(meta, "Opens "+at.Format("Mon 2 Jan 15:04"), "in "+countdown(ep.AvailableAt.Sub(now)))
		} else {
			meta = append(meta, "Not out yet")
		}
		if ep.Completion >= 1 {
			meta = append(meta, "Ready on this box")
		}
	case ep.Watched:
		meta = append(meta, "✓ Watched")
	case ep.ResumeSeconds > 0 && ep.DurationSeconds > 0:
		meta = append(meta, minutes(ep.DurationSeconds-ep.ResumeSeconds)+" left")
	}
	return meta
}

// cardMeta is the small line under a card's title and its colour.
func cardMeta(kind CardRow, show api.ShowView, ep api.EpisodeView, now time.Time) (string, string) {
	switch kind {
	case RowPremieres:
		if !locked(ep, now) {
			return show.Title + " · out now", colGreen
		}
		s := "Coming soon"
		if !ep.AvailableAt.IsZero() {
			s = "In " + countdown(ep.AvailableAt.Sub(now))
		}
		if ep.Completion >= 1 {
			return s + " · ready", colGreen
		}
		return s, colAmber
	case RowContinue:
		return show.Title + " · " + minutes(ep.DurationSeconds-ep.ResumeSeconds) + " left", colDim
	case RowNew:
		return show.Title + " · " + episodeCode(ep), colDim
	}
	if ep.Watched {
		return episodeCode(ep) + " · ✓ Watched", colGreen
	}
	return episodeCode(ep) + " · " + minutes(ep.DurationSeconds), colDim
}

// countdown formats d for a viewer: "2 d 4 h", "3 h 05 min", "12 min", "1 min".
func countdown(d time.Duration) string {
	if d < time.Minute {
		return "1 min"
	}
	mins := int(d.Round(time.Minute) / time.Minute)
	switch {
	case mins >= 48*60:
		return fmt.Sprintf("%d d %d h", mins/(24*60), mins/60%24)
	case mins >= 60:
		return fmt.Sprintf("%d h %02d min", mins/60, mins%60)
	}
	return fmt.Sprintf("%d min", mins)
}

// noticeLines is the notice's text wrapped for its panel (at most 5 lines).
func noticeLines(n *Notice) []string {
	return clampLines(wrap(n.Text, noticeW-100, 30), 5, noticeW-100, 30)
}

const noticeW = 1120

// noticeRect is the notice panel: centred, as tall as its text.
func noticeRect(n *Notice) (x, y, w, h int) {
	h = 200 + 42*len(noticeLines(n))
	return Width/2 - noticeW/2, 330, noticeW, h
}

// renderNotice draws a notice as an opaque panel with its text wrapped in
// full.
func renderNotice(n *Notice) string {
	var b assBuilder
	x, y, w, h := noticeRect(n)
	b.roundRect(x, y, w, h, 24, "2A1E16", 0)
	b.roundRectOutline(x, y, w, h, 24, colAmber)
	b.text(x+w/2, y+60, 5, 40, colWhite, true, ellipsize(n.Title, w-80, 40))
	for i, l := range noticeLines(n) {
		b.text(x+w/2, y+110+i*42, 8, 30, colText, false, l)
	}
	b.text(x+w/2, y+h-40, 5, sizeSmall, colDim, false, "Press any key")
	return b.String()
}

// uncovered drops posters that overlap the rectangle: bitmaps draw above
// every text layer and would hide a panel there.
func uncovered(ps []PosterSlot, x, y, w, h int) []PosterSlot {
	var kept []PosterSlot
	for _, p := range ps {
		if p.X < x+w && x < p.X+p.W && p.Y < y+h && y < p.Y+p.H {
			continue
		}
		kept = append(kept, p)
	}
	return kept
}

func dropUnderNotice(ps []PosterSlot, n *Notice) []PosterSlot {
	x, y, w, h := noticeRect(n)
	return uncovered(ps, x, y, w, h)
}
