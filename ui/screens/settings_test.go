package screens

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"
)

func settingsView() api.SettingsView {
	return api.SettingsView{
		Box: api.BoxInfo{Version: "2026.11.25", Hostname: "atomicbox"},
		Bandwidth: api.BandwidthSettings{DayUp: 5 * mbit, DayDown: 0,
			Night: api.NightWindow{Enabled: true, StartMinute: 60, EndMinute: 420, Up: 0, Down: 0}},
		Storage:      api.StorageView{TotalBytes: 58e9, FreeBytes: 16e9, LibraryBytes: 30e9, KeepFreePercent: 10},
		Reachability: api.Reachability{Method: "upnp", OK: true, ExternalAddr: "203.0.113.7:42069", ListenPort: 42069},
	}
}

// settingsModel is a home screen with a catalog and settings loaded.
func settingsModel() *Model {
	var m Model
	m.SetCatalog(catalog(3, 3))
	m.SetSettings(settingsView(), nil, false)
	m.SetLearn(api.LearnStatus{State: api.LearnIdle, Steps: len(learnKeys), Keys: learnKeys}, nil, false)
	return &m
}

type settingsPos struct {
	Screen    Screen
	Header    bool
	Section   Section
	InContent bool
	Row       int
}

func TestSettingsNavigation(t *testing.T) {
	tests := []struct {
		name   string
		keys   []ir.Key
		want   settingsPos
		acts   []Action
		reason string
	}{
		{"menu opens", keys(ir.KEY_MENU), settingsPos{Screen: Settings}, []Action{Refresh{}}, "MENU opens settings on About and asks for fresh data"},
		{"up reaches the button", keys(ir.KEY_UP), settingsPos{Screen: Home, Header: true}, nil, "Up from the first row focuses the Settings button"},
		{"button opens", keys(ir.KEY_UP, ir.KEY_OK), settingsPos{Screen: Settings}, []Action{Refresh{}}, "OK on the Settings button opens settings"},
		{"down leaves the button", keys(ir.KEY_UP, ir.KEY_DOWN), settingsPos{Screen: Home}, nil, "Down goes back to the rows"},
		{"back leaves the button", keys(ir.KEY_UP, ir.KEY_BACK), settingsPos{Screen: Home}, nil, "Back goes back to the rows"},
		{"right on the button", keys(ir.KEY_UP, ir.KEY_RIGHT), settingsPos{Screen: Home, Header: true}, nil, "nothing beside the button"},
		{"sections", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_DOWN), settingsPos{Screen: Settings, Section: SecBandwidth}, []Action{Refresh{}}, "Down walks the menu"},
		{"sections clamp", keys(ir.KEY_MENU, ir.KEY_UP, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN),
			settingsPos{Screen: Settings, Section: SecHousehold}, []Action{Refresh{}}, "the menu does not wrap"},
		{"enter section", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_DOWN), settingsPos{Screen: Settings, Section: SecBandwidth, InContent: true, Row: 1},
			[]Action{Refresh{}}, "Right enters the page, Down moves between its rows"},
		{"rows clamp", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK, ir.KEY_UP, ir.KEY_UP), settingsPos{Screen: Settings, Section: SecBandwidth, InContent: true, Row: 0},
			[]Action{Refresh{}}, "no row above the first"},
		{"seeding has no rows", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_RIGHT), settingsPos{Screen: Settings, Section: SecSeeding},
			[]Action{Refresh{}}, "a page without rows keeps the focus on the menu"},
		{"back to menu", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_BACK), settingsPos{Screen: Settings, Section: SecBandwidth},
			[]Action{Refresh{}}, "Back in a page returns to the menu"},
		{"back home", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_BACK), settingsPos{Screen: Home, Section: SecSeeding}, []Action{Refresh{}}, "Back on the menu returns home"},
		{"left home", keys(ir.KEY_MENU, ir.KEY_LEFT), settingsPos{Screen: Home}, []Action{Refresh{}}, "Left on the menu returns home"},
		{"home key", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_HOME), settingsPos{Screen: Home, Section: SecBandwidth, InContent: true},
			[]Action{Refresh{}}, "HOME leaves settings from anywhere"},
		{"left on an action row", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_LEFT),
			settingsPos{Screen: Settings, Section: SecPairing}, []Action{Refresh{}}, "Left on a row without a value goes back to the menu"},
		{"pairing", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK, ir.KEY_OK),
			settingsPos{Screen: Settings, Section: SecPairing, InContent: true}, []Action{Refresh{}, RequestPairing{}}, "OK on the pairing row asks for a code"},
	}
	for _, tt := range tests {
		m := settingsModel()
		var acts []Action
		for _, k := range tt.keys {
			acts = append(acts, m.Key(k, t0)...)
		}
		got := settingsPos{m.Screen, m.Header, m.Settings.Section, m.Settings.InContent, m.Settings.Row}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): position (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		if diff := cmp.Diff(tt.acts, acts); diff != "" {
			t.Errorf("%s (%s): actions (-want +got):\n%s", tt.name, tt.reason, diff)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestSettingsChanges: each change is applied at once and asks for the
// PUT carrying it.
func TestSettingsChanges(t *testing.T) {
	bw := func(f func(b *api.BandwidthSettings)) Action {
		b := settingsView().Bandwidth
		f(&b)
		return PutSettings{Update: api.SettingsUpdate{Bandwidth: &b}}
	}
	bandwidth := keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT)
	tests := []struct {
		name   string
		keys   []ir.Key
		want   []Action
		reason string
	}{
		{"day upload up", keys(ir.KEY_RIGHT), []Action{bw(func(b *api.BandwidthSettings) { b.DayUp = 10 * mbit })}, "Right raises the cap one step (5 -> 10 Mbit/s)"},
		{"day upload down twice", keys(ir.KEY_LEFT, ir.KEY_LEFT), []Action{
			bw(func(b *api.BandwidthSettings) { b.DayUp = 2 * mbit }),
			bw(func(b *api.BandwidthSettings) { b.DayUp = 1 * mbit })}, "each step sends the whole bandwidth block"},
		{"day upload floor", keys(ir.KEY_LEFT, ir.KEY_LEFT, ir.KEY_LEFT), []Action{
			bw(func(b *api.BandwidthSettings) { b.DayUp = 2 * mbit }),
			bw(func(b *api.BandwidthSettings) { b.DayUp = 1 * mbit }),
			bw(func(b *api.BandwidthSettings) { b.DayUp = 1 * mbit })}, "1 Mbit/s is the lowest cap"},
		{"day download from unlimited", keys(ir.KEY_DOWN, ir.KEY_LEFT), []Action{bw(func(b *api.BandwidthSettings) { b.DayDown = 100 * mbit })}, "Left from unlimited is the highest cap"},
		{"night off", keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK), []Action{bw(func(b *api.BandwidthSettings) { b.Night.Enabled = false })}, "OK switches the overnight schedule"},
		{"night start later", keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT), []Action{bw(func(b *api.BandwidthSettings) { b.Night.StartMinute = 90 })}, "times move in 30 minute steps"},
		{"night end wraps", keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_LEFT), []Action{bw(func(b *api.BandwidthSettings) { b.Night.EndMinute = 390 })}, "07:00 back to 06:30"},
		{"night upload", keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_LEFT), []Action{bw(func(b *api.BandwidthSettings) { b.Night.Up = 100 * mbit })}, "overnight caps step like the daytime ones"},
	}
	for _, tt := range tests {
		m := settingsModel()
		for _, k := range bandwidth {
			m.Key(k, t0)
		}
		var got []Action
		for _, k := range tt.keys {
			got = append(got, m.Key(k, t0)...)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): actions (-want +got):\n%s", tt.name, tt.reason, diff)
		}
	}

	// Storage: keep-free in 5% steps, 5..50.
	m := settingsModel()
	var got []Action
	for _, k := range keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_LEFT, ir.KEY_LEFT, ir.KEY_LEFT) {
		got = append(got, m.Key(k, t0)...)
	}
	want := []Action{Refresh{}, PutSettings{Update: api.SettingsUpdate{KeepFreePercent: ptr(15)}},
		PutSettings{Update: api.SettingsUpdate{KeepFreePercent: ptr(10)}}, PutSettings{Update: api.SettingsUpdate{KeepFreePercent: ptr(5)}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keep free (-want +got):\n%s", diff)
	}
	// About: the output mode.
	m = settingsModel()
	got = nil
	for _, k := range keys(ir.KEY_MENU, ir.KEY_RIGHT, ir.KEY_LEFT, ir.KEY_RIGHT) {
		got = append(got, m.Key(k, t0)...)
	}
	want = []Action{Refresh{}, PutSettings{Update: api.SettingsUpdate{Video: &api.VideoSettings{Mode: "1920x1080@50"}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("output mode (-want +got):\n%s", diff)
	}
}

func TestStepCap(t *testing.T) {
	tests := []struct {
		cur    int64
		dir    int
		want   int64
		reason string
	}{
		{0, +1, 0, "unlimited is the top"},
		{0, -1, 100 * mbit, "below unlimited is the highest step"},
		{5 * mbit, +1, 10 * mbit, "on a step: the next one"},
		{3 * mbit, +1, 5 * mbit, "between steps: the step above"},
		{3 * mbit, -1, 2 * mbit, "between steps: the step below"},
		{1, -1, 1 * mbit, "below the lowest step snaps to it"},
		{200 * mbit, +1, 0, "above the highest step: unlimited"},
		{200 * mbit, -1, 100 * mbit, "above the highest step: down to it"},
	}
	for _, tt := range tests {
		if got := stepCap(tt.cur, tt.dir); got != tt.want {
			t.Errorf("stepCap(%d, %d) = %d, want %d (%s)", tt.cur, tt.dir, got, tt.want, tt.reason)
		}
	}
}

// TestLearnFlow walks learn mode as the daemon reports it.
func TestLearnFlow(t *testing.T) {
	m := settingsModel()
	for _, k := range keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN) {
		m.Key(k, t0)
	}
	if m.Settings.Section != SecRemote {
		t.Fatalf("section %v, want Remote", m.Settings.Section)
	}
	steps := []struct {
		name   string
		key    ir.Key
		status *api.LearnStatus // what the daemon says next (nil: nothing new)
		acts   []Action
		page   string // text on the page afterwards
		reason string
	}{
		{"enter", ir.KEY_RIGHT, nil, nil, "Learn a remote", "the page offers learning"},
		{"start", ir.KEY_OK, &api.LearnStatus{State: api.LearnRunning, Step: 0, Steps: 8, Keys: learnKeys, Key: ir.KEY_OK, Prompt: "Press OK on your remote", SecondsLeft: 30},
			[]Action{LearnCommand{Cmd: "start"}}, "Press OK on your remote", "OK starts learning and the prompt shows"},
		{"confirm", "", &api.LearnStatus{State: api.LearnRunning, Step: 0, Steps: 8, Keys: learnKeys, Key: ir.KEY_OK, Prompt: "Press OK again to confirm", Confirming: true},
			nil, "Press OK again to confirm", "the daemon's prompt is shown as it changes"},
		{"next key", "", &api.LearnStatus{State: api.LearnRunning, Step: 1, Steps: 8, Keys: learnKeys, Key: ir.KEY_UP, Prompt: "Press UP on your remote"},
			nil, "Step 2 of 8", "the step advances"},
		{"skip", ir.KEY_OK, nil, []Action{LearnCommand{Cmd: "skip"}}, "Press UP on your remote", "OK on the first row while learning skips the button"},
		{"stop", ir.KEY_DOWN, nil, nil, "Stop learning", "the second row stops"},
		{"back cancels", ir.KEY_BACK, &api.LearnStatus{State: api.LearnCanceled, Steps: 8, Keys: learnKeys, Prompt: "Learning was cancelled; the keymap is unchanged."},
			[]Action{LearnCommand{Cmd: "cancel"}}, "Learning was cancelled", "Back while learning cancels and returns to the menu"},
	}
	for _, st := range steps {
		var acts []Action
		if st.key != "" {
			acts = m.Key(st.key, t0)
		}
		if st.status != nil {
			m.SetLearn(*st.status, nil, false)
		}
		if diff := cmp.Diff(st.acts, acts); diff != "" {
			t.Errorf("%s (%s): actions (-want +got):\n%s", st.name, st.reason, diff)
		}
		if page := Render(m, t0).Home; !strings.Contains(page, st.page) {
			t.Errorf("%s (%s): page lacks %q", st.name, st.reason, st.page)
		}
	}
	if m.Settings.InContent {
		t.Error("after Back the focus is still in the page")
	}
	// Leaving settings while learning cancels too.
	m.SetLearn(api.LearnStatus{State: api.LearnRunning, Steps: 8, Keys: learnKeys, Key: ir.KEY_OK}, nil, false)
	if got := m.Key(ir.KEY_HOME, t0); !cmp.Equal(got, []Action{LearnCommand{Cmd: "cancel"}}) {
		t.Errorf("HOME while learning: actions %v, want a cancel", got)
	}
}

// TestSettingsDegrade: a daemon without the endpoints shows it plainly,
// and refusals are shown in the daemon's words.
func TestSettingsDegrade(t *testing.T) {
	var m Model
	m.SetCatalog(catalog(1))
	m.Key(ir.KEY_MENU, t0)
	m.SetSettings(api.SettingsView{}, errors.New("404"), true)
	m.SetSeeding(api.SeedingView{}, errors.New("404"), true)
	m.SetLearn(api.LearnStatus{}, errors.New("404"), true)
	for _, sec := range []Section{SecSeeding, SecBandwidth, SecStorage, SecNetwork, SecRemote} {
		m.Settings.Section = sec
		if page := Render(&m, t0).Home; !strings.Contains(page, NotAvailable) {
			t.Errorf("%s: page does not say %q", SectionNames[sec], NotAvailable)
		}
		if rows := m.Settings.Rows(); len(rows) != 0 {
			t.Errorf("%s: rows %v without data", SectionNames[sec], rows)
		}
	}
	m.Settings.Section = SecAbout
	m.SetVideo(VideoInfo{Output: "vo=gpu (drm, v3d)", Decoder: "software H.264"})
	if page := Render(&m, t0).Home; !strings.Contains(page, "vo=gpu (drm, v3d)") || !strings.Contains(page, "1080p 60 Hz") {
		t.Errorf("About without daemon settings lacks the video path or the default mode:\n%s", page)
	}
	m = *settingsModel()
	m.Key(ir.KEY_MENU, t0)
	m.Key(ir.KEY_DOWN, t0)
	m.Key(ir.KEY_DOWN, t0)
	m.SettingsRefused("bandwidth: the overnight window starts and ends at the same minute; give it a length")
	if page := Render(&m, t0).Home; !strings.Contains(page, "bandwidth: the overnight window") {
		t.Error("the daemon's refusal is not shown")
	}
	// A pairing code asked for in settings shows on the Pairing page.
	m.ShowPairing(api.PairingEvent{Code: "042917", ExpiresAt: t0.Add(60e9)})
	f := Render(&m, t0)
	if m.Settings.Section != SecPairing || !strings.Contains(f.Home, "042 917") || strings.Contains(f.Top, "042 917") {
		t.Errorf("pairing in settings: section %v, page has code %v, top has code %v", m.Settings.Section, strings.Contains(f.Home, "042 917"), strings.Contains(f.Top, "042 917"))
	}
}

// learnKeys are the steps the daemon's learn mode names (gpio/keymap.LearnKeys).
var learnKeys = []ir.Key{ir.KEY_OK, ir.KEY_UP, ir.KEY_DOWN, ir.KEY_LEFT, ir.KEY_RIGHT, ir.KEY_BACK, ir.KEY_PLAYPAUSE, ir.KEY_HOME}

// TestSeedingSaysWhatItCounts: the seeding page counts other boxes (the
// ledger's distinct peers), not viewers, and says its days end at the
// household's midnight.
func TestSeedingSaysWhatItCounts(t *testing.T) {
	m := settingsModel()
	m.Key(ir.KEY_MENU, t0)
	m.SetHousehold(api.HouseholdSettings{TimeZone: "Europe/Berlin", Language: "en", SetUp: true}, nil, false)
	day := api.SeedingDay{Date: "2026-11-25", BytesUploaded: 3 << 30, Peers: 12}
	m.SetSeeding(api.SeedingView{Today: day, Days: []api.SeedingDay{day},
		Torrents: []api.SeedingTorrent{{Episode: "s0e0", InfoHash: "ab", BytesUploaded: 1 << 30, Peers: 1}}}, nil, false)
	m.Settings.Section = SecSeeding
	page := Render(m, t0).Home
	for _, want := range []string{"other boxes helped today", "Days end at midnight, Europe/Berlin", "Each other box counts once a day", "1 box"} {
		if !strings.Contains(page, want) {
			t.Errorf("the seeding page lacks %q", want)
		}
	}
	if strings.Contains(page, "viewer") {
		t.Error("the seeding page counts viewers; it counts other boxes")
	}
}

// TestPairedDevicesPage: the Pairing page lists the paired devices after
// "Pair a phone"; OK on one asks before removing it, with Cancel focused;
// only Remove then OK removes it (at once in the list, and as an Unpair
// for the daemon); Back or Cancel keep it.
func TestPairedDevicesPage(t *testing.T) {
	devs := []api.PairedDevice{
		{ID: "aaaaaaaaaaaa", Label: "iPhone", Created: t0.Add(-48 * time.Hour), LastUsed: t0.Truncate(24 * time.Hour)},
		{ID: "bbbbbbbbbbbb", Label: "Android phone (Pixel 7)", Created: t0.Add(-30 * 24 * time.Hour), LastUsed: t0.Add(-24 * time.Hour).Truncate(24 * time.Hour)},
	}
	tests := []struct {
		name   string
		keys   []ir.Key
		want   []Action
		left   []string // device ids still listed
		asking bool     // the question is still up
		reason string
	}{
		{"ask", keys(ir.KEY_DOWN, ir.KEY_OK), nil, []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}, true, "OK on a device asks first"},
		{"cancel is first", keys(ir.KEY_DOWN, ir.KEY_OK, ir.KEY_OK), nil, []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}, false, "OK at once takes Cancel, the safe answer"},
		{"back keeps it", keys(ir.KEY_DOWN, ir.KEY_OK, ir.KEY_RIGHT, ir.KEY_BACK), nil, []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}, false, "Back closes the question"},
		{"remove", keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK, ir.KEY_RIGHT, ir.KEY_OK), []Action{Unpair{ID: "bbbbbbbbbbbb"}}, []string{"aaaaaaaaaaaa"}, false, "Remove then OK forgets that device"},
		{"pair", keys(ir.KEY_OK), []Action{RequestPairing{}}, []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}, false, "the first row asks for a pairing code"},
	}
	for _, tt := range tests {
		m := settingsModel()
		m.OpenSettings()
		m.SetDevices(devs, nil, false)
		for range SecPairing {
			m.Key(ir.KEY_DOWN, t0)
		}
		m.Key(ir.KEY_RIGHT, t0)
		var got []Action
		for _, k := range tt.keys {
			got = append(got, m.Key(k, t0)...)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): actions (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		var left []string
		for _, d := range m.Settings.Devices.Value {
			left = append(left, d.ID)
		}
		if diff := cmp.Diff(tt.left, left); diff != "" {
			t.Errorf("%s (%s): devices left (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		f := Render(m, t0)
		if asking := strings.Contains(f.Home, "Remove iPhone?"); asking != tt.asking || (m.Settings.Confirm != "") != tt.asking {
			t.Errorf("%s (%s): question up = %v (state %q), want %v", tt.name, tt.reason, asking, m.Settings.Confirm, tt.asking)
		}
	}
	// The list says what each device is and when it was seen.
	m := settingsModel()
	m.OpenSettings()
	m.SetDevices(devs, nil, false)
	m.Settings.Section = SecPairing
	f := Render(m, t0)
	for _, want := range []string{"Paired devices", "2 devices", "iPhone", "used today", "Android phone (Pixel 7)", "used yesterday"} {
		if !strings.Contains(f.Home, want) {
			t.Errorf("Pairing page lacks %q", want)
		}
	}
}

// TestSeedingShowsConfirmed: with the collector's figure the seeding page
// says what the network confirmed next to the box's own count; without it,
// it claims nothing.
func TestSeedingShowsConfirmed(t *testing.T) {
	m := settingsModel()
	m.Key(ir.KEY_MENU, t0)
	day := api.SeedingDay{Date: "2026-11-25", BytesUploaded: 3 << 30, Peers: 12}
	v := api.SeedingView{Today: day, Days: []api.SeedingDay{day}}
	m.SetSeeding(v, nil, false)
	m.Settings.Section = SecSeeding
	if page := Render(m, t0).Home; strings.Contains(page, "confirmed") {
		t.Errorf("without a collector figure the page says %q", "confirmed")
	}
	v.Confirmed = &api.SeedingConfirmed{Month: "2026-11", Claimed: 40e9, Confirmed: 31e9, Boxes: 14}
	m.SetSeeding(v, nil, false)
	page := Render(m, t0).Home
	for _, want := range []string{"This month: 40 GB shared, 31 GB confirmed by the network (14 boxes)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the seeding page lacks %q:\n%s", want, page)
		}
	}
}
