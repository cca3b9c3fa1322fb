package box_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/box"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbox"
)

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// get fetches a URL with an optional Range header and reports the time to
// the first body byte.
func get(t *testing.T, url, rng string) (status int, body []byte, firstByte time.Duration) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	one := make([]byte, 1)
	n, _ := io.ReadFull(resp.Body, one)
	firstByte = time.Since(start)
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s (%s): %v", url, rng, err)
	}
	return resp.StatusCode, append(one[:n], rest...), firstByte
}

// TestStreamFromSwarm: two boxes already hold the episode, the origin is
// the web seed; a fresh box streams it through its API byte for byte and
// gets bytes from peers.
func TestStreamFromSwarm(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{Seconds: 20, Bitrate: "1200k"})
	id := ch.Episodes()[0]
	want, err := os.ReadFile(ch.Files[id])
	if err != nil {
		t.Fatal(err)
	}
	var peers []string
	for i := 0; i < 2; i++ {
		p := testbox.StartDaemon(t, ch, testbox.DaemonOptions{PreloadFiles: true})
		p.WaitEpisodes(t, []string{id}, true, 30*time.Second)
		peers = append(peers, p.BTAddr)
	}
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{Peers: peers})
	d.WaitEpisodes(t, []string{id}, false, 30*time.Second)

	status, got, ttfb := get(t, d.URL+"/api/stream/"+id, "")
	if status != http.StatusOK {
		t.Fatalf("stream status %d", status)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("streamed %d bytes differ from the published file (%d bytes)", len(got), len(want))
	}
	var st api.Stats
	getJSON(t, d.URL+"/api/stats", &st)
	t.Logf("size=%d first byte after %v; from peers=%d from web seed=%d; origin served %d bytes in total (incl. catalog, torrents)",
		len(want), ttfb, st.Total.BytesFromPeers, st.Total.BytesFromWebSeed, ch.Origin.ServedBytes())
	if st.Total.BytesFromPeers == 0 {
		t.Errorf("bytesFromPeers = 0 with two seeding peers: %+v", st.Total)
	}
	if st.Total.Completion != 1 || len(st.Torrents) != 1 || st.Torrents[0].Episode != id {
		t.Errorf("stats after a full stream = %+v, want one complete torrent %s", st, id)
	}
}

// TestRangeFromFreshSwarm reads the middle and the tail (where a moov
// atom lives when it is not fast-started) from a box that holds nothing.
func TestRangeFromFreshSwarm(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{Seconds: 30, Bitrate: "1200k"})
	id := ch.Episodes()[0]
	want, err := os.ReadFile(ch.Files[id])
	if err != nil {
		t.Fatal(err)
	}
	seed := testbox.StartDaemon(t, ch, testbox.DaemonOptions{PreloadFiles: true})
	seed.WaitEpisodes(t, []string{id}, true, 30*time.Second)
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{Peers: []string{seed.BTAddr}})
	d.WaitEpisodes(t, []string{id}, false, 30*time.Second)

	size := int64(len(want))
	mid := size / 2
	for _, tc := range []struct {
		rng        string
		start, end int64 // inclusive
		reason     string
	}{
		{fmt.Sprintf("bytes=%d-%d", mid, mid+65535), mid, mid + 65535, "a seek to the middle"},
		{"bytes=-131072", size - 131072, size - 1, "the tail, where the moov atom is"},
		{fmt.Sprintf("bytes=%d-", size-1000), size - 1000, size - 1, "open-ended range to the end"},
	} {
		status, got, ttfb := get(t, d.URL+"/api/stream/"+id, tc.rng)
		if status != http.StatusPartialContent {
			t.Errorf("%s: status %d, want 206 (%s)", tc.rng, status, tc.reason)
			continue
		}
		if !bytes.Equal(got, want[tc.start:tc.end+1]) {
			t.Errorf("%s: %d bytes differ from the file (%s)", tc.rng, len(got), tc.reason)
		}
		t.Logf("%s: first byte after %v (%s)", tc.rng, ttfb, tc.reason)
		if ttfb > 10*time.Second {
			t.Errorf("%s: first byte after %v, want well under 10 s (%s)", tc.rng, ttfb, tc.reason)
		}
	}
	if c := d.D.Swarm.Completion(id); c >= 1 {
		t.Errorf("completion %.2f after three small ranges: the box fetched everything, not what was asked", c)
	}
}

