package screens

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"
)

var (
	offlineWifi = api.NetworkView{Online: false, Interfaces: []api.InterfaceView{{Name: "wlan0", Kind: api.InterfaceWifi, Up: true, Addresses: []string{}}},
		Wifi: &api.WifiState{State: api.WifiIdle}}
	onlineCable = api.NetworkView{Online: true, Interfaces: []api.InterfaceView{{Name: "eth0", Kind: api.InterfaceEthernet, Up: true, Addresses: []string{"192.168.1.20/24", "fe80::1/64"}}}}
	noRadio     = api.NetworkView{Online: false, Interfaces: []api.InterfaceView{{Name: "eth0", Kind: api.InterfaceEthernet, Up: false}}}
	scanned     = []api.WifiNetwork{
		{SSID: "Home", SignalDBm: -48, Security: api.WifiSecurityWPA2},
		{SSID: "Café", SignalDBm: -70, Security: api.WifiSecurityOpen},
		{SSID: "Office", SignalDBm: -60, Security: api.WifiSecurityEnterprise},
		{SSID: "Old router", SignalDBm: -82, Security: api.WifiSecurityWEP},
		{SSID: "Neighbour", SignalDBm: -66, Security: api.WifiSecurityWPA2WPA3, Known: true},
	}
	notSetUp = api.HouseholdSettings{}
	setUp    = api.HouseholdSettings{TimeZone: "Europe/Paris", Language: "fr", SetUp: true}
)

// wifiAt is the daemon's Wi-Fi state for the network joined in the tests.
func wifiAt(state, problem string, online bool, since time.Time) func(m *Model) []Action {
	return func(m *Model) []Action {
		nv := offlineWifi
		nv.Online = online
		nv.Wifi = &api.WifiState{State: state, SSID: "Home", Problem: problem, Since: since}
		if online {
			nv.Interfaces = []api.InterfaceView{{Name: "wlan0", Kind: api.InterfaceWifi, Up: true, Addresses: []string{"192.168.1.20/24"}}}
		}
		return m.SetNetwork(nv, nil, false, t0)
	}
}

func scanDone(m *Model) []Action { m.SetWifiNetworks(scanned, nil, false); return nil }

type setupPos struct {
	Screen   Screen
	Step     SetupStep
	Lang     int
	Region   int
	City     int
	InCities bool
	NetRow   int
	Text     string
	Notice   bool
}

func hh(h api.HouseholdSettings) *api.HouseholdSettings { return &h }

