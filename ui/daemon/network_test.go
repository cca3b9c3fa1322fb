package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/google/go-cmp/cmp"
)

// TestNetworkClient: the network, Wi-Fi and household calls send what the
// contract says and read its JSON; 404 means not available.
func TestNetworkClient(t *testing.T) {
	var mu sync.Mutex
	var requests []string
	settings := `{"box":{"version":"1"},"household":{"timeZone":"Europe/Berlin","language":"de","setUp":false}}`
	mux := http.NewServeMux()
	record := func(r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		requests = append(requests, r.Method+" "+r.URL.Path+" "+string(b))
		mu.Unlock()
	}
	mux.HandleFunc("GET /api/network", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"online":false,"interfaces":[{"name":"wlan0","kind":"wifi","up":true,"addresses":[]}],"wifi":{"state":"failed","ssid":"Home","problem":"wrong-passphrase","message":"Wrong passphrase for Home."}}`)
	})
	mux.HandleFunc("GET /api/wifi/networks", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `[{"ssid":"Home","signalDBm":-48,"security":"wpa2","known":true},{"ssid":"Office","signalDBm":-80,"security":"enterprise","known":false}]`)
	})
	mux.HandleFunc("POST /api/wifi/join", func(w http.ResponseWriter, r *http.Request) { record(r); w.WriteHeader(202) })
	mux.HandleFunc("GET /api/settings", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, settings) })
	mux.HandleFunc("PUT /api/settings", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		io.WriteString(w, `{"household":{"timeZone":"Europe/Paris","language":"fr","setUp":true}}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, _ := New(srv.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	nv, err := c.Network(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := api.NetworkView{Interfaces: []api.InterfaceView{{Name: "wlan0", Kind: api.InterfaceWifi, Up: true, Addresses: []string{}}},
		Wifi: &api.WifiState{State: api.WifiFailed, SSID: "Home", Problem: api.WifiProblemWrongPassphrase, Message: "Wrong passphrase for Home."}}
	if diff := cmp.Diff(want, nv); diff != "" {
		t.Errorf("network (-want +got):\n%s", diff)
	}
	nets, err := c.WifiNetworks(ctx)
	if err != nil || len(nets) != 2 || nets[1].Security != api.WifiSecurityEnterprise || !nets[0].Known {
		t.Errorf("networks %+v, %v", nets, err)
	}
	if err := c.JoinWifi(ctx, api.WifiJoin{SSID: "Home", Passphrase: "correct horse"}); err != nil {
		t.Error(err)
	}
	hh, err := c.Household(ctx)
	if diff := cmp.Diff(api.HouseholdSettings{TimeZone: "Europe/Berlin", Language: "de"}, hh); diff != "" || err != nil {
		t.Errorf("household %v (-want +got):\n%s", err, diff)
	}
	stored, err := c.PutHousehold(ctx, api.HouseholdSettings{TimeZone: "Europe/Paris", Language: "fr", SetUp: true})
	if err != nil || !stored.SetUp || stored.Language != "fr" {
		t.Errorf("put household: %+v, %v", stored, err)
	}
	wantReqs := []string{
		`POST /api/wifi/join {"ssid":"Home","passphrase":"correct horse"}`,
		`PUT /api/settings {"household":{"timeZone":"Europe/Paris","language":"fr","setUp":true}}`,
	}
	if diff := cmp.Diff(wantReqs, requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	// A daemon from before the contract: settings without household, no
	// network endpoints.
	settings = `{"box":{"version":"1"}}`
	if _, err := c.Household(ctx); !errors.Is(err, ErrNotAvailable) {
		t.Errorf("household of an older daemon: %v, want ErrNotAvailable", err)
	}
	if err := c.ForgetWifi(ctx); !errors.Is(err, ErrNotAvailable) {
		t.Errorf("forget on a daemon without Wi-Fi: %v, want ErrNotAvailable", err)
	}
}

func TestParseEventNetwork(t *testing.T) {
	ev, err := ParseEvent("network", []byte(`{"type":"network"}`))
	if err != nil || ev.Type != api.EventNetwork {
		t.Errorf("network event: %+v, %v", ev, err)
	}
}

// FuzzParseHousehold: any body gives the household, ErrNotAvailable or a
// decoding error, never a panic; what it returns survives a round trip.
func FuzzParseHousehold(f *testing.F) {
	f.Add([]byte(`{"household":{"timeZone":"Europe/Berlin","language":"de","setUp":true}}`))
	f.Add([]byte(`{"box":{}}`))
	f.Add([]byte(`{"household":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseHousehold(data)
		if err != nil {
			if h != (api.HouseholdSettings{}) {
				t.Fatalf("error %v with a value %+v", err, h)
			}
			return
		}
		b, _ := json.Marshal(map[string]any{"household": h})
		h2, err := ParseHousehold(b)
		if err != nil || h2 != h {
			t.Fatalf("round trip: %+v -> %+v, %v", h, h2, err)
		}
	})
}