// TestTamperedCatalog: a channel that serves a catalog not signed with the
// network key is refused; the box keeps the last good one and says why.
func TestTamperedCatalog(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{Posters: true})
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{Refresh: 100 * time.Millisecond})
	d.WaitEpisodes(t, ch.Episodes(), false, 30*time.Second)
	// The box fetches posters after the listing and offers them once it
	// holds them (a second "catalog synced"), so poll for them.
	var v api.CatalogView
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		getJSON(t, d.URL+"/api/catalog", &v)
		if v.Problem != "" || v.Network != ch.Catalog.Network || v.Sequence != ch.Catalog.Sequence {
			t.Fatalf("good catalog view = %+v", v)
		}
		if (v.Shows[0].PosterURL != "" && v.Shows[0].Episodes[0].PosterURL != "") || time.Now().After(deadline) {
			break
		}
	}
	if v.Shows[0].PosterURL == "" || v.Shows[0].Episodes[0].PosterURL == "" {
		t.Errorf("posters not offered within 10 s: %+v", v.Shows[0])
	} else {
		resp, err := http.Get(d.URL + v.Shows[0].PosterURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Errorf("poster: %s %q", resp.Status, resp.Header.Get("Content-Type"))
		}
	}

	events := subscribe(t, d.URL)
	ch.Tamper(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		getJSON(t, d.URL+"/api/catalog", &v)
		if v.Problem != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(v.Problem, "refused") {
		t.Errorf("problem = %q, want the refusal explained", v.Problem)
	}
	if v.Network != ch.Catalog.Network || v.Sequence != ch.Catalog.Sequence || len(v.Shows) == 0 {
		t.Errorf("after tampering the view is %q seq %d with %d shows, want the last good %q seq %d", v.Network, v.Sequence, len(v.Shows), ch.Catalog.Network, ch.Catalog.Sequence)
	}
	// Events before the refusal (the poster sync's catalog event can come
	// after subscribe) are not the subject: wait for the one with the problem.
	timeout := time.After(5 * time.Second)
	for seen := []api.Event{}; ; {
		select {
		case ev := <-events:
			if ev.Type == api.EventCatalog && ev.Catalog != nil && ev.Catalog.Problem != "" {
				return
			}
			seen = append(seen, ev)
		case <-timeout:
			t.Errorf("no catalog event with the problem within 5 s of the refusal; events seen: %+v", seen)
			return
		}
	}
}