// TestFirstBoot drives the first-boot screens with remote keys (and the
// daemon's answers in between) and checks where they end and what they ask
// the controller to do.
func TestFirstBoot(t *testing.T) {
	berlin, _, _ := findZone("Europe/Berlin")
	_, berlinCity, _ := findZone("Europe/Berlin")
	_, londonCity, _ := findZone("Europe/London")
	_, parisCity, _ := findZone("Europe/Paris")
	typeHome := keys(ir.KEY_OK, // Home: the keyboard
		ir.KEY_OK, ir.KEY_RIGHT, ir.KEY_OK, ir.KEY_RIGHT, ir.KEY_OK, ir.KEY_RIGHT, ir.KEY_OK, // abcd
		ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK, ir.KEY_RIGHT, ir.KEY_OK, ir.KEY_RIGHT, ir.KEY_OK, ir.KEY_RIGHT, ir.KEY_OK) // 4567
	toDone := keys(ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_RIGHT)
	var steps func(parts ...any) []any
	steps = func(parts ...any) []any {
		var out []any
		for _, p := range parts {
			switch p := p.(type) {
			case []ir.Key:
				for _, k := range p {
					out = append(out, k)
				}
			case []any:
				out = append(out, p...)
			default:
				out = append(out, p)
			}
		}
		return out
	}
	langZone := steps(keys(ir.KEY_DOWN, ir.KEY_OK, ir.KEY_OK)) // Deutsch, Berlin
	putDE := PutSettings{Update: api.SettingsUpdate{Household: hh(api.HouseholdSettings{TimeZone: "Europe/Berlin", Language: "de"})}}
	setDE := SetLanguage{Language: Languages[1]}
	join := func(ssid, pass string) Action { return JoinWifi{Join: api.WifiJoin{SSID: ssid, Passphrase: pass}} }
	tests := []struct {
		name      string
		household api.HouseholdSettings
		hhNA      bool
		network   api.NetworkView
		netNA     bool
		steps     []any
		want      setupPos
		acts      []Action
		reason    string
	}{
		{"fresh box offline", notSetUp, false, offlineWifi, false, nil,
			setupPos{Screen: FirstBoot, Step: StepLanguage, City: londonCity}, nil, "no network and not set up: the language comes first"},
		{"language", notSetUp, false, offlineWifi, false, steps(keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_UP, ir.KEY_OK)),
			setupPos{Screen: FirstBoot, Step: StepTimeZone, Lang: 2, City: parisCity, InCities: true}, []Action{SetLanguage{Language: Languages[2]}},
			"the list clamps; Français guesses Paris and focuses the city"},
		{"region then city", notSetUp, false, offlineWifi, false, steps(keys(ir.KEY_OK, ir.KEY_LEFT, ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_DOWN, ir.KEY_DOWN)),
			setupPos{Screen: FirstBoot, Step: StepTimeZone, Region: 1, City: 2, InCities: true}, []Action{SetLanguage{Language: Languages[0]}},
			"Left goes to the regions, Down picks the Americas, Right enters its cities from the top"},
		{"zone done, Wi-Fi next", notSetUp, false, offlineWifi, false, langZone,
			setupPos{Screen: FirstBoot, Step: StepNetworks, Lang: 1, Region: berlin, City: berlinCity, InCities: true},
			[]Action{setDE, putDE, ScanWifi{}}, "the household is stored (not set up yet) and the scan starts"},
		{"enterprise refused", notSetUp, false, offlineWifi, false, steps(langZone, scanDone, keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK)),
			setupPos{Screen: FirstBoot, Step: StepNetworks, Lang: 1, Region: berlin, City: berlinCity, InCities: true, NetRow: 2, Notice: true},
			[]Action{setDE, putDE, ScanWifi{}}, "WPA-Enterprise is listed but refused in words"},
		{"WEP refused", notSetUp, false, offlineWifi, false, steps(langZone, scanDone, keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK)),
			setupPos{Screen: FirstBoot, Step: StepNetworks, Lang: 1, Region: berlin, City: berlinCity, InCities: true, NetRow: 3, Notice: true},
			[]Action{setDE, putDE, ScanWifi{}}, "WEP too"},
		{"open network joins at once", notSetUp, false, offlineWifi, false, steps(langZone, scanDone, keys(ir.KEY_DOWN, ir.KEY_OK)),
			setupPos{Screen: FirstBoot, Step: StepJoining, Lang: 1, Region: berlin, City: berlinCity, InCities: true, NetRow: 1},
			[]Action{setDE, putDE, ScanWifi{}, join("Café", "")}, "no passphrase to ask"},
		{"known network joins at once", notSetUp, false, offlineWifi, false, steps(langZone, scanDone, keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK)),
			setupPos{Screen: FirstBoot, Step: StepJoining, Lang: 1, Region: berlin, City: berlinCity, InCities: true, NetRow: 4},
			[]Action{setDE, putDE, ScanWifi{}, join("Neighbour", "")}, "the daemon has its passphrase"},
		{"search again", notSetUp, false, offlineWifi, false, steps(langZone, scanDone, keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK)),
			setupPos{Screen: FirstBoot, Step: StepNetworks, Lang: 1, Region: berlin, City: berlinCity, InCities: true},
			[]Action{setDE, putDE, ScanWifi{}, ScanWifi{}}, "the row after the networks scans again"},
		{"typing", notSetUp, false, offlineWifi, false, steps(langZone, scanDone, typeHome),
			setupPos{Screen: FirstBoot, Step: StepPassphrase, Lang: 1, Region: berlin, City: berlinCity, InCities: true, Text: "abcd4567"},
			[]Action{setDE, putDE, ScanWifi{}}, "arrows and OK type on the keyboard"},
		{"too short", notSetUp, false, offlineWifi, false, steps(langZone, scanDone, keys(ir.KEY_OK, ir.KEY_OK, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN), toDone, keys(ir.KEY_OK)),
			setupPos{Screen: FirstBoot, Step: StepPassphrase, Lang: 1, Region: berlin, City: berlinCity, InCities: true, Text: "a", Notice: true},
			[]Action{setDE, putDE, ScanWifi{}}, "Done refuses a passphrase under 8 characters, in words"},
		{"join", notSetUp, false, offlineWifi, false, steps(langZone, scanDone, typeHome, toDone, keys(ir.KEY_OK)),
			setupPos{Screen: FirstBoot, Step: StepJoining, Lang: 1, Region: berlin, City: berlinCity, InCities: true, Text: "abcd4567"},
			[]Action{setDE, putDE, ScanWifi{}, join("Home", "abcd4567")}, "Done sends the join"},
		{"back from keyboard", notSetUp, false, offlineWifi, false, steps(langZone, scanDone, typeHome, keys(ir.KEY_BACK)),
			setupPos{Screen: FirstBoot, Step: StepNetworks, Lang: 1, Region: berlin, City: berlinCity, InCities: true, Text: "abcd4567"},
			[]Action{setDE, putDE, ScanWifi{}}, "Back returns to the list"},
		{"wrong passphrase: OK fixes it", notSetUp, false, offlineWifi, false,
			steps(langZone, scanDone, typeHome, toDone, keys(ir.KEY_OK), wifiAt(api.WifiFailed, api.WifiProblemWrongPassphrase, false, t0), keys(ir.KEY_OK)),
			setupPos{Screen: FirstBoot, Step: StepPassphrase, Lang: 1, Region: berlin, City: berlinCity, InCities: true, Text: "abcd4567", NetRow: 0},
			[]Action{setDE, putDE, ScanWifi{}, join("Home", "abcd4567")}, "OK goes back to the keyboard with the text kept"},
		{"no address: OK retries", notSetUp, false, offlineWifi, false,
			steps(langZone, scanDone, typeHome, toDone, keys(ir.KEY_OK), wifiAt(api.WifiFailed, api.WifiProblemNoAddress, false, t0), keys(ir.KEY_OK)),
			setupPos{Screen: FirstBoot, Step: StepJoining, Lang: 1, Region: berlin, City: berlinCity, InCities: true, Text: "abcd4567"},
			[]Action{setDE, putDE, ScanWifi{}, join("Home", "abcd4567"), join("Home", "abcd4567")}, "OK joins again"},
		{"failure: Back chooses another", notSetUp, false, offlineWifi, false,
			steps(langZone, scanDone, typeHome, toDone, keys(ir.KEY_OK), wifiAt(api.WifiFailed, api.WifiProblemNotFound, false, t0), keys(ir.KEY_BACK)),
			setupPos{Screen: FirstBoot, Step: StepNetworks, Lang: 1, Region: berlin, City: berlinCity, InCities: true, Text: "abcd4567"},
			[]Action{setDE, putDE, ScanWifi{}, join("Home", "abcd4567"), ScanWifi{}}, "Back lists the networks again"},
		{"stale failure", notSetUp, false, offlineWifi, false,
			steps(langZone, scanDone, typeHome, toDone, keys(ir.KEY_OK), wifiAt(api.WifiFailed, api.WifiProblemWrongPassphrase, false, t0.Add(-time.Minute)), keys(ir.KEY_OK)),
			setupPos{Screen: FirstBoot, Step: StepJoining, Lang: 1, Region: berlin, City: berlinCity, InCities: true, Text: "abcd4567"},
			[]Action{setDE, putDE, ScanWifi{}, join("Home", "abcd4567")}, "a failure from before the join is not this join's: OK does nothing"},
		{"joined: the phone page, then home", notSetUp, false, offlineWifi, false,
			steps(langZone, scanDone, typeHome, toDone, keys(ir.KEY_OK), wifiAt(api.WifiAddressing, "", false, t0), wifiAt(api.WifiJoined, "", true, t0)),
			setupPos{Screen: FirstBoot, Step: StepPhone, Lang: 1, Region: berlin, City: berlinCity, InCities: true, Text: "abcd4567"},
			[]Action{setDE, putDE, ScanWifi{}, join("Home", "abcd4567")}, "online with the network joined"},
		{"phone page done", notSetUp, false, offlineWifi, false,
			steps(langZone, scanDone, typeHome, toDone, keys(ir.KEY_OK), wifiAt(api.WifiJoined, "", true, t0), keys(ir.KEY_OK)),
			setupPos{Screen: Home, Step: StepPhone, Lang: 1, Region: berlin, City: berlinCity, InCities: true, Text: "abcd4567"},
			[]Action{setDE, putDE, ScanWifi{}, join("Home", "abcd4567"), PutSettings{Update: api.SettingsUpdate{Household: hh(api.HouseholdSettings{TimeZone: "Europe/Berlin", Language: "de", SetUp: true})}}},
			"OK goes home and marks the household set up"},
		{"cable", notSetUp, false, onlineCable, false, langZone,
			setupPos{Screen: FirstBoot, Step: StepPhone, Lang: 1, Region: berlin, City: berlinCity, InCities: true},
			[]Action{setDE, putDE}, "online by cable: language and zone, then the phone page"},
		{"no radio", notSetUp, false, noRadio, false, steps(langZone, func(m *Model) []Action { return m.SetNetwork(onlineCable, nil, false, t0) }),
			setupPos{Screen: FirstBoot, Step: StepPhone, Lang: 1, Region: berlin, City: berlinCity, InCities: true},
			[]Action{setDE, putDE}, "no Wi-Fi and no cable: wait for a cable, then the phone page"},
		{"set up, offline, nothing stored", setUp, false, offlineWifi, false, nil,
			setupPos{Screen: FirstBoot, Step: StepNetworks, Lang: 2, City: parisCity}, []Action{SetLanguage{Language: Languages[2]}, ScanWifi{}}, "straight to the networks"},
		{"set up, offline: back home", setUp, false, offlineWifi, false, steps(keys(ir.KEY_BACK)),
			setupPos{Screen: Home, Step: StepNetworks, Lang: 2, City: parisCity}, []Action{SetLanguage{Language: Languages[2]}, ScanWifi{}}, "the family may skip it and watch what the box holds"},
		{"set up, online", setUp, false, onlineCable, false, nil, setupPos{Screen: Home}, []Action{SetLanguage{Language: Languages[2]}}, "nothing to ask"},
		{"older daemon", notSetUp, true, api.NetworkView{}, true, nil, setupPos{Screen: Home}, nil, "404 everywhere: the home screen as before"},
		{"household only", notSetUp, false, api.NetworkView{}, true, nil, setupPos{Screen: Home}, nil,
			"no network endpoint: the daemon predates the contract, the home screen as before"},
	}
	for _, tt := range tests {
		var m Model
		m.SetCatalog(catalog(2, 2))
		var acts []Action
		hErr := error(nil)
		if tt.hhNA {
			hErr = errors.New("404")
		}
		acts = append(acts, m.SetHousehold(tt.household, hErr, tt.hhNA)...)
		nErr := error(nil)
		if tt.netNA {
			nErr = errors.New("404")
		}
		acts = append(acts, m.SetNetwork(tt.network, nErr, tt.netNA, t0)...)
		for _, st := range tt.steps {
			switch st := st.(type) {
			case ir.Key:
				acts = append(acts, m.Key(st, t0)...)
			case func(*Model) []Action:
				acts = append(acts, st(&m)...)
			default:
				t.Fatalf("%s: step %T", tt.name, st)
			}
			Render(&m, t0) // every state in between renders
		}
		s := m.Setup
		got := setupPos{m.Screen, s.Step, s.Lang, s.Region, s.City, s.InCities, s.NetRow, s.Keyboard.Text, s.Notice != ""}
		if m.Screen == Home && tt.want.Screen == Home && !s.checked {
			t.Errorf("%s: the first-boot decision was not taken", tt.name)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): position (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		if diff := cmp.Diff(tt.acts, acts); diff != "" {
			t.Errorf("%s (%s): actions (-want +got):\n%s", tt.name, tt.reason, diff)
		}
	}
}

