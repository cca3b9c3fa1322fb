package interop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/lab/bench"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/engines"
)

// TestNginxServesLikeOrigin: nginx with the configuration a network uses
// (publish.NginxOrigin, the file the README points to) answers what boxes
// ask exactly as atomicpublish serve does: the same status, type, caching
// and bytes for the catalog, its signature, torrents and media ranges, and
// the publisher's private dotfiles (the embargo keys) never served.
func TestNginxServesLikeOrigin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	work := engines.UnprivilegedDir(t)
	originDir := filepath.Join(work, "origin")
	if err := os.MkdirAll(originDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ngx := engines.StartNginx(ctx, t, originDir, publish.NginxOrigin)
	// Embargoed, so that the origin holds the content keys it must hide.
	const size = 1<<20 + 777
	ch, err := bench.PublishChannel(ctx, work, ngx.URL, bench.ChannelOptions{Size: size, DurationSeconds: 4, Seed: 3, ReleaseAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(originDir, ".embargo-keys.json")); err != nil {
		t.Fatalf("the origin holds no embargo keys to hide: %v", err)
	}
	// A readable dotfile below the top (a publisher's temp file is one).
	if err := os.WriteFile(filepath.Join(originDir, publish.MediaDir, ".hidden"), []byte("private"), 0o644); err != nil {
		t.Fatal(err)
	}
	goOrigin := httptest.NewServer(publish.NewOrigin(originDir, publish.OriginOptions{}))
	defer goOrigin.Close()
	media := "/" + publish.MediaDir + "/" + filepath.Base(ch.MediaPath)

	// answer is what a client sees of one response.
	type answer struct {
		Status                           int
		ContentType, CacheControl, Range string
		Body                             []byte
	}
	get := func(base, method, path, rangeHeader string) answer {
		req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(base, "/")+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rangeHeader != "" {
			req.Header.Set("Range", rangeHeader)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		a := answer{Status: resp.StatusCode}
		// Error pages differ between the two servers; what a box reads is
		// the status.
		if a.Status == http.StatusOK || a.Status == http.StatusPartialContent {
			a.ContentType, a.CacheControl, a.Range, a.Body = resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Range"), body
		}
		if a.Status == http.StatusRequestedRangeNotSatisfiable {
			a.Range = resp.Header.Get("Content-Range")
		}
		return a
	}
	for _, tc := range []struct {
		reason            string
		method, path, rng string
		wantStatus        int
		wantCache         string
	}{
		{reason: "the catalog is revalidated on every request", method: "GET", path: "/" + catalog.CatalogFile, wantStatus: 200, wantCache: publish.CacheListing},
		{reason: "so is its signature", method: "GET", path: "/" + catalog.SignatureFile, wantStatus: 200, wantCache: publish.CacheListing},
		{reason: "a torrent is checked against the catalog, so briefly cached", method: "GET", path: "/" + ch.Episode.Torrent, wantStatus: 200, wantCache: publish.CacheChecked},
		{reason: "the web seed reads ranges of immutable media", method: "GET", path: media, rng: "bytes=1000-70999", wantStatus: 206, wantCache: publish.CacheMedia},
		{reason: "the last piece is short: an open range to the end", method: "GET", path: media, rng: "bytes=1048576-", wantStatus: 206, wantCache: publish.CacheMedia},
		{reason: "a range past the end is refused with the size", method: "GET", path: media, rng: fmt.Sprintf("bytes=%d-", size), wantStatus: 416},
		{reason: "the whole file without a range", method: "GET", path: media, wantStatus: 200, wantCache: publish.CacheMedia},
		{reason: "the content keys of unreleased episodes are never served", method: "GET", path: "/.embargo-keys.json", wantStatus: 404},
		{reason: "nor the publisher's cache", method: "GET", path: "/.publish-cache.json", wantStatus: 404},
		{reason: "nor dotfiles below the top", method: "GET", path: "/" + publish.MediaDir + "/.hidden", wantStatus: 404},
		{reason: "no directory listings", method: "GET", path: "/" + publish.MediaDir + "/", wantStatus: 404},
		{reason: "nothing at the root", method: "GET", path: "/", wantStatus: 404},
		{reason: "only GET and HEAD", method: "POST", path: "/" + catalog.CatalogFile, wantStatus: 405},
	} {
		n, g := get(ngx.URL, tc.method, tc.path, tc.rng), get(goOrigin.URL, tc.method, tc.path, tc.rng)
		if diff := cmp.Diff(g, n); diff != "" {
			t.Errorf("%s %s %s (%s): nginx differs from atomicpublish serve (-serve +nginx):\n%s", tc.method, tc.path, tc.rng, tc.reason, diff)
		}
		if n.Status != tc.wantStatus || n.CacheControl != tc.wantCache {
			t.Errorf("%s %s %s (%s): nginx answered %d with Cache-Control %q, want %d and %q", tc.method, tc.path, tc.rng, tc.reason, n.Status, n.CacheControl, tc.wantStatus, tc.wantCache)
		}
	}
	// And the body of a range is the file's bytes.
	want, err := os.ReadFile(ch.MediaPath)
	if err != nil {
		t.Fatal(err)
	}
	if a := get(ngx.URL, "GET", media, "bytes=1000-70999"); !bytes.Equal(a.Body, want[1000:71000]) {
		t.Errorf("nginx's range is not the file's bytes 1000-70999")
	}
}