// subscribe returns the events of GET /api/events (connected before it
// returns). The reading goroutine ends with the test.
func subscribe(t *testing.T, base string) <-chan api.Event {
	t.Helper()
	resp, err := http.Get(base + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	out := make(chan api.Event, 16)
	go func() {
		defer close(out)
		buf := make([]byte, 0, 4096)
		tmp := make([]byte, 1024)
		for {
			n, err := resp.Body.Read(tmp)
			buf = append(buf, tmp[:n]...)
			for {
				i := bytes.Index(buf, []byte("\n\n"))
				if i < 0 {
					break
				}
				block := string(buf[:i])
				buf = buf[i+2:]
				for _, line := range strings.Split(block, "\n") {
					if data, ok := strings.CutPrefix(line, "data: "); ok {
						var ev api.Event
						if json.Unmarshal([]byte(data), &ev) == nil {
							out <- ev
						}
					}
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return out
}

// TestRestartKeepsDownload: a box stopped and started on the same data dir
// keeps what it downloaded and serves the right bytes without asking again.
func TestRestartKeepsDownload(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{Seconds: 10, Bitrate: "1200k"})
	id := ch.Episodes()[0]
	want, err := os.ReadFile(ch.Files[id])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{DataDir: dir})
	d.WaitEpisodes(t, []string{id}, false, 30*time.Second)
	if status, got, _ := get(t, d.URL+"/api/stream/"+id, ""); status != 200 || !bytes.Equal(got, want) {
		t.Fatalf("first run: status %d, %d bytes, identical=%v", status, len(got), bytes.Equal(got, want))
	}
	d.WaitEpisodes(t, []string{id}, true, 10*time.Second)
	d.Close(t)
	served := ch.Origin.ServedBytes()

	d2 := testbox.StartDaemon(t, ch, testbox.DaemonOptions{DataDir: dir})
	d2.WaitEpisodes(t, []string{id}, true, 30*time.Second)
	if d2.D.Swarm.Unclean() {
		t.Error("restart after a clean stop reported an unclean stop")
	}
	status, got, _ := get(t, d2.URL+"/api/stream/"+id, "")
	if status != 200 || !bytes.Equal(got, want) {
		t.Errorf("after restart: status %d, identical=%v", status, bytes.Equal(got, want))
	}
	// The catalog is fetched again; the video must not be.
	if extra := ch.Origin.ServedBytes() - served; extra >= int64(len(want))/4 {
		t.Errorf("origin served %d more bytes after the restart; the box should have kept the %d-byte episode", extra, len(want))
	}
}

// TestTorrentMismatchRefused: the origin serves a .torrent whose info hash
// is not the one in the signed catalog; the box refuses that episode
// loudly (problem in the view, 404 stream) and keeps the others.
func TestTorrentMismatchRefused(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{EpisodesPerShow: 2})
	ids := ch.Episodes()
	eps := ch.Catalog.Shows[0].Episodes
	// Serve episode 2's torrent in place of episode 1's.
	other, err := os.ReadFile(filepath.Join(ch.OriginDir, filepath.FromSlash(eps[1].Torrent)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ch.OriginDir, filepath.FromSlash(eps[0].Torrent)), other, 0o644); err != nil {
		t.Fatal(err)
	}
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{})
	d.WaitEpisodes(t, ids[1:], false, 30*time.Second)
	var v api.CatalogView
	deadline := time.Now().Add(10 * time.Second)
	for {
		getJSON(t, d.URL+"/api/catalog", &v)
		if strings.Contains(v.Problem, ids[0]) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(v.Problem, ids[0]) || !strings.Contains(v.Problem, "did not match") {
		t.Errorf("problem = %q, want episode %s named as refused", v.Problem, ids[0])
	}
	if d.D.Swarm.Has(ids[0]) {
		t.Errorf("episode %s with a mismatched torrent was added to the swarm", ids[0])
	}
	if status, _, _ := get(t, d.URL+"/api/stream/"+ids[0], ""); status != http.StatusNotFound {
		t.Errorf("stream of the refused episode: %d, want 404", status)
	}
	if _, err := os.Stat(filepath.Join(d.DataDir, "torrents", ids[0]+".torrent")); err == nil {
		t.Error("the mismatched torrent was cached")
	}
}

// TestTorrentFetchRetried: an episode whose torrent could not be fetched
// when the catalog arrived (the origin answered 404) is added once the
// origin serves it, without a new catalog.
func TestTorrentFetchRetried(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{EpisodesPerShow: 2})
	ids := ch.Episodes()
	path := filepath.Join(ch.OriginDir, filepath.FromSlash(ch.Catalog.Shows[0].Episodes[0].Torrent))
	hidden := path + ".hidden"
	if err := os.Rename(path, hidden); err != nil {
		t.Fatal(err)
	}
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{})
	d.WaitEpisodes(t, ids[1:], false, 30*time.Second)
	if d.D.Swarm.Has(ids[0]) {
		t.Fatalf("episode %s added although its torrent is missing", ids[0])
	}
	if err := os.Rename(hidden, path); err != nil {
		t.Fatal(err)
	}
	d.WaitEpisodes(t, ids[:1], false, 20*time.Second)
}

