package wifi_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/wifi"
	"github.com/atomicnetwork/atomicbox/appliance/wifi/fakeradio"
)

type rig struct {
	t     *testing.T
	m     *wifi.Manager
	r     *fakeradio.Radio
	dir   string
	wake  chan struct{}
	close func()
}

// start runs a Manager over r with a data dir holding files, and stops it
// at the test's end.
func start(t *testing.T, r *fakeradio.Radio, files map[string]string, seed *wifi.Network) *rig {
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	g := &rig{t: t, r: r, dir: dir, wake: make(chan struct{}, 1)}
	g.m = wifi.New(wifi.Config{Radio: r, DHCP: r, Dir: dir, Log: slog.New(slog.DiscardHandler),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond,
		OnChange: func() {
			select {
			case g.wake <- struct{}{}:
			default:
			}
		}})
	if seed != nil {
		if err := g.m.Seed(*seed, false); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return g
}

// until waits up to 5 s for the state to satisfy ok.
func (g *rig) until(what string, ok func(api.WifiState) bool) api.WifiState {
	g.t.Helper()
	end := time.After(5 * time.Second)
	for {
		s := g.m.State()
		if ok(s) {
			return s
		}
		select {
		case <-g.wake:
		case <-time.After(10 * time.Millisecond):
		case <-end:
			g.t.Fatalf("%s: state still %+v", what, s)
		}
	}
}

func is(state, problem string) func(api.WifiState) bool {
	return func(s api.WifiState) bool { return s.State == state && s.Problem == problem }
}

func (g *rig) stored() string {
	b, err := os.ReadFile(filepath.Join(g.dir, wifi.StoreFile))
	if err != nil {
		return ""
	}
	return string(b)
}

func TestJoinOutcomes(t *testing.T) {
	for _, tt := range []struct {
		reason     string
		aps        []fakeradio.AP
		noDHCP     bool
		noSAE      bool
		dropJoins  int
		join       wifi.Network
		want       api.WifiState
		wantStored string
	}{
		{reason: "the right passphrase joins, gets an address and is stored",
			aps:        []fakeradio.AP{fakeradio.WPA2("Home", "correct horse", -50)},
			join:       wifi.Network{SSID: "Home", Passphrase: "correct horse"},
			want:       api.WifiState{State: api.WifiJoined, SSID: "Home", SignalDBm: -50, Address: "192.168.1.20/24"},
			wantStored: `{"ssid":"Home","passphrase":"correct horse"}`},
		{reason: "a wrong passphrase is reported and not stored",
			aps:  []fakeradio.AP{fakeradio.WPA2("Home", "correct horse", -50)},
			join: wifi.Network{SSID: "Home", Passphrase: "battery staple"},
			want: api.WifiState{State: api.WifiFailed, SSID: "Home", Problem: api.WifiProblemWrongPassphrase, Message: "Wrong passphrase for Home."}},
		{reason: "no access point with that SSID",
			aps:  []fakeradio.AP{fakeradio.WPA2("Neighbour", "whatever1", -80)},
			join: wifi.Network{SSID: "Home", Passphrase: "correct horse"},
			want: api.WifiState{State: api.WifiFailed, SSID: "Home", Problem: api.WifiProblemNotFound, Message: "No network called Home answers."}},
		{reason: "joined but the router gives no address",
			aps:    []fakeradio.AP{fakeradio.WPA2("Home", "correct horse", -50)},
			noDHCP: true,
			join:   wifi.Network{SSID: "Home", Passphrase: "correct horse"},
			want:   api.WifiState{State: api.WifiFailed, SSID: "Home", Problem: api.WifiProblemNoAddress, Message: "Joined Home, but its router gave no address."}},
		{reason: "WPA3-only networks are joined (SAE) and stored",
			aps:        []fakeradio.AP{fakeradio.WPA3("Home", "correct horse", -40)},
			join:       wifi.Network{SSID: "Home", Passphrase: "correct horse"},
			want:       api.WifiState{State: api.WifiJoined, SSID: "Home", SignalDBm: -40, Address: "192.168.1.20/24"},
			wantStored: `{"ssid":"Home","passphrase":"correct horse"}`},
		{reason: "a join whose link drops before DHCP answers is tried again",
			aps:        []fakeradio.AP{fakeradio.WPA3("Home", "correct horse", -40)},
			dropJoins:  1,
			join:       wifi.Network{SSID: "Home", Passphrase: "correct horse"},
			want:       api.WifiState{State: api.WifiJoined, SSID: "Home", SignalDBm: -40, Address: "192.168.1.20/24"},
			wantStored: `{"ssid":"Home","passphrase":"correct horse"}`},
		{reason: "a wrong passphrase on a WPA3-only network is reported",
			aps:  []fakeradio.AP{fakeradio.WPA3("Home", "correct horse", -40)},
			join: wifi.Network{SSID: "Home", Passphrase: "battery staple"},
			want: api.WifiState{State: api.WifiFailed, SSID: "Home", Problem: api.WifiProblemWrongPassphrase, Message: "Wrong passphrase for Home."}},
		{reason: "a WPA3-only network without a passphrase is a wrong passphrase",
			aps:  []fakeradio.AP{fakeradio.WPA3("Home", "correct horse", -40)},
			join: wifi.Network{SSID: "Home"},
			want: api.WifiState{State: api.WifiFailed, SSID: "Home", Problem: api.WifiProblemWrongPassphrase, Message: "Wrong passphrase for Home."}},
		{reason: "WPA3-only on a radio that cannot do SAE is unsupported",
			aps:   []fakeradio.AP{fakeradio.WPA3("Home", "correct horse", -40)},
			noSAE: true,
			join:  wifi.Network{SSID: "Home", Passphrase: "correct horse"},
			want:  api.WifiState{State: api.WifiFailed, SSID: "Home", Problem: api.WifiProblemUnsupported, Message: "Home uses a kind of security the box cannot join."}},
		{reason: "a WPA2 network without a passphrase is a wrong passphrase",
			aps:  []fakeradio.AP{fakeradio.WPA2("Home", "correct horse", -50)},
			join: wifi.Network{SSID: "Home"},
			want: api.WifiState{State: api.WifiFailed, SSID: "Home", Problem: api.WifiProblemWrongPassphrase, Message: "Wrong passphrase for Home."}},
	} {
		t.Run(tt.reason, func(t *testing.T) {
			r := fakeradio.New(tt.aps...)
			r.NoDHCP = tt.noDHCP
			r.NoSAE = tt.noSAE
			r.DropJoins = tt.dropJoins
			g := start(t, r, nil, nil)
			g.until("idle at first", is(api.WifiIdle, ""))
			if err := g.m.Join(tt.join); err != nil {
				t.Fatal(err)
			}
			// "lost" is on the way to another outcome (the join is retried).
			got := g.until("outcome", func(s api.WifiState) bool {
				return s.State == api.WifiJoined || s.State == api.WifiFailed && s.Problem != api.WifiProblemLost
			})
			got.Since = time.Time{}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStored, g.stored()); diff != "" {
				t.Errorf("stored network (-want +got):\n%s", diff)
			}
			if got.State == api.WifiFailed {
				// Nothing stored to fall back to: the failure stays on show.
				time.Sleep(200 * time.Millisecond)
				if s := g.m.State(); s.State != api.WifiFailed || s.Problem != tt.want.Problem {
					t.Errorf("200 ms after the failure: %+v, want it still shown", s)
				}
			}
		})
	}
}

