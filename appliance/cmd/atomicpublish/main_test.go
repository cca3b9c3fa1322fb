package main

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
)

// TestPublishThenServe wires the two subcommands as the demo does: publish
// into an origin dir, serve it, fetch the signed catalog, stop on ctx.
func TestPublishThenServe(t *testing.T) {
	dir := t.TempDir()
	video := testmedia.Video(t, testmedia.Clip{Title: "Cmd", Seconds: 3, Width: 320, Height: 180, FPS: 25, Bitrate: "300k", FastStart: true})
	manifest := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(manifest, []byte(`{"network":"N","shows":[{"id":"s","title":"S","episodes":[{"id":"s-1","title":"One","video":"`+video+`"}]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	origin := filepath.Join(dir, "origin")
	keyPath := filepath.Join(dir, "config", "network.key")
	whitelist := filepath.Join(dir, "tracker", "whitelist.txt")
	if err := runPublish(context.Background(), manifest, keyPath, whitelist, publish.Options{OriginDir: origin, BaseURL: base, OriginBoxRate: 500_000}); err != nil {
		t.Fatalf("runPublish: %v", err)
	}
	key, created, err := publish.LoadOrCreateKey(keyPath)
	if err != nil || created {
		t.Fatalf("the key publish made is not there: created=%v %v", created, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- runServe(ctx, ln, publish.NewOrigin(origin, publish.OriginOptions{}), slog.New(slog.DiscardHandler))
	}()
	get := func(name string) []byte {
		resp, err := http.Get(base + name)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s, %v", name, resp.Status, err)
		}
		return data
	}
	c, err := catalog.Verify(key.Public().(ed25519.PublicKey), get(catalog.CatalogFile), get(catalog.SignatureFile))
	if err != nil || c.Sequence != 1 || c.OriginBoxRate != 500_000 {
		t.Errorf("served catalog: %v, %v; want sequence 1 and -origin-box-rate's 500000 bytes/s", c, err)
	}
	if wl, err := os.ReadFile(whitelist); err != nil || string(wl) != c.Shows[0].Episodes[0].InfoHash+"\n" {
		t.Errorf("-tracker-whitelist wrote %q, %v; want the episode's info hash %s and a newline", wl, err, c.Shows[0].Episodes[0].InfoHash)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("runServe after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runServe did not return after cancel")
	}
}
