package screens

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// OSDBottomH is the height of the OSD's bottom band, in overlay pixels
// (the controller raises subtitles above it).
const OSDBottomH = 270

// Player OSD geometry at 1920x1080, inside the 5% title-safe margins
// (96 px at the sides, 54 px top and bottom).
const (
	osdTopH    = 180
	osdBottomH = OSDBottomH
	osdBarY    = Height - 110 // the seek bar's top
	osdBarH    = 12
	osdDiskY   = osdBarY + osdBarH + 8 // the on-this-box line under the bar
	osdDiskH   = 6
	safeTop    = 54
	colBuffer  = "9A918A" // what mpv has read ahead
	// ChapterMarkW is the width of a chapter mark on the seek bar; it
	// stands chapterTick pixels above and below the bar.
	ChapterMarkW = 4
	chapterTick  = 6
)

// SeekBar is the seek bar's rectangle in overlay pixels (1920x1080): a
// position p of a duration d is drawn at x + w*p/d.
func SeekBar() (x, y, w, h int) { return marginX, osdBarY, Width - 2*marginX, osdBarH }

// renderPlayer draws the player OSD (or the failure screen) for now.
func renderPlayer(m *Model, now time.Time) string {
	p := &m.Play
	var b assBuilder
	if p.Failed != "" {
		renderFailed(&b, p)
		return b.String()
	}
	if m.OSDVisible(now) {
		renderOSD(&b, m, now)
	}
	if m.NextCardVisible() {
		renderNextCard(&b, m)
	}
	return b.String()
}

// renderOSD draws the top and bottom bands, the bar and any track menu.
func renderOSD(b *assBuilder, m *Model, now time.Time) {
	p := &m.Play
	loc := m.Location()

	// Top band: what is playing, the clock and when it ends.
	b.rectAlpha(0, 0, Width, osdTopH, colBlack, 0x50)
	b.text(marginX, safeTop, 7, 28, colAccent, true, strings.ToUpper(p.Show))
	b.text(marginX, safeTop+40, 7, 46, colWhite, true, ellipsize(episodeCode(p.Episode)+"  "+p.Episode.Title, 1300, 46))
	b.text(Width-marginX, safeTop, 9, 40, colWhite, true, now.In(loc).Format("15:04"))
	if p.Duration > 0 {
		left := max(p.Duration-p.Position, 0)
		ends := now.Add(time.Duration(left * float64(time.Second))).In(loc)
		b.text(Width-marginX, safeTop+54, 9, 28, colText, false, "Ends at "+ends.Format("15:04"))
	}
	if now.Sub(p.VolumeMsg) < OSDShowFor || p.Muted {
		v := fmt.Sprintf("Volume %d%%", p.Volume)
		if p.Muted {
			v = "Muted"
		}
		b.text(Width/2, safeTop+20, 8, 30, colWhite, true, v)
	}

	// Bottom band: where the bytes come from, times and the bar.
	b.rectAlpha(0, Height-osdBottomH, Width, osdBottomH, colBlack, 0x50)
	b.text(marginX, Height-osdBottomH+34, 7, 26, colText, false, sourceLine(p))
	if c := p.Episode.Completion; c > 0 {
		b.text(Width-marginX, Height-osdBottomH+34, 9, 26, colGreen, false, fmt.Sprintf("%d%% on this box", int(math.Floor(c*100))))
	}
	barW := Width - 2*marginX
	px := func(frac float64) int { return int(math.Round(min(max(frac, 0), 1) * float64(barW))) }
	b.rect(marginX, osdBarY, barW, osdBarH, colTrack, 0)
	if p.Duration > 0 {
		if p.CacheEnd > p.Position {
			x0 := px(p.Position / p.Duration)
			b.rect(marginX+x0, osdBarY, max(px(p.CacheEnd/p.Duration)-x0, 1), osdBarH, colBuffer, 0)
		}
		b.rect(marginX, osdBarY, max(px(p.Position/p.Duration), 1), osdBarH, colAccent, 0)
		// Chapter marks: a notch in the bar's colour under a white tick
		// above and below it at each chapter's start (the first, at 0,
		// is the bar's own end and is not marked).
		for _, c := range p.Chapters {
			if c.Time <= 0 || c.Time >= p.Duration {
				continue
			}
			x := marginX + px(c.Time/p.Duration) - ChapterMarkW/2
			b.rect(x, osdBarY-chapterTick, ChapterMarkW, osdBarH+2*chapterTick, colWhite, 0)
		}
		b.text(Width-marginX, osdBarY-18, 3, 34, colText, false, "-"+clock(p.Duration-p.Position))
	}
	if c := p.Episode.Completion; c > 0 {
		// Completion is a share of the file, not a map of which pieces
		// are held; it is drawn from the start as a fraction.
		b.rect(marginX, osdDiskY, max(px(c), 1), osdDiskH, colGreen, 0x40)
	}
	b.text(marginX, osdBarY-18, 1, 34, colWhite, true, clock(p.Position))
	if p.Menu != MenuNone {
		renderTrackMenu(b, p)
	}
	switch {
	case p.Buffering:
		if why := m.bufferingWhy(); why != "" {
			// Waiting for bytes that cannot come: say why instead of
			// leaving a percentage that does not move.
			lines := clampLines(wrap(why, 1000, 30), 3, 1000, 30)
			h := 110 + 42*len(lines)
			b.rectAlpha(Width/2-560, Height/2-55, 1120, h, colBlack, 0x40)
			b.text(Width/2, Height/2, 5, 40, colWhite, true, fmt.Sprintf("Buffering… %d%%", p.BufferPercent))
			for i, l := range lines {
				b.text(Width/2, Height/2+50+i*42, 8, 30, colAmber, false, l)
			}
			break
		}
		b.rectAlpha(Width/2-240, Height/2-55, 480, 110, colBlack, 0x40)
		b.text(Width/2, Height/2, 5, 40, colWhite, true, fmt.Sprintf("Buffering… %d%%", p.BufferPercent))
	case !p.Started:
		b.text(Width/2, osdBarY-18, 2, 30, colDim, false, "Starting…")
	case p.Paused:
		b.text(Width/2, osdBarY-18, 2, 30, colWhite, true, "❚❚  Paused")
	}
}