// TestSetupFromSettings: Settings opens one page; finishing it returns.
func TestSetupFromSettings(t *testing.T) {
	tests := []struct {
		name   string
		keys   []ir.Key
		screen Screen
		acts   []Action
		reason string
	}{
		{"language", keys(ir.KEY_OK, ir.KEY_UP, ir.KEY_OK), Settings,
			[]Action{SetLanguage{Language: Languages[1]}, PutSettings{Update: api.SettingsUpdate{Household: hh(api.HouseholdSettings{TimeZone: "Europe/Paris", Language: "de", SetUp: true})}}},
			"Deutsch is stored at once, set up stays true"},
		{"time zone", keys(ir.KEY_DOWN, ir.KEY_OK, ir.KEY_DOWN, ir.KEY_OK), Settings,
			[]Action{PutSettings{Update: api.SettingsUpdate{Household: hh(api.HouseholdSettings{TimeZone: "Europe/Brussels", Language: "fr", SetUp: true})}}},
			"the focus starts on the stored city (Paris); the next one down is stored"},
		{"time zone back", keys(ir.KEY_DOWN, ir.KEY_OK, ir.KEY_BACK), Settings,
			[]Action{PutSettings{Update: api.SettingsUpdate{Household: hh(setUp)}}}, "Back keeps the zone"},
		{"language open", keys(ir.KEY_OK), FirstBoot, nil, "the language page"},
	}
	for _, tt := range tests {
		m := settingsModel()
		m.SetHousehold(setUp, nil, false)
		m.SetNetwork(onlineCable, nil, false, t0)
		m.Key(ir.KEY_MENU, t0)
		for range int(SecHousehold) {
			m.Key(ir.KEY_DOWN, t0)
		}
		m.Key(ir.KEY_RIGHT, t0)
		var acts []Action
		for _, k := range tt.keys {
			acts = append(acts, m.Key(k, t0)...)
		}
		if m.Screen != tt.screen || (m.Screen == Settings && m.Settings.Section != SecHousehold) {
			t.Errorf("%s (%s): screen %v section %v", tt.name, tt.reason, m.Screen, m.Settings.Section)
		}
		if diff := cmp.Diff(tt.acts, acts); diff != "" {
			t.Errorf("%s (%s): actions (-want +got):\n%s", tt.name, tt.reason, diff)
		}
	}

	// Network → Wi-Fi network opens the list; Back returns without a PUT.
	m := settingsModel()
	m.SetHousehold(setUp, nil, false)
	nv := offlineWifi
	nv.Online, nv.Wifi = true, &api.WifiState{State: api.WifiJoined, SSID: "Home"}
	m.SetNetwork(nv, nil, false, t0)
	m.Key(ir.KEY_MENU, t0)
	for range int(SecNetwork) {
		m.Key(ir.KEY_DOWN, t0)
	}
	acts := m.Key(ir.KEY_RIGHT, t0)
	acts = append(acts, m.Key(ir.KEY_OK, t0)...)
	if m.Screen != FirstBoot || m.Setup.Step != StepNetworks {
		t.Fatalf("Wi-Fi row opened screen %v step %v", m.Screen, m.Setup.Step)
	}
	acts = append(acts, m.Key(ir.KEY_BACK, t0)...)
	if diff := cmp.Diff([]Action{ScanWifi{}}, acts); diff != "" || m.Screen != Settings {
		t.Errorf("Wi-Fi from settings: screen %v, actions (-want +got):\n%s", m.Screen, diff)
	}
}

