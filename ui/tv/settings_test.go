package tv

import (
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/ui/daemon"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/screens"
	"github.com/google/go-cmp/cmp"
)

const mbit = 125_000

// fixedSettings is what the golden settings screens show.
func fixedSettings(d *fakeDaemon) {
	d.settings = &api.SettingsView{
		Box: api.BoxInfo{Version: "2026.11.25-d7cfb7c", Hostname: "atomicbox"},
		Bandwidth: api.BandwidthSettings{DayUp: 5 * mbit, DayDown: 0,
			Night: api.NightWindow{Enabled: true, StartMinute: 60, EndMinute: 420, Up: 0, Down: 0}},
		Storage:      api.StorageView{TotalBytes: 58_000_000_000, FreeBytes: 16_400_000_000, LibraryBytes: 34_100_000_000, KeepFreePercent: 10},
		Reachability: api.Reachability{Method: "upnp", OK: true, ExternalAddr: "203.0.113.7:42069", ListenPort: 42069},
		Video:        api.VideoSettings{Mode: "1920x1080@60"},
	}
	days := []int64{820e6, 1.31e9, 640e6, 2.2e9, 1.05e9, 380e6, 1.42e9}
	peers := []int{9, 14, 6, 31, 12, 4, 23}
	d.seeding = &api.SeedingView{}
	for i, b := range days {
		day := api.SeedingDay{Date: time.Date(2026, 11, 19+i, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), BytesUploaded: b, Peers: peers[i]}
		d.seeding.Days = append(d.seeding.Days, day)
	}
	d.seeding.Today = d.seeding.Days[6]
	d.seeding.Confirmed = &api.SeedingConfirmed{Month: "2026-11", Claimed: 41.6e9, Confirmed: 33.9e9, Boxes: 57}
	d.seeding.Torrents = []api.SeedingTorrent{
		{Episode: "orbit-s1e2", InfoHash: "3f0c9e2a7b", BytesUploaded: 760e6, Peers: 15},
		{Episode: "deepfield-s2e1", InfoHash: "a81d44c0e9", BytesUploaded: 510e6, Peers: 9},
		{Episode: "signal-s1e1", InfoHash: "77be01f3c2", BytesUploaded: 150e6, Peers: 4},
	}
	d.learn = &api.LearnStatus{State: api.LearnIdle, Steps: len(learnKeys), Keys: learnKeys, Prompt: "Learn a remote: choose Start.", Learned: []api.LearnedKey{}}
	at := func(s int) time.Time { return time.Date(2026, 11, 25, 20, 14, s, 0, time.Local) }
	d.frames = []daemon.RemoteFrame{
		{At: at(3), Protocol: "nec", Scancode: "0x0040", Key: "KEY_OK", Map: "generic-nec"},
		{At: at(5), Protocol: "rc6_mce", Scancode: "0x800f0422", Key: ""},
	}
}

// pi5 is the playback path a Raspberry Pi 5 gets (ChoosePlayback's table test).
var pi5 = screens.VideoInfo{Output: "vo=gpu (drm, v3d)", Decoder: "software H.264, hardware HEVC (rpi-hevc-dec)", Model: "Raspberry Pi 5 Model B Rev 1.0"}

// TestSettingsGolden screenshots the settings screen under Xvfb: About
// with a Pi 5's playback path, Seeding with a week of figures, and the
// learn step "Press OK on your remote".
func TestSettingsGolden(t *testing.T) {
	startXvfb(t)
	cv := fixedCatalog()
	d := newFakeDaemon(cv)
	fixedSettings(d)
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Desktop, srv.URL, func(c *Config) { c.Video = pi5 })
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded })

	h.key("UP")
	h.waitState(5*time.Second, "Settings button focused", func(st probeState) bool { return st.model.Header })
	h.key("ENTER")
	h.waitState(10*time.Second, "About with settings", func(st probeState) bool {
		return st.model.Screen == screens.Settings && st.model.Settings.View.Have && st.model.Settings.Seeding.Have && len(st.model.Settings.Frames) == 2
	})
	h.compareScreenshot("settings-about.png")

	h.key("DOWN")
	h.waitState(5*time.Second, "Seeding", func(st probeState) bool { return st.model.Settings.Section == screens.SecSeeding })
	h.compareScreenshot("settings-seeding.png")

	for range 4 {
		h.key("DOWN")
	}
	h.waitState(5*time.Second, "Remote", func(st probeState) bool { return st.model.Settings.Section == screens.SecRemote })
	h.key("RIGHT")
	h.key("ENTER")
	st := h.waitState(10*time.Second, "learn step 1", func(st probeState) bool {
		l := st.model.Settings.Learn
		return l.Have && l.Value.State == api.LearnRunning && l.Value.SecondsLeft == 30
	})
	if !strings.Contains(st.frame.Home, "Press OK on your remote") {
		t.Errorf("learn page lacks the prompt")
	}
	h.compareScreenshot("settings-learn.png")

	h.key("BS") // Back cancels learning
	h.waitState(10*time.Second, "learning cancelled", func(st probeState) bool {
		return st.model.Settings.Learn.Value.State == api.LearnCanceled && !st.model.Settings.InContent
	})
	d.mu.Lock()
	cmds := append([]string(nil), d.learnCmds...)
	d.mu.Unlock()
	if diff := cmp.Diff([]string{"start", "cancel"}, cmds); diff != "" {
		t.Errorf("learn commands (-want +got):\n%s", diff)
	}
}

