package screens

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// The overlay coordinate space (osd-overlay res_x/res_y).
const (
	Width  = 1920
	Height = 1080
)

// Font is named in every text event so output does not depend on fontconfig.
const Font = "DejaVu Sans"

// OfflineMessage is shown while the daemon cannot be reached.
const OfflineMessage = "Can't reach the box's service, retrying…"

// Grid geometry, in overlay pixels.
const (
	marginX    = 96
	cardW      = 320
	cardH      = 180
	cardPitch  = 360 // cardW + gap
	rowsY      = 432
	rowPitch   = 322
	labelH     = 46
	rightEdge  = marginX + VisibleCols*cardPitch - (cardPitch - cardW) // 1856
	heroPostX  = rightEdge - heroPostW
	heroPostY  = 112
	heroPostW  = 560
	heroPostH  = 315
	focusFrame = 6
)

// Colours as ASS &HBBGGRR&.
const (
	colWhite  = "FFFFFF"
	colText   = "E8E4E0"
	colDim    = "A8A09A"
	colAccent = "F7C34F" // #4FC3F7, a light blue
	colTrack  = "4A3F38"
	colCard   = "3A2C22"
	colGreen  = "7BD66A" // #6AD67B
	colAmber  = "2AB4F5" // #F5B42A
	colBlack  = "000000"
)

// PosterSlot asks for a bitmap overlay: the image at URL (daemon-relative)
// scaled to W x H at X, Y. ID is the overlay id (0..63).
type PosterSlot struct {
	ID         int
	URL        string
	X, Y, W, H int
}

// Frame is everything on screen, as overlays. An empty string hides a layer.
type Frame struct {
	Home    string // home or settings screen (z 0)
	OSD     string // player OSD (z 1)
	Top     string // banners, pairing code, offline notice (z 2)
	Posters []PosterSlot
}

// Render draws m at time now. It is pure: the same model and time give the
// same frame.
func Render(m *Model, now time.Time) Frame {
	var f Frame
	switch m.Screen {
	case Home:
		f.Home, f.Posters = renderHome(m)
	case Player:
		if m.OSDVisible(now) || m.NextCardVisible() {
			f.OSD = renderPlayer(m, now)
		}
	case Settings:
		f.Home = renderSettings(m, now)
	case FirstBoot:
		f.Home = renderSetup(m, now)
	}
	f.Top = renderTop(m, now)
	if m.Pairing != nil && m.Screen == Home {
		// The pairing panel sits where the hero poster is; bitmaps cover
		// text, so drop the poster while the code shows.
		var kept []PosterSlot
		for _, p := range f.Posters {
			if p.ID != 0 {
				kept = append(kept, p)
			}
		}
		f.Posters = kept
	}
	return f
}

