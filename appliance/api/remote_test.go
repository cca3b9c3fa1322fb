package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// TestWebRemoteDevices: the web remote page the daemon serves has the
// paired-devices list with Remove buttons that ask first, and builds it
// as text (the names come from other devices' User-Agents); what the page
// does then works over real HTTP against the real daemon with a browser's
// cookie jar: two phones pair, the first lists both with itself marked,
// removes the second (a same-origin DELETE, as the browser sends it), and
// the second's token is refused at once. The same DELETE sent from
// another site is refused.
func TestWebRemoteDevices(t *testing.T) {
	_, d := startBox(t, nil)
	resp, err := http.Get(d.URL + "/remote")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`id="devices"`, `id="devlist"`, `fetch("/api/pair/devices"`, `method: "DELETE"`, `confirm(`, `textContent = d.label`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the remote page lacks %s", want)
		}
	}
	if strings.Contains(string(page), "innerHTML") {
		t.Error("the remote page writes HTML: a device's name could inject script")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := d.D.Hub.Subscribe(ctx, 16)
	browser := func(ua string) (*http.Client, func(method, path, body string) *http.Response) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		return c, func(method, path, body string) *http.Response {
			t.Helper()
			req, _ := http.NewRequest(method, d.URL+path, strings.NewReader(body))
			req.Header.Set("User-Agent", ua)
			if method != http.MethodGet {
				req.Header.Set("Origin", d.URL) // what a browser adds to the page's own fetches
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			return resp
		}
	}
	pair := func(do func(method, path, body string) *http.Response) string {
		t.Helper()
		do("POST", "/api/pair/request", "{}").Body.Close()
		var code string
		for code == "" {
			select {
			case ev := <-events:
				if ev.Type == api.EventPairing {
					code = ev.Pairing.Code
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no pairing code on the TV")
			}
		}
		resp := do("POST", "/api/pair", `{"code":"`+code+`"}`)
		defer resp.Body.Close()
		var pr api.PairResponse
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&pr) != nil {
			t.Fatalf("pair: %s", resp.Status)
		}
		return pr.Token
	}
	_, phone := browser("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15")
	_, tablet := browser("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/119 Safari/537.36")
	pair(phone)
	tabletToken := pair(tablet)

	resp = phone("GET", "/api/pair/devices", "")
	var list []api.PairedDevice
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/pair/devices: %s %v", resp.Status, err)
	}
	resp.Body.Close()
	if len(list) != 2 || list[0].Label != "Android tablet (SM-X700)" || list[1].Label != "iPhone" || !list[1].This || list[0].This {
		t.Fatalf("the page would list %+v, want the tablet then this iPhone (marked)", list)
	}

	// A page on another site cannot remove a device, even blind.
	req, _ := http.NewRequest("DELETE", d.URL+"/api/pair/devices/"+list[0].ID, nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "http://evil.example")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a cross-site DELETE: %v %v, want 403", resp.Status, err)
	}

	if resp := phone("DELETE", "/api/pair/devices/"+list[0].ID, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("the page's DELETE: %s, want 204", resp.Status)
	}
	if rec := lan(d, "GET", "/api/catalog", "", map[string]string{"Authorization": "Bearer " + tabletToken}); rec.Code != http.StatusUnauthorized {
		t.Errorf("the removed tablet from the LAN: %d, want 401", rec.Code)
	}
	resp = phone("GET", "/api/pair/devices", "")
	list = nil
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list) != 1 || list[0].Label != "iPhone" {
		t.Errorf("after the removal the page would list %+v, want this iPhone alone", list)
	}
}
