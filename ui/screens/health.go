package screens

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"periph.io/x/conn/v3/ir"
)

// Alert is a condition of the box a viewer should know about on the home
// screen and the show page, with the settings page that deals with it.
type Alert int

const (
	AlertNone      Alert = iota
	AlertNoNetwork       // GET /api/network says the box is offline
	AlertDiskFull        // the daemon says its storage is full (api.StorageView.Full)
)

// alertSection is the settings page OK opens from an alert's panel.
var alertSection = map[Alert]Section{AlertNoNetwork: SecNetwork, AlertDiskFull: SecStorage}

// DiskFull says whether the box is out of room. The daemon decides
// (api.StorageView.Full: its background downloads are paused on the
// budget, or eviction found nothing more it may remove); the TV does not
// guess from the figures, which the daemon's next round may already have
// fixed by evicting. Then playing an episode not yet on the box may stall.
func DiskFull(st api.StorageView) bool { return st.Full }

// ActiveAlert is the alert that holds now, the most pressing first: no
// network, then a full disk. Nothing is said until the daemon answered
// (an unreachable daemon has its own banner) or before the household
// went through the first-boot screens (they deal with the network).
func (m *Model) ActiveAlert() Alert {
	if m.Offline || !m.Loaded || m.Screen == FirstBoot {
		return AlertNone
	}
	if n := m.Settings.Net; n.Have && n.Err == "" && !n.Value.Online && (!m.Settings.Household.Have || m.Settings.Household.Value.SetUp) {
		return AlertNoNetwork
	}
	if v := m.Settings.View; v.Have && DiskFull(v.Value.Storage) {
		return AlertDiskFull
	}
	return AlertNone
}

// alertPanelUp says whether the alert's panel covers the home screen or
// the show page: from the moment the alert starts until a key answers it.
// Once answered, a one-line banner stays while the condition holds.
func (m *Model) alertPanelUp() bool {
	a := m.ActiveAlert()
	return a != AlertNone && m.alertSeen != a && (m.Screen == Home || m.Screen == ShowPage) && !m.Idle
}

// tickAlert forgets an answered alert once its condition is over (or
// another took its place), so the panel shows again if it comes back. An
// unreachable daemon says nothing either way.
func (m *Model) tickAlert() {
	if m.alertSeen != AlertNone && !m.Offline && m.ActiveAlert() != m.alertSeen {
		m.alertSeen = AlertNone
	}
}

// alertKey answers the panel: OK opens the settings page that deals with
// the alert, any other key closes the panel (the banner stays).
func (m *Model) alertKey(k ir.Key) []Action {
	a := m.ActiveAlert()
	m.alertSeen = a
	switch k {
	case ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
		acts := m.OpenSettings()
		m.Settings.Section = alertSection[a]
		return acts
	}
	return nil
}

// AlertText is what the alert's panel says: a title and lines, each a
// sentence or a "label: state" pair.
func (m *Model) AlertText(a Alert) (title string, lines []string) {
	switch a {
	case AlertNoNetwork:
		return "No network connection", m.networkLines()
	case AlertDiskFull:
		return "The box's storage is full", m.diskLines()
	}
	return "", nil
}

// networkLines says how the box is (not) connected, from GET /api/network.
func (m *Model) networkLines() []string {
	v := m.Settings.Net.Value
	var out []string
	if w := v.Wifi; w != nil {
		s := ""
		switch w.State {
		case api.WifiIdle:
			s = "no network chosen"
		case api.WifiScanning:
			s = "looking for " + w.SSID + "…"
		case api.WifiJoining:
			s = "joining " + w.SSID + "…"
		case api.WifiAddressing:
			s = "joined " + w.SSID + ", waiting for an address from the router…"
		case api.WifiJoined:
			s = "joined " + w.SSID + ", but the router gives no way out"
		case api.WifiFailed:
			s = strings.TrimSuffix(cmp.Or(w.Message, "could not join "+w.SSID), ".")
		}
		out = append(out, "Wi-Fi: "+s+".")
	}
	for _, ifc := range v.Interfaces {
		if ifc.Kind != api.InterfaceEthernet {
			continue
		}
		switch {
		case !ifc.Up:
			out = append(out, "Cable: not plugged in.")
		case len(ifc.Addresses) == 0:
			out = append(out, "Cable: plugged in, but the router gives no address.")
		default:
			out = append(out, "Cable: plugged in, but the router gives no way out.")
		}
		break
	}
	return append(out, "The box cannot reach the channel or other boxes. Episodes already on it still play; new ones arrive once it is back online.")
}