func renderHome(m *Model) (string, []PosterSlot) {
	var b assBuilder
	if !m.Loaded {
		if !m.Offline {
			b.text(Width/2, Height/2, 5, 40, colDim, false, "Loading…")
		}
		return b.String(), nil
	}
	cv := m.Catalog
	b.text(marginX, 44, 7, 44, colWhite, true, cv.Network)
	renderHeaderButton(&b, m.Header)
	if len(cv.Shows) == 0 {
		b.text(Width/2, Height/2, 5, 40, colDim, false, "No shows yet. New episodes appear here as the channel publishes them.")
		return b.String(), nil
	}
	var posters []PosterSlot

	// Hero: the focused episode.
	if ep, ok := m.Focused(); ok {
		show := cv.Shows[m.Row]
		b.text(marginX, 132, 7, 26, colAccent, true, strings.ToUpper(show.Title))
		title := ep.Title
		if title == "" {
			title = fmt.Sprintf("Episode %d", ep.Number)
		}
		lines := wrap(title, 1080, 56)
		if len(lines) > 1 {
			lines = []string{ellipsize(lines[0], 1080, 56)}
		}
		b.text(marginX, 168, 7, 56, colWhite, true, lines[0])
		meta := []string{episodeCode(ep), minutes(ep.DurationSeconds)}
		switch {
		case ep.Watched:
			meta = append(meta, "✓ Watched")
		case ep.ResumeSeconds > 0 && ep.DurationSeconds > 0:
			meta = append(meta, minutes(ep.DurationSeconds-ep.ResumeSeconds)+" left")
		}
		b.text(marginX, 244, 7, 28, colText, false, strings.Join(nonEmpty(meta), "   ·   "))
		syn := ep.Synopsis
		if syn == "" {
			syn = show.Synopsis
		}
		for i, l := range clampLines(wrap(syn, 1080, 30), 3, 1080, 30) {
			b.text(marginX, 298+i*42, 7, 30, colDim, false, l)
		}
		if url := posterOf(ep, show); url != "" {
			b.rect(heroPostX, heroPostY, heroPostW, heroPostH, colCard, 0)
			posters = append(posters, PosterSlot{ID: 0, URL: url, X: heroPostX, Y: heroPostY, W: heroPostW, H: heroPostH})
		}
	}

	// Rows.
	for slot := 0; slot < VisibleRows; slot++ {
		r := m.RowTop + slot
		if r >= len(cv.Shows) {
			break
		}
		show := cv.Shows[r]
		y := rowsY + slot*rowPitch
		b.text(marginX, y, 7, 30, colText, true, show.Title)
		if n := len(show.Episodes); n > 0 {
			b.text(rightEdge, y+6, 9, 22, colDim, false, plural(n, "episode"))
		}
		top := 0
		if r < len(m.ColTop) {
			top = m.ColTop[r]
		}
		cy := y + labelH
		for cs := 0; cs < VisibleCols; cs++ {
			c := top + cs
			if c >= len(show.Episodes) {
				break
			}
			ep := show.Episodes[c]
			x := marginX + cs*cardPitch
			focused := r == m.Row && c == m.Col && !m.Header
			if focused {
				b.rect(x-focusFrame, cy-focusFrame, cardW+2*focusFrame, cardH+2*focusFrame, colWhite, 0)
			}
			b.rect(x, cy, cardW, cardH, colCard, 0)
			b.text(x+cardW/2, cy+cardH/2, 5, 26, colDim, false, ellipsize(episodeCode(ep), cardW-24, 26))
			if url := posterOf(ep, show); url != "" {
				posters = append(posters, PosterSlot{ID: 1 + slot*VisibleCols + cs, URL: url, X: x, Y: cy, W: cardW, H: cardH})
			}
			// Below the focus frame: the resume bar, then title and details.
			if ep.ResumeSeconds > 0 && ep.DurationSeconds > 0 && !ep.Watched {
				frac := min(ep.ResumeSeconds/ep.DurationSeconds, 1)
				b.rect(x, cy+cardH+focusFrame+5, cardW, 6, colTrack, 0)
				b.rect(x, cy+cardH+focusFrame+5, max(int(math.Round(frac*cardW)), 4), 6, colAccent, 0)
			}
			ty := cy + cardH + 24
			tc := colDim
			if focused {
				tc = colWhite
			}
			b.text(x, ty, 7, 26, tc, focused, ellipsize(ep.Title, cardW, 26))
			meta := episodeCode(ep) + "  ·  " + minutes(ep.DurationSeconds)
			b.text(x, ty+34, 7, 22, colDim, false, meta)
			if ep.Watched {
				b.text(x+cardW, ty+34, 9, 22, colGreen, true, "✓ Watched")
			}
		}
		if top > 0 {
			b.text(marginX/2, cy+cardH/2, 5, 48, colDim, false, "‹")
		}
		if top+VisibleCols < len(show.Episodes) {
			b.text(rightEdge+(Width-rightEdge)/2, cy+cardH/2, 5, 48, colDim, false, "›")
		}
	}
	return b.String(), posters
}

// renderTop draws what sits above everything: the catalog's problem, the
// offline notice and the pairing code.
func renderTop(m *Model, now time.Time) string {
	var b assBuilder
	notice, col := "", colAmber
	switch {
	case m.Offline:
		notice = OfflineMessage
	case m.Catalog.Problem != "" && m.Screen == Home:
		notice = m.Catalog.Problem
	}
	if notice != "" && (m.Loaded || m.Screen == Player) {
		right := rightEdge
		if m.Screen != Player {
			right -= headerBtnW + 20 // beside the Settings button
		}
		text := ellipsize(notice, 1160-headerBtnW, 26)
		w := textWidth(text, 26) + 60
		b.roundRect(right-w, 38, w, 52, 26, colBlack, 0x30)
		b.roundRectOutline(right-w, 38, w, 52, 26, col)
		b.text(right-w/2, 64, 5, 26, col, false, text)
	} else if notice != "" {
		b.text(Width/2, Height/2-20, 5, 44, colWhite, true, notice)
		b.text(Width/2, Height/2+44, 5, 28, colDim, false, "The TV reconnects by itself.")
	}
	// Settings shows the code on its Pairing page, the phone page in place
	// of its QR code.
	if p := m.Pairing; p != nil && m.Screen != Settings && !(m.Screen == FirstBoot && m.Setup.Step == StepPhone) {
		x, y, w, h := heroPostX, heroPostY, heroPostW, heroPostH
		if m.Screen == Player {
			y = 180
		}
		b.roundRect(x, y, w, h, 18, "2A1E16", 0x08)
		b.roundRectOutline(x, y, w, h, 18, colAccent)
		b.text(x+w/2, y+44, 5, 30, colText, true, "Pair your phone")
		code := p.Code
		if len(code) == 6 {
			code = code[:3] + " " + code[3:]
		}
		b.text(x+w/2, y+130, 5, 96, colWhite, true, code)
		if p.URL != "" {
			b.text(x+w/2, y+218, 5, 24, colDim, false, ellipsize("Open "+p.URL, w-40, 24))
		}
		left := max(p.ExpiresAt.Sub(now), 0).Round(time.Second)
		b.text(x+w/2, y+h-34, 5, 24, colDim, false, "Code expires in "+clock(left.Seconds()))
	}
	return b.String()
}

