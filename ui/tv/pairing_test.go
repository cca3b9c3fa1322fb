package tv

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbox"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/screens"
	"github.com/google/go-cmp/cmp"
)

// pairedDevices are three devices as GET /api/pair/devices lists them
// (newest first), seen at playerNow.
func pairedDevices() []api.PairedDevice {
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC) }
	return []api.PairedDevice{
		{ID: "a1b2c3d4e5f6", Name: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)", Label: "iPhone", Created: time.Date(2026, 12, 4, 18, 2, 0, 0, time.UTC), LastUsed: day(6)},
		{ID: "0f9e8d7c6b5a", Name: "Mozilla/5.0 (Linux; Android 14; Pixel 7)", Label: "Android phone (Pixel 7)", Created: time.Date(2026, 11, 20, 9, 40, 0, 0, time.UTC), LastUsed: day(5)},
		{ID: "5566778899aa", Name: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)", Label: "Mac", Created: time.Date(2026, 10, 2, 21, 15, 0, 0, time.UTC), LastUsed: day(1)},
	}
}

// TestPairingPageGolden: Settings → Pairing lists the paired devices with
// when they paired and were last seen; "Pair a phone" shows the code the
// daemon sends beside a QR code of its address (golden); OK on a device
// asks first, Cancel focused; Remove then OK sends the DELETE for that
// device and the list shows what the daemon has left (golden of the
// question).
func TestPairingPageGolden(t *testing.T) {
	startXvfb(t)
	d := newFakeDaemon(fixedCatalog())
	fixedSettings(d)
	d.devices = pairedDevices()
	d.pairUntil = playerNow.Add(2 * time.Minute)
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Desktop, srv.URL, func(c *Config) {
		c.Now = func() time.Time { return playerNow }
		c.SettingsEvery = 300 * time.Millisecond
	})
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded })
	h.openSettings(screens.SecPairing)
	h.waitState(20*time.Second, "the Pairing page", func(st probeState) bool {
		return st.model.Screen == screens.Settings && st.model.Settings.Section == screens.SecPairing
	})
	h.waitState(20*time.Second, "the devices listed", func(st probeState) bool {
		d := st.model.Settings.Devices
		return len(d.Value) == 3 || d.Err != "" || d.NotAvailable
	})
	if d := h.waitState(time.Second, "the list", func(probeState) bool { return true }).model.Settings.Devices; len(d.Value) != 3 {
		t.Fatalf("devices %+v (error %q, not available %v), want the three the daemon lists", d.Value, d.Err, d.NotAvailable)
	}
	h.key("RIGHT")
	h.key("ENTER") // Pair a phone
	st := h.waitState(10*time.Second, "the pairing code", func(st probeState) bool { return strings.Contains(st.frame.Home, "042 917") })
	for _, want := range []string{"or open http://192.168.1.20:8080/remote", "Code expires in 2:00", "iPhone", "Paired 4 Dec 2026  ·  used today",
		"Android phone (Pixel 7)", "used yesterday", "Mac", "used 1 Dec", "3 devices"} {
		if !strings.Contains(st.frame.Home, want) {
			t.Errorf("Pairing page lacks %q", want)
		}
	}
	h.compareScreenshot("settings-pairing.png")

	h.key("DOWN")
	h.key("DOWN") // the Android phone
	h.key("ENTER")
	h.waitState(5*time.Second, "the question", func(st probeState) bool { return st.model.Settings.Confirm == "0f9e8d7c6b5a" })
	h.key("RIGHT") // Remove
	h.waitState(5*time.Second, "Remove focused", func(st probeState) bool { return st.model.Settings.ConfirmYes })
	h.compareScreenshot("settings-pairing-remove.png")
	h.key("ENTER")
	st = h.waitState(10*time.Second, "two devices left", func(st probeState) bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return len(d.unpaired) == 1 && len(st.model.Settings.Devices.Value) == 2 && st.model.Settings.Confirm == ""
	})
	d.mu.Lock()
	got := append([]string(nil), d.unpaired...)
	d.mu.Unlock()
	if diff := cmp.Diff([]string{"0f9e8d7c6b5a"}, got); diff != "" {
		t.Errorf("DELETEs (-want +got):\n%s", diff)
	}
	if strings.Contains(st.frame.Home, "Pixel 7") {
		t.Error("the removed phone is still listed")
	}
}

// TestPairingWithDaemon is the pairing round trip against a real daemon:
// "Pair a phone" on the TV asks the daemon for a code, the phone (a
// browser's requests over real HTTP) types the code the TV shows, the
// Pairing page then lists the phone by what it is, and removing it from
// the TV makes the daemon refuse the phone's token at once.
func TestPairingWithDaemon(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{})
	box := testbox.StartDaemon(t, ch, testbox.DaemonOptions{})
	box.WaitEpisodes(t, ch.Episodes(), false, 30*time.Second)
	setUpHousehold(t, box.URL)
	h := startUI(t, mpv.Headless, box.URL, func(c *Config) { c.SettingsEvery = 300 * time.Millisecond })
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded })
	h.openSettings(screens.SecPairing)
	h.waitState(10*time.Second, "Pairing, nobody paired", func(st probeState) bool {
		s := st.model.Settings
		return s.Section == screens.SecPairing && s.Devices.Have && len(s.Devices.Value) == 0
	})
	h.key("RIGHT")
	h.key("ENTER") // Pair a phone
	st := h.waitState(10*time.Second, "the code on the TV", func(st probeState) bool { return st.model.Pairing != nil })
	code := st.model.Pairing.Code
	if !strings.Contains(st.frame.Home, code[:3]+" "+code[3:]) {
		t.Fatalf("the Pairing page does not show the code %s", code)
	}

	// The phone types what the TV shows.
	req, _ := http.NewRequest("POST", box.URL+"/api/pair", strings.NewReader(`{"code":"`+code+`"}`))
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var pr api.PairResponse
	if err := json.NewDecoder(resp.Body).Decode(&pr); err != nil || resp.StatusCode != 200 {
		t.Fatalf("pair: %s %v", resp.Status, err)
	}
	resp.Body.Close()
	phoneSees := func() int {
		r := httptest.NewRequest("GET", "/api/catalog", nil)
		r.RemoteAddr, r.Host = "192.168.1.30:40000", strings.TrimPrefix(box.URL, "http://")
		r.Header.Set("Authorization", "Bearer "+pr.Token)
		rec := httptest.NewRecorder()
		box.D.Server.ServeHTTP(rec, r)
		return rec.Code
	}
	if c := phoneSees(); c != 200 {
		t.Fatalf("the paired phone from the LAN: %d, want 200", c)
	}

	st = h.waitState(10*time.Second, "the phone listed, the code gone", func(st probeState) bool {
		d := st.model.Settings.Devices.Value
		return st.model.Pairing == nil && len(d) == 1 && d[0].Label == "iPhone"
	})
	if !strings.Contains(st.frame.Home, "iPhone") {
		t.Error("the Pairing page does not name the iPhone")
	}
	h.key("DOWN")
	h.key("ENTER")
	h.key("RIGHT") // Remove
	h.key("ENTER")
	h.waitState(10*time.Second, "nobody paired again", func(st probeState) bool {
		s := st.model.Settings
		return s.Confirm == "" && s.Devices.Have && len(s.Devices.Value) == 0 && s.Problem == ""
	})
	// The list drops the phone at once; the DELETE follows in the
	// background.
	deadline := time.Now().Add(10 * time.Second)
	for phoneSees() != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatalf("the removed phone from the LAN: %d 10 s after the removal, want 401", phoneSees())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
