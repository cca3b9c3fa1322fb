package publish_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/embargo"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
)

// TestPublishEmbargoed: an episode published before its release time is
// encrypted, its catalog entry carries the embargo and no key, the key is
// not served; the first publication after release adds the matching key
// and the media (and so the torrent) stays the same ciphertext.
func TestPublishEmbargoed(t *testing.T) {
	src := clip(t, "Premiere", true)
	plain, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	release := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	m := &publish.Manifest{Network: "N", Shows: []publish.ManifestShow{{ID: "orbit", Title: "Orbit", Episodes: []publish.ManifestEpisode{
		{ID: "premiere", Season: 1, Number: 1, Title: "Premiere", Video: src, DurationSeconds: 3, ReleaseAt: release, Priority: 7},
		{ID: "old", Season: 1, Number: 0, Title: "Old", Video: clip(t, "Old", true), DurationSeconds: 3},
	}}}}
	origin := t.TempDir()
	now := release.Add(-48 * time.Hour)
	opt := publish.Options{OriginDir: origin, BaseURL: "http://127.0.0.1:1/", Key: testKey(), Now: func() time.Time { return now }}
	ctx := context.Background()

	c1, err := publish.Publish(ctx, m, "", opt)
	if err != nil {
		t.Fatal(err)
	}
	e1 := c1.Shows[0].Episodes[0]
	if e1.Embargo == nil || e1.ContentKey != "" || !e1.ReleaseAt.Equal(release) || e1.Priority != 7 {
		t.Fatalf("before release: episode = %+v, want embargo, release, priority and no key", e1)
	}
	if c1.Shows[0].Episodes[1].Embargo != nil {
		t.Errorf("an episode without releaseAt was embargoed")
	}
	media := filepath.Join(origin, publish.MediaDir, "premiere.mp4")
	cipher1, err := os.ReadFile(media)
	if err != nil {
		t.Fatal(err)
	}
	if len(cipher1) != len(plain) || bytes.Equal(cipher1, plain) {
		t.Fatalf("published media: %d bytes, equal to the plaintext=%v; want the ciphertext of %d bytes", len(cipher1), bytes.Equal(cipher1, plain), len(plain))
	}
	srv := httptest.NewServer(publish.NewOrigin(origin, publish.OriginOptions{}))
	defer srv.Close()
	for _, p := range []string{".embargo-keys.json", "%2Eembargo-keys.json"} {
		resp, err := srv.Client().Get(srv.URL + "/" + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("GET /%s served the private key file (%d bytes)", p, len(body))
		}
	}

	now = release.Add(time.Minute)
	c2, err := publish.Publish(ctx, m, "", opt)
	if err != nil {
		t.Fatal(err)
	}
	e2 := c2.Shows[0].Episodes[0]
	if e2.ContentKey == "" || e2.InfoHash != e1.InfoHash || *e2.Embargo != *e1.Embargo {
		t.Fatalf("after release: episode = %+v, want the same torrent and embargo plus the key (before: %+v)", e2, e1)
	}
	key, nonce, err := embargo.ParamsFor(embargo.Sealed{Cipher: e2.Embargo.Cipher, KeyID: e2.Embargo.KeyID, Nonce: e2.Embargo.Nonce}, e2.ContentKey)
	if err != nil {
		t.Fatal(err)
	}
	var dec bytes.Buffer
	if _, err := embargo.Encrypt(&dec, bytes.NewReader(cipher1), key, nonce); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec.Bytes(), plain) {
		t.Errorf("decrypting the published media with the released key does not give the original")
	}
	if _, err := base64.StdEncoding.DecodeString(e2.ContentKey); err != nil {
		t.Errorf("contentKey is not base64: %v", err)
	}
}
