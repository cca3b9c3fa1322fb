package box_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/box"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbox"
	"github.com/atomicnetwork/atomicbox/appliance/wifi"
	"github.com/atomicnetwork/atomicbox/appliance/wifi/fakeradio"
)

func getStrict(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == http.StatusOK {
		dec := json.NewDecoder(resp.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

func send(t *testing.T, method, url, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestNetworkWithoutWifi: a box without a radio lists its interfaces and
// answers 404 on the Wi-Fi endpoints (the UI's "not available").
func TestNetworkWithoutWifi(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{})
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{})
	var v api.NetworkView
	if code := getStrict(t, d.URL+"/api/network", &v); code != http.StatusOK || v.Wifi != nil || v.Interfaces == nil {
		t.Errorf("GET /api/network: %d %+v, want 200 without wifi", code, v)
	}
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/api/wifi/networks", ""},
		{"POST", "/api/wifi/join", `{"ssid":"Home","passphrase":"correct horse"}`},
		{"DELETE", "/api/wifi", ""},
	} {
		if code := send(t, r.method, d.URL+r.path, r.body); code != http.StatusNotFound {
			t.Errorf("%s %s without a radio: %d, want 404", r.method, r.path, code)
		}
	}
}

// TestWifiAPI drives the Wi-Fi endpoints of a real daemon whose radio is
// fake (this machine has none): scan, a refused join, a join announced on
// /api/events and stored, then forgetting it.
func TestWifiAPI(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{})
	radio := fakeradio.New(fakeradio.WPA2("Home", "correct horse", -48), fakeradio.WPA2("Cafe", "espresso!", -71))
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{Wifi: &box.WifiConfig{
		Open: func(context.Context) (wifi.Radio, error) { return radio, nil }, DHCP: radio,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}})

	// Watch /api/events for network events.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", d.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- ev
			}
		}
	}()

	state := func() api.WifiState {
		var v api.NetworkView
		getStrict(t, d.URL+"/api/network", &v)
		if v.Wifi == nil {
			return api.WifiState{}
		}
		return *v.Wifi
	}
	waitState := func(what string, ok func(api.WifiState) bool) api.WifiState {
		t.Helper()
		end := time.Now().Add(10 * time.Second)
		for {
			s := state()
			if ok(s) {
				return s
			}
			if time.Now().After(end) {
				t.Fatalf("%s: state %+v", what, s)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitState("radio open, idle", func(s api.WifiState) bool { return s.State == api.WifiIdle })

	var nets []api.WifiNetwork
	if code := getStrict(t, d.URL+"/api/wifi/networks", &nets); code != http.StatusOK || len(nets) != 2 || nets[0].SSID != "Home" || nets[0].Security != api.WifiSecurityWPA2 {
		t.Errorf("GET /api/wifi/networks: %d %+v, want Home (strongest) and Cafe", code, nets)
	}
	for _, tt := range []struct{ reason, body string }{
		{"passphrase of 5 characters", `{"ssid":"Home","passphrase":"short"}`},
		{"no SSID", `{"passphrase":"correct horse"}`},
		{"unknown field", `{"ssid":"Home","psk":"correct horse"}`},
	} {
		if code := send(t, "POST", d.URL+"/api/wifi/join", tt.body); code != http.StatusBadRequest {
			t.Errorf("join with %s: %d, want 400", tt.reason, code)
		}
	}
	for len(events) > 0 {
		<-events
	}
	if code := send(t, "POST", d.URL+"/api/wifi/join", `{"ssid":"Home","passphrase":"correct horse"}`); code != http.StatusAccepted {
		t.Fatalf("join: %d, want 202", code)
	}
	s := waitState("joined", func(s api.WifiState) bool { return s.State == api.WifiJoined })
	if s.SSID != "Home" || s.Address == "" || s.SignalDBm != -48 {
		t.Errorf("joined state %+v", s)
	}
	for seen := false; !seen; {
		select {
		case ev := <-events:
			seen = ev == api.EventNetwork // catalog events may come between
		case <-time.After(5 * time.Second):
			t.Fatal("no network event on /api/events after joining")
		}
	}
	stored, err := os.ReadFile(filepath.Join(d.DataDir, wifi.StoreFile))
	if err != nil || !bytes.Contains(stored, []byte(`"Home"`)) {
		t.Errorf("stored network: %s, %v", stored, err)
	}
	if code := send(t, "DELETE", d.URL+"/api/wifi", ""); code != http.StatusNoContent {
		t.Errorf("DELETE /api/wifi: %d, want 204", code)
	}
	waitState("forgotten", func(s api.WifiState) bool { return s.State == api.WifiIdle })
	if _, err := os.Stat(filepath.Join(d.DataDir, wifi.StoreFile)); !os.IsNotExist(err) {
		t.Errorf("stored network still there after DELETE: %v", err)
	}
}
