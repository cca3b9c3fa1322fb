package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/lab/bench"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbin"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
)

func TestMain(m *testing.M) { testbin.Main(m) }

// TestReleaseOnTime: an embargoed premiere scheduled 20 s ahead, published
// by atomicpublish release (which also serves the origin here), plays on a
// real atomicboxd at its default 5-minute refresh within 5 s of its hour:
// the publisher signs the catalog with the content key at the hour, and the
// box, knowing the hour from its catalog, asks shortly after it. The bytes
// played are the published video's.
func TestReleaseOnTime(t *testing.T) {
	daemon := testbin.Daemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	const size = 3<<20 + 99
	video := filepath.Join(dir, "premiere.mp4")
	if err := testmedia.WriteRandom(video, size, 20); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(video)
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Now().Add(21 * time.Second).Truncate(time.Second) // 20 to 21 s ahead, on a whole second
	manifest := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(manifest, fmt.Appendf(nil, `{"network":"Premiere Night","shows":[{"id":"night","title":"Night","episodes":[
		{"id":"premiere","season":1,"episode":1,"title":"The Premiere","video":"premiere.mp4","durationSeconds":30,"releaseAt":%q}]}]}`,
		hour.UTC().Format(time.RFC3339)), 0o644); err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "config", "network.key")
	key, _, err := publish.LoadOrCreateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	origin := filepath.Join(dir, "origin")
	rctx, stopRelease := context.WithCancel(ctx)
	released := make(chan error, 1)
	go func() {
		released <- runRelease(rctx, manifest, keyPath, "", publish.Options{OriginDir: origin, BaseURL: base}, time.Hour, ln, slog.New(slog.DiscardHandler))
	}()
	defer func() {
		stopRelease()
		if err := <-released; err != nil {
			t.Errorf("runRelease: %v", err)
		}
	}()
	for {
		if _, err := os.Stat(filepath.Join(origin, catalog.SignatureFile)); err == nil {
			break
		}
		select {
		case err := <-released:
			t.Fatalf("runRelease returned before publishing: %v", err)
		case <-ctx.Done():
			t.Fatal("no catalog published")
		case <-time.After(20 * time.Millisecond):
		}
	}

	// A publish by hand meanwhile would sign the same sequence: refused.
	if err := runPublish(ctx, manifest, keyPath, "", publish.Options{OriginDir: origin, BaseURL: base}); !errors.Is(err, publish.ErrLocked) {
		t.Errorf("publish while release runs = %v, want ErrLocked", err)
	}

	port := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	// The daemon's default refresh (5 minutes): only the release time can
	// bring it back in time.
	d, err := bench.StartDaemon(ctx, bench.DaemonConfig{
		Bin: daemon, DataDir: t.TempDir(), APIAddr: fmt.Sprintf("127.0.0.1:%d", port()), BTPort: port(),
		Channel: base, NetworkKey: catalog.FormatPublicKey(key.Public().(ed25519.PublicKey)),
		LogPath: filepath.Join(t.TempDir(), "atomicboxd.log"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		d.Stop(10 * time.Second)
		if t.Failed() {
			data, _ := os.ReadFile(d.Config().LogPath)
			t.Logf("atomicboxd log:\n%s", data)
		}
	}()
	if err := d.WaitEpisode(ctx, "premiere", 0); err != nil {
		t.Fatal(err)
	}
	stream := func() (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL("/api/stream/premiere"), nil)
		if err != nil {
			return nil, err
		}
		return d.Client.Do(req)
	}
	if resp, err := stream(); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("before its hour the premiere streams: %v %v, want 403", resp.Status, err)
	} else {
		resp.Body.Close()
	}
	if time.Until(hour) < 5*time.Second {
		t.Fatalf("the box took until %v before the hour to list the premiere; the test needs it well ahead", time.Until(hour))
	}

	// Watch for it from the hour: as a viewer pressing play would.
	wctx, wcancel := context.WithDeadline(ctx, hour.Add(30*time.Second))
	defer wcancel()
	if err := d.WaitPlayable(wctx, "premiere"); err != nil {
		t.Fatal(err)
	}
	resp, err := stream()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/stream/premiere after release: %s", resp.Status)
	}
	first := make([]byte, 64<<10)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	delay := time.Since(hour)
	t.Logf("release hour to the first 64 KiB played: %v", delay.Round(time.Millisecond))
	if delay > 5*time.Second {
		t.Errorf("the premiere played %v after its hour, want within 5 s", delay.Round(time.Millisecond))
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := append(first, rest...); !bytes.Equal(got, want) {
		t.Fatalf("the box played %d bytes that differ from the %d-byte video", len(got), len(want))
	}
	t.Logf("bytes played and compared with the published video: %d", len(want))
}
