package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbox"
)

// clock is a settable time source for pairing expiry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func startBox(t *testing.T, now func() time.Time) (*testbox.Channel, *testbox.Daemon) {
	t.Helper()
	ch := testbox.NewChannel(t, testbox.ChannelOptions{})
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{Now: now})
	d.WaitEpisodes(t, ch.Episodes(), false, 30*time.Second)
	return ch, d
}

// lan sends a request to the handler as if from another machine on the LAN.
func lan(d *testbox.Daemon, method, path, body string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = "192.168.1.10:50000"
	req.Host = strings.TrimPrefix(d.URL, "http://") // the box's own address
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	d.D.Server.ServeHTTP(rec, req)
	return rec
}

func errorOf(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Errorf("error body %q is not {\"error\": ...}", body)
	}
	return e.Error
}

func TestBadInput(t *testing.T) {
	ch, d := startBox(t, nil)
	id := ch.Episodes()[0]
	size := ch.Catalog.Shows[0].Episodes[0].Size
	for _, tc := range []struct {
		method, path, rng, body string
		want                    int
		jsonErr                 bool
		reason                  string
	}{
		{"GET", "/api/stream/nope", "", "", 404, true, "unknown episode"},
		{"GET", "/api/stream/" + id, fmt.Sprintf("bytes=%d-", size+10), "", 416, true, "range starts past the end"},
		{"GET", "/api/resume/nope", "", "", 404, true, "resume of an unknown episode"},
		{"PUT", "/api/resume/" + id, "", `{"seconds":"ten"}`, 400, true, "resume with a string position"},
		{"PUT", "/api/resume/" + id, "", `{"seconds":-5,"durationSeconds":10}`, 400, true, "negative position"},
		{"PUT", "/api/resume/" + id, "", `{"seconds":1,"extra":true}`, 400, true, "unknown field"},
		{"PUT", "/api/resume/" + id, "", `{"seconds":1}` + strings.Repeat(" ", 2000), 413, true, "resume body over 1 KiB"},
		{"POST", "/api/keys", "", `{"key":"KEY_UP"`, 400, true, "truncated key JSON"},
		{"POST", "/api/keys", "", `{"key":"KEY_LAUNCH_MISSILES"}`, 400, true, "unknown key"},
		{"POST", "/api/keys", "", `{"key":"KEY_UP","action":"smash"}`, 400, true, "unknown action"},
		{"POST", "/api/keys", "", `{"key":"KEY_UP","pad":"` + strings.Repeat("x", 2000) + `"}`, 413, true, "key body over 1 KiB"},
		{"POST", "/api/pair", "", `{"code":"` + strings.Repeat("1", 3000) + `"}`, 413, true, "pairing body over 1 KiB"},
		{"POST", "/api/pair", "", `not json`, 400, true, "malformed pairing body"},
		{"GET", "/api/nothing-here", "", "", 404, true, "unknown endpoint"},
		{"GET", "/api/poster/show/nope", "", "", 404, true, "no such poster"},
		{"GET", "/api/poster/banner/x", "", "", 404, true, "bad poster kind"},
	} {
		req, _ := http.NewRequest(tc.method, d.URL+tc.path, strings.NewReader(tc.body))
		if tc.rng != "" {
			req.Header.Set("Range", tc.rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: status %d, want %d (%s): %s", tc.method, tc.path, resp.StatusCode, tc.want, tc.reason, body)
			continue
		}
		if tc.jsonErr {
			errorOf(t, body)
		}
	}
}

func TestStreamHead(t *testing.T) {
	ch, d := startBox(t, nil)
	ep := ch.Catalog.Shows[0].Episodes[0]
	resp, err := http.Head(d.URL + "/api/stream/" + ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := []string{resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Length"), resp.Header.Get("Accept-Ranges")}
	want := []string{"200 OK", ep.MimeType, fmt.Sprint(ep.Size), "bytes"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HEAD (-want +got):\n%s", diff)
	}
}

func TestUnpairedLAN(t *testing.T) {
	_, d := startBox(t, nil)
	for _, tc := range []struct {
		method, path string
		want         int
		reason       string
	}{
		{"GET", "/api/catalog", 401, "catalog needs pairing"},
		{"GET", "/api/stats", 401, "stats need pairing"},
		{"POST", "/api/keys", 401, "keys need pairing"},
		{"GET", "/api/events", 401, "events need pairing"},
		{"GET", "/remote", 200, "the remote page is open, to pair from"},
		{"POST", "/api/pair", 410, "pairing is open (no code showing yet: 410)"},
	} {
		rec := lan(d, tc.method, tc.path, `{"code":"000000"}`, nil)
		if rec.Code != tc.want {
			t.Errorf("%s %s from the LAN: %d, want %d (%s)", tc.method, tc.path, rec.Code, tc.want, tc.reason)
		}
		if tc.want == 401 {
			errorOf(t, rec.Body.Bytes())
		}
	}
	if rec := lan(d, "GET", "/api/catalog", "", map[string]string{"Authorization": "Bearer made-up"}); rec.Code != 401 {
		t.Errorf("made-up bearer token: %d, want 401", rec.Code)
	}
}

func TestPairing(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)}
	_, d := startBox(t, clk.Now)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := d.D.Hub.Subscribe(ctx, 16)
	nextCode := func() string {
		t.Helper()
		select {
		case ev := <-events:
			if ev.Type != api.EventPairing || ev.Pairing == nil || len(ev.Pairing.Code) != 6 {
				t.Fatalf("event %+v, want a pairing code", ev)
			}
			if !ownPairingURL(ev.Pairing.URL, d) {
				t.Errorf("pairing URL %q is not one of the box's own addresses", ev.Pairing.URL)
			}
			return ev.Pairing.Code
		case <-time.After(5 * time.Second):
			t.Fatal("no pairing event")
		}
		return ""
	}
	wrong := func(code string) string { // a code that is surely wrong
		if code == "000000" {
			return "000001"
		}
		return "000000"
	}
	pair := func(code string) *httptest.ResponseRecorder {
		return lan(d, "POST", "/api/pair", `{"code":"`+code+`"}`, nil)
	}

	if rec := lan(d, "POST", "/api/pair/request", "", nil); rec.Code != http.StatusAccepted {
		t.Fatalf("pair request: %d", rec.Code)
	}
	code := nextCode()
	if rec := pair(wrong(code)); rec.Code != 403 {
		t.Errorf("wrong code: %d, want 403", rec.Code)
	}
	clk.Add(api.PairCodeLifetime + time.Second)
	if rec := pair(code); rec.Code != 410 {
		t.Errorf("right code after expiry: %d, want 410", rec.Code)
	}

	lan(d, "POST", "/api/pair/request", "", nil)
	code = nextCode()
	// One device: each wrong code doubles its wait (its first came before
	// the code expired, and counts across codes), and during a wait even
	// the right code is not compared.
	for i := 1; i <= api.PairMaxTriesPerSource; i++ {
		if rec := pair(wrong(code)); rec.Code != 403 {
			t.Fatalf("wrong try %d: %d", i, rec.Code)
		}
		if rec := pair(code); rec.Code != 429 {
			t.Fatalf("a try right after wrong try %d: %d, want 429", i, rec.Code)
		}
		wait := api.PairRetryDelay << i
		clk.Add(wait - time.Millisecond)
		if rec := pair(code); rec.Code != 429 {
			t.Fatalf("a try just before the %v wait after wrong try %d ended: %d, want 429", wait, i, rec.Code)
		}
		clk.Add(time.Millisecond)
	}
	// It spent its tries on this code: even the right one is refused, but
	// the code lives on for the others.
	if rec := pair(code); rec.Code != 403 || !strings.Contains(errorOf(t, rec.Body.Bytes()), "new code") {
		t.Fatalf("right code from a device that spent its tries: %d %s, want 403 asking for a new code", rec.Code, rec.Body)
	}
	other := func(code string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/pair", strings.NewReader(`{"code":"`+code+`"}`))
		req.RemoteAddr, req.Host = "192.168.1.11:50001", strings.TrimPrefix(d.URL, "http://")
		rec := httptest.NewRecorder()
		d.D.Server.ServeHTTP(rec, req)
		return rec
	}
	// A second device's wrong codes use up the code for everyone.
	for i := 1; i < api.PairMaxTries-api.PairMaxTriesPerSource; i++ {
		if rec := other(wrong(code)); rec.Code != 403 {
			t.Fatalf("second device, wrong try %d: %d", i, rec.Code)
		}
		clk.Add(api.PairRetryDelay << (i - 1))
	}
	if rec := other(wrong(code)); rec.Code != 403 || !strings.Contains(errorOf(t, rec.Body.Bytes()), "new code") {
		t.Errorf("%dth wrong try in all: %d %s, want 403 with a new code", api.PairMaxTries, rec.Code, rec.Body)
	}
	old := code
	code = nextCode()
	if code == old {
		// One chance in a million: the fresh code may equal the old one.
		t.Logf("new code equals the old one")
	}

	clk.Add(api.PairRetryDelay << (api.PairMaxTriesPerSource + 1))
	rec := pair(code)
	if rec.Code != 200 {
		t.Fatalf("right code: %d %s", rec.Code, rec.Body)
	}
	var pr api.PairResponse
	json.Unmarshal(rec.Body.Bytes(), &pr)
	if len(pr.Token) < 40 {
		t.Fatalf("token %q too short", pr.Token)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != api.PairCookie || cookies[0].Value != pr.Token || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie %+v, want %s=token HttpOnly SameSite=Strict", cookies, api.PairCookie)
	}
	select {
	case ev := <-events:
		if ev.Type != api.EventPaired {
			t.Errorf("event %+v, want paired", ev)
		}
	case <-time.After(5 * time.Second):
		t.Error("no paired event")
	}
	if rec := pair(code); rec.Code != 410 {
		t.Errorf("code reused after success: %d, want 410", rec.Code)
	}
	for _, tc := range []struct {
		hdr    map[string]string
		reason string
	}{
		{map[string]string{"Cookie": api.PairCookie + "=" + pr.Token}, "cookie"},
		{map[string]string{"Authorization": "Bearer " + pr.Token}, "bearer header"},
	} {
		if rec := lan(d, "GET", "/api/catalog", "", tc.hdr); rec.Code != 200 {
			t.Errorf("paired via %s: %d, want 200", tc.reason, rec.Code)
		}
	}
	stored, err := os.ReadFile(filepath.Join(d.DataDir, api.PairingFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored), pr.Token) {
		t.Error("the raw token is stored; want only its hash")
	}
	// A new pairer on the same data dir (a daemon restart) still knows it.
	p2, err := api.NewPairer(d.DataDir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !p2.Valid(pr.Token) || p2.Valid(pr.Token+"x") {
		t.Error("token not kept across a restart, or a wrong token accepted")
	}
}

func TestKeysOnEvents(t *testing.T) {
	_, d := startBox(t, nil)
	resp, err := http.Get(d.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	sent := []string{"KEY_UP", "KEY_OK", "KEY_PLAYPAUSE"}
	for _, k := range sent {
		r, err := http.Post(d.URL+"/api/keys", "application/json", strings.NewReader(`{"key":"`+k+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 204 {
			t.Fatalf("POST key %s: %d", k, r.StatusCode)
		}
	}
	var got []api.KeyEvent
	timeout := time.After(5 * time.Second)
	for len(got) < len(sent) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("event stream ended")
			}
			data, ok := strings.CutPrefix(l, "data: ")
			if !ok {
				continue
			}
			var ev api.Event
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatalf("event %q: %v", data, err)
			}
			if ev.Type == api.EventKey && ev.Key != nil {
				got = append(got, *ev.Key)
			}
		case <-timeout:
			t.Fatalf("got %d key events, want %d", len(got), len(sent))
		}
	}
	for i, k := range sent {
		if got[i].Key != k || got[i].Action != "press" || got[i].Source != "web" || got[i].At.IsZero() {
			t.Errorf("event %d = %+v, want %s press from web with a time", i, got[i], k)
		}
	}
}

func TestRemotePage(t *testing.T) {
	_, d := startBox(t, nil)
	rec := lan(d, "GET", "/remote", "", nil)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("remote page: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{`data-key="KEY_UP"`, `data-key="KEY_OK"`, `data-key="KEY_BACK"`, `data-key="KEY_PLAYPAUSE"`, "/api/pair/request", "ArrowUp", "viewport"} {
		if !strings.Contains(body, want) {
			t.Errorf("remote page lacks %q", want)
		}
	}
	for _, bad := range []string{"http://", "https://", "<link "} {
		if strings.Contains(body, bad) {
			t.Errorf("remote page refers to an external asset (%q)", bad)
		}
	}
}

func TestEventsHeartbeat(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{})
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{Heartbeat: 50 * time.Millisecond})
	resp, err := http.Get(d.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if sc.Text() == ": ping" {
				found <- true
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Error("event stream ended without a heartbeat")
		}
	case <-time.After(5 * time.Second):
		t.Error("no heartbeat comment within 5 s at a 50 ms interval")
	}
}

