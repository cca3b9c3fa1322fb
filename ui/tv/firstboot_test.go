package tv

import (
	"context"
	"image"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/qr/qrtest"
	"github.com/atomicnetwork/atomicbox/ui/screens"
	"github.com/google/go-cmp/cmp"
)

// typist types on the on-screen keyboard with window keys only, tracking
// where the focus is as the keyboard moves it (ui/screens/keyboard.go's
// layout, restated here so a layout change shows in this test).
type typist struct {
	h             *harness
	row, col      int
	shift, symbol bool
	text          string // typed so far
}

// key sends one window key and waits until the keyboard is where the
// typist expects it: mpv keeps only a few unread keys (input-key-fifo-size
// is 7), so a burst of a hundred would lose some, where a person's remote
// never gets that far ahead.
func (ty *typist) key(name string) {
	ty.h.t.Helper()
	ty.h.key(name)
	ty.h.waitState(10*time.Second, "keyboard after "+name, func(st probeState) bool {
		k := st.model.Setup.Keyboard
		return k.Row == ty.row && k.Col == ty.col && k.Text == ty.text && k.Shift == ty.shift && k.Symbols == ty.symbol
	})
}

var (
	tyLetters = [4]string{"abcdefghij", "klmnopqrst", "uvwxyz-_.@", "1234567890"}
	tySymbols = [4]string{"!\"#$%&'()*", "+,/:;<=>?[", "\\]^`{|}~-.", "1234567890"}
	tySpecial = []int{0, 1, 2, 5, 6, 8} // first columns: shift, symbols, space, backspace, show, done
)

const (
	tyShift   = 0
	tySymbolK = 1
	tySpace   = 2
	tyShow    = 6
	tyDone    = 8
)

func specialIndex(col int) int {
	i := 0
	for j, c := range tySpecial {
		if col >= c {
			i = j
		}
	}
	return i
}

func (ty *typist) moveTo(r, c int) {
	if ty.row == 4 && r < 4 {
		ty.row = 3
		ty.key("UP")
	}
	for ty.row < r {
		ty.row++
		if ty.row == 4 {
			ty.col = tySpecial[specialIndex(ty.col)]
		}
		ty.key("DOWN")
	}
	for ty.row > r {
		ty.row--
		ty.key("UP")
	}
	if r == 4 {
		for specialIndex(ty.col) < specialIndex(c) {
			ty.col = tySpecial[specialIndex(ty.col)+1]
			ty.key("RIGHT")
		}
		for specialIndex(ty.col) > specialIndex(c) {
			ty.col = tySpecial[specialIndex(ty.col)-1]
			ty.key("LEFT")
		}
		return
	}
	for ty.col < c {
		ty.col++
		ty.key("RIGHT")
	}
	for ty.col > c {
		ty.col--
		ty.key("LEFT")
	}
}

// press moves to a key and presses it; typed is what it adds to the text.
func (ty *typist) press(r, c int, typed string) {
	ty.moveTo(r, c)
	ty.text += typed
	switch {
	case r == 4 && c == tyShift:
		ty.shift = !ty.shift
	case r == 4 && c == tySymbolK:
		ty.symbol = !ty.symbol
	}
	if r == 4 && (c == tyDone || c == tyShow) {
		ty.h.key("ENTER") // the page or the field changes; the caller waits
		return
	}
	ty.key("ENTER")
}

func find(rows [4]string, ch rune) (int, int, bool) {
	for r, row := range rows {
		if c := strings.IndexRune(row, ch); c >= 0 {
			return r, c, true
		}
	}
	return 0, 0, false
}

func (ty *typist) typeText(s string) {
	for _, ch := range s {
		if ch == ' ' {
			ty.press(4, tySpace, " ")
			continue
		}
		lower := []rune(strings.ToLower(string(ch)))[0]
		r, c, onLetters := find(tyLetters, lower)
		if !onLetters || (ty.symbol && strings.ContainsRune(tySymbols[2]+tySymbols[3], ch)) {
			r, c, _ = find(tySymbols, ch)
			if !ty.symbol {
				ty.press(4, tySymbolK, "")
			}
		} else if ty.symbol {
			ty.press(4, tySymbolK, "")
		}
		if up := ch != lower; !ty.symbol && up != ty.shift && lower >= 'a' && lower <= 'z' {
			ty.press(4, tyShift, "")
		}
		ty.press(r, c, string(ch))
	}
}