// Next-episode card: bottom right, above the OSD's bottom band.
const (
	nextW = 720
	nextH = 200
)

// renderNextCard draws "Up next" with the countdown and the keys.
func renderNextCard(b *assBuilder, m *Model) {
	next, _, _ := m.nextEpisode()
	x, y := Width-marginX-nextW, Height-osdBottomH-30-nextH
	b.roundRect(x, y, nextW, nextH, 18, "2A1E16", 0x08)
	b.roundRectOutline(x, y, nextW, nextH, 18, colAccent)
	n := m.nextCountdown()
	b.text(x+36, y+30, 7, 28, colAccent, true, fmt.Sprintf("Up next in %d s", n))
	b.text(x+36, y+72, 7, 36, colWhite, true, ellipsize(episodeCode(next)+"  "+next.Title, nextW-72, 36))
	b.text(x+36, y+nextH-56, 7, 26, colText, false, "OK  Play now      Back  Keep watching")
}

// sourceLine says where the episode's bytes come from. With two samples
// of GET /api/stats it is "now": the share of the bytes received for this
// episode between them from other boxes (BitTorrent peers) versus the
// network's origin (web seed), or the disk when none arrived. With one
// sample it is the same share since the daemon started ("so far"). The
// neighbour count is the peers connected for this episode now (connected,
// not all of them sending).
func sourceLine(p *Playback) string {
	s := p.Source
	if s == nil {
		return "" // no figures (yet): say nothing rather than guess
	}
	n := "no neighbours connected"
	if s.Peers == 1 {
		n = "1 neighbour connected"
	} else if s.Peers > 1 {
		n = fmt.Sprintf("%d neighbours connected", s.Peers)
	}
	peers, origin, when := s.BytesFromPeers, s.BytesFromWebSeed, "So far"
	if q := p.SourcePrev; q != nil && q.BytesFromPeers <= peers && q.BytesFromWebSeed <= origin {
		peers, origin, when = peers-q.BytesFromPeers, origin-q.BytesFromWebSeed, "Now"
	}
	total := peers + origin
	if total == 0 {
		if when == "Now" {
			return "Now: from this box's disk  ·  " + n
		}
		return "From this box's disk  ·  " + n
	}
	pct := int(math.Round(float64(peers) * 100 / float64(total)))
	return fmt.Sprintf("%s: %d%% from neighbours, %d%% from the network  ·  %s", when, pct, 100-pct, n)
}

