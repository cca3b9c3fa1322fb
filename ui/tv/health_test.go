package tv

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/library"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbox"
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

// TestDiskFullGolden: a daemon that says its storage is full (GET
// /api/settings) shows the disk-full panel with what uses the space,
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
	d.settings.Storage = api.StorageView{TotalBytes: 32_000_000_000, FreeBytes: 410_000_000, LibraryBytes: 29_900_000_000, KeepFreePercent: 10, Full: true}
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

// switchDisk is a 32 GB data disk whose free space the test sets: this
// machine has no full disk to give a daemon (the one part faked here).
// Safe for concurrent use.
type switchDisk struct{ avail atomic.Int64 }

func (d *switchDisk) Statfs(string) (library.Usage, error) {
	return library.Usage{Total: 32e9, Avail: d.avail.Load()}, nil
}

// TestDiskFullFromDaemon: a real daemon whose disk has 100 MB of 32 GB
// free (under the 10 % it keeps free) and nothing it may evict says so in
// GET /api/settings (storage.full); the TV shows the disk-full panel, Back
// leaves the one-line banner; once the disk has room again the daemon's
// next round clears the verdict and the TV drops the banner.
func TestDiskFullFromDaemon(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{Network: "Disk Test"})
	disk := &switchDisk{}
	disk.avail.Store(100e6)
	box := testbox.StartDaemon(t, ch, testbox.DaemonOptions{StatFS: disk, Policy: 100 * time.Millisecond})
	box.WaitEpisodes(t, ch.Episodes(), false, 30*time.Second)
	setUpHousehold(t, box.URL)
	waitFull := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			sv := getJSON[api.SettingsView](t, box.URL+"/api/settings")
			if sv.Storage.Full == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET /api/settings storage = %+v, want full=%v", sv.Storage, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFull(true)

	h := startUI(t, mpv.Headless, box.URL, func(c *Config) { c.HealthEvery = 200 * time.Millisecond })
	st := h.waitState(20*time.Second, "the disk-full panel", func(st probeState) bool {
		return st.model.ActiveAlert() == screens.AlertDiskFull && strings.Contains(st.frame.Top, "The box's storage is full")
	})
	_, lines := st.model.AlertText(screens.AlertDiskFull)
	if said := strings.Join(lines, " "); !strings.Contains(said, "100 MB free of 32 GB") {
		t.Errorf("the panel does not give the daemon's figures: %q", said)
	}
	h.key("ESC")
	h.waitState(5*time.Second, "the banner", func(st probeState) bool {
		return st.model.Screen == screens.Home && strings.Contains(st.frame.Top, "The box's storage is full: new episodes wait")
	})

	disk.avail.Store(16e9)
	waitFull(false)
	h.waitState(10*time.Second, "the banner gone", func(st probeState) bool {
		return st.model.ActiveAlert() == screens.AlertNone && !strings.Contains(st.frame.Top, "storage is full")
	})
}

// bannerText is the one-line banner's text in frame's top layer: its
// lines (centred 26 px events, as renderTop draws them) joined by spaces.
func bannerText(top string) string {
	var lines []string
	for _, ev := range strings.Split(top, "\n") {
		if !strings.HasPrefix(ev, `{\an5`) || !strings.Contains(ev, `\fs26\`) {
			continue
		}
		if i := strings.LastIndex(ev, "}"); i >= 0 {
			lines = append(lines, ev[i+1:])
		}
	}
	return strings.Join(lines, " ")
}

// TestBannerGoldens: the one-line banners over the home screen at 1080p,
// one golden each: the channel's listing refused, the disk full and no
// network (each after its panel was answered), the daemon restarting
// (just gone away). Each must say its whole sentence: the banner wraps
// to at most four lines and ellipsizes beyond, and a golden alone would
// let a cut last word pass (few pixels).
func TestBannerGoldens(t *testing.T) {
	startXvfb(t)
	cv := homeGoldenCatalog()
	d := newFakeDaemon(cv)
	testPosters(t, d, cv)
	fixedSettings(d)
	d.settings.Household = api.HouseholdSettings{Language: "en", SetUp: true}
	d.network = &api.NetworkView{Online: true, Interfaces: []api.InterfaceView{{Name: "eth0", Kind: api.InterfaceEthernet, Up: true, Addresses: []string{"192.168.1.20/24"}}}}
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Desktop, srv.URL, func(c *Config) {
		c.Now = func() time.Time { return goldenNow }
		c.HealthEvery = 200 * time.Millisecond
	})
	h.waitState(30*time.Second, "home", func(st probeState) bool {
		return st.settled && st.model.Loaded && st.model.Settings.Net.Have && st.model.ActiveAlert() == screens.AlertNone
	})
	banner := func(golden, sentence string) {
		t.Helper()
		st := h.waitState(20*time.Second, golden, func(st probeState) bool {
			return st.settled && st.model.Screen == screens.Home && strings.Contains(bannerText(st.frame.Top), sentence[:20])
		})
		if got := bannerText(st.frame.Top); got != sentence {
			t.Errorf("%s: the banner says %q, want the whole sentence %q", golden, got, sentence)
		}
		h.compareScreenshot(golden)
	}

	refused := "The channel's new listing was refused (bad signature); showing the last good one."
	d.mu.Lock()
	d.catalog.Problem = refused
	d.mu.Unlock()
	d.events <- api.Event{Type: api.EventCatalog, Catalog: &api.CatalogEvent{Sequence: 7, Problem: "refused"}}
	banner("banner-catalog-refused.png", refused)
	d.mu.Lock()
	d.catalog.Problem = ""
	d.mu.Unlock()
	d.events <- api.Event{Type: api.EventCatalog, Catalog: &api.CatalogEvent{Sequence: 8}}

	// The alerts' banners come once their panel was answered (Back).
	for _, c := range []struct {
		golden   string
		alert    screens.Alert
		set      func(on bool)
		sentence string
	}{
		{"banner-disk-full.png", screens.AlertDiskFull, func(on bool) { d.settings.Storage.Full = on },
			"The box's storage is full: new episodes wait. Settings → Storage"},
		{"banner-no-network.png", screens.AlertNoNetwork, func(on bool) { d.network.Online = !on },
			"No network connection: new episodes wait. Settings → Network"},
	} {
		d.mu.Lock()
		c.set(true)
		d.mu.Unlock()
		h.waitState(10*time.Second, c.golden+" panel", func(st probeState) bool {
			return st.model.ActiveAlert() == c.alert && strings.Contains(st.frame.Top, "BACK  Not now")
		})
		h.key("ESC")
		banner(c.golden, c.sentence)
		d.mu.Lock()
		c.set(false)
		d.mu.Unlock()
		h.waitState(10*time.Second, c.golden+" over", func(st probeState) bool { return st.model.ActiveAlert() == screens.AlertNone })
	}

	// The daemon restarting: gone a moment ago (the UI's clock stands
	// still, so the banner does not move on to "stopped answering").
	closeServer(srv)
	banner("banner-daemon-restarting.png", screens.OfflineMessage)
}