// TestOriginBudgetFromCatalog: a box with no peers streams from the origin
// no faster than the per-box budget the signed catalog sets, here a quarter
// of the episode's bit rate (with the default budget, 4 MB/s, the stream
// takes about its 3 s duration: the box paces it).
func TestOriginBudgetFromCatalog(t *testing.T) {
	const budget = 128 << 10 // bytes/s; the burst is 256 KiB
	ch := testbox.NewChannel(t, testbox.ChannelOptions{Seconds: 3, Width: 1280, Height: 720, Bitrate: "4000k", OriginBoxRate: budget})
	if ch.Catalog.OriginBoxRate != budget {
		t.Fatalf("catalog originBoxRate = %d, want %d", ch.Catalog.OriginBoxRate, budget)
	}
	id := ch.Episodes()[0]
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{})
	d.WaitEpisodes(t, []string{id}, false, 30*time.Second)
	start := time.Now()
	status, got, _ := get(t, d.URL+"/api/stream/"+id, "")
	took := time.Since(start)
	if status != http.StatusOK {
		t.Fatalf("stream status %d", status)
	}
	// The first burst is free; the rest comes at the budget.
	least := time.Duration(float64(len(got)-256<<10) / budget * 0.9 * float64(time.Second))
	t.Logf("%d bytes from the origin in %v at a budget of %d bytes/s (at least %v)", len(got), took.Round(time.Millisecond), budget, least)
	if took < least {
		t.Errorf("streamed %d bytes in %v: faster than the catalog's budget of %d bytes/s allows (%v)", len(got), took, budget, least)
	}
}

// TestPosterOnlyAsSigned: the box serves a poster only when its bytes are
// the ones the signed catalog names. An origin that swaps a poster for
// another (harmless-looking) PNG gets nothing cached or served, and a
// poster bomb already in the cache (a PNG declaring 60000x60000 pixels,
// cached before the check) is dropped and the signed poster fetched.
func TestPosterOnlyAsSigned(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{Posters: true})
	show := ch.Catalog.Shows[0]
	if show.PosterSHA256 == "" {
		t.Fatalf("the publisher signed no poster hash: %+v", show)
	}
	good, err := os.ReadFile(filepath.Join(ch.OriginDir, filepath.FromSlash(show.Poster)))
	if err != nil {
		t.Fatal(err)
	}
	bomb := pngBomb(t)
	posterStatus := func(d *testbox.Daemon) (int, []byte) {
		resp, err := http.Get(d.URL + "/api/poster/show/" + show.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, data
	}

	// A bomb already cached under the signed name: dropped, and the signed
	// poster served.
	dir := t.TempDir()
	cached := filepath.Join(dir, box.PostersDir, show.PosterSHA256+".png")
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cached, bomb, 0o644); err != nil {
		t.Fatal(err)
	}
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{DataDir: dir})
	d.WaitEpisodes(t, ch.Episodes(), false, 30*time.Second)
	if status, data := posterStatus(d); status != http.StatusOK || !bytes.Equal(data, good) {
		t.Errorf("a bomb in the cache: poster answered %d with %d bytes, want 200 with the %d signed bytes", status, len(data), len(good))
	}
	d.Close(t)

	// The origin swaps the poster: a fresh box caches and serves nothing.
	var other bytes.Buffer
	if err := png.Encode(&other, image.NewRGBA(image.Rect(0, 0, 64, 36))); err != nil {
		t.Fatal(err)
	}
	// Replaced, not written through: the publisher hard-links posters from
	// the shared test media cache.
	swapped := filepath.Join(ch.OriginDir, filepath.FromSlash(show.Poster))
	if err := os.Remove(swapped); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(swapped, other.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	d2 := testbox.StartDaemon(t, ch, testbox.DaemonOptions{})
	d2.WaitEpisodes(t, ch.Episodes(), false, 30*time.Second)
	if status, data := posterStatus(d2); status != http.StatusNotFound {
		t.Errorf("a swapped poster at the origin: answered %d with %d bytes, want 404", status, len(data))
	}
}