func TestRemoteURL(t *testing.T) {
	tests := []struct {
		name   string
		ifcs   []api.InterfaceView
		want   string
		reason string
	}{
		{"ipv4", onlineCable.Interfaces, "http://192.168.1.20:8080/remote", "the LAN address and the API's port"},
		{"down", []api.InterfaceView{{Name: "eth0", Up: false, Addresses: []string{"10.0.0.2/8"}}, {Name: "wlan0", Up: true, Addresses: []string{"192.168.1.30/24"}}},
			"http://192.168.1.30:8080/remote", "an interface without link is skipped"},
		{"ipv6 only", []api.InterfaceView{{Name: "eth0", Up: true, Addresses: []string{"fe80::1/64", "2001:db8::20/64"}}}, "http://[2001:db8::20]:8080/remote", "link-local is useless to a phone"},
		{"none", []api.InterfaceView{{Name: "eth0", Up: true, Addresses: []string{"169.254.3.4/16", "bogus"}}}, "", "no routable address yet"},
	}
	for _, tt := range tests {
		var m Model
		m.Setup.APIPort = "8080"
		m.SetNetwork(api.NetworkView{Online: true, Interfaces: tt.ifcs}, nil, false, t0)
		if got := m.RemoteURL(); got != tt.want {
			t.Errorf("%s (%s): %q, want %q", tt.name, tt.reason, got, tt.want)
		}
	}
}