// diskLines says what uses the space (episodes by show, from the
// catalog's sizes and what is held of each) and what the viewer can do.
func (m *Model) diskLines() []string {
	st := m.Settings.View.Value.Storage
	used := max(st.TotalBytes-st.FreeBytes, 0)
	out := []string{fmt.Sprintf("%s free of %s. Episodes use %s, other files %s.",
		humanBytes(st.FreeBytes), humanBytes(st.TotalBytes), humanBytes(st.LibraryBytes), humanBytes(max(used-st.LibraryBytes, 0)))}
	type held struct {
		title string
		bytes int64
	}
	var shows []held
	for _, s := range m.Catalog.Shows {
		var n int64
		for _, e := range s.Episodes {
			n += int64(float64(e.Size) * min(max(e.Completion, 0), 1))
		}
		if n > 0 {
			shows = append(shows, held{s.Title, n})
		}
	}
	slices.SortStableFunc(shows, func(a, b held) int { return cmp.Compare(b.bytes, a.bytes) })
	if len(shows) > 0 {
		var parts []string
		for _, s := range shows[:min(len(shows), 3)] {
			parts = append(parts, s.title+" "+humanBytes(s.bytes))
		}
		out = append(out, "Most room: "+strings.Join(parts, ", ")+".")
	}
	return append(out, "New episodes are not fetched ahead until there is room. The box removes watched episodes first: mark the ones you finished as watched on their show's page. A larger card gives it more room.")
}

// alertBanner is the one-line reminder once the panel was answered.
func alertBanner(a Alert) string {
	switch a {
	case AlertNoNetwork:
		return "No network connection: new episodes wait. Settings → Network"
	case AlertDiskFull:
		return "The box's storage is full: new episodes wait. Settings → Storage"
	}
	return ""
}

// Alert panel geometry: centred, as tall as its text.
const alertW = 1240

// renderAlert draws the alert's panel with its two answers.
func renderAlert(m *Model, a Alert) string {
	var b assBuilder
	title, lines := m.AlertText(a)
	var wrapped []string
	for _, l := range lines {
		wrapped = append(wrapped, clampLines(wrap(l, alertW-120, 30), 3, alertW-120, 30)...)
	}
	h := 240 + 42*len(wrapped)
	x, y := Width/2-alertW/2, max((Height-h)/2, marginY)
	b.rectAlpha(0, 0, Width, Height, colBlack, 0x60)
	b.roundRect(x, y, alertW, h, 24, "2A1E16", 0)
	b.roundRectOutline(x, y, alertW, h, 24, colAmber)
	b.text(x+60, y+44, 7, 44, colWhite, true, "⚠  "+title)
	for i, l := range wrapped {
		b.text(x+60, y+122+i*42, 7, 30, colText, false, l)
	}
	what := map[Alert]string{AlertNoNetwork: "Network settings", AlertDiskFull: "Storage settings"}[a]
	b.text(x+60, y+h-56, 4, 30, colAccent, true, "OK  "+what)
	b.text(x+alertW-60, y+h-56, 6, 30, colDim, false, "BACK  Not now")
	return b.String()
}

// bufferingWhy is the reason playback waits for bytes that will not come
// soon, from the same conditions as the alerts: "" when none holds.
func (m *Model) bufferingWhy() string {
	switch m.ActiveAlert() {
	case AlertNoNetwork:
		return "No network connection: the box can only play what it already holds of this episode."
	case AlertDiskFull:
		return "The box's storage is full: it has no room to save the rest of this episode."
	}
	return ""
}