// pngBomb is a 1x1 PNG whose header declares 60000x60000 pixels.
func pngBomb(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	binary.BigEndian.PutUint32(data[16:], 60000)
	binary.BigEndian.PutUint32(data[20:], 60000)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

// trap is an HTTP server that must never be asked anything.
func trap(t *testing.T) (url string, hits *atomic.Int64) {
	hits = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "trap", http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, hits
}

// TestTorrentCannotSendTheBoxElsewhere: a .torrent's url-list and trackers
// lie outside its info hash, so whoever serves it can rewrite them. One
// whose url-list names another server on 127.0.0.1 first, then the
// channel's own media, and whose tracker is that server too: the box
// plays the episode from the channel's origin and never asks the other
// server anything.
func TestTorrentCannotSendTheBoxElsewhere(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{})
	id := ch.Episodes()[0]
	trapURL, hits := trap(t)
	torrentPath := filepath.Join(ch.OriginDir, filepath.FromSlash(ch.Catalog.Shows[0].Episodes[0].Torrent))
	mi, err := metainfo.LoadFromFile(torrentPath)
	if err != nil {
		t.Fatal(err)
	}
	mi.UrlList = append(metainfo.UrlList{trapURL + "/media/"}, mi.UrlList...)
	mi.Announce = trapURL + "/announce"
	var b bytes.Buffer
	if err := mi.Write(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(torrentPath); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(torrentPath, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{})
	d.WaitEpisodes(t, []string{id}, false, 30*time.Second)
	want, err := os.ReadFile(ch.Files[id])
	if err != nil {
		t.Fatal(err)
	}
	// Bounded: a box that took the other server as its origin would wait
	// for bytes that never come.
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Get(d.URL + "/api/stream/" + id)
	var got []byte
	if err == nil {
		got, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the box asked the server named only in the torrent %d times", n)
	}
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("stream: %d bytes, %v; want the %d bytes of the episode", len(got), err, len(want))
	}
}

// TestRedirectOffTheOriginRefused: the channel's origin answers the
// torrent's path with a redirect to another server: the box does not
// follow it, says the episode is unavailable, and the other server hears
// nothing.
func TestRedirectOffTheOriginRefused(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{})
	id := ch.Episodes()[0]
	trapURL, hits := trap(t)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/torrents/") {
			http.Redirect(w, r, trapURL+r.URL.Path, http.StatusFound)
			return
		}
		ch.Origin.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	h := startHome(t, front.URL+"/", ch.PublicKey, t.TempDir(), nil)
	var v api.CatalogView
	waitFor(t, "the episode reported unavailable", 30*time.Second, func() bool {
		getJSON(t, h.URL+"/api/catalog", &v)
		return strings.Contains(v.Problem, id)
	})
	if h.D.Swarm.Has(id) {
		t.Errorf("the episode was added from a torrent fetched off the origin")
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the box followed the redirect: the other server was asked %d times", n)
	}
}

// TestSlowOriginCannotHoldTheCatalog: an origin that never answers for one
// episode's torrent (a slow or hostile server) holds a sync for at most its
// budget: the other episodes are added meanwhile (fetches run in
// parallel), the stuck one is reported unavailable, and a new catalog that
// arrives during the stall is taken up within about one budget.
func TestSlowOriginCannotHoldTheCatalog(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{EpisodesPerShow: 3})
	ids := ch.Episodes()
	stuck := ch.Catalog.Shows[0].Episodes[0]
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/"+stuck.Torrent {
			select { // hang until the test ends
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		ch.Origin.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	const budget = 2 * time.Second
	start := time.Now()
	h := startHome(t, front.URL+"/", ch.PublicKey, t.TempDir(), func(c *box.DaemonConfig) {
		c.SyncBudget = budget
		c.Refresh = 200 * time.Millisecond
		c.HTTPClient = &http.Client{Timeout: time.Minute} // longer than the budget: the budget must cut it
	})
	waitFor(t, "the other episodes added", 20*time.Second, func() bool {
		return h.D.Swarm.Has(ids[1]) && h.D.Swarm.Has(ids[2])
	})
	var v api.CatalogView
	waitFor(t, "the stuck episode reported unavailable", 20*time.Second, func() bool {
		getJSON(t, h.URL+"/api/catalog", &v)
		return strings.Contains(v.Problem, stuck.ID)
	})
	if took := time.Since(start); took > 10*budget {
		t.Errorf("the first sync's outcome took %v with a budget of %v", took, budget)
	}

	// A new catalog while the stuck torrent still hangs: taken up.
	next := ch.Republish(t)
	waitFor(t, "the new catalog taken up", 10*budget, func() bool {
		getJSON(t, h.URL+"/api/catalog", &v)
		return v.Sequence == next.Sequence
	})
}