// firstBootNow is the UI's clock in the first-boot goldens (20:14 in Berlin).
var firstBootNow = time.Date(2026, 11, 25, 19, 14, 0, 0, time.UTC)

// TestFirstBootGolden walks a fresh box's first-boot screens under Xvfb at
// 1080p with window keys: language, time zone, the Wi-Fi list with an
// enterprise network refused, the keyboard with a passphrase hidden and
// shown, joining, getting an address, each error, and the phone page,
// whose QR code (cropped from the screenshot) must decode with zbarimg to
// the web remote's URL. The Wi-Fi radio is the faked part: an in-test
// daemon serves the contract's JSON and records the joins and the
// household settings the UI sends.
func TestFirstBootGolden(t *testing.T) {
	startXvfb(t)
	d := newFakeDaemon(fixedCatalog())
	fixedSettings(d)
	d.settings.Household = api.HouseholdSettings{} // a fresh box: not set up
	d.network = &api.NetworkView{Online: false, Interfaces: []api.InterfaceView{
		{Name: "eth0", Kind: api.InterfaceEthernet, Up: false, Addresses: []string{}},
		{Name: "wlan0", Kind: api.InterfaceWifi, Up: true, Addresses: []string{}}}, Wifi: &api.WifiState{State: api.WifiIdle}}
	d.wifiNets = []api.WifiNetwork{
		{SSID: "Home", SignalDBm: -48, Security: api.WifiSecurityWPA2},
		{SSID: "Office", SignalDBm: -61, Security: api.WifiSecurityEnterprise},
		{SSID: "Neighbours", SignalDBm: -69, Security: api.WifiSecurityWPA2WPA3, Known: true},
		{SSID: "Café Lumière", SignalDBm: -77, Security: api.WifiSecurityOpen},
		{SSID: "Old router", SignalDBm: -88, Security: api.WifiSecurityWEP},
	}
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Desktop, srv.URL, func(c *Config) {
		c.Now = func() time.Time { return firstBootNow }
		c.RemotePort = "8080" // the box's API port as phones see it
	})
	var lastSetup screens.SetupState
	t.Cleanup(func() {
		if t.Failed() {
			k := lastSetup.Keyboard
			t.Logf("last first-boot state: step %v, keyboard %q at %d,%d shift %v symbols %v, notice %q", lastSetup.Step, k.Text, k.Row, k.Col, k.Shift, k.Symbols, lastSetup.Notice)
		}
	})
	step := func(what string, ok func(screens.SetupState) bool) probeState {
		t.Helper()
		return h.waitState(15*time.Second, what, func(st probeState) bool {
			lastSetup = st.model.Setup
			return st.model.Screen == screens.FirstBoot && ok(st.model.Setup)
		})
	}

	step("language page", func(s screens.SetupState) bool { return s.Step == screens.StepLanguage })
	h.key("DOWN") // Deutsch: the page speaks the focused language
	st := step("Deutsch focused", func(s screens.SetupState) bool { return s.Lang == 1 })
	if !strings.Contains(st.frame.Home, "Wählen Sie Ihre Sprache") {
		t.Error("the language page does not speak German with Deutsch focused")
	}
	h.compareScreenshot("firstboot-language.png")
	h.key("UP")
	h.key("ENTER")
	st = step("time zone page", func(s screens.SetupState) bool { return s.Step == screens.StepTimeZone })
	for range 7 { // London -> Berlin, one key at a time (see openSettings)
		from := [2]int{st.model.Setup.Region, st.model.Setup.City}
		h.key("DOWN")
		st = step("the next city", func(s screens.SetupState) bool { return [2]int{s.Region, s.City} != from })
	}
	st = step("Berlin", func(s screens.SetupState) bool {
		return screens.Regions[s.Region].Cities[s.City].Zone == "Europe/Berlin"
	})
	if !strings.Contains(st.frame.Home, "It is 20:14 in Berlin") {
		t.Error("the time zone page does not show Berlin's time")
	}
	h.compareScreenshot("firstboot-timezone.png")

	h.key("ENTER")
	step("networks", func(s screens.SetupState) bool { return s.Step == screens.StepNetworks && s.Networks.Have })
	h.key("DOWN")
	h.key("ENTER") // Office: WPA-Enterprise
	st = step("enterprise refused", func(s screens.SetupState) bool { return s.Notice != "" })
	if !strings.Contains(st.frame.Home, "Office uses WPA-Enterprise, which this box cannot join") {
		t.Errorf("the refusal is not in words: %q", st.model.Setup.Notice)
	}
	h.compareScreenshot("firstboot-networks.png")
	d.mu.Lock()
	puts := append([]api.SettingsUpdate(nil), d.puts...)
	d.mu.Unlock()
	if len(puts) != 1 || puts[0].Household == nil || *puts[0].Household != (api.HouseholdSettings{TimeZone: "Europe/Berlin", Language: "en"}) {
		t.Errorf("settings PUTs %+v, want the household (Berlin, en, not set up yet)", puts)
	}

	h.key("UP")
	h.key("ENTER") // Home: the keyboard
	step("keyboard", func(s screens.SetupState) bool { return s.Step == screens.StepPassphrase })
	const pass = "Sunny-Day 42"
	ty := &typist{h: h}
	ty.typeText(pass)
	st = step("passphrase typed", func(s screens.SetupState) bool { return s.Keyboard.Text == pass })
	if strings.Contains(st.frame.Home, pass) {
		t.Error("the hidden passphrase is on screen")
	}
	h.compareScreenshot("firstboot-keyboard-hidden.png")
	ty.press(4, tyShow, "")
	st = step("passphrase shown", func(s screens.SetupState) bool { return s.Keyboard.Show })
	if !strings.Contains(st.frame.Home, pass) {
		t.Error("the shown passphrase is not on screen")
	}
	h.compareScreenshot("firstboot-keyboard-shown.png")

	joins := func() []api.WifiJoin {
		d.mu.Lock()
		defer d.mu.Unlock()
		return append([]api.WifiJoin(nil), d.joins...)
	}
	ty.press(4, tyDone, "")
	step("joining", func(s screens.SetupState) bool { return s.Step == screens.StepJoining })
	h.waitState(10*time.Second, "the daemon's joining state", func(st probeState) bool {
		w := st.model.Settings.Net.Value.Wifi
		return w != nil && w.State == api.WifiJoining && len(joins()) == 1
	})
	if diff := cmp.Diff([]api.WifiJoin{{SSID: "Home", Passphrase: pass}}, joins()); diff != "" {
		t.Errorf("joins (-want +got):\n%s", diff)
	}
	h.compareScreenshot("firstboot-joining.png")

	wifiIs := func(what, state, problem string) probeState {
		t.Helper()
		return h.waitState(10*time.Second, what, func(st probeState) bool {
			w := st.model.Settings.Net.Value.Wifi
			return st.model.Setup.Step == screens.StepJoining && w != nil && w.State == state && w.Problem == problem
		})
	}
	d.setWifi(false, api.WifiState{State: api.WifiAddressing, SSID: "Home"})
	wifiIs("getting an address", api.WifiAddressing, "")
	h.compareScreenshot("firstboot-addressing.png")

	errorsShown := []struct {
		problem, message, words, golden string
	}{
		{api.WifiProblemWrongPassphrase, "Wrong passphrase for Home.", "Wrong passphrase", "firstboot-error-wrong-passphrase.png"},
		{api.WifiProblemNoAddress, "No DHCP answer from the router on Home.", "No address from the router", "firstboot-error-no-address.png"},
		{api.WifiProblemNotFound, "No access point named Home answers.", "Network not found", "firstboot-error-not-found.png"},
		{api.WifiProblemLost, "The access point went away; reconnecting.", "Connection lost, reconnecting", "firstboot-error-lost.png"},
	}
	for i, e := range errorsShown {
		d.setWifi(false, api.WifiState{State: api.WifiFailed, SSID: "Home", Problem: e.problem, Message: e.message})
		st := wifiIs(e.problem, api.WifiFailed, e.problem)
		if !strings.Contains(st.frame.Home, e.words) || !strings.Contains(st.frame.Home, e.message) {
			t.Errorf("%s: the page lacks %q or the daemon's %q", e.problem, e.words, e.message)
		}
		h.compareScreenshot(e.golden)
		if i == len(errorsShown)-1 {
			break
		}
		// OK tries again: a wrong passphrase through the keyboard (text
		// kept), the others at once.
		h.key("ENTER")
		if e.problem == api.WifiProblemWrongPassphrase {
			st := step("keyboard again", func(s screens.SetupState) bool { return s.Step == screens.StepPassphrase })
			if st.model.Setup.Keyboard.Text != pass {
				t.Errorf("the passphrase was not kept: %q", st.model.Setup.Keyboard.Text)
			}
			k := st.model.Setup.Keyboard
			ty.row, ty.col, ty.shift, ty.symbol, ty.text = k.Row, k.Col, k.Shift, k.Symbols, k.Text
			ty.press(4, tyDone, "")
		}
		h.waitState(10*time.Second, "joined again", func(probeState) bool { return len(joins()) == i+2 })
	}

	// Back from an error chooses another network.
	h.key("q")
	step("networks again", func(s screens.SetupState) bool { return s.Step == screens.StepNetworks })
	h.key("ENTER")
	step("keyboard for Home", func(s screens.SetupState) bool { return s.Step == screens.StepPassphrase && s.Keyboard.Text == "" })
	ty = &typist{h: h}
	ty.typeText(pass)
	ty.press(4, tyDone, "")
	h.waitState(10*time.Second, "fifth join", func(probeState) bool { return len(joins()) == 5 })
	d.setWifi(true, api.WifiState{State: api.WifiJoined, SSID: "Home", SignalDBm: -48, Address: "192.168.1.20/24"},
		api.InterfaceView{Name: "eth0", Kind: api.InterfaceEthernet, Up: false, Addresses: []string{}},
		api.InterfaceView{Name: "wlan0", Kind: api.InterfaceWifi, Up: true, Addresses: []string{"192.168.1.20/24", "fe80::2/64"}})
	st = step("phone page", func(s screens.SetupState) bool { return s.Step == screens.StepPhone })
	const remote = "http://192.168.1.20:8080/remote"
	if !strings.Contains(st.frame.Home, remote) || !strings.Contains(st.frame.Home, "Welcome to Atomic Television") {
		t.Error("the phone page lacks the channel's name or the remote's address")
	}
	shot := h.compareScreenshot("firstboot-joined-qr.png")

	// The QR code on the screen, as a phone's camera would see it.
	img, err := readPNG(shot)
	if err != nil {
		t.Fatal(err)
	}
	x, y, size := screens.QRRect()
	crop := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(x, y, x+size, y+size))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := qrtest.Decode(ctx, t.TempDir(), crop)
	if err != nil {
		t.Fatalf("the QR code on screen does not decode: %v", err)
	}
	if string(got) != remote {
		t.Errorf("the QR code on screen reads %q, want %q", got, remote)
	}

	h.key("ENTER")
	h.waitState(10*time.Second, "home, set up", func(st probeState) bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return st.model.Screen == screens.Home && d.settings.Household.SetUp
	})
	d.mu.Lock()
	final := d.settings.Household
	d.mu.Unlock()
	if final != (api.HouseholdSettings{TimeZone: "Europe/Berlin", Language: "en", SetUp: true}) {
		t.Errorf("household stored %+v", final)
	}

	// Settings → Language & time changes them later, one page at a time.
	h.openSettings(screens.SecHousehold)
	h.waitState(10*time.Second, "Language & time", func(st probeState) bool {
		return st.model.Screen == screens.Settings && st.model.Settings.Section == screens.SecHousehold && st.model.Settings.Household.Have
	})
	h.key("RIGHT")
	st = h.waitState(5*time.Second, "language row", func(st probeState) bool { return st.model.Settings.InContent })
	if !strings.Contains(st.frame.Home, "Berlin") || !strings.Contains(st.frame.Home, "Wed 20:14") {
		t.Error("the page lacks the zone or the clock in it")
	}
	h.compareScreenshot("settings-language-time.png")
	h.key("ENTER")
	step("language page from settings", func(s screens.SetupState) bool { return s.Step == screens.StepLanguage && s.Single })
	h.key("DOWN")
	h.key("DOWN")
	h.key("ENTER") // Français
	h.waitState(10*time.Second, "back in settings, in French", func(st probeState) bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return st.model.Screen == screens.Settings && d.settings.Household.Language == "fr" && strings.Contains(st.frame.Home, "Français")
	})
	if d.settings.Household != (api.HouseholdSettings{TimeZone: "Europe/Berlin", Language: "fr", SetUp: true}) {
		t.Errorf("household after the change %+v", d.settings.Household)
	}
}