func TestKeyboard(t *testing.T) {
	tests := []struct {
		name   string
		keys   []ir.Key
		text   string
		show   string
		reason string
	}{
		{"letters", keys(ir.KEY_OK, ir.KEY_DOWN, ir.KEY_OK), "ak", "●●", "hidden by default"},
		{"shift", keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK, ir.KEY_UP, ir.KEY_UP, ir.KEY_UP, ir.KEY_UP, ir.KEY_OK, ir.KEY_RIGHT, ir.KEY_OK), "AB", "●●", "shift stays on"},
		{"symbols", keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_OK, ir.KEY_UP, ir.KEY_UP, ir.KEY_UP, ir.KEY_UP, ir.KEY_LEFT, ir.KEY_OK), "!", "●", "the symbols page"},
		{"space and backspace", keys(ir.KEY_OK, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_OK, ir.KEY_OK, ir.KEY_RIGHT, ir.KEY_OK), "a ", "●●", "space twice, backspace once"},
		{"show", keys(ir.KEY_OK, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_OK), "a", "a", "Show reveals the text"},
		{"clamps", keys(ir.KEY_LEFT, ir.KEY_UP, ir.KEY_OK, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_UP, ir.KEY_OK), "a9", "●●", "no wrap; Up from Done lands on its first column"},
		{"usb backspace", keys(ir.KEY_OK, ir.KEY_OK, ir.KEY_BACKSPACE), "a", "●", "a keyboard's Backspace deletes"},
	}
	for _, tt := range tests {
		var k Keyboard
		for _, key := range tt.keys {
			k.Key(key)
		}
		if k.Text != tt.text || k.Shown() != tt.show {
			t.Errorf("%s (%s): text %q shown %q, want %q %q", tt.name, tt.reason, k.Text, k.Shown(), tt.text, tt.show)
		}
	}
	var k Keyboard
	for range MaxPassphrase + 5 {
		k.Key(ir.KEY_OK)
	}
	if len(k.Text) != MaxPassphrase {
		t.Errorf("typed %d characters, want at most %d", len(k.Text), MaxPassphrase)
	}
	for _, tt := range []struct {
		p  string
		ok bool
	}{{"1234567", false}, {"12345678", true}, {strings.Repeat("x", 63), true}, {strings.Repeat("a", 64), true}, {strings.Repeat("x", 64), false}} {
		if _, ok := passphraseProblem(tt.p); ok != tt.ok {
			t.Errorf("passphrase of %d characters %q: ok %v, want %v", len(tt.p), tt.p[:min(len(tt.p), 10)], ok, tt.ok)
		}
	}
}

