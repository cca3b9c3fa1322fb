package screens

import (
	"slices"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"periph.io/x/conn/v3/ir"
)

// Section is a page of the settings screen.
type Section int

const (
	SecAbout Section = iota
	SecSeeding
	SecBandwidth
	SecStorage
	SecNetwork
	SecRemote
	SecPairing
	SecHousehold
	numSections
)

// SectionNames are the settings menu, in order.
var SectionNames = [numSections]string{"About", "Seeding", "Bandwidth", "Storage", "Network", "Remote", "Pairing", "Language & time"}

// NotAvailable is what a section says when the daemon does not offer its
// endpoint (404).
const NotAvailable = "Not available on this box yet."

// Refresh asks the controller to fetch settings, seeding, learn status and
// the remote's frames, and hand them to the model's Set* methods.
type Refresh struct{}

// PutSettings asks the controller to send a partial settings update.
type PutSettings struct{ Update api.SettingsUpdate }

// LearnCommand asks the controller to POST /api/remote/learn/{Cmd}
// (start, skip, cancel).
type LearnCommand struct{ Cmd string }

// RequestPairing asks the daemon to show a pairing code.
type RequestPairing struct{}

// Unpair asks the controller to forget a paired device
// (DELETE /api/pair/devices/{ID}) and then refresh the list.
type Unpair struct{ ID string }

func (Refresh) isAction()        {}
func (PutSettings) isAction()    {}
func (LearnCommand) isAction()   {}
func (RequestPairing) isAction() {}
func (Unpair) isAction()         {}

// Loaded is data fetched from the daemon: the last good value, and whether
// the endpoint is missing or the last fetch failed.
type Loaded[T any] struct {
	Value        T
	Have         bool
	NotAvailable bool   // 404: this daemon does not serve it
	Err          string // last failure, "" after a success
}

func (l *Loaded[T]) set(v T, err error, notAvailable bool) {
	switch {
	case notAvailable:
		l.NotAvailable, l.Err = true, ""
	case err != nil:
		l.Err = err.Error()
	default:
		l.Value, l.Have, l.NotAvailable, l.Err = v, true, false, ""
	}
}

// VideoInfo is the playback path the UI runs with, for the About page.
type VideoInfo struct {
	Output  string // "vo=gpu (drm, v3d)"
	Decoder string // "software H.264, hardware HEVC (rpi-hevc-dec)"
	Model   string // "Raspberry Pi 5 Model B Rev 1.0"
}

// IRFrame is a decoded remote frame for the diagnostics list.
type IRFrame struct {
	At       time.Time
	Protocol string
	Scancode string
	Key      string
}

// SettingsState is the settings screen.
type SettingsState struct {
	Section   Section
	InContent bool // focus is on the section's rows, not the menu
	Row       int

	View    Loaded[api.SettingsView]
	Seeding Loaded[api.SeedingView]
	Learn   Loaded[api.LearnStatus]
	Frames  []IRFrame
	Problem string // the daemon refused the last change, in its words
	Video   VideoInfo

	Household Loaded[api.HouseholdSettings]
	Net       Loaded[api.NetworkView]

	// Devices are the paired phones and browsers (GET /api/pair/devices).
	Devices Loaded[[]api.PairedDevice]
	// Confirm is the id of the device whose removal waits for a yes on
	// the Pairing page ("" when no question is up); ConfirmYes is the
	// focus on its Remove button (Cancel, the safe answer, comes first).
	Confirm    string
	ConfirmYes bool
}

// RowKind says how a row reacts to keys.
type RowKind int

const (
	RowAdjust RowKind = iota // Left/Right change the value
	RowToggle                // Left/Right/OK switch it
	RowAction                // OK does it
)

// Row is one focusable line of a section.
type Row struct {
	ID    string
	Label string
	Kind  RowKind
}

// Row ids.
const (
	RowVideoMode  = "video-mode"
	RowDayUp      = "day-up"
	RowDayDown    = "day-down"
	RowNight      = "night"
	RowNightStart = "night-start"
	RowNightEnd   = "night-end"
	RowNightUp    = "night-up"
	RowNightDown  = "night-down"
	RowKeepFree   = "keep-free"
	RowLearnStart = "learn-start"
	RowLearnSkip  = "learn-skip"
	RowLearnStop  = "learn-stop"
	RowPair       = "pair"
	// RowDevicePrefix starts the id of a paired device's row on the
	// Pairing page; the device's id (api.PairedDevice.ID) follows.
	RowDevicePrefix = "device:"
	RowWifi         = "wifi"
	RowLanguage     = "language"
	RowTimeZone     = "time-zone"
)

