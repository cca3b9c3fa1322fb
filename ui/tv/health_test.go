package tv

import (
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/screens"
)

// TestNoNetworkGolden: a set-up box whose GET /api/network says it is
// offline (Wi-Fi refused the passphrase, no cable) shows the no-network
// panel over the home screen with both states in words (golden); OK opens
// Settings → Network; back home, the panel stays answered and a one-line
// banner remains; when the network comes back (EventNetwork) the banner
// goes.
func TestNoNetworkGolden(t *testing.T) {
	startXvfb(t)
	cv := fixedCatalog()
	d := newFakeDaemon(cv)
	testPosters(t, d, cv)
	fixedSettings(d)
	d.settings.Household = api.HouseholdSettings{Language: "en", SetUp: true}
	d.network = &api.NetworkView{Online: false,
		Interfaces: []api.InterfaceView{{Name: "eth0", Kind: api.InterfaceEthernet}, {Name: "wlan0", Kind: api.InterfaceWifi, Up: true}},
		Wifi:       &api.WifiState{State: api.WifiFailed, SSID: "Home", Problem: api.WifiProblemWrongPassphrase, Message: "Wrong passphrase for Home."}}
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Desktop, srv.URL, func(c *Config) { c.HealthEvery = 200 * time.Millisecond })
	st := h.waitState(20*time.Second, "the no-network panel", func(st probeState) bool {
		return st.settled && st.model.ActiveAlert() == screens.AlertNoNetwork && strings.Contains(st.frame.Top, "No network connection")
	})
	_, lines := st.model.AlertText(screens.AlertNoNetwork)
	said := strings.Join(lines, " ")
	for _, want := range []string{"Wi-Fi: Wrong passphrase for Home.", "Cable: not plugged in.", "Episodes already on it still play"} {
		if !strings.Contains(said, want) {
			t.Errorf("the panel does not say %q", want)
		}
	}
	if !strings.Contains(st.frame.Top, "OK  Network settings") {
		t.Error("the panel does not offer the network settings")
	}
	h.compareScreenshot("home-no-network.png")

	h.key("ENTER")
	h.waitState(5*time.Second, "Settings → Network", func(st probeState) bool {
		return st.model.Screen == screens.Settings && st.model.Settings.Section == screens.SecNetwork
	})
	h.key("ESC")
	st = h.waitState(5*time.Second, "home with the banner", func(st probeState) bool {
		return st.model.Screen == screens.Home && strings.Contains(st.frame.Top, "No network connection: new episodes wait")
	})
	if strings.Contains(st.frame.Top, "Network settings") {
		t.Error("the answered panel came back")
	}
	d.setWifi(true, api.WifiState{State: api.WifiJoined, SSID: "Home", Address: "192.168.1.20/24"})
	h.waitState(10*time.Second, "online again", func(st probeState) bool {
		return st.model.ActiveAlert() == screens.AlertNone && !strings.Contains(st.frame.Top, "No network")
	})
}

// TestDiskFullGolden: storage figures under half the share kept free
// (GET /api/settings) show the disk-full panel with what uses the space,
// by show, and what the viewer can do (golden); Back closes it and leaves
// the banner; OK on the banner's settings would be Storage.
func TestDiskFullGolden(t *testing.T) {
	startXvfb(t)
	cv := fixedCatalog()
	for si := range cv.Shows {
		for ei := range cv.Shows[si].Episodes {
			cv.Shows[si].Episodes[ei].Size = int64(2_400_000_000 + 300_000_000*si)
		}
	}
	d := newFakeDaemon(cv)
	testPosters(t, d, cv)
	fixedSettings(d)
	d.settings.Storage = api.StorageView{TotalBytes: 32_000_000_000, FreeBytes: 410_000_000, LibraryBytes: 29_900_000_000, KeepFreePercent: 10}
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Desktop, srv.URL, func(c *Config) { c.HealthEvery = 200 * time.Millisecond })
	st := h.waitState(20*time.Second, "the disk-full panel", func(st probeState) bool {
		return st.settled && st.model.ActiveAlert() == screens.AlertDiskFull && strings.Contains(st.frame.Top, "storage is full")
	})
	_, lines := st.model.AlertText(screens.AlertDiskFull)
	said := strings.Join(lines, " ")
	for _, want := range []string{"410 MB free of 32 GB", "Episodes use 30 GB, other files 1.7 GB", "Most room: Orbit 14 GB, Deep Field 8.1 GB, The Long Signal 3.0 GB", "mark the ones you finished as watched"} {
		if !strings.Contains(said, want) {
			t.Errorf("the panel does not say %q", want)
		}
	}
	if !strings.Contains(st.frame.Top, "OK  Storage settings") {
		t.Error("the panel does not offer the storage settings")
	}
	h.compareScreenshot("home-disk-full.png")
	h.key("ESC")
	st = h.waitState(5*time.Second, "the banner", func(st probeState) bool {
		return strings.Contains(st.frame.Top, "storage is full: new episodes wait")
	})
	h.key("ENTER") // the home screen works again: OK plays
	h.waitState(5*time.Second, "the player", func(st probeState) bool { return st.model.Screen == screens.Player })
}
