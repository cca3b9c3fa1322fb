package interop

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/lab/bench"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/engines"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbin"
)

// TestRealOrigin runs a channel the way a network does, with Debian's
// engines: the origin directory served by nginx with the configuration
// the README shows (publish.NginxOrigin), opentracker as the tracker (DHT
// off, no -peer: the boxes meet only through it), and three atomicboxd
// processes. Boxes A and B stream the premiere at once while only the
// origin has it; box C then streams it and the origin is stopped when C
// holds half of it, so C finishes from A and B. Every byte each box plays is
// compared with the published file.
func TestRealOrigin(t *testing.T) {
	start := time.Now()
	daemon := testbin.Daemon(t)
	t.Logf("atomicboxd built in %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	work := engines.UnprivilegedDir(t)
	originDir := filepath.Join(work, "origin")
	if err := os.MkdirAll(originDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ngx := engines.StartNginx(ctx, t, originDir, publish.NginxOrigin)
	trackerPort := engines.FreePort(t)
	announce := fmt.Sprintf("http://127.0.0.1:%d/announce", trackerPort)
	const size = 6<<20 + 4321 // 25 pieces of 256 KiB, the last one short
	ch, err := bench.PublishChannel(ctx, work, ngx.URL, bench.ChannelOptions{
		Size: size, DurationSeconds: 6, Trackers: []string{announce}, Seed: 18,
		// Each box may take 1 MB/s from the origin: C cannot have the
		// whole file from it before it is stopped.
		OriginBoxRate: 1 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Debian's opentracker tracks only listed torrents: the network lists
	// the info hashes its catalog names (atomicpublish -tracker-whitelist).
	engines.StartOpentracker(ctx, t, trackerPort, publish.TrackerWhitelist(ch.Catalog))
	want, err := os.ReadFile(ch.MediaPath)
	if err != nil || len(want) != size {
		t.Fatalf("published file: %d bytes, %v", len(want), err)
	}

	box := func(name string) *bench.Daemon {
		d, err := bench.StartDaemon(ctx, bench.DaemonConfig{
			Bin: daemon, DataDir: t.TempDir(), APIAddr: fmt.Sprintf("127.0.0.1:%d", engines.FreePort(t)), BTPort: engines.FreePort(t),
			Channel: ngx.URL, NetworkKey: ch.PublicKey(), Trackers: true,
			LogPath: filepath.Join(t.TempDir(), "atomicboxd-"+name+".log"),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			d.Stop(10 * time.Second)
			if t.Failed() {
				t.Logf("box %s log:\n%s", name, tail(d.Config().LogPath))
			}
		})
		return d
	}
	stream := "/api/stream/" + episodeID
	compared := 0
	check := func(name string, got []byte) {
		t.Helper()
		if !bytes.Equal(got, want) {
			t.Fatalf("box %s played %d bytes that differ from the %d published", name, len(got), size)
		}
		compared += len(got)
	}

	// A and B: the origin is the only source at first.
	a, b := box("A"), box("B")
	type played struct {
		name string
		data []byte
		err  error
	}
	res := make(chan played, 2)
	for name, d := range map[string]*bench.Daemon{"A": a, "B": b} {
		go func() {
			wctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			if err := d.WaitEpisode(wctx, episodeID, 0); err != nil {
				res <- played{name: name, err: err}
				return
			}
			data, err := readAll(wctx, d, stream)
			res <- played{name, data, err}
		}()
	}
	for range 2 {
		p := <-res
		if p.err != nil {
			t.Fatalf("box %s: %v", p.name, p.err)
		}
		check(p.name, p.data)
	}
	var fromOrigin int64
	for name, d := range map[string]*bench.Daemon{"A": a, "B": b} {
		st, err := d.EpisodeStats(ctx, episodeID)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("box %s: %d bytes from the origin, %d from peers", name, st.BytesFromWebSeed, st.BytesFromPeers)
		fromOrigin += st.BytesFromWebSeed
	}
	if fromOrigin < size {
		t.Errorf("A and B got %d bytes from the origin together, want at least the file's %d (nothing else had it)", fromOrigin, size)
	}
	ranges := 0
	for _, line := range ngx.Requests() {
		if strings.Contains(line, "GET "+ch.MediaURL()[len(ngx.URL)-1:]+" ") && strings.Contains(line, "\" 206 ") {
			ranges++
		}
	}
	if ranges == 0 {
		t.Errorf("nginx's access log shows no 206 answer for the media:\n%s", strings.Join(ngx.Requests(), "\n"))
	}

	t.Logf("A and B played the episode %v after the start", time.Since(start).Round(time.Millisecond))

	// C streams; the origin goes away when C holds half the episode. A
	// and B upload 512 KiB/s each, so C is still fetching then, and the
	// rest can only come from them.
	for _, d := range []*bench.Daemon{a, b} {
		if err := d.SetUploadCap(ctx, 512<<10); err != nil {
			t.Fatal(err)
		}
	}
	c := box("C")
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	if err := c.WaitEpisode(wctx, episodeID, 0); err != nil {
		t.Fatal(err)
	}
	go func() {
		data, err := readAll(wctx, c, stream)
		res <- played{"C", data, err}
	}()
	if err := c.WaitEpisode(wctx, episodeID, 0.5); err != nil {
		t.Fatal(err)
	}
	ngx.Stop()
	if _, err := http.Get(ngx.URL + "catalog.json"); err == nil {
		t.Fatal("nginx still answers after Stop")
	}
	before, err := c.EpisodeStats(wctx, episodeID)
	if err != nil {
		t.Fatal(err)
	}
	p := <-res
	if p.err != nil {
		t.Fatalf("C's stream (the origin stopped at %.0f%%): %v", 100*before.Completion, p.err)
	}
	check("C", p.data)
	after, err := c.EpisodeStats(ctx, episodeID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("box C: origin stopped at %.0f%%; %d bytes from the origin, %d from peers (%d from peers after the origin stopped)",
		100*before.Completion, after.BytesFromWebSeed, after.BytesFromPeers, after.BytesFromPeers-before.BytesFromPeers)
	if after.BytesFromPeers-before.BytesFromPeers < int64((1-before.Completion)*size)-(256<<10) {
		t.Errorf("C got %d bytes from A and B after the origin stopped at %.0f%%, want the rest (it can find them only through opentracker)",
			after.BytesFromPeers-before.BytesFromPeers, 100*before.Completion)
	}
	t.Logf("C played the episode %v after the start", time.Since(start).Round(time.Millisecond))
	t.Logf("bytes played and compared with the published file: %d (3 boxes x %d)", compared, size)
}
