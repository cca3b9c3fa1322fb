package catalog_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
)

// TestFetcherAgainstPublishedOrigin runs a box's fetcher against the real
// publisher's output served by the real origin handler, and damages that
// output the ways a broken or hostile origin would.
func TestFetcherAgainstPublishedOrigin(t *testing.T) {
	mdir := t.TempDir()
	video := testmedia.Video(t, testmedia.Clip{Title: "Fetch", Seconds: 3, Width: 320, Height: 180, FPS: 25, Bitrate: "300k", FastStart: true})
	manifest := filepath.Join(mdir, "manifest.json")
	writeFile(t, manifest, []byte(`{"network":"Atomic Demo Channel","shows":[{"id":"orbit","title":"Orbit","episodes":[
		{"id":"orbit-s01e01","season":1,"episode":1,"title":"Launch","video":"`+video+`"}]}]}`))
	originDir := t.TempDir()
	srv := httptest.NewServer(publish.NewOrigin(originDir, publish.OriginOptions{}))
	defer srv.Close()
	doPublish := func() {
		t.Helper()
		m, err := publish.LoadManifest(manifest)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := publish.Publish(context.Background(), m, mdir, publish.Options{OriginDir: originDir, BaseURL: srv.URL + "/", Key: testKey()}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	read := func(name string) []byte {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(originDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}

	doPublish()
	v1, sig1 := read(catalog.CatalogFile), read(catalog.SignatureFile)
	boxDir := t.TempDir()
	f := newFetcher(t, srv.URL+"/", boxDir)
	ctx := context.Background()
	if changed, err := f.Refresh(ctx); !changed || err != nil {
		t.Fatalf("first Refresh = %v, %v; want the published catalog", changed, err)
	}
	c, _ := f.Current()
	if u, err := f.Resolve(c.Shows[0].Episodes[0].Torrent); err != nil || u != srv.URL+"/torrents/orbit-s01e01.torrent" {
		t.Errorf("Resolve(torrent) = %q, %v", u, err)
	}
	doPublish()
	v2, sig2 := read(catalog.CatalogFile), read(catalog.SignatureFile)
	if changed, err := f.Refresh(ctx); !changed || err != nil {
		t.Fatalf("second Refresh = %v, %v; want sequence 2", changed, err)
	}

	tests := []struct {
		reason    string
		data, sig []byte // nil sig: the signature file is removed
		want      error
	}{
		{reason: "a catalog edited on the origin after signing", data: []byte(strings.Replace(string(v2), "Launch", "Lunch!", 1)), sig: sig2, want: catalog.ErrBadSignature},
		{reason: "a catalog whose signature file was removed", data: v2, sig: nil, want: catalog.ErrUnsigned},
		{reason: "an emptied signature file", data: v2, sig: []byte{}, want: catalog.ErrUnsigned},
		{reason: "the older catalog put back with its valid signature", data: v1, sig: sig1, want: catalog.ErrRollback},
		{reason: "an unchanged origin is fine", data: v2, sig: sig2, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			writeFile(t, filepath.Join(originDir, catalog.CatalogFile), tt.data)
			os.Remove(filepath.Join(originDir, catalog.SignatureFile))
			if tt.sig != nil {
				writeFile(t, filepath.Join(originDir, catalog.SignatureFile), tt.sig)
			}
			changed, err := f.Refresh(ctx)
			if changed || !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Refresh = %v, %v; want false, %v", changed, err, tt.want)
			}
			c, st := f.Current()
			if c == nil || c.Sequence != 2 || st.Sequence != 2 {
				t.Errorf("Current sequence = %+v; want the last good, 2", st)
			}
			if (st.Problem != "") != (tt.want != nil) {
				t.Errorf("Status.Problem = %q with error %v", st.Problem, err)
			}
		})
	}

	// A box that restarts keeps sequence 2 from its own disk.
	f2 := newFetcher(t, srv.URL+"/", boxDir)
	if c, st := f2.Current(); c == nil || st.Sequence != 2 {
		t.Errorf("after restart: %+v; want the stored sequence 2", st)
	}
}