func TestLostAndBack(t *testing.T) {
	home := fakeradio.WPA2("Home", "correct horse", -50)
	r := fakeradio.New(home)
	g := start(t, r, nil, &wifi.Network{SSID: "Home", Passphrase: "correct horse"})
	g.until("joined the seeded network", is(api.WifiJoined, ""))
	r.Remove("Home")
	g.until("lost", is(api.WifiFailed, api.WifiProblemLost))
	g.until("still looking while it is away", is(api.WifiFailed, api.WifiProblemNotFound))
	r.Add(home)
	s := g.until("back", is(api.WifiJoined, ""))
	if s.Address == "" {
		t.Errorf("rejoined without an address: %+v", s)
	}
}

func TestFailedRequestKeepsStoredNetwork(t *testing.T) {
	r := fakeradio.New(fakeradio.WPA2("Home", "correct horse", -50), fakeradio.WPA2("Cafe", "espresso!", -70))
	g := start(t, r, nil, &wifi.Network{SSID: "Home", Passphrase: "correct horse"})
	g.until("joined Home", is(api.WifiJoined, ""))
	g.m.Join(wifi.Network{SSID: "Cafe", Passphrase: "wrong one"})
	g.until("Cafe refused", is(api.WifiFailed, api.WifiProblemWrongPassphrase))
	s := g.until("back on Home", is(api.WifiJoined, ""))
	if s.SSID != "Home" {
		t.Errorf("joined %q after a failed request, want the stored Home", s.SSID)
	}
	if got := g.stored(); got != `{"ssid":"Home","passphrase":"correct horse"}` {
		t.Errorf("stored %s after a failed request", got)
	}
}

// TestRejoinStoredWithoutPassphrase: the TV's network list offers a known
// network without asking its passphrase again; the join request then
// carries none, and the stored one is used (for that SSID only).
func TestRejoinStoredWithoutPassphrase(t *testing.T) {
	r := fakeradio.New(fakeradio.WPA2("Home", "correct horse", -50), fakeradio.WPA2("Cafe", "espresso!", -70))
	g := start(t, r, nil, &wifi.Network{SSID: "Home", Passphrase: "correct horse"})
	g.until("joined Home", is(api.WifiJoined, ""))
	g.m.Join(wifi.Network{SSID: "Cafe"})
	g.until("Cafe needs its passphrase", is(api.WifiFailed, api.WifiProblemWrongPassphrase))
	g.until("back on Home", is(api.WifiJoined, ""))
	asked := time.Now()
	if err := g.m.Join(wifi.Network{SSID: "Home"}); err != nil {
		t.Fatal(err)
	}
	// The first outcome of this request: a failure would be followed by
	// the manager going back to the stored network on its own.
	s := g.until("the request's outcome", func(s api.WifiState) bool {
		return s.Since.After(asked) && (s.State == api.WifiJoined || s.State == api.WifiFailed)
	})
	if s.State != api.WifiJoined || s.SSID != "Home" {
		t.Errorf("rejoining the stored network without a passphrase: %+v", s)
	}
	if got := g.stored(); got != `{"ssid":"Home","passphrase":"correct horse"}` {
		t.Errorf("stored %s after the rejoin", got)
	}
}