func posterOf(ep api.EpisodeView, show api.ShowView) string {
	if ep.PosterURL != "" {
		return ep.PosterURL
	}
	return show.PosterURL
}

func episodeCode(ep api.EpisodeView) string {
	return fmt.Sprintf("S%d E%d", ep.Season, ep.Number)
}

func minutes(s float64) string {
	if s <= 0 {
		return ""
	}
	m := int(math.Round(s / 60))
	if m < 1 {
		return fmt.Sprintf("%d s", int(math.Round(s)))
	}
	if m >= 60 {
		return fmt.Sprintf("%d h %02d min", m/60, m%60)
	}
	return fmt.Sprintf("%d min", m)
}

// clock formats seconds as m:ss or h:mm:ss.
func clock(s float64) string {
	t := int(math.Max(s, 0))
	if t >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", t/3600, t/60%60, t%60)
	}
	return fmt.Sprintf("%d:%02d", t/60, t%60)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func nonEmpty(s []string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// textWidth estimates the width in pixels of s in DejaVu Sans at size
// (ASS font size): about 0.55 em per character.
func textWidth(s string, size int) int {
	return int(float64(utf8.RuneCountInString(s)) * float64(size) * 0.55)
}

// wrap breaks s into lines no wider than w pixels at size.
func wrap(s string, w, size int) []string {
	var lines []string
	var cur string
	for _, word := range strings.Fields(s) {
		next := word
		if cur != "" {
			next = cur + " " + word
		}
		if cur != "" && textWidth(next, size) > w {
			lines = append(lines, cur)
			next = word
		}
		cur = next
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// clampLines keeps n lines, ending the last with an ellipsis when cut.
func clampLines(lines []string, n, w, size int) []string {
	if len(lines) <= n {
		return lines
	}
	lines = lines[:n]
	lines[n-1] = ellipsize(lines[n-1]+" …", w, size)
	return lines
}

// ellipsize cuts s to fit w pixels at size, ending with "…" when cut.
func ellipsize(s string, w, size int) string {
	if textWidth(s, size) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && textWidth(string(r)+"…", size) > w {
		r = r[:len(r)-1]
	}
	return strings.TrimRight(string(r), " ") + "…"
}

// assBuilder collects ASS event lines for osd-overlay's ass-events format.
type assBuilder struct{ strings.Builder }

// text adds s at x, y with alignment an (numpad layout: 7 top-left, 5
// centre, 9 top-right, 1 bottom-left), size in pixels, colour as BBGGRR.
func (b *assBuilder) text(x, y, an, size int, color string, bold bool, s string) {
	if s == "" {
		return
	}
	bb := 0
	if bold {
		bb = 1
	}
	fmt.Fprintf(&b.Builder, "{\\an%d\\pos(%d,%d)\\fn%s\\fs%d\\b%d\\bord0\\shad0\\1c&H%s&\\1a&H00&\\q2}%s\n", an, x, y, Font, size, bb, color, escapeASS(s))
}

func (b *assBuilder) rect(x, y, w, h int, color string, alpha int) {
	b.rectAlpha(x, y, w, h, color, alpha)
}

// rectAlpha fills a rectangle; alpha is ASS alpha (0 opaque, 255 clear).
func (b *assBuilder) rectAlpha(x, y, w, h int, color string, alpha int) {
	fmt.Fprintf(&b.Builder, "{\\an7\\pos(%d,%d)\\bord0\\shad0\\1c&H%s&\\1a&H%02X&\\p1}m 0 0 l %d 0 %d %d 0 %d{\\p0}\n", x, y, color, alpha, w, w, h, h)
}

func roundPath(w, h, r int) string {
	return fmt.Sprintf("m %d 0 l %d 0 b %d 0 %d 0 %d %d l %d %d b %d %d %d %d %d %d l %d %d b 0 %d 0 %d 0 %d l 0 %d b 0 0 0 0 %d 0",
		r, w-r, w, w, w, r, w, h-r, w, h, w, h, w-r, h, r, h, h, h, h-r, r, r)
}

func (b *assBuilder) roundRect(x, y, w, h, r int, color string, alpha int) {
	fmt.Fprintf(&b.Builder, "{\\an7\\pos(%d,%d)\\bord0\\shad0\\1c&H%s&\\1a&H%02X&\\p1}%s{\\p0}\n", x, y, color, alpha, roundPath(w, h, r))
}

func (b *assBuilder) roundRectOutline(x, y, w, h, r int, color string) {
	fmt.Fprintf(&b.Builder, "{\\an7\\pos(%d,%d)\\bord2\\shad0\\1a&HFF&\\3c&H%s&\\3a&H00&\\p1}%s{\\p0}\n", x, y, color, roundPath(w, h, r))
}

// escapeASS keeps user text from being read as override tags or line breaks.
func escapeASS(s string) string {
	r := strings.NewReplacer("\\", "\\\u200b", "{", "(", "}", ")", "\n", " ", "\r", " ")
	return r.Replace(s)
}