var (
	textEvent = regexp.MustCompile(`\\pos\((-?\d+),(-?\d+)\)\\fn[^\\]*\\fs(\d+)`)
)

// TestSetupTextReadable renders every first-boot page in every language
// and checks that text is at least 24 px and anchored inside the
// action-safe area, and that every message exists in every language.
func TestSetupTextReadable(t *testing.T) {
	for _, l := range Languages {
		for id := msg(0); id < numMsgs; id++ {
			if messages[l.Tag][id] == "" {
				t.Errorf("%s lacks message %d", l.Tag, id)
			}
		}
	}
	pages := map[string]func(m *Model){
		"language": func(m *Model) {},
		"zone":     func(m *Model) { m.Key(ir.KEY_OK, t0) },
		"networks": func(m *Model) {
			m.Key(ir.KEY_OK, t0)
			m.Key(ir.KEY_OK, t0)
			scanDone(m)
			m.Key(ir.KEY_DOWN, t0)
			m.Key(ir.KEY_DOWN, t0)
			m.Key(ir.KEY_OK, t0)
		},
		"keyboard": func(m *Model) {
			m.Key(ir.KEY_OK, t0)
			m.Key(ir.KEY_OK, t0)
			scanDone(m)
			m.Key(ir.KEY_OK, t0)
			m.Key(ir.KEY_OK, t0)
		},
		"failed": func(m *Model) {
			m.Key(ir.KEY_OK, t0)
			m.Key(ir.KEY_OK, t0)
			scanDone(m)
			m.Key(ir.KEY_DOWN, t0)
			m.Key(ir.KEY_OK, t0)
			nv := offlineWifi
			nv.Wifi = &api.WifiState{State: api.WifiFailed, SSID: "Café", Problem: api.WifiProblemNoAddress, Message: "No DHCP answer from the router on Café."}
			m.SetNetwork(nv, nil, false, t0)
		},
		"phone": func(m *Model) {
			m.Key(ir.KEY_OK, t0)
			m.Key(ir.KEY_OK, t0)
			m.SetNetwork(onlineCable, nil, false, t0)
			m.Setup.Step = StepPhone
		},
	}
	for _, l := range Languages {
		for name, page := range pages {
			var m Model
			m.Setup.APIPort = "8080"
			m.SetCatalog(catalog(1, 1))
			m.SetHousehold(api.HouseholdSettings{Language: l.Tag}, nil, false)
			m.SetNetwork(offlineWifi, nil, false, t0)
			page(&m)
			if m.Screen != FirstBoot {
				t.Fatalf("%s/%s: screen %v", l.Tag, name, m.Screen)
			}
			f := Render(&m, t0)
			n := 0
			for _, ev := range textEvent.FindAllStringSubmatch(f.Home, -1) {
				x, _ := strconv.Atoi(ev[1])
				y, _ := strconv.Atoi(ev[2])
				size, _ := strconv.Atoi(ev[3])
				n++
				if size < 24 || x < marginX || x > Width-marginX || y < 54 || y > Height-54 {
					t.Errorf("%s/%s: text at (%d,%d) size %d outside the safe area or too small", l.Tag, name, x, y, size)
				}
			}
			if n < 5 {
				t.Errorf("%s/%s: only %d text events", l.Tag, name, n)
			}
		}
	}
}
