package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// TestHomeContract: the settings and seeding endpoints answer exactly the
// JSON types the UI decodes (strictly: no field the UI does not know), sit
// behind pairing like the rest, and bound PUT bodies.
func TestHomeContract(t *testing.T) {
	_, d := startBox(t, nil)
	strict := func(path string, body []byte, v any) {
		t.Helper()
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Errorf("%s: %s does not decode strictly into %T: %v", path, body, v, err)
		}
	}
	for _, tc := range []struct {
		path string
		v    any
	}{
		{"/api/settings", &api.SettingsView{}},
		{"/api/seeding", &api.SeedingView{}},
	} {
		rec := lan(d, http.MethodGet, tc.path, "", nil)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s from an unpaired LAN device: %d, want 401", tc.path, rec.Code)
		}
		req, _ := http.NewRequest(http.MethodGet, d.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("GET %s: %d %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		strict(tc.path, buf.Bytes(), tc.v)
	}
	sv := api.SeedingView{}
	rec := httpDo(t, http.MethodGet, d.URL+"/api/seeding", "")
	strict("/api/seeding", rec, &sv)
	if len(sv.Days) != 7 || sv.Torrents == nil {
		t.Errorf("seeding view of a new box: %+v, want 7 zero days and an empty torrent list", sv)
	}

	big := `{"video":{"mode":"` + strings.Repeat("x", 5000) + `"}}`
	req, _ := http.NewRequest(http.MethodPut, d.URL+"/api/settings", strings.NewReader(big))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("PUT /api/settings with a 5 KB body: %d, want 413", resp.StatusCode)
	}
}

func httpDo(t *testing.T, method, url, body string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, buf.Bytes())
	}
	return buf.Bytes()
}
