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
	marginY    = 54  // vertical safe margin (5 % of 1080)
	rowsY      = 340
	rowPitch   = 316
	labelH     = 44
	rightEdge  = marginX + VisibleCols*cardPitch - (cardPitch - cardW) // 1856
	heroPostX  = rightEdge - heroPostW
	heroPostY  = 112
	heroPostW  = 384
	heroPostH  = 216
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
		f.Home, f.Posters = renderHome(m, now)
	case Player:
		if m.OSDVisible(now) || m.NextCardVisible() {
			f.OSD = renderPlayer(m, now)
		}
	case Settings:
		f.Home = renderSettings(m, now)
	case FirstBoot:
		f.Home = renderSetup(m, now)
	case ShowPage:
		f.Home, f.Posters = renderShowPage(m, now)
	}
	f.Top = renderTop(m, now)
	if m.Idle && m.Screen != Player {
		return Frame{Home: renderIdle(m, now)}
	}
	if m.Pairing != nil && m.Screen == Home {
		// The pairing panel sits where the hero poster is; bitmaps cover
		// text, so drop the poster while the code shows.
		x, y, w, h := pairingRect()
		f.Posters = uncovered(f.Posters, x, y, w, h)
	}
	if m.Notice != nil && (m.Screen == Home || m.Screen == ShowPage) {
		f.Top += renderNotice(m.Notice)
		f.Posters = dropUnderNotice(f.Posters, m.Notice)
	} else if m.alertPanelUp() {
		// The page steps back behind the panel; bitmaps would stay bright
		// above the dimming, so they go.
		f.Top += renderAlert(m, m.ActiveAlert())
		f.Posters = nil
	}
	return f
}

// renderTop draws what sits above everything: the catalog's problem, the
// offline notice and the pairing code.
func renderTop(m *Model, now time.Time) string {
	var b assBuilder
	notice, col := "", colAmber
	switch {
	case m.notSetUp(now):
		return renderNotSetUp()
	case m.Offline:
		notice = m.offlineNotice(now)
	case m.ActiveAlert() != AlertNone && !m.alertPanelUp() && (m.Screen == Home || m.Screen == ShowPage):
		notice = alertBanner(m.ActiveAlert()) // it says more than "the channel cannot be reached"
	case m.Catalog.Problem != "" && m.Screen == Home:
		notice = m.Catalog.Problem
	}
	if notice != "" && (m.Loaded || m.Screen == Player) {
		right := rightEdge
		if m.Screen != Player {
			right -= headerBtnW + 20 // beside the Settings button
		}
		// Wrapped in full (up to four lines): the daemon's sentence says
		// what happened and what the box does about it.
		lines := clampLines(wrap(notice, 1160-headerBtnW, 26), 4, 1160-headerBtnW, 26)
		w := 0
		for _, l := range lines {
			w = max(w, textWidth(l, 26))
		}
		w += 60
		// Two lines end above the hero poster (y 112).
		h := 16 + 30*len(lines)
		b.roundRect(right-w, 32, w, h, min(26, h/2), colBlack, 0x30)
		b.roundRectOutline(right-w, 32, w, h, min(26, h/2), col)
		for i, l := range lines {
			b.text(right-w/2, 32+8+15+30*i, 5, 26, col, false, l)
		}
	} else if notice != "" {
		b.text(Width/2, Height/2-20, 5, 44, colWhite, true, notice)
		b.text(Width/2, Height/2+44, 5, 28, colDim, false, "The TV reconnects by itself.")
	}
	// Settings shows the code on its Pairing page, the phone page in place
	// of its QR code.
	if p := m.Pairing; p != nil && m.Screen != Settings && !(m.Screen == FirstBoot && m.Setup.Step == StepPhone) {
		x, y, w, h := pairingRect()
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

// pairingRect is where the pairing code shows on the home screen: over
// the hero poster and the top of the first row.
func pairingRect() (x, y, w, h int) { return rightEdge - 560, 112, 560, 315 }

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

// roundPath is a rectangle with quarter-circle corners of radius r. Each
// corner is a cubic Bézier whose control points lie on the two edges at
// k = 0.552 r from the arc's ends (the usual circle approximation): with
// both control points on the corner itself the curve hugs the corner and
// a pill looks nearly square.
func roundPath(w, h, r int) string {
	r = min(r, w/2, h/2)
	c := int(math.Round(float64(r) * (1 - 0.5523)))
	return fmt.Sprintf("m %d 0 l %d 0 b %d 0 %d %d %d %d l %d %d b %d %d %d %d %d %d l %d %d b %d %d 0 %d 0 %d l 0 %d b 0 %d %d 0 %d 0",
		r, w-r, // top edge
		w-c, w, c, w, r, // top-right corner
		w, h-r, // right edge
		w, h-c, w-c, h, w-r, h, // bottom-right
		r, h, // bottom edge
		c, h, h-c, h-r, // bottom-left
		r,       // left edge
		c, c, r) // top-left
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