func TestForget(t *testing.T) {
	r := fakeradio.New(fakeradio.WPA2("Home", "correct horse", -50))
	g := start(t, r, nil, &wifi.Network{SSID: "Home", Passphrase: "correct horse"})
	g.until("joined", is(api.WifiJoined, ""))
	if err := g.m.Forget(); err != nil {
		t.Fatal(err)
	}
	g.until("idle", is(api.WifiIdle, ""))
	if g.stored() != "" || r.Joined() != "" {
		t.Errorf("after Forget: stored %q, joined %q", g.stored(), r.Joined())
	}
}

func TestStoredFile(t *testing.T) {
	for _, tt := range []struct {
		reason string
		file   string
		want   string // state reached
	}{
		{"a stored network is joined at start", `{"ssid":"Home","passphrase":"correct horse"}`, api.WifiJoined},
		{"a corrupt file means no network", `{"ssid":"Home","pass`, api.WifiIdle},
		{"an invalid passphrase means no network", `{"ssid":"Home","passphrase":"short"}`, api.WifiIdle},
	} {
		t.Run(tt.reason, func(t *testing.T) {
			r := fakeradio.New(fakeradio.WPA2("Home", "correct horse", -50))
			g := start(t, r, map[string]string{wifi.StoreFile: tt.file}, nil)
			g.until(tt.want, is(tt.want, ""))
		})
	}
}

func TestSeed(t *testing.T) {
	m := wifi.New(wifi.Config{Radio: fakeradio.New(), DHCP: fakeradio.New(), Dir: t.TempDir(), Log: slog.New(slog.DiscardHandler)})
	if err := m.Seed(wifi.Network{SSID: "Home", Passphrase: "short"}, true); err == nil {
		t.Error("Seed took a 5-character passphrase")
	}
	m.Seed(wifi.Network{SSID: "A", Passphrase: "password1"}, false)
	m.Seed(wifi.Network{SSID: "B", Passphrase: "password2"}, false)
	if !m.Known("A") || m.Known("B") {
		t.Error("Seed without override replaced a stored network")
	}
	m.Seed(wifi.Network{SSID: "B", Passphrase: "password2"}, true)
	if !m.Known("B") {
		t.Error("Seed with override (a fresh atomicbox.txt) did not replace it")
	}
}

func TestScanList(t *testing.T) {
	r := fakeradio.New(fakeradio.WPA2("Home", "correct horse", -50), fakeradio.WPA2("Cafe", "espresso!", -70),
		fakeradio.AP{BSS: wifi.BSS{SSID: "Free", SignalDBm: -60}}, fakeradio.AP{BSS: wifi.BSS{SSID: "", SignalDBm: -30}})
	g := start(t, r, map[string]string{wifi.StoreFile: `{"ssid":"Cafe","passphrase":"espresso!"}`}, nil)
	got, err := g.m.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []api.WifiNetwork{
		{SSID: "Home", SignalDBm: -50, Security: api.WifiSecurityWPA2},
		{SSID: "Free", SignalDBm: -60, Security: api.WifiSecurityOpen},
		{SSID: "Cafe", SignalDBm: -70, Security: api.WifiSecurityWPA2, Known: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("scan (-want +got):\n%s", diff)
	}
}

// TestSignalRefresh: while joined, the signal strength shown follows the
// radio's (read every 30 s).
func TestSignalRefresh(t *testing.T) {
	r := fakeradio.New(fakeradio.WPA2("Home", "correct horse", -50))
	tick := make(chan time.Time)
	dir := t.TempDir()
	m := wifi.New(wifi.Config{Radio: r, DHCP: r, Dir: dir, Log: slog.New(slog.DiscardHandler),
		After: func(d time.Duration) <-chan time.Time {
			if d == 30*time.Second {
				return tick
			}
			return time.After(d)
		}})
	m.Seed(wifi.Network{SSID: "Home", Passphrase: "correct horse"}, false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	g := &rig{t: t, m: m, wake: make(chan struct{}, 1)}
	g.until("joined at -50 dBm", func(s api.WifiState) bool { return s.State == api.WifiJoined && s.SignalDBm == -50 })
	r.Add(fakeradio.WPA2("Home", "correct horse", -67))
	tick <- time.Now()
	g.until("-67 dBm after the refresh", func(s api.WifiState) bool { return s.State == api.WifiJoined && s.SignalDBm == -67 })
}