// Rows returns the focusable rows of the current section.
func (s *SettingsState) Rows() []Row {
	have := s.View.Have
	switch s.Section {
	case SecAbout:
		if have {
			return []Row{{RowVideoMode, "Output mode", RowAdjust}}
		}
	case SecBandwidth:
		if have {
			return []Row{
				{RowDayUp, "Daytime upload", RowAdjust},
				{RowDayDown, "Daytime download", RowAdjust},
				{RowNight, "Overnight schedule", RowToggle},
				{RowNightStart, "Overnight from", RowAdjust},
				{RowNightEnd, "Overnight until", RowAdjust},
				{RowNightUp, "Overnight upload", RowAdjust},
				{RowNightDown, "Overnight download", RowAdjust},
			}
		}
	case SecStorage:
		if have {
			return []Row{{RowKeepFree, "Keep free", RowAdjust}}
		}
	case SecRemote:
		if !s.Learn.Have {
			return nil
		}
		if s.Learn.Value.State == api.LearnRunning {
			stop := Row{RowLearnStop, "Stop learning", RowAction}
			if s.Learn.Value.Step == 0 {
				return []Row{stop} // OK cannot be skipped
			}
			return []Row{{RowLearnSkip, "Skip this button", RowAction}, stop}
		}
		return []Row{{RowLearnStart, "Learn a remote", RowAction}}
	case SecPairing:
		rows := []Row{{RowPair, "Pair a phone", RowAction}}
		for _, d := range s.Devices.Value {
			rows = append(rows, Row{RowDevicePrefix + d.ID, d.Label, RowAction})
		}
		return rows
	case SecNetwork:
		if s.Net.Have && s.Net.Value.Wifi != nil {
			return []Row{{RowWifi, "Wi-Fi network", RowAction}}
		}
	case SecHousehold:
		if s.Household.Have {
			return []Row{{RowLanguage, "Language", RowAction}, {RowTimeZone, "Time zone", RowAction}}
		}
	}
	return nil
}

// Steps for the adjustable values.
var (
	// CapSteps are the caps Left/Right step through, in bytes/s (Mbit/s
	// as households know them); Right after the last is unlimited (0).
	CapSteps  = []int64{1 * mbit, 2 * mbit, 5 * mbit, 10 * mbit, 20 * mbit, 50 * mbit, 100 * mbit}
	VideoMode = []string{"1920x1080@60", "1920x1080@50", "1280x720@60", "3840x2160@30", "3840x2160@60"}
)

const (
	mbit         = 125_000 // bytes/s in one Mbit/s
	timeStep     = 30      // minutes
	keepFreeStep = 5       // percent
	keepFreeMin  = 5
	keepFreeMax  = 50
)

// stepCap moves a cap (bytes/s, 0 unlimited) one step in dir (+1 more, -1 less).
func stepCap(cur int64, dir int) int64 {
	n := len(CapSteps)
	pos := n // unlimited
	exact := cur == 0
	if cur > 0 {
		pos = n
		for i, v := range CapSteps {
			if v >= cur {
				pos, exact = i, v == cur
				break
			}
		}
		if pos == n {
			pos, exact = n-1, false // above the top step: between it and unlimited
			if dir > 0 {
				return 0
			}
			return CapSteps[n-1]
		}
	}
	next := pos
	switch {
	case dir > 0 && exact:
		next = pos + 1
	case dir > 0:
		next = pos
	default:
		next = pos - 1
	}
	next = min(max(next, 0), n)
	if next == n {
		return 0
	}
	return CapSteps[next]
}

func stepMinute(cur, dir int) int {
	cur = (cur/timeStep)*timeStep + dir*timeStep
	return ((cur % 1440) + 1440) % 1440
}

