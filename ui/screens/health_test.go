package screens

import (
	"strings"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"
)

// TestDiskFull: the disk counts as full when the daemon says so, whatever
// the figures (its next round may evict what the figures show).
func TestDiskFull(t *testing.T) {
	tests := []struct {
		st     api.StorageView
		want   bool
		reason string
	}{
		{api.StorageView{TotalBytes: 100e9, FreeBytes: 10e9, KeepFreePercent: 10}, false, "the whole share free: the daemon's steady state"},
		{api.StorageView{TotalBytes: 100e9, FreeBytes: 4.9e9, KeepFreePercent: 10}, false, "far under the share, but the daemon's round has not given up: it evicts first"},
		{api.StorageView{TotalBytes: 100e9, FreeBytes: 9e9, KeepFreePercent: 10, Full: true}, true, "downloads paused on the budget, though near the share"},
		{api.StorageView{TotalBytes: 100e9, FreeBytes: 0, KeepFreePercent: 10, Full: true}, true, "nothing free and nothing to evict"},
		{api.StorageView{}, false, "no figures (an older daemon): say nothing"},
	}
	for _, tt := range tests {
		if got := DiskFull(tt.st); got != tt.want {
			t.Errorf("DiskFull(%+v) = %v, want %v (%s)", tt.st, got, tt.want, tt.reason)
		}
	}
}

// TestAlerts: which alert holds, and the panel's keys: no network wins
// over a full disk; nothing is said while the daemon is away or before
// the household is set up; OK opens the page that deals with it, another
// key closes the panel for good while the condition holds, and it comes
// back once the condition cleared and returned.
func TestAlerts(t *testing.T) {
	offline := api.NetworkView{Online: false, Interfaces: []api.InterfaceView{{Name: "eth0", Kind: api.InterfaceEthernet}}}
	full := settingsView()
	full.Storage = api.StorageView{TotalBytes: 32e9, FreeBytes: 1e8, LibraryBytes: 30e9, KeepFreePercent: 10, Full: true}
	setUp := api.HouseholdSettings{Language: "en", SetUp: true}
	tests := []struct {
		name      string
		net       *api.NetworkView
		settings  api.SettingsView
		household *api.HouseholdSettings
		daemonOff bool
		want      Alert
		reason    string
	}{
		{"no network", &offline, settingsView(), &setUp, false, AlertNoNetwork, "offline after set-up"},
		{"both", &offline, full, &setUp, false, AlertNoNetwork, "no network is the more pressing"},
		{"disk full", nil, full, &setUp, false, AlertDiskFull, "a full disk with no network endpoint"},
		{"not set up", &offline, settingsView(), &api.HouseholdSettings{}, false, AlertNone, "the first-boot screens deal with the network"},
		{"daemon away", &offline, full, &setUp, true, AlertNone, "the daemon's own banner says it is away"},
		{"all well", &api.NetworkView{Online: true}, settingsView(), &setUp, false, AlertNone, "online with room"},
	}
	for _, tt := range tests {
		m := settingsModel()
		m.SetSettings(tt.settings, nil, false)
		if tt.household != nil {
			m.Settings.Household.set(*tt.household, nil, false)
		}
		if tt.net != nil {
			m.Settings.Net.set(*tt.net, nil, false)
		}
		m.SetOffline(tt.daemonOff, t0)
		if got := m.ActiveAlert(); got != tt.want {
			t.Errorf("%s (%s): alert %v, want %v", tt.name, tt.reason, got, tt.want)
		}
	}

	m := settingsModel()
	m.Settings.Household.set(setUp, nil, false)
	m.Settings.Net.set(offline, nil, false)
	if f := Render(m, t0); !strings.Contains(f.Top, "No network connection") || f.Posters != nil {
		t.Fatalf("the panel is not up (or posters stay above it): %q", f.Top)
	}
	if acts := m.Key(ir.KEY_RIGHT, t0); acts != nil || m.Col != 1 {
		t.Errorf("a key on the panel moved the focus or acted: %v, col %d", acts, m.Col)
	}
	if f := Render(m, t0); strings.Contains(f.Top, "BACK  Not now") || !strings.Contains(f.Top, "Settings → Network") {
		t.Errorf("after an answer the panel stays or the banner is missing: %q", f.Top)
	}
	m.Key(ir.KEY_RIGHT, t0)
	if m.Col != 2 {
		t.Errorf("the home screen does not take keys after the answer: col %d", m.Col)
	}
	m.Settings.Net.set(api.NetworkView{Online: true}, nil, false)
	m.Tick(t0)
	m.Settings.Net.set(offline, nil, false)
	got := m.Key(ir.KEY_OK, t0)
	if diff := cmp.Diff([]Action{Refresh{}}, got); diff != "" || m.Screen != Settings || m.Settings.Section != SecNetwork {
		t.Errorf("OK on the panel after the network came back and went: screen %v section %v, actions (-want +got):\n%s", m.Screen, m.Settings.Section, diff)
	}
}

// TestBufferingSaysWhy: an episode that stalls while the disk is full or
// the box is offline says why under "Buffering…"; otherwise it shows the
// percentage alone.
func TestBufferingSaysWhy(t *testing.T) {
	full := settingsView()
	full.Storage = api.StorageView{TotalBytes: 32e9, FreeBytes: 1e8, LibraryBytes: 30e9, KeepFreePercent: 10, Full: true}
	tests := []struct {
		name     string
		settings api.SettingsView
		net      api.NetworkView
		want     string
		reason   string
	}{
		{"disk full", full, api.NetworkView{Online: true}, "no room to save the rest", "a full disk cannot take the next pieces"},
		{"offline", settingsView(), api.NetworkView{}, "can only play what", "no network: only what is on the box"},
		{"just slow", settingsView(), api.NetworkView{Online: true}, "", "a slow swarm: the percentage alone"},
	}
	for _, tt := range tests {
		m := settingsModel()
		m.Settings.Household.set(api.HouseholdSettings{SetUp: true}, nil, false)
		m.Key(ir.KEY_OK, t0)
		m.Started(t0)
		m.SetSettings(tt.settings, nil, false)
		m.Settings.Net.set(tt.net, nil, false)
		m.Buffering(true, 37)
		osd := Render(m, t0).OSD
		if !strings.Contains(osd, "Buffering… 37%") {
			t.Fatalf("%s: no buffering line", tt.name)
		}
		for _, why := range []string{"no room to save the rest", "can only play what"} {
			if got := strings.Contains(osd, why); got != (why == tt.want) {
				t.Errorf("%s (%s): says %q = %v", tt.name, tt.reason, why, got)
			}
		}
	}
}
