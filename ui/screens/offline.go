package screens

import (
	"fmt"
	"time"
)

// NotSetUpAfter is how long the daemon may stay unreachable before a TV
// that never received a catalog stops saying "retrying" and says how to
// set the box up: the daemon exits for good (gokrazy's exit 125) when it
// has no channel or network key, so it will not come back by itself.
const NotSetUpAfter = 45 * time.Second

// NotSetUpTitle and NotSetUpText are that screen's words.
const (
	NotSetUpTitle = "This box is not set up yet"
	NotSetUpText  = "Its service is not running, most likely because it has no channel. " +
		"Put a file named atomicbox.txt on the SD card's boot partition with two lines, " +
		"channel=<the channel's address> and network_key=<the network's public key>, " +
		"then restart the box. The TV keeps trying in the meantime."
)

// SetOffline records whether the daemon answers; the first failure after
// a success (or at start) starts the offline clock.
func (m *Model) SetOffline(off bool, now time.Time) {
	if off && !m.Offline {
		m.OfflineSince = now
	}
	m.Offline = off
}

// notSetUp says whether to show the set-up screen at now.
func (m *Model) notSetUp(now time.Time) bool {
	return m.Offline && !m.Loaded && !m.OfflineSince.IsZero() && now.Sub(m.OfflineSince) >= NotSetUpAfter
}

// offlineNotice is the banner while the daemon is away with a catalog on
// screen: after a minute it says for how long.
func (m *Model) offlineNotice(now time.Time) string {
	if m.Loaded && !m.OfflineSince.IsZero() {
		if d := now.Sub(m.OfflineSince); d >= time.Minute {
			return fmt.Sprintf("The box's service stopped answering %d min ago; showing what it last listed. Retrying…", int(d.Minutes()))
		}
	}
	return OfflineMessage
}

// renderNotSetUp is the full screen that replaces "retrying" when the
// daemon never came up.
func renderNotSetUp() string {
	var b assBuilder
	b.text(Width/2, 300, 5, 56, colWhite, true, NotSetUpTitle)
	for i, l := range wrap(NotSetUpText, 1400, 32) {
		b.text(Width/2, 400+i*48, 8, 32, colText, false, l)
	}
	b.text(Width/2, Height-marginY-40, 5, sizeSmall, colDim, false, "The README's \"Flashing\" section has the details.")
	return b.String()
}