// settingsKey handles a key on the settings screen.
func (m *Model) settingsKey(k ir.Key) []Action {
	s := &m.Settings
	if s.Confirm != "" && k != ir.KEY_HOME && k != ir.KEY_MENU {
		return m.confirmKey(k)
	}
	s.Confirm = ""
	switch k {
	case ir.KEY_HOME, ir.KEY_MENU:
		return m.closeSettings()
	}
	if !s.InContent {
		switch k {
		case ir.KEY_UP:
			s.Section, s.Problem = max(s.Section-1, 0), ""
		case ir.KEY_DOWN:
			s.Section, s.Problem = min(s.Section+1, numSections-1), ""
		case ir.KEY_RIGHT, ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
			if len(s.Rows()) > 0 {
				s.InContent, s.Row = true, 0
			}
		case ir.KEY_BACK, ir.KEY_ESC, ir.KEY_BACKSPACE, ir.KEY_EXIT, ir.KEY_LEFT:
			return m.closeSettings()
		}
		return nil
	}
	rows := s.Rows()
	if len(rows) == 0 {
		s.InContent = false
		return nil
	}
	s.Row = min(max(s.Row, 0), len(rows)-1)
	row := rows[s.Row]
	switch k {
	case ir.KEY_UP:
		s.Row = max(s.Row-1, 0)
	case ir.KEY_DOWN:
		s.Row = min(s.Row+1, len(rows)-1)
	case ir.KEY_BACK, ir.KEY_ESC, ir.KEY_BACKSPACE, ir.KEY_EXIT:
		s.InContent = false
		if m.learning() {
			return []Action{LearnCommand{Cmd: "cancel"}}
		}
	case ir.KEY_LEFT:
		if row.Kind == RowAction {
			s.InContent = false
			return nil
		}
		return m.adjust(row.ID, -1)
	case ir.KEY_RIGHT:
		if row.Kind == RowAction {
			return nil
		}
		return m.adjust(row.ID, +1)
	case ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
		switch row.Kind {
		case RowToggle:
			return m.adjust(row.ID, +1)
		case RowAction:
			return m.activate(row.ID)
		}
	}
	return nil
}

func (m *Model) learning() bool {
	l := m.Settings.Learn
	return l.Have && l.Value.State == api.LearnRunning
}

// adjust changes the value of row id by one step in dir, applies it to
// the local copy at once and asks for the matching PUT.
func (m *Model) adjust(id string, dir int) []Action {
	s := &m.Settings
	v := &s.View.Value
	bw := &v.Bandwidth
	s.Problem = ""
	switch id {
	case RowVideoMode:
		cur := v.Video.Mode
		if cur == "" {
			cur = VideoMode[0]
		}
		i := 0
		for j, mode := range VideoMode {
			if mode == cur {
				i = j
			}
		}
		i = min(max(i+dir, 0), len(VideoMode)-1)
		if VideoMode[i] == cur {
			return nil
		}
		v.Video.Mode = VideoMode[i]
		vs := v.Video
		return []Action{PutSettings{Update: api.SettingsUpdate{Video: &vs}}}
	case RowKeepFree:
		p := min(max(v.Storage.KeepFreePercent+dir*keepFreeStep, keepFreeMin), keepFreeMax)
		if p == v.Storage.KeepFreePercent {
			return nil
		}
		v.Storage.KeepFreePercent = p
		return []Action{PutSettings{Update: api.SettingsUpdate{KeepFreePercent: &p}}}
	case RowDayUp:
		bw.DayUp = stepCap(bw.DayUp, dir)
	case RowDayDown:
		bw.DayDown = stepCap(bw.DayDown, dir)
	case RowNight:
		bw.Night.Enabled = !bw.Night.Enabled
		if bw.Night.Enabled && bw.Night.StartMinute == bw.Night.EndMinute {
			bw.Night.StartMinute, bw.Night.EndMinute = 60, 7*60 // 01:00 to 07:00
		}
	case RowNightStart:
		bw.Night.StartMinute = stepMinute(bw.Night.StartMinute, dir)
		if bw.Night.StartMinute == bw.Night.EndMinute {
			bw.Night.StartMinute = stepMinute(bw.Night.StartMinute, dir)
		}
	case RowNightEnd:
		bw.Night.EndMinute = stepMinute(bw.Night.EndMinute, dir)
		if bw.Night.StartMinute == bw.Night.EndMinute {
			bw.Night.EndMinute = stepMinute(bw.Night.EndMinute, dir)
		}
	case RowNightUp:
		bw.Night.Up = stepCap(bw.Night.Up, dir)
	case RowNightDown:
		bw.Night.Down = stepCap(bw.Night.Down, dir)
	default:
		return nil
	}
	b := *bw
	return []Action{PutSettings{Update: api.SettingsUpdate{Bandwidth: &b}}}
}

