package box_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Kolkata whatever the machine has

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/bandwidth"
	"github.com/atomicnetwork/atomicbox/appliance/box"
	"github.com/atomicnetwork/atomicbox/appliance/collector"
	"github.com/atomicnetwork/atomicbox/appliance/ledger"
	"github.com/atomicnetwork/atomicbox/appliance/library"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/swarm"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbox"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
)

// homeBox is an in-process daemon started with the home-node knobs that
// testbox does not expose.
type homeBox struct {
	URL string
	D   *box.Daemon
	dir string
}

func startHome(t *testing.T, channelURL string, pub ed25519.PublicKey, dir string, mutate func(*box.DaemonConfig)) *homeBox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := box.DaemonConfig{
		DataDir: dir, ChannelURL: channelURL, PublicKey: pub, Listener: ln, Refresh: 200 * time.Millisecond,
		Log:   testbox.TestLog(t, 0),
		Swarm: swarm.Config{ListenHost: "127.0.0.1", DisableDHT: true, DisableTrackers: true},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := box.StartDaemon(ctx, cfg)
	if err != nil {
		ln.Close()
		t.Fatalf("start daemon: %v", err)
	}
	h := &homeBox{URL: "http://" + ln.Addr().String(), D: d, dir: dir}
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { h.close(t) }) })
	return h
}

func (h *homeBox) close(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.D.Close(ctx); err != nil {
		t.Errorf("close daemon: %v", err)
	}
}

