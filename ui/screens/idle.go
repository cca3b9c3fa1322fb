package screens

import (
	"time"
)

// IdleAfter is how long the menus (home, show page, settings) stay up
// without a key before the screen dims to the screensaver. Playback never
// dims; neither do the first-boot pages (someone is setting the box up).
const IdleAfter = 5 * time.Minute

// idleTick starts the idle clock on the first tick and dims the screen
// once IdleAfter has passed without a key on a menu.
func (m *Model) idleTick(now time.Time) {
	if m.lastKey.IsZero() {
		m.lastKey = now
	}
	menu := m.Screen == Home || m.Screen == ShowPage || m.Screen == Settings
	if menu && now.Sub(m.lastKey) >= IdleAfter {
		m.Idle = true
	}
}

// wake records a key; it returns true when the key only woke the screen
// (and must do nothing else).
func (m *Model) wake(now time.Time) bool {
	m.lastKey = now
	if m.Idle {
		m.Idle = false
		return true
	}
	return false
}

// renderIdle is the screensaver: the screen dimmed to near black with the
// time and the network's name, moved every minute across the safe area so
// nothing burns into an OLED panel.
func renderIdle(m *Model, now time.Time) string {
	var b assBuilder
	b.rectAlpha(0, 0, Width, Height, colBlack, 0x00)
	t := now.In(m.Location())
	// 12 positions, one per minute, spread over the safe area.
	step := t.Minute() % 12
	x := marginX + 240 + (step%4)*380
	y := marginY + 200 + (step/4)*260
	b.text(x, y, 5, 96, "808080", true, t.Format("15:04"))
	b.text(x, y+86, 5, 28, "505050", false, m.Catalog.Network)
	return b.String()
}