func (m *Model) activate(id string) []Action {
	s := &m.Settings
	switch id {
	case RowLearnStart:
		// Shown until the daemon answers: the steps it named last time.
		steps := s.Learn.Value.Keys
		s.Learn.Value = api.LearnStatus{State: api.LearnRunning, Steps: len(steps), Keys: steps, Prompt: "Press OK on your remote"}
		if len(steps) > 0 {
			s.Learn.Value.Key = steps[0]
		}
		s.Row = 0
		return []Action{LearnCommand{Cmd: "start"}}
	case RowLearnSkip:
		return []Action{LearnCommand{Cmd: "skip"}}
	case RowLearnStop:
		s.Row = 0
		return []Action{LearnCommand{Cmd: "cancel"}}
	case RowPair:
		return []Action{RequestPairing{}}
	default:
		if dev, ok := strings.CutPrefix(id, RowDevicePrefix); ok {
			s.Confirm, s.ConfirmYes = dev, false
		}
	case RowWifi:
		return m.OpenSetupStep(StepNetworks)
	case RowLanguage:
		return m.OpenSetupStep(StepLanguage)
	case RowTimeZone:
		return m.OpenSetupStep(StepTimeZone)
	}
	return nil
}

// confirmKey answers the "Remove this device?" question: Left/Right move
// between Cancel and Remove, OK takes the focused answer, Back cancels.
// Remove drops the device from the list at once and asks the controller
// to forget it; the next refresh shows the daemon's list.
func (m *Model) confirmKey(k ir.Key) []Action {
	s := &m.Settings
	switch k {
	case ir.KEY_LEFT, ir.KEY_RIGHT:
		s.ConfirmYes = !s.ConfirmYes
	case ir.KEY_BACK, ir.KEY_ESC, ir.KEY_BACKSPACE, ir.KEY_EXIT:
		s.Confirm = ""
	case ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
		id := s.Confirm
		s.Confirm = ""
		if !s.ConfirmYes {
			return nil
		}
		s.Devices.Value = slices.DeleteFunc(slices.Clone(s.Devices.Value), func(d api.PairedDevice) bool { return d.ID == id })
		m.clampSettings()
		return []Action{Unpair{ID: id}}
	}
	return nil
}

// ConfirmDevice is the device the removal question is about.
func (s *SettingsState) ConfirmDevice() (api.PairedDevice, bool) {
	for _, d := range s.Devices.Value {
		if d.ID == s.Confirm && s.Confirm != "" {
			return d, true
		}
	}
	return api.PairedDevice{}, false
}

// SetDevices records GET /api/pair/devices. A question about a device
// that is gone is dropped.
func (m *Model) SetDevices(v []api.PairedDevice, err error, notAvailable bool) {
	m.Settings.Devices.set(v, err, notAvailable)
	if _, ok := m.Settings.ConfirmDevice(); !ok {
		m.Settings.Confirm = ""
	}
	m.clampSettings()
}

// OpenSettings shows the settings screen on its first section and asks
// for fresh data.
func (m *Model) OpenSettings() []Action {
	m.Screen = Settings
	m.Header = false
	m.Settings.Section, m.Settings.InContent, m.Settings.Row = SecAbout, false, 0
	m.Settings.Problem = ""
	return []Action{Refresh{}}
}

func (m *Model) closeSettings() []Action {
	m.Screen = Home
	m.Settings.Confirm = ""
	if m.learning() {
		return []Action{LearnCommand{Cmd: "cancel"}}
	}
	return nil
}

// SetSettings records GET /api/settings or a PUT's answer. The controller
// does not deliver fetches that race a PUT in flight.
func (m *Model) SetSettings(v api.SettingsView, err error, notAvailable bool) {
	m.Settings.View.set(v, err, notAvailable)
	m.clampSettings()
}

// SettingsRefused records that the daemon refused a change; the next
// refresh brings back the values in force.
func (m *Model) SettingsRefused(msg string) { m.Settings.Problem = msg }

// SetSeeding records GET /api/seeding.
func (m *Model) SetSeeding(v api.SeedingView, err error, notAvailable bool) {
	m.Settings.Seeding.set(v, err, notAvailable)
}

// SetLearn records the learn status.
func (m *Model) SetLearn(v api.LearnStatus, err error, notAvailable bool) {
	m.Settings.Learn.set(v, err, notAvailable)
	m.clampSettings()
}

// SetFrames records the remote's last decoded frames (oldest first).
func (m *Model) SetFrames(f []IRFrame) { m.Settings.Frames = f }

// SetVideo records the playback path for the About page.
func (m *Model) SetVideo(v VideoInfo) { m.Settings.Video = v }

// LearnActive says whether learn mode runs (the controller polls faster).
func (m *Model) LearnActive() bool { return m.learning() }

func (m *Model) clampSettings() {
	s := &m.Settings
	rows := s.Rows()
	if len(rows) == 0 {
		s.InContent = false
	}
	s.Row = min(max(s.Row, 0), max(len(rows)-1, 0))
}