// TestSlowClientsCannotExhaustTheAPI: connections that never finish their
// headers (slowloris) or never send anything are dropped after the header
// timeout, the API holds at most its connection cap, and a real request
// still gets through; the event stream outlives the write timeout that
// bounds every other response.
func TestSlowClientsCannotExhaustTheAPI(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{})
	h := startHome(t, ch.URL, ch.PublicKey, t.TempDir(), func(c *box.DaemonConfig) {
		c.APITimeouts = box.APITimeouts{Header: time.Second, Write: time.Second, Idle: time.Second, MaxConns: 8}
		c.Heartbeat = 300 * time.Millisecond
	})
	addr := strings.TrimPrefix(h.URL, "http://")
	var slow []net.Conn
	for i := range 8 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if i%2 == 0 { // headers that never end
			fmt.Fprintf(c, "GET /api/catalog HTTP/1.1\r\nHost: %s\r\n", addr)
		}
		slow = append(slow, c)
	}
	start := time.Now()
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Get(h.URL + "/api/catalog")
	if err != nil {
		t.Fatalf("a real request behind 8 slow connections: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a real request: %s", resp.Status)
	}
	// The slow connections hold every slot until the 1 s header timeout
	// drops them: well before the 10 s a default timeout would take.
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a real request behind 8 slow connections took %v with a 1 s header timeout", took)
	}
	for i, c := range slow {
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Errorf("slow connection %d still open 3 s after a 1 s header timeout: %v", i, err)
		}
	}

	// The event stream: heartbeats (every 300 ms) still arrive well after
	// the 1 s write timeout.
	resp, err = http.Get(h.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	opened := time.Now()
	var last time.Duration
	buf := make([]byte, 4096)
	for last < 2500*time.Millisecond {
		if _, err := resp.Body.Read(buf); err != nil {
			t.Fatalf("event stream ended %v after it opened (write timeout 1 s): %v", time.Since(opened), err)
		}
		last = time.Since(opened)
	}
}

// TestHTTPSChannel: a channel served over https (the network's usual
// origin) is followed like an http one: catalog, torrent and every piece
// from the origin over TLS, byte for byte. A box that does not trust the
// origin's certificate gets nothing from it: the certificate is checked.
func TestHTTPSChannel(t *testing.T) {
	ch := testbox.NewChannel(t, testbox.ChannelOptions{TLS: true, Seconds: 6})
	if !strings.HasPrefix(ch.URL, "https://") {
		t.Fatalf("channel URL %s, want https", ch.URL)
	}
	id := ch.Episodes()[0]
	want, err := os.ReadFile(ch.Files[id])
	if err != nil {
		t.Fatal(err)
	}
	d := testbox.StartDaemon(t, ch, testbox.DaemonOptions{})
	d.WaitEpisodes(t, []string{id}, false, 30*time.Second)
	status, got, _ := get(t, d.URL+"/api/stream/"+id, "")
	if status != http.StatusOK || !bytes.Equal(got, want) {
		t.Fatalf("stream over an https channel: status %d, %d bytes, identical to the published file: %v", status, len(got), bytes.Equal(got, want))
	}
	var st api.Stats
	getJSON(t, d.URL+"/api/stats", &st)
	if st.Total.BytesFromWebSeed < int64(len(want)) {
		t.Errorf("from the https origin %d bytes, want all %d (no peers)", st.Total.BytesFromWebSeed, len(want))
	}
	t.Logf("%d bytes compared, all from the https origin", len(want))

	// The daemon's own client (system roots only) must refuse the test
	// certificate: no catalog, so no episode.
	served := ch.Origin.ServedBytes()
	untrusting := testbox.StartDaemon(t, ch, testbox.DaemonOptions{HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	time.Sleep(3 * time.Second)
	var cat api.CatalogView
	getJSON(t, untrusting.URL+"/api/catalog", &cat)
	if n := len(cat.Shows); n != 0 {
		t.Errorf("a box that does not trust the origin's certificate lists %d shows", n)
	}
	if ch.Origin.ServedBytes() != served {
		t.Errorf("the origin served %d bytes to a box that does not trust it", ch.Origin.ServedBytes()-served)
	}
}