// TestSettingsChangesReachDaemon: caps changed with the window keyboard
// arrive as PUTs with the new values and the page shows the daemon's
// answer.
func TestSettingsChangesReachDaemon(t *testing.T) {
	d := newFakeDaemon(fixedCatalog())
	fixedSettings(d)
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Headless, srv.URL, func(c *Config) { c.SettingsEvery = 200 * time.Millisecond })
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded })
	h.key("MENU")
	h.waitState(10*time.Second, "settings", func(st probeState) bool { return st.model.Settings.View.Have })
	h.key("DOWN")
	h.key("DOWN")
	h.key("RIGHT") // Daytime upload
	h.key("RIGHT") // 5 -> 10 Mbit/s
	st := h.waitState(10*time.Second, "the daemon's answer", func(st probeState) bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return len(d.puts) > 0 && st.model.Settings.View.Value.Bandwidth.DayUp == 10*mbit
	})
	if !strings.Contains(st.frame.Home, "10 Mbit/s") {
		t.Error("the page does not show 10 Mbit/s")
	}
	d.mu.Lock()
	got := d.puts[len(d.puts)-1]
	d.mu.Unlock()
	want := d.settings.Bandwidth
	if got.Bandwidth == nil || got.KeepFreePercent != nil || got.Video != nil {
		t.Fatalf("PUT %+v, want the bandwidth block only", got)
	}
	if diff := cmp.Diff(want, *got.Bandwidth); diff != "" || want.DayUp != 10*mbit {
		t.Errorf("PUT bandwidth (-want +got):\n%s", diff)
	}

	// A change made elsewhere shows on the next refresh; stepping the
	// window's end onto its start skips over it (the daemon would refuse it).
	d.mu.Lock()
	d.settings.Bandwidth.Night.EndMinute = 90 // the daemon changed elsewhere
	d.mu.Unlock()
	h.waitState(5*time.Second, "refreshed settings", func(st probeState) bool {
		return st.model.Settings.View.Value.Bandwidth.Night.EndMinute == 90
	})
	for range 4 {
		h.key("DOWN") // Overnight until
	}
	h.key("LEFT") // 01:30 -> 01:00 is the start: skipped to 00:30
	h.waitState(5*time.Second, "end at 00:30", func(st probeState) bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.settings.Bandwidth.Night.EndMinute == 30 && st.model.Settings.View.Value.Bandwidth.Night.EndMinute == 30
	})
}

// TestSettingsWithoutEndpoints: a daemon without the settings endpoints
// gives a settings screen that says so, while About and Pairing still work.
func TestSettingsWithoutEndpoints(t *testing.T) {
	d := newFakeDaemon(fixedCatalog())
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Headless, srv.URL, func(c *Config) { c.Video = pi5 })
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded })
	h.key("MENU")
	st := h.waitState(10*time.Second, "settings not available", func(st probeState) bool {
		s := st.model.Settings
		return s.View.NotAvailable && s.Seeding.NotAvailable && s.Learn.NotAvailable
	})
	if !strings.Contains(st.frame.Home, "vo=gpu (drm, v3d)") {
		t.Error("About lacks the playback path")
	}
	h.key("DOWN")
	st = h.waitState(5*time.Second, "Seeding", func(st probeState) bool { return st.model.Settings.Section == screens.SecSeeding })
	if !strings.Contains(st.frame.Home, screens.NotAvailable) {
		t.Errorf("Seeding page does not say %q", screens.NotAvailable)
	}
	for sec := screens.SecSeeding + 1; sec <= screens.SecPairing; sec++ { // one key at a time (see openSettings)
		h.key("DOWN")
		h.waitState(5*time.Second, "the next section", func(st probeState) bool { return st.model.Settings.Section == sec })
	}
	h.key("RIGHT")
	h.key("ENTER")
	st = h.waitState(10*time.Second, "pairing code", func(st probeState) bool { return strings.Contains(st.frame.Home, "042 917") })
	if st.model.Settings.Section != screens.SecPairing {
		t.Errorf("section %v, want Pairing", st.model.Settings.Section)
	}
	h.key("ESC")
	h.key("ESC")
	h.waitState(5*time.Second, "home", func(st probeState) bool { return st.model.Screen == screens.Home })
}
