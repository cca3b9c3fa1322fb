package screens

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// Show page geometry, in overlay pixels.
const (
	showPostY  = 140
	showPostW  = 560
	showPostH  = 315
	showListX  = marginX + showPostW + 64 // 720
	showListW  = rightEdge - showListX
	showTabsY  = 140
	showListY  = 220
	showRowH   = 116
	showActY   = 700
	showActH   = 64
	showActGap = 14
)

func renderShowPage(m *Model, now time.Time) (string, []PosterSlot) {
	var b assBuilder
	st := &m.ShowPage
	if st.Show < 0 || st.Show >= len(m.Catalog.Shows) {
		return "", nil
	}
	show := m.Catalog.Shows[st.Show]
	eps := show.Episodes
	var sel api.EpisodeView
	if st.Ep >= 0 && st.Ep < len(eps) {
		sel = eps[st.Ep]
	}
	b.text(marginX, marginY, 7, 52, colWhite, true, ellipsize(show.Title, rightEdge-marginX-headerBtnW, 52))

	var posters []PosterSlot
	poster := show.PosterURL
	if poster == "" && len(eps) > 0 {
		poster = posterOf(eps[0], show)
	}
	b.rect(marginX, showPostY, showPostW, showPostH, colCard, 0)
	b.text(marginX+showPostW/2, showPostY+showPostH/2, 5, 30, colDim, false, show.Title)
	if poster != "" {
		posters = append(posters, PosterSlot{ID: 0, URL: poster, X: marginX, Y: showPostY, W: showPostW, H: showPostH})
	}
	syn := show.Synopsis
	if syn == "" {
		syn = sel.Synopsis
	}
	for i, l := range clampLines(wrap(syn, showPostW, sizeBody), 6, showPostW, sizeBody) {
		b.text(marginX, showPostY+showPostH+28+i*36, 7, sizeBody, colDim, false, l)
	}

	// Actions on the selected episode.
	play := "▶  Play " + episodeCode(sel)
	if sel.ResumeSeconds > 0 && !sel.Watched {
		play = "▶  Resume " + episodeCode(sel)
	}
	mark := "✓  Mark watched"
	if sel.Watched {
		mark = "○  Mark unwatched"
	}
	for i, label := range []string{play, "↺  Start over", mark} {
		y := showActY + i*(showActH+showActGap)
		if st.Area == AreaActions && st.Action == i {
			b.roundRect(marginX, y, showPostW, showActH, showActH/2, colWhite, 0)
			b.text(marginX+showPostW/2, y+showActH/2, 5, 28, colDark, true, label)
		} else {
			b.roundRect(marginX, y, showPostW, showActH, showActH/2, colBlack, 0x90)
			b.roundRectOutline(marginX, y, showPostW, showActH, showActH/2, colTrack)
			b.text(marginX+showPostW/2, y+showActH/2, 5, 28, colText, false, label)
		}
	}

	// Season tabs.
	x := showListX
	for i, s := range st.Seasons {
		label := fmt.Sprintf("Season %d", s)
		w := textWidth(label, 28) + 56
		switch {
		case i == st.Season && st.Area == AreaSeasons:
			b.roundRect(x, showTabsY, w, 56, 28, colWhite, 0)
			b.text(x+w/2, showTabsY+28, 5, 28, colDark, true, label)
		case i == st.Season:
			b.roundRect(x, showTabsY, w, 56, 28, colCard, 0)
			b.roundRectOutline(x, showTabsY, w, 56, 28, colAccent)
			b.text(x+w/2, showTabsY+28, 5, 28, colWhite, true, label)
		default:
			b.roundRectOutline(x, showTabsY, w, 56, 28, colTrack)
			b.text(x+w/2, showTabsY+28, 5, 28, colDim, false, label)
		}
		x += w + 20
	}

	// The season's episodes.
	list := m.SeasonEpisodes()
	for slot := 0; slot < ShowEpisodeRows; slot++ {
		p := st.Top + slot
		if p >= len(list) {
			break
		}
		i := list[p]
		ep := eps[i]
		y := showListY + slot*showRowH
		selected := i == st.Ep
		switch {
		case selected && st.Area == AreaEpisodes:
			b.roundRect(showListX, y, showListW, showRowH-12, 16, "3A2C22", 0)
			b.roundRectOutline(showListX, y, showListW, showRowH-12, 16, colWhite)
		case selected:
			b.roundRectOutline(showListX, y, showListW, showRowH-12, 16, colTrack)
		}
		tc := colText
		if selected {
			tc = colWhite
		}
		mark := "  "
		if ep.Watched {
			mark = "✓ "
		}
		b.text(showListX+24, y+16, 7, 30, tc, selected, ellipsize(mark+episodeCode(ep)+"  "+ep.Title, showListW-300, 30))
		b.text(showListX+showListW-24, y+20, 9, sizeSmall, colDim, false, minutes(ep.DurationSeconds))
		meta, mc := episodeState(m, ep, now)
		b.text(showListX+24+36, y+58, 7, sizeSmall, mc, false, ellipsize(meta, showListW-120, sizeSmall))
		if ep.ResumeSeconds > 0 && ep.DurationSeconds > 0 && !ep.Watched {
			frac := min(ep.ResumeSeconds/ep.DurationSeconds, 1)
			bw := 240
			bx := showListX + showListW - 24 - bw
			b.rect(bx, y+68, bw, 6, colTrack, 0)
			b.rect(bx, y+68, max(int(math.Round(frac*float64(bw))), 4), 6, colAccent, 0)
		}
	}
	if more := len(list) - st.Top - ShowEpisodeRows; more > 0 {
		b.text(showListX+24, Height-marginY, 1, sizeSmall, colAccent, false, fmt.Sprintf("▾  %d more in this season", more))
	}
	return b.String(), posters
}

// episodeState is the show page's line about an episode: watched, resume,
// size and whether it is on the box, or when it opens.
func episodeState(m *Model, ep api.EpisodeView, now time.Time) (string, string) {
	var parts []string
	col := colDim
	switch {
	case locked(ep, now):
		col = colAmber
		if !ep.AvailableAt.IsZero() {
			parts = append(parts, "Opens "+ep.AvailableAt.In(m.Location()).Format("Mon 2 Jan 15:04")+", in "+countdown(ep.AvailableAt.Sub(now)))
		} else {
			parts = append(parts, "Not out yet")
		}
	case ep.Watched:
		col = colGreen
		parts = append(parts, "Watched")
	case ep.ResumeSeconds > 0:
		parts = append(parts, "Stopped at "+clock(ep.ResumeSeconds))
	}
	if ep.Size > 0 {
		parts = append(parts, megabytes(ep.Size))
	}
	switch {
	case ep.Completion >= 1:
		parts = append(parts, "On this box")
	case ep.Completion > 0:
		parts = append(parts, fmt.Sprintf("%d %% on this box", int(ep.Completion*100)))
	default:
		parts = append(parts, "Streams when played")
	}
	return strings.Join(parts, "  ·  "), col
}

func megabytes(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%d MB", (n+(1<<20)-1)>>20)
}