// renderFailed fills the screen with what went wrong and what to do.
func renderFailed(b *assBuilder, p *Playback) {
	b.rectAlpha(0, 0, Width, Height, colBlack, 0x20)
	b.text(marginX, safeTop, 7, 28, colAccent, true, strings.ToUpper(p.Show))
	b.text(marginX, safeTop+40, 7, 46, colWhite, true, ellipsize(episodeCode(p.Episode)+"  "+p.Episode.Title, Width-2*marginX, 46))
	x, y, w, h := Width/2-620, Height/2-170, 1240, 340
	b.roundRect(x, y, w, h, 18, "2A1E16", 0x08)
	b.roundRectOutline(x, y, w, h, 18, colAmber)
	b.text(Width/2, y+70, 5, 48, colWhite, true, "This episode could not be played")
	why := p.FailedWhy
	if why == "" {
		why = failureText(p.Failed)
	}
	for i, l := range clampLines(wrap(why, w-120, 30), 2, w-120, 30) {
		b.text(Width/2, y+145+i*42, 5, 30, colText, false, l)
	}
	b.text(Width/2, y+h-60, 5, 30, colAccent, true, "OK  Try again      ·      Back  Return")
}

// failureText turns mpv's end-file error into words for the couch. The
// nocgo binding reports errors as "mpv error N" (client.h's codes: -13
// loading failed, -16 nothing to play, -17 unknown format), cgo as text.
func failureText(reason string) string {
	switch reason {
	case "loading failed", "mpv error -13":
		return "The box could not open the episode's stream. Its file may not have arrived yet."
	case "unrecognized file format", "mpv error -17":
		return "The episode's file is damaged or in a format this box cannot play."
	case "no audio or video data played", "mpv error -16":
		return "The episode's file holds no picture or sound this box can play."
	}
	return "The player said: " + reason
}

// Track menu geometry: a panel at the right between the OSD's bands.
const (
	trackMenuW    = 640
	trackRowH     = 64
	trackMenuTop  = osdTopH + 30
	trackMenuRows = 7
)

// renderTrackMenu draws the audio or subtitle menu with its two tabs.
func renderTrackMenu(b *assBuilder, p *Playback) {
	rows := p.menuRows()
	top := scrollTo(0, p.MenuRow, trackMenuRows, len(rows))
	n := min(len(rows)-top, trackMenuRows)
	x, y := Width-marginX-trackMenuW, trackMenuTop
	h := 110 + max(n, 1)*trackRowH + 70
	b.roundRect(x, y, trackMenuW, h, 18, "2A1E16", 0x10)
	tabs := []struct {
		menu  int
		label string
	}{{MenuAudio, "Audio"}, {MenuSubs, "Subtitles"}}
	for i, t := range tabs {
		tx := x + 40 + i*220
		col, bold := colDim, false
		if p.Menu == t.menu {
			col, bold = colWhite, true
			b.rect(tx, y+86, textWidth(t.label, 36), 4, colAccent, 0)
		}
		b.text(tx, y+36, 7, 36, col, bold, t.label)
	}
	for i := 0; i < n; i++ {
		r := rows[top+i]
		ry := y + 110 + i*trackRowH
		label := trackLabel(r)
		if r.ID == 0 {
			label = "Off"
		}
		col := colText
		if top+i == p.MenuRow {
			b.roundRect(x+20, ry, trackMenuW-40, trackRowH-8, 12, colWhite, 0)
			col = colBlack
		}
		if r.Selected {
			b.text(x+44, ry+(trackRowH-8)/2, 4, 30, map[bool]string{true: colBlack, false: colAccent}[top+i == p.MenuRow], true, "✓")
		}
		b.text(x+90, ry+(trackRowH-8)/2, 4, 30, col, top+i == p.MenuRow, ellipsize(label, trackMenuW-140, 30))
	}
	if len(rows) == 0 {
		b.text(x+40, y+110+trackRowH/2, 4, 30, colDim, false, "None in this episode")
	}
	b.text(x+trackMenuW/2, y+h-36, 5, 24, colDim, false, "◀ ▶ Audio / Subtitles    OK Choose    Back Close")
}