func do(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSettingsAPI: GET/PUT /api/settings against the UI's contract: a PUT
// changes the swarm's limiters at once, bad input is refused with a
// sentence and changes nothing, settings survive a restart, the storage
// and reachability views are filled, and an open stream counts as watching.
func TestSettingsAPI(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{})
	dir := t.TempDir()
	h := startHome(t, ch.URL, ch.PublicKey, dir, nil)
	id := ch.Episodes()[0]
	waitFor(t, "episode added", 30*time.Second, func() bool { return h.D.Swarm.Has(id) })

	var v api.SettingsView
	getJSON(t, h.URL+"/api/settings", &v)
	if v.Storage.TotalBytes <= 0 || v.Storage.FreeBytes <= 0 || v.Storage.KeepFreePercent != box.DefaultKeepFreePercent {
		t.Errorf("storage view %+v: want the data file system and keepFreePercent %d", v.Storage, box.DefaultKeepFreePercent)
	}
	if r := v.Reachability; r.Method != "none" || r.OK || r.Message == "" || r.ListenPort == 0 {
		t.Errorf("reachability on a loopback box = %+v, want none, not OK, a message and the port", r)
	}
	if h.D.UploadLimiter.Limit() != rate.Inf || h.D.DownloadLimiter.Limit() != rate.Inf {
		t.Errorf("limiters before any cap: up %v down %v, want unlimited", h.D.UploadLimiter.Limit(), h.D.DownloadLimiter.Limit())
	}

	put := `{"bandwidth":{"dayUp":300000,"dayDown":500000,"night":{"enabled":false,"startMinute":60,"endMinute":360,"up":0,"down":0}},"keepFreePercent":20,"video":{"mode":"1920x1080@60"},"uplink":1250000}`
	status, body := do(t, http.MethodPut, h.URL+"/api/settings", put)
	if status != http.StatusOK {
		t.Fatalf("PUT /api/settings: %d %s", status, body)
	}
	// At once: no sleep between the answer and the check.
	if up, down := h.D.UploadLimiter.Limit(), h.D.DownloadLimiter.Limit(); up != 300000 || down != 500000 {
		t.Errorf("after PUT the limiters are up %v down %v, want 300000 and 500000", up, down)
	}
	var got api.SettingsView
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Bandwidth.DayUp != 300000 || got.Bandwidth.DayDown != 500000 || got.Storage.KeepFreePercent != 20 || got.Video.Mode != "1920x1080@60" || got.Bandwidth.Uplink != 1250000 {
		t.Errorf("PUT answer %+v does not hold what was stored", got)
	}

	for _, tc := range []struct{ reason, body, want string }{
		{"a start minute past the day", `{"bandwidth":{"dayUp":1,"dayDown":1,"night":{"enabled":true,"startMinute":2000,"endMinute":60,"up":0,"down":0}}}`, "inute"},
		{"keep-free 0%", `{"keepFreePercent":0}`, "keep free must be between"},
		{"a video mode mpv would not take", `{"video":{"mode":"bogus; rm -rf"}}`, "video mode"},
		{"an unknown field", `{"volume":11}`, "unknown field"},
		{"a negative uplink", `{"uplink":-1}`, "uplink speed cannot be negative"},
	} {
		status, body := do(t, http.MethodPut, h.URL+"/api/settings", tc.body)
		if status != http.StatusBadRequest || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s, want 400 mentioning %q", tc.reason, status, body, tc.want)
		}
	}
	if up := h.D.UploadLimiter.Limit(); up != 300000 {
		t.Errorf("a refused PUT changed the upload limiter to %v", up)
	}

	// An open stream is "watching": upload goes down to its share at once.
	st, err := h.D.Box.Open(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if l := h.D.Bandwidth.Limits(); !l.Watching || h.D.UploadLimiter.Limit() >= 300000 {
		t.Errorf("with a stream open: limits %+v, upload limiter %v; want watching and a lower upload cap", l, h.D.UploadLimiter.Limit())
	}
	st.Close()
	if l := h.D.Bandwidth.Limits(); l.Watching || h.D.UploadLimiter.Limit() != 300000 {
		t.Errorf("after the stream closed: limits %+v, upload limiter %v", l, h.D.UploadLimiter.Limit())
	}

	h.close(t)
	h2 := startHome(t, ch.URL, ch.PublicKey, dir, nil)
	var again api.SettingsView
	getJSON(t, h2.URL+"/api/settings", &again)
	if again.Bandwidth != got.Bandwidth || again.Storage.KeepFreePercent != 20 || again.Video != got.Video {
		t.Errorf("after restart: %+v, want the stored %+v", again, got)
	}
	if up := h2.D.UploadLimiter.Limit(); up != 300000 {
		t.Errorf("after restart the upload limiter is %v, want 300000", up)
	}
	// A caps-only PUT (what the settings screen sends) keeps the uplink.
	status, body = do(t, http.MethodPut, h2.URL+"/api/settings", `{"bandwidth":{"dayUp":0,"dayDown":0,"night":{"enabled":false,"startMinute":60,"endMinute":360,"up":0,"down":0}}}`)
	var kept api.SettingsView
	if status != http.StatusOK || json.Unmarshal(body, &kept) != nil || kept.Bandwidth.Uplink != 1250000 {
		t.Errorf("caps-only PUT: %d %s, want 200 keeping uplink 1250000", status, body)
	}
	// No cap: while watching, the box uploads its share of the uplink.
	st, err = h2.D.Box.Open(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if want := rate.Limit(1250000 * bandwidth.DefaultWatchingUploadShare); h2.D.UploadLimiter.Limit() != want {
		t.Errorf("watching with a known uplink and no cap: upload limiter %v, want %v", h2.D.UploadLimiter.Limit(), want)
	}
}

// TestLedgerReportAPI: a box that seeded to another has a seeding view
// and exports a report that verifies; a tampered copy does not.
func TestLedgerReportAPI(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{Seconds: 10, Bitrate: "1200k"})
	id := ch.Episodes()[0]
	seedDir := t.TempDir()
	dst := filepath.Join(seedDir, swarm.MediaDir, ch.Names[id])
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(ch.Files[id])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Both boxes report to a collector on loopback.
	coll, err := collector.Open(filepath.Join(t.TempDir(), "collector.log"), collector.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer coll.Close()
	collSrv := httptest.NewServer(coll.Handler())
	defer collSrv.Close()
	seed := startHome(t, ch.URL, ch.PublicKey, seedDir, func(c *box.DaemonConfig) {
		c.Meter = 100 * time.Millisecond
		c.CollectorURL, c.CollectorEvery = collSrv.URL, 200*time.Millisecond
	})
	waitFor(t, "seeder holds the episode", 30*time.Second, func() bool { return seed.D.Swarm.Completion(id) == 1 })
	leechDir := t.TempDir()
	leech := startHome(t, ch.URL, ch.PublicKey, leechDir, func(c *box.DaemonConfig) {
		c.Swarm.Peers = []string{seed.D.Swarm.Addr()}
		c.Meter = 100 * time.Millisecond
		c.CollectorURL, c.CollectorEvery = collSrv.URL, 200*time.Millisecond
	})
	waitFor(t, "leecher added the episode", 30*time.Second, func() bool { return leech.D.Swarm.Has(id) })
	status, got, _ := get(t, leech.URL+"/api/stream/"+id, "")
	if status != http.StatusOK || !bytes.Equal(got, data) {
		t.Fatalf("stream from the leecher: %d, %d bytes (want %d identical)", status, len(got), len(data))
	}

	today := time.Now().UTC().Format(ledger.DateFormat)
	url := seed.URL + "/api/ledger/report?from=" + today + "&to=" + today
	var rep ledger.Report
	var raw []byte
	waitFor(t, "the seeder's ledger to count uploads", 30*time.Second, func() bool {
		status, raw = do(t, http.MethodGet, url, "")
		if status != http.StatusOK {
			t.Fatalf("GET report: %d %s", status, raw)
		}
		var err error
		rep, err = ledger.VerifyReport(raw)
		if err != nil {
			t.Fatalf("VerifyReport(report from the API): %v", err)
		}
		return rep.Totals.BytesUploaded > 0
	})
	t.Logf("report: %d bytes uploaded to %d peer-days; leecher stats: %+v", rep.Totals.BytesUploaded, rep.Totals.PeerDays, leech.D.Swarm.Stats().Total)
	if rep.Totals.Torrents != 1 || rep.From != today || rep.To != today || len(rep.Days) != 1 || rep.Days[0].Torrents[0].Peers != 1 {
		t.Errorf("report %+v: want one torrent, today, one peer", rep)
	}
	tampered := bytes.Replace(raw, []byte(`"bytesUploaded":`), []byte(`"bytesUploaded":9`), 1)
	if bytes.Equal(tampered, raw) {
		t.Fatalf("tampering changed nothing in %s", raw)
	}
	if _, err := ledger.VerifyReport(tampered); err == nil {
		t.Errorf("VerifyReport accepted a report with a raised byte count")
	}

	// The two daemons proved their box keys to each other: the seeder's
	// report names the leecher's box and all its upload went there.
	leechKey, err := ledger.LoadOrCreateBoxKey(filepath.Join(leechDir, box.BoxKeyFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	leechPub := ledger.BoxKey(leechKey.Public().(ed25519.PublicKey)).String()
	waitFor(t, "the seeder's report to name the leecher's box", 30*time.Second, func() bool {
		status, raw = do(t, http.MethodGet, url, "")
		if rep, err = ledger.VerifyReport(raw); status != http.StatusOK || err != nil {
			t.Fatalf("GET report: %d %v", status, err)
		}
		d := rep.Days[0]
		return len(d.Boxes) == 1 && d.Boxes[0].BoxKey == leechPub && d.Boxes[0].Gave == d.BytesUploaded
	})
	// Both reached the collector; with only two boxes no third box saw
	// either, so nothing is confirmed (the collector's rule), and the
	// seeding view says so.
	seedKey, err := ledger.LoadOrCreateBoxKey(filepath.Join(seedDir, box.BoxKeyFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	seedPub := ledger.BoxKey(seedKey.Public().(ed25519.PublicKey))
	waitFor(t, "the collector to hold both boxes' reports", 30*time.Second, func() bool {
		rows, _ := coll.Tally(time.Now().UTC().Format(collector.MonthFormat))
		return len(rows) == 2 && rows[0].Claimed+rows[1].Claimed > 0
	})
	time.Sleep(600 * time.Millisecond) // a round fetches the figure after posting

	var sv api.SeedingView
	getJSON(t, seed.URL+"/api/seeding", &sv)
	if c := sv.Confirmed; c == nil || c.Claimed <= 0 || c.Confirmed != 0 {
		t.Errorf("seeding view's confirmed figure %+v: want the seeder's claim, none confirmed", c)
	}
	if row, _ := coll.BoxMonth(seedPub, time.Now().UTC().Format(collector.MonthFormat)); row.ClaimedToBoxes != row.Claimed || row.Claimed <= 0 {
		t.Errorf("collector's row of the seeder %+v: want all of its claim to the leecher's box", row)
	}
	if len(sv.Days) != 7 || sv.Days[6].Date != today || sv.Today.BytesUploaded <= 0 || sv.Today.Peers != 1 ||
		len(sv.Torrents) != 1 || sv.Torrents[0].Episode != id || sv.Torrents[0].BytesUploaded != sv.Today.BytesUploaded {
		t.Errorf("seeding view %+v: want 7 days ending today with today's upload to one peer of episode %s", sv, id)
	}
	for _, q := range []string{"from=2026-13-01&to=2026-12-01", "from=" + today, "from=2026-12-02&to=2026-12-01", "from=2020-01-01&to=2026-01-01"} {
		if status, body := do(t, http.MethodGet, seed.URL+"/api/ledger/report?"+q, ""); status != http.StatusBadRequest {
			t.Errorf("report?%s: %d %s, want 400", q, status, body)
		}
	}
}

// TestEmbargoViaAPI: an episode announced before its release is listed but
// answers 403 even on a box whose wall clock is a month ahead (trusted time
// comes from the signed catalog); once a catalog signed after release
// carries the key, the stream is the decrypted original, byte for byte.
func TestEmbargoViaAPI(t *testing.T) {
	ec := newEmbargoChannel(t)
	plain, srv, pub, originDir, release, m, opt := ec.plain, ec.srv, ec.pub, ec.originDir, ec.release, ec.m, ec.opt
	// The box already holds the ciphertext (pre-fetched overnight).
	dir := t.TempDir()
	cipherText, err := os.ReadFile(filepath.Join(originDir, publish.MediaDir, "premiere.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, swarm.MediaDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, swarm.MediaDir, "premiere.mp4"), cipherText, 0o644); err != nil {
		t.Fatal(err)
	}
	wallAhead := release.Add(30 * 24 * time.Hour)
	h := startHome(t, srv.URL+"/", pub, dir, func(c *box.DaemonConfig) { c.Now = func() time.Time { return wallAhead } })
	waitFor(t, "the embargoed episode to be held", 30*time.Second, func() bool { return h.D.Swarm.Completion("premiere") == 1 })

	status, body, _ := get(t, h.URL+"/api/stream/premiere", "")
	if status != http.StatusForbidden || !strings.Contains(string(body), "Coming") {
		t.Fatalf("stream before release with the wall clock a month ahead: %d %.200s, want 403 saying when it is coming", status, body)
	}
	var cv api.CatalogView
	getJSON(t, h.URL+"/api/catalog", &cv)
	ev := cv.Shows[0].Episodes[0]
	if ev.Locked == "" || !ev.AvailableAt.Equal(release) {
		t.Errorf("catalog view of the embargoed episode: locked %q, availableAt %v; want locked until %v", ev.Locked, ev.AvailableAt, release)
	}

	ec.pubNow = release.Add(time.Minute)
	if _, err := publish.Publish(context.Background(), m, "", opt); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the catalog carrying the key", 30*time.Second, func() bool {
		var cv api.CatalogView
		getJSON(t, h.URL+"/api/catalog", &cv)
		return cv.Sequence == 2 && cv.Shows[0].Episodes[0].Locked == ""
	})
	status, got, _ := get(t, h.URL+"/api/stream/premiere", "")
	if status != http.StatusOK || !bytes.Equal(got, plain) {
		t.Fatalf("stream after release: %d, %d bytes, identical to the original: %v", status, len(got), bytes.Equal(got, plain))
	}
	mid := int64(len(plain) / 2)
	status, got, _ = get(t, h.URL+"/api/stream/premiere", "bytes="+itoa(mid)+"-"+itoa(mid+9999))
	if status != http.StatusPartialContent || !bytes.Equal(got, plain[mid:mid+10000]) {
		t.Errorf("range in the middle after release: %d, identical %v", status, bytes.Equal(got, plain[mid:mid+10000]))
	}
}

// embargoChannel is an origin with one episode, "premiere", announced an
// hour ahead of its release and published encrypted.
type embargoChannel struct {
	plain     []byte
	srv       *httptest.Server
	pub       ed25519.PublicKey
	originDir string
	release   time.Time
	pubNow    time.Time // the publisher's clock
	m         *publish.Manifest
	opt       publish.Options
}

func newEmbargoChannel(t *testing.T) *embargoChannel {
	t.Helper()
	src := testmedia.Video(t, testmedia.Clip{Title: "Premiere", Seconds: 4, Width: 320, Height: 180, Bitrate: "400k", FastStart: true})
	plain, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec := &embargoChannel{plain: plain, pub: pub, originDir: t.TempDir()}
	ec.srv = httptest.NewServer(publish.NewOrigin(ec.originDir, publish.OriginOptions{}))
	t.Cleanup(ec.srv.Close)
	ec.release = time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	ec.m = &publish.Manifest{Network: "Embargo Test", Shows: []publish.ManifestShow{{ID: "orbit", Title: "Orbit", Episodes: []publish.ManifestEpisode{
		{ID: "premiere", Season: 1, Number: 1, Title: "Premiere", Video: src, DurationSeconds: 4, ReleaseAt: ec.release, Priority: 10},
	}}}}
	ec.pubNow = ec.release.Add(-time.Hour)
	ec.opt = publish.Options{OriginDir: ec.originDir, BaseURL: ec.srv.URL + "/", Key: priv, Now: func() time.Time { return ec.pubNow }}
	if _, err := publish.Publish(context.Background(), ec.m, "", ec.opt); err != nil {
		t.Fatal(err)
	}
	return ec
}

// TestPrefetchInWindow: inside the night window the daemon pre-fetches the
// upcoming episode; outside it, or with the disk over budget, it does not.
// GET /api/settings says storage.full exactly while a full disk holds the
// downloads back: with the free space just over the share kept free but
// too little for the episode (downloads paused on the budget), and under
// the share with nothing to evict.
func TestPrefetchInWindow(t *testing.T) {
	ec := newEmbargoChannel(t)
	var mu sync.Mutex
	now := ec.release.Add(-30 * time.Minute)
	disk := &fakeDisk{total: 1 << 30, free: 500 << 20}
	h := startHome(t, ec.srv.URL+"/", ec.pub, t.TempDir(), func(c *box.DaemonConfig) {
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		c.Location = time.UTC
		c.StatFS = disk
		c.Policy = time.Hour // Tick by hand
	})
	waitFor(t, "episode added", 30*time.Second, func() bool { return h.D.Swarm.Has("premiere") })
	minute := func(t time.Time) int { return t.Hour()*60 + t.Minute() }
	start := minute(now.Add(-time.Hour))
	end := minute(now.Add(time.Hour))
	body := fmt.Sprintf(`{"bandwidth":{"dayUp":0,"dayDown":0,"night":{"enabled":true,"startMinute":%d,"endMinute":%d,"up":0,"down":0}}}`, start, end)
	if status, b := do(t, http.MethodPut, h.URL+"/api/settings", body); status != http.StatusOK {
		t.Fatalf("PUT settings: %d %s", status, b)
	}
	for _, tc := range []struct {
		reason string
		at     time.Time
		free   int64
		want   []string
		full   bool
	}{
		{"inside the window, 1000 bytes more than the 10% kept free: the episode would eat into it", now, (1<<30)/10 + 1000, nil, true},
		{"inside the window, room on disk: the upcoming episode", now, 500 << 20, []string{"premiere"}, false},
		{"two hours later the window is closed: paused", now.Add(2 * time.Hour), 500 << 20, nil, false},
		{"back inside the window but the disk is at 5% free (budget keeps 10%): nothing", now, 50 << 20, nil, true},
		{"the same moment with room again: fetching resumes", now, 500 << 20, []string{"premiere"}, false},
	} {
		mu.Lock()
		at := tc.at
		now = at
		mu.Unlock()
		disk.set(tc.free)
		h.D.Home.Tick(context.Background())
		if diff := cmp.Diff(tc.want, h.D.Home.Fetching()); diff != "" {
			t.Errorf("%s: pre-fetching (-want +got):\n%s", tc.reason, diff)
		}
		var sv api.SettingsView
		getJSON(t, h.URL+"/api/settings", &sv)
		if sv.Storage.Full != tc.full {
			t.Errorf("%s: GET /api/settings storage %+v, want full=%v", tc.reason, sv.Storage, tc.full)
		}
	}
}

type fakeDisk struct {
	mu          sync.Mutex
	total, free int64
}

func (f *fakeDisk) set(free int64) { f.mu.Lock(); f.free = free; f.mu.Unlock() }

func (f *fakeDisk) Statfs(string) (library.Usage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return library.Usage{Total: f.total, Avail: f.free}, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fullDisk reports a file system with only free bytes left.
type fullDisk struct{ total, free int64 }

func (f fullDisk) Statfs(string) (library.Usage, error) {
	return library.Usage{Total: f.total, Avail: f.free}, nil
}

// dataDirHolding returns a data dir whose media dir holds every episode of
// the channel, placed as a script would.
func dataDirHolding(t *testing.T, ch *testbox.Channel) string {
	t.Helper()
	dir := t.TempDir()
	for _, id := range ch.Episodes() {
		data, err := os.ReadFile(ch.Files[id])
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, swarm.MediaDir, ch.Names[id])
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestEvictionOnFullDisk: over budget, the box evicts a watched episode it
// holds (file removed, torrent dropped) but never the one playing, and a
// full disk starts no background download.
func TestEvictionOnFullDisk(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{EpisodesPerShow: 2})
	dir := dataDirHolding(t, ch)
	h := startHome(t, ch.URL, ch.PublicKey, dir, func(c *box.DaemonConfig) {
		c.StatFS = fullDisk{total: 1 << 30, free: 50 << 20} // 5% free, budget keeps 10%
		c.Policy = time.Hour                                // Tick by hand below
	})
	ids := ch.Episodes()
	waitFor(t, "both episodes held", 30*time.Second, func() bool {
		return h.D.Swarm.Completion(ids[0]) == 1 && h.D.Swarm.Completion(ids[1]) == 1
	})
	if _, err := h.D.Resume.Set(ids[0], api.ResumeUpdate{Seconds: 4, DurationSeconds: 4}); err != nil {
		t.Fatal(err)
	}
	st, err := h.D.Box.Open(context.Background(), ids[1])
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h.D.Home.Tick(context.Background())
	if held := h.D.Swarm.Held(ids[0]); held != 0 || !h.D.Swarm.Has(ids[0]) {
		t.Errorf("watched episode %s after eviction: %d bytes held, listed in the swarm %v; want 0 and still listed (playable again from peers)", ids[0], held, h.D.Swarm.Has(ids[0]))
	}
	if _, err := os.Stat(filepath.Join(dir, swarm.MediaDir, ch.Names[ids[0]])); !os.IsNotExist(err) {
		t.Errorf("evicted episode's file: stat err %v, want not exist", err)
	}
	if !h.D.Swarm.Has(ids[1]) || h.D.Swarm.Completion(ids[1]) != 1 {
		t.Errorf("the playing episode %s was touched", ids[1])
	}
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(st, buf); err != nil {
		t.Errorf("the playing stream after eviction: %v", err)
	}
	if f := h.D.Home.Fetching(); len(f) != 0 {
		t.Errorf("background downloads on a full disk: %v", f)
	}
}

// TestEvictionSparesEpisodeStoppedMidway: a box that restarts (power cut,
// update) on a full disk has no open streams to tell it what the viewer was
// watching; the resume record does. An episode stopped part-way less than
// ten minutes ago is not evicted; once that is longer ago, it may be.
func TestEvictionSparesEpisodeStoppedMidway(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{EpisodesPerShow: 2})
	dir := dataDirHolding(t, ch)
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	h := startHome(t, ch.URL, ch.PublicKey, dir, func(c *box.DaemonConfig) {
		c.StatFS = fullDisk{total: 1 << 30, free: 50 << 20} // 5% free, budget keeps 10%
		c.Policy = time.Hour                                // Tick by hand below
		c.Now = now
	})
	ids := ch.Episodes()
	waitFor(t, "both episodes held", 30*time.Second, func() bool {
		return h.D.Swarm.Completion(ids[0]) == 1 && h.D.Swarm.Completion(ids[1]) == 1
	})
	// Stopped at 100 s of 600: what the last run's player reported.
	if _, err := h.D.Resume.Set(ids[0], api.ResumeUpdate{Seconds: 100, DurationSeconds: 600}); err != nil {
		t.Fatal(err)
	}
	advance(time.Minute)
	h.D.Home.Tick(context.Background())
	if got := h.D.Swarm.Completion(ids[0]); got != 1 {
		t.Errorf("episode stopped midway a minute ago: completion %v after eviction, want 1 (kept)", got)
	}
	if held := h.D.Swarm.Held(ids[1]); held != 0 {
		t.Errorf("unwatched episode %s: %d bytes held after eviction on a full disk, want 0 (the round did evict)", ids[1], held)
	}
	advance(10 * time.Minute)
	h.D.Home.Tick(context.Background())
	if held := h.D.Swarm.Held(ids[0]); held != 0 {
		t.Errorf("episode stopped midway 11 minutes ago: %d bytes held after eviction on a full disk, want 0", held)
	}
}

// TestHouseholdSettings: the time zone chosen on the first-boot screen moves
// the night window at once (the box came up in UTC), is refused with a
// sentence when it names no zone, puts the seeding days on the household's
// calendar, survives a restart, and a stored zone that no longer loads
// means defaults, not a crash loop.
func TestHouseholdSettings(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata") // +05:30 all year
	if err != nil {
		t.Fatal(err)
	}
	ch := testbox.NewChannel(t, testbox.ChannelOptions{})
	dir := t.TempDir()
	// The daemon's clock (ledger, seeding view) reads 20:00 UTC today, when
	// Kolkata is already on tomorrow's date; the bandwidth scheduler keeps
	// the real clock, which the window below is built from.
	n := time.Now().UTC()
	shift := time.Date(n.Year(), n.Month(), n.Day(), 20, 0, 0, 0, time.UTC).Sub(n)
	utc := func(c *box.DaemonConfig) {
		c.Location = time.UTC
		c.Now = func() time.Time { return time.Now().Add(shift) }
	}
	h := startHome(t, ch.URL, ch.PublicKey, dir, utc)

	// A night window around the current minute in Kolkata, which in UTC
	// is five and a half hours away.
	local := time.Now().In(kolkata)
	minute := local.Hour()*60 + local.Minute()
	start, end := (minute+1440-60)%1440, (minute+60)%1440
	put := fmt.Sprintf(`{"bandwidth":{"dayUp":0,"dayDown":500000,"night":{"enabled":true,"startMinute":%d,"endMinute":%d,"up":0,"down":900000}}}`, start, end)
	if status, body := do(t, http.MethodPut, h.URL+"/api/settings", put); status != http.StatusOK {
		t.Fatalf("PUT bandwidth: %d %s", status, body)
	}
	if down := h.D.DownloadLimiter.Limit(); down != 500000 {
		t.Fatalf("in UTC the window is closed: download limiter %v, want the day cap 500000", down)
	}

	want := api.HouseholdSettings{TimeZone: "Asia/Kolkata", Language: "de", SetUp: true}
	status, body := do(t, http.MethodPut, h.URL+"/api/settings", `{"household":{"timeZone":"Asia/Kolkata","language":"de","setUp":true}}`)
	var got api.SettingsView
	if status != http.StatusOK || json.Unmarshal(body, &got) != nil || got.Household != want {
		t.Fatalf("PUT household: %d %s, want 200 with %+v", status, body, want)
	}
	if down := h.D.DownloadLimiter.Limit(); down != 900000 {
		t.Errorf("in Kolkata the window is open: download limiter %v, want the night cap 900000", down)
	}

	for _, tc := range []struct{ reason, body, want string }{
		{"a zone that does not exist", `{"household":{"timeZone":"Mars/Olympus_Mons"}}`, "time zone"},
		{"the box's own clock is not a choice", `{"household":{"timeZone":"Local"}}`, "time zone"},
		{"a path instead of a zone", `{"household":{"timeZone":"../../etc/passwd"}}`, "time zone"},
		{"not a language tag", `{"household":{"language":"Deutsch!"}}`, "language"},
	} {
		status, body := do(t, http.MethodPut, h.URL+"/api/settings", tc.body)
		if status != http.StatusBadRequest || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s: %d %s, want 400 mentioning %q", tc.reason, status, body, tc.want)
		}
	}

	var seeding api.SeedingView
	getJSON(t, h.URL+"/api/seeding", &seeding)
	if today := time.Now().Add(shift).In(kolkata).Format(ledger.DateFormat); seeding.Today.Date != today || len(seeding.Days) != 7 {
		t.Errorf("seeding today %q over %d days, want %q (Kolkata's date) over 7", seeding.Today.Date, len(seeding.Days), today)
	}

	h.close(t)
	h2 := startHome(t, ch.URL, ch.PublicKey, dir, utc)
	var again api.SettingsView
	getJSON(t, h2.URL+"/api/settings", &again)
	if again.Household != want || h2.D.DownloadLimiter.Limit() != 900000 {
		t.Errorf("after restart: household %+v, download limiter %v; want %+v and the night cap", again.Household, h2.D.DownloadLimiter.Limit(), want)
	}

	// A settings file whose zone no longer loads (hand-edited, or a zone
	// withdrawn from the database): defaults, and the box still starts.
	h2.close(t)
	path := filepath.Join(dir, box.SettingsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("Asia/Kolkata"), []byte("Asia/Nowhere"), 1)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	h3 := startHome(t, ch.URL, ch.PublicKey, dir, utc)
	var fresh api.SettingsView
	getJSON(t, h3.URL+"/api/settings", &fresh)
	if fresh.Household != (api.HouseholdSettings{SetUp: true}) || h3.D.DownloadLimiter.Limit() != 500000 {
		t.Errorf("stored zone unknown: household %+v, download limiter %v; want only setUp kept, and UTC's day cap", fresh.Household, h3.D.DownloadLimiter.Limit())
	}
}

// TestPremiereWarmed: an episode released within two days joins the
// BitTorrent client at catalog sync, before anyone plays or pre-fetches
// it, so its viewers start over connections made ahead; republished with
// its release three days out, it goes back to sleep (the box holds none
// of it).
func TestPremiereWarmed(t *testing.T) {
	ec := newEmbargoChannel(t)
	h := startHome(t, ec.srv.URL+"/", ec.pub, t.TempDir(), func(c *box.DaemonConfig) {
		c.Policy = time.Hour // no pre-fetch round but the first
	})
	inClient := func() bool {
		for _, tt := range h.D.Swarm.Client().Torrents() {
			if h.D.Swarm.EpisodeByInfoHash(tt.InfoHash().HexString()) == "premiere" {
				return true
			}
		}
		return false
	}
	waitFor(t, "the premiere in the client", 30*time.Second, inClient)
	if held := h.D.Swarm.Held("premiere"); held != 0 {
		t.Errorf("warming the premiere fetched %d bytes of it", held)
	}
	ec.m.Shows[0].Episodes[0].ReleaseAt = ec.release.Add(72 * time.Hour)
	if _, err := publish.Publish(context.Background(), ec.m, "", ec.opt); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the postponed premiere out of the client", 30*time.Second, func() bool { return !inClient() })
	if !h.D.Swarm.Has("premiere") {
		t.Error("the postponed premiere was forgotten, want it known (dormant)")
	}
}