// ownPairingURL: the pairing screen's address is the box's own: one of its
// routable IPv4 addresses with the API's port (the test machine's may not
// be a private one).
func ownPairingURL(u string, d *testbox.Daemon) bool {
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(d.URL, "http://"))
	for _, a := range api.SystemInterfaceAddrs() {
		if a.Is4() && a.IsGlobalUnicast() && u == "http://"+a.String()+":"+port+"/remote" {
			return true
		}
	}
	return false
}

// TestSpoofedHostAndCrossSite: a LAN host (or a web page using DNS
// rebinding) that names another host in its requests is refused, so the TV
// can never show an attacker's address beside a real code; a blind
// cross-site POST cannot pop up the pairing screen or press keys.
func TestSpoofedHostAndCrossSite(t *testing.T) {
	_, d := startBox(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := d.D.Hub.Subscribe(ctx, 16)
	own := strings.TrimPrefix(d.URL, "http://")
	send := func(method, path, host string, hdr map[string]string) int {
		req := httptest.NewRequest(method, path, strings.NewReader(""))
		req.RemoteAddr, req.Host = "192.168.1.10:50000", host
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		d.D.Server.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, tc := range []struct {
		reason, method, path, host string
		hdr                        map[string]string
		want                       int
	}{
		{"pairing asked for under a stranger's name", "POST", "/api/pair/request", "pair.evil.example", nil, 421},
		{"the remote page under a rebound name", "GET", "/remote", "rebind.evil.example:8080", nil, 421},
		{"an address that is not the box's", "POST", "/api/pair/request", "203.0.113.9:8080", nil, 421},
		{"no Host at all", "GET", "/remote", "", nil, 421},
		{"a cross-site POST (Sec-Fetch-Site)", "POST", "/api/pair/request", own, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"a cross-site POST (Origin)", "POST", "/api/pair/request", own, map[string]string{"Origin": "http://evil.example"}, 403},
		{"an opaque origin", "POST", "/api/keys", own, map[string]string{"Origin": "null"}, 403},
		{"a same-site but other-origin POST", "POST", "/api/pair/request", own, map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"the phone's own page", "POST", "/api/pair/request", own, map[string]string{"Origin": "http://" + own, "Sec-Fetch-Site": "same-origin"}, 202},
		{"localhost, as the UI names it", "GET", "/remote", "localhost:8080", nil, 200},
	} {
		if got := send(tc.method, tc.path, tc.host, tc.hdr); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.reason, got, tc.want)
		}
	}
	// Only the last good request showed a code, at the box's own address.
	select {
	case ev := <-events:
		if ev.Type != api.EventPairing || !ownPairingURL(ev.Pairing.URL, d) {
			t.Errorf("event %+v, want one pairing code at the box's own address", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pairing event for the phone's own page")
	}
	select {
	case ev := <-events:
		t.Errorf("a refused request reached the TV: %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
}

// TestPublicSourcesRefused: the API is for the household's network: a
// request from a global address (a forwarded port, a global IPv6 address)
// is refused before anything else, paired or not.
func TestPublicSourcesRefused(t *testing.T) {
	_, d := startBox(t, nil)
	own := strings.TrimPrefix(d.URL, "http://")
	for src, want := range map[string]int{
		"203.0.113.7:40000":         403,
		"[2001:db8::7]:40000":       403,
		"[2a00:1450:4001::1]:40000": 403,
		"192.168.1.20:40000":        200,
		"10.1.2.3:40000":            200,
		"[fd12:3456::1]:40000":      200,
		"[fe80::1%eth0]:40000":      200,
		"169.254.10.10:40000":       200,
		"127.0.0.1:40000":           200,
	} {
		req := httptest.NewRequest("GET", "/remote", nil)
		req.RemoteAddr, req.Host = src, own
		rec := httptest.NewRecorder()
		d.D.Server.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("GET /remote from %s: %d, want %d", src, rec.Code, want)
		}
	}
}

// TestPairedDevicesAPI: a paired phone lists the paired devices (itself
// marked) and removes another; the removed one is refused at once.
func TestPairedDevicesAPI(t *testing.T) {
	_, d := startBox(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := d.D.Hub.Subscribe(ctx, 16)
	pairAs := func(src, ua string) string {
		t.Helper()
		lan(d, "POST", "/api/pair/request", "", nil)
		var code string
		select {
		case ev := <-events:
			code = ev.Pairing.Code
		case <-time.After(5 * time.Second):
			t.Fatal("no pairing code")
		}
		req := httptest.NewRequest("POST", "/api/pair", strings.NewReader(`{"code":"`+code+`"}`))
		req.RemoteAddr, req.Host = src, strings.TrimPrefix(d.URL, "http://")
		req.Header.Set("User-Agent", ua)
		rec := httptest.NewRecorder()
		d.D.Server.ServeHTTP(rec, req)
		var pr api.PairResponse
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &pr) != nil {
			t.Fatalf("pair: %d %s", rec.Code, rec.Body)
		}
		<-events // paired
		return pr.Token
	}
	phone := pairAs("192.168.1.30:4000", "Phone UA")
	tablet := pairAs("192.168.1.31:4000", "Tablet UA")
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

	rec := lan(d, "GET", "/api/pair/devices", "", bearer(phone))
	var list []api.PairedDevice
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list) != 2 || list[0].Name != "Tablet UA" || !list[1].This {
		t.Fatalf("GET /api/pair/devices: %d %s", rec.Code, rec.Body)
	}
	if rec := lan(d, "GET", "/api/pair/devices", "", nil); rec.Code != 401 {
		t.Errorf("the list without pairing: %d, want 401", rec.Code)
	}
	if rec := lan(d, "DELETE", "/api/pair/devices/"+list[0].ID, "", bearer(phone)); rec.Code != 204 {
		t.Fatalf("DELETE the tablet: %d %s", rec.Code, rec.Body)
	}
	if rec := lan(d, "GET", "/api/catalog", "", bearer(tablet)); rec.Code != 401 {
		t.Errorf("the removed tablet: %d, want 401", rec.Code)
	}
	if rec := lan(d, "DELETE", "/api/pair/devices/"+list[0].ID, "", bearer(phone)); rec.Code != 404 {
		t.Errorf("DELETE it again: %d, want 404", rec.Code)
	}
}