// recordingPlayer passes everything to the real player and remembers the
// properties the UI set.
type recordingPlayer struct {
	Player
	mu    sync.Mutex
	props map[string]string
}

func (p *recordingPlayer) SetProperty(name, value string) error {
	p.mu.Lock()
	p.props[name] = value
	p.mu.Unlock()
	return p.Player.SetProperty(name, value)
}

func (p *recordingPlayer) prop(name string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.props[name]
}

// TestFirstBootByCable: a fresh box online by cable asks language and time
// zone once (no Wi-Fi pages), shows the phone page in the chosen language
// with the pairing code in place of the QR code once a phone asks, makes
// mpv prefer the language's tracks, and a second start goes straight home.
func TestFirstBootByCable(t *testing.T) {
	d := newFakeDaemon(fixedCatalog())
	fixedSettings(d)
	d.settings.Household = api.HouseholdSettings{}
	d.network = &api.NetworkView{Online: true, Interfaces: []api.InterfaceView{
		{Name: "eth0", Kind: api.InterfaceEthernet, Up: true, Addresses: []string{"192.168.1.20/24"}}}}
	srv := startServer(t, d.Handler())
	var rec *recordingPlayer
	h := startUI(t, mpv.Headless, srv.URL, func(c *Config) {
		rec = &recordingPlayer{Player: c.Player, props: map[string]string{}}
		c.Player = rec
		c.RemotePort = "8080"
	})
	h.waitState(20*time.Second, "language page", func(st probeState) bool {
		return st.model.Screen == screens.FirstBoot && st.model.Setup.Step == screens.StepLanguage
	})
	h.key("DOWN")
	h.key("ENTER") // Deutsch
	st := h.waitState(10*time.Second, "time zone page", func(st probeState) bool { return st.model.Setup.Step == screens.StepTimeZone })
	if z := screens.Regions[st.model.Setup.Region].Cities[st.model.Setup.City].Zone; z != "Europe/Berlin" {
		t.Errorf("German household: zone guessed %s, want Europe/Berlin", z)
	}
	h.key("ENTER")
	st = h.waitState(10*time.Second, "phone page", func(st probeState) bool { return st.model.Setup.Step == screens.StepPhone })
	for _, want := range []string{"Per Kabel verbunden", "Willkommen bei Atomic Television", "http://192.168.1.20:8080/remote"} {
		if !strings.Contains(st.frame.Home, want) {
			t.Errorf("phone page lacks %q", want)
		}
	}
	if rec.prop("alang") != "de,deu,ger" || rec.prop("slang") != "de,deu,ger" {
		t.Errorf("mpv alang %q slang %q, want de,deu,ger", rec.prop("alang"), rec.prop("slang"))
	}
	// The phone scanned the code and asks to pair: the code replaces the QR.
	d.events <- api.Event{Type: api.EventPairing, Pairing: &api.PairingEvent{Code: "042917", ExpiresAt: time.Now().Add(2 * time.Minute)}}
	st = h.waitState(10*time.Second, "pairing code on the phone page", func(st probeState) bool { return st.model.Pairing != nil })
	if !strings.Contains(st.frame.Home, "042 917") || strings.Contains(st.frame.Top, "042 917") {
		t.Error("the pairing code is not in the phone page's card")
	}
	h.key("ENTER")
	h.waitState(10*time.Second, "home", func(st probeState) bool { return st.model.Screen == screens.Home })
	h.waitState(10*time.Second, "household stored", func(probeState) bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.settings.Household.SetUp
	})
	d.mu.Lock()
	var households []api.HouseholdSettings
	for _, u := range d.puts {
		if u.Household != nil {
			households = append(households, *u.Household)
		}
	}
	d.mu.Unlock()
	want := []api.HouseholdSettings{{TimeZone: "Europe/Berlin", Language: "de"}, {TimeZone: "Europe/Berlin", Language: "de", SetUp: true}}
	if diff := cmp.Diff(want, households); diff != "" {
		t.Errorf("household PUTs (-want +got):\n%s", diff)
	}

	// The next start: asked once is enough.
	h2 := startUI(t, mpv.Headless, srv.URL, nil)
	st = h2.waitState(20*time.Second, "decision taken", func(st probeState) bool {
		return st.model.Loaded && st.model.Settings.Household.Have && st.model.Settings.Net.Have
	})
	if st.model.Screen != screens.Home {
		t.Errorf("a set-up box started on screen %v, want home", st.model.Screen)
	}
}
