package catalog_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

// memOrigin serves files from memory so a test can change them between
// refreshes; a nil entry is a 404.
type memOrigin struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (m *memOrigin) set(name string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if data == nil {
		delete(m.files, name)
		return
	}
	m.files[name] = bytes.Clone(data)
}

func (m *memOrigin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	data, ok := m.files[strings.TrimPrefix(r.URL.Path, "/channel/")]
	m.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(data)
}

func newMemOrigin(t *testing.T) (*memOrigin, string) {
	m := &memOrigin{files: make(map[string][]byte)}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return m, srv.URL + "/channel/"
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func newFetcher(t *testing.T, base, dir string) *catalog.Fetcher {
	t.Helper()
	f, err := catalog.NewFetcher(catalog.FetcherConfig{
		BaseURL:   base,
		PublicKey: testKey().Public().(ed25519.PublicKey),
		Dir:       dir,
		Client:    &http.Client{Timeout: 5 * time.Second},
		Log:       testLog(t),
	})
	if err != nil {
		t.Fatalf("NewFetcher: %v", err)
	}
	return f
}

// TestFetcherSequence walks one fetcher through a series of publications,
// good and bad, checking what it keeps after each.
func TestFetcherSequence(t *testing.T) {
	key := testKey()
	v1 := encode(t, sampleCatalog(1))
	v2 := encode(t, sampleCatalog(2))
	v2b := bytes.Replace(v2, []byte("Apogee"), []byte("Perigee"), 1) // same sequence, other content
	v3 := encode(t, sampleCatalog(3))
	bad := []byte(`{"format":1,"sequence":9}`)
	steps := []struct {
		reason      string
		data, sig   []byte // nil sig: no signature file (404)
		wantChanged bool
		wantErr     error
		wantSeq     uint64 // sequence in use afterwards
	}{
		{reason: "an unsigned first catalog is refused and nothing is shown", data: v1, sig: nil, wantErr: catalog.ErrUnsigned, wantSeq: 0},
		{reason: "the first signed catalog is accepted", data: v1, sig: catalog.Sign(key, v1), wantChanged: true, wantSeq: 1},
		{reason: "the same bytes again are unchanged, not an error", data: v1, sig: catalog.Sign(key, v1), wantSeq: 1},
		{reason: "a newer catalog is accepted", data: v2, sig: catalog.Sign(key, v2), wantChanged: true, wantSeq: 2},
		{reason: "a tampered catalog is refused; the last good stays", data: flip(v3, bytes.Index(v3, []byte("Ebb"))), sig: catalog.Sign(key, v3), wantErr: catalog.ErrBadSignature, wantSeq: 2},
		{reason: "a catalog signed by another key is refused", data: v3, sig: catalog.Sign(otherKey(), v3), wantErr: catalog.ErrBadSignature, wantSeq: 2},
		{reason: "an empty signature file means unsigned", data: v3, sig: []byte{}, wantErr: catalog.ErrUnsigned, wantSeq: 2},
		{reason: "a truncated signature is refused", data: v3, sig: catalog.Sign(key, v3)[:50], wantErr: catalog.ErrBadSignature, wantSeq: 2},
		{reason: "an older, validly signed catalog is a rollback", data: v1, sig: catalog.Sign(key, v1), wantErr: catalog.ErrRollback, wantSeq: 2},
		{reason: "the same sequence with different bytes is refused", data: v2b, sig: catalog.Sign(key, v2b), wantErr: catalog.ErrRollback, wantSeq: 2},
		{reason: "a signed but malformed catalog is refused", data: bad, sig: catalog.Sign(key, bad), wantErr: catalog.ErrMalformed, wantSeq: 2},
		{reason: "an oversized catalog is refused before verification", data: bytes.Repeat([]byte(" "), catalog.MaxCatalogBytes+1), sig: catalog.Sign(key, v3), wantErr: catalog.ErrMalformed, wantSeq: 2},
		{reason: "the next good catalog clears the problem", data: v3, sig: catalog.Sign(key, v3), wantChanged: true, wantSeq: 3},
	}
	origin, base := newMemOrigin(t)
	dir := t.TempDir()
	f := newFetcher(t, base, dir)
	ctx := context.Background()
	for i, st := range steps {
		origin.set(catalog.CatalogFile, st.data)
		origin.set(catalog.SignatureFile, st.sig)
		changed, err := f.Refresh(ctx)
		if !errors.Is(err, st.wantErr) || (err != nil) != (st.wantErr != nil) {
			t.Errorf("step %d (%s): Refresh error = %v, want %v", i, st.reason, err, st.wantErr)
		}
		if changed != st.wantChanged {
			t.Errorf("step %d (%s): changed = %v, want %v", i, st.reason, changed, st.wantChanged)
		}
		c, status := f.Current()
		if status.Sequence != st.wantSeq {
			t.Errorf("step %d (%s): Status.Sequence = %d, want %d", i, st.reason, status.Sequence, st.wantSeq)
		}
		if st.wantSeq == 0 && c != nil || st.wantSeq != 0 && (c == nil || c.Sequence != st.wantSeq) {
			t.Errorf("step %d (%s): Current catalog = %+v, want sequence %d", i, st.reason, c, st.wantSeq)
		}
		if (status.Problem != "") != (st.wantErr != nil) || !errors.Is(status.Err, st.wantErr) {
			t.Errorf("step %d (%s): Status = %+v, want a problem exactly when refused", i, st.reason, status)
		}
		if st.wantErr != nil && st.wantSeq != 0 && !strings.Contains(status.Problem, "Showing the last good listing") {
			t.Errorf("step %d (%s): Problem = %q, want it to say the last good listing is shown", i, st.reason, status.Problem)
		}
	}
	_, status := f.Current()
	if status.FetchedAt.IsZero() {
		t.Errorf("FetchedAt is zero after successful refreshes")
	}
	// The problem sentence for a bad signature is the one the TV shows.
	origin.set(catalog.SignatureFile, catalog.Sign(otherKey(), v3))
	origin.set(catalog.CatalogFile, encode(t, sampleCatalog(4)))
	f.Refresh(ctx)
	_, status = f.Current()
	want := "The channel's new listing was refused: its signature does not match this box's network key. Showing the last good listing."
	if status.Problem != want {
		t.Errorf("Problem = %q, want %q", status.Problem, want)
	}
}

func TestFetcherPersistsAndReloads(t *testing.T) {
	key := testKey()
	origin, base := newMemOrigin(t)
	dir := t.TempDir()
	v2 := encode(t, sampleCatalog(2))
	origin.set(catalog.CatalogFile, v2)
	origin.set(catalog.SignatureFile, catalog.Sign(key, v2))
	if _, err := newFetcher(t, base, dir).Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}

	stored, err := os.ReadFile(filepath.Join(dir, catalog.StoredFile))
	if err != nil {
		t.Fatalf("the new catalog was not stored in one file: %v", err)
	}
	storedPath := filepath.Join(dir, catalog.StoredFile)
	tests := []struct {
		reason  string
		corrupt func(t *testing.T)
		wantSeq uint64
	}{
		{reason: "the stored copy is loaded and verified again", wantSeq: 2},
		{reason: "a stored copy whose catalog bytes were damaged is ignored: fresh start", corrupt: func(t *testing.T) {
			var st map[string]any
			if err := json.Unmarshal(stored, &st); err != nil {
				t.Fatal(err)
			}
			st["catalog"] = base64.StdEncoding.EncodeToString(flip(v2, 10))
			data, _ := json.Marshal(st)
			writeFile(t, storedPath, data)
		}},
		{reason: "a stored copy without its signature is ignored", corrupt: func(t *testing.T) {
			writeFile(t, storedPath, bytes.Replace(stored, []byte(`"signature"`), []byte(`"signatureX"`), 1))
		}},
		{reason: "a truncated stored copy (a card that lost its last write) is ignored", corrupt: func(t *testing.T) {
			writeFile(t, storedPath, stored[:len(stored)/2])
		}},
		{reason: "a box updated from before StoredFile loads its two-file copy", wantSeq: 2, corrupt: func(t *testing.T) {
			os.Remove(storedPath)
			writeFile(t, filepath.Join(dir, catalog.CatalogFile), v2)
			writeFile(t, filepath.Join(dir, catalog.SignatureFile), catalog.Sign(key, v2))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			writeFile(t, storedPath, stored)
			if tt.corrupt != nil {
				tt.corrupt(t)
			}
			// Nothing is served now: what Current shows comes from disk.
			f := newFetcher(t, "http://127.0.0.1:1/none/", dir)
			c, status := f.Current()
			if status.Sequence != tt.wantSeq || (c == nil) != (tt.wantSeq == 0) {
				t.Errorf("after NewFetcher: catalog %v, status %+v; want sequence %d", c != nil, status, tt.wantSeq)
			}
			os.Remove(filepath.Join(dir, catalog.CatalogFile))
			os.Remove(filepath.Join(dir, catalog.SignatureFile))
		})
	}

	// A reloaded fetcher still refuses rollbacks below what it stored.
	writeFile(t, storedPath, stored)
	v1 := encode(t, sampleCatalog(1))
	origin.set(catalog.CatalogFile, v1)
	origin.set(catalog.SignatureFile, catalog.Sign(key, v1))
	if _, err := newFetcher(t, base, dir).Refresh(context.Background()); !errors.Is(err, catalog.ErrRollback) {
		t.Errorf("Refresh of sequence 1 after reloading 2: error = %v, want ErrRollback", err)
	}
}

// TestRollbackRefusedAfterLosingTheStoredCatalog: a box that accepted
// sequence 5 and then lost its stored catalog (a power cut that damaged the
// card, or the old two-file copy cut between its writes) must still refuse
// an older signed catalog that a man in the middle replays; it takes 5
// again, or anything newer.
func TestRollbackRefusedAfterLosingTheStoredCatalog(t *testing.T) {
	key := testKey()
	origin, base := newMemOrigin(t)
	dir := t.TempDir()
	serve := func(seq uint64) {
		data := encode(t, sampleCatalog(seq))
		origin.set(catalog.CatalogFile, data)
		origin.set(catalog.SignatureFile, catalog.Sign(key, data))
	}
	serve(5)
	if _, err := newFetcher(t, base, dir).Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, lost := range []string{catalog.StoredFile, catalog.CatalogFile, catalog.SignatureFile} {
		writeFile(t, filepath.Join(dir, lost), []byte("{\"catalog\":"))
	}
	serve(3)
	f := newFetcher(t, base, dir)
	if c, _ := f.Current(); c != nil {
		t.Fatalf("a damaged stored catalog was loaded: sequence %d", c.Sequence)
	}
	if _, err := f.Refresh(context.Background()); !errors.Is(err, catalog.ErrRollback) {
		t.Fatalf("sequence 3 after having accepted 5: error %v, want ErrRollback", err)
	}
	serve(5)
	if changed, err := f.Refresh(context.Background()); err != nil || !changed {
		t.Fatalf("sequence 5 again: changed %v, error %v; want it taken", changed, err)
	}
	serve(6)
	if changed, err := f.Refresh(context.Background()); err != nil || !changed {
		t.Fatalf("sequence 6: changed %v, error %v; want it taken", changed, err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFetcherSignatureRace: a box that reads the old signature and then
// the new catalog (the publisher writes the catalog first) re-reads the
// signature instead of reporting a bad signature.
func TestFetcherSignatureRace(t *testing.T) {
	key := testKey()
	v1 := encode(t, sampleCatalog(1))
	v2 := encode(t, sampleCatalog(2))
	var mu sync.Mutex
	sigReads := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/" + catalog.SignatureFile:
			sigReads++
			if sigReads == 1 {
				w.Write(catalog.Sign(key, v1)) // old
				return
			}
			w.Write(catalog.Sign(key, v2))
		case "/" + catalog.CatalogFile:
			w.Write(v2)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := newFetcher(t, srv.URL+"/", t.TempDir())
	changed, err := f.Refresh(context.Background())
	if err != nil || !changed {
		t.Fatalf("Refresh = %v, %v; want true, nil", changed, err)
	}
	if _, st := f.Current(); st.Sequence != 2 {
		t.Errorf("Sequence = %d, want 2", st.Sequence)
	}
}

func TestFetcherRun(t *testing.T) {
	key := testKey()
	origin, base := newMemOrigin(t)
	v1 := encode(t, sampleCatalog(1))
	origin.set(catalog.CatalogFile, v1)
	origin.set(catalog.SignatureFile, catalog.Sign(key, v1))
	f := newFetcher(t, base, t.TempDir())

	type call struct {
		seq     uint64
		problem bool
	}
	calls := make(chan call, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx, 50*time.Millisecond, func(c *catalog.Catalog, st catalog.Status) {
			calls <- call{seq: st.Sequence, problem: st.Problem != ""}
		})
	}()
	next := func(what string) call {
		select {
		case c := <-calls:
			return c
		case <-time.After(5 * time.Second):
			t.Fatalf("no onChange call for %s", what)
			return call{}
		}
	}
	if got := next("first catalog"); got != (call{seq: 1}) {
		t.Errorf("first onChange = %+v, want sequence 1 and no problem", got)
	}
	origin.set(catalog.SignatureFile, catalog.Sign(otherKey(), v1))
	if got := next("bad signature"); got != (call{seq: 1, problem: true}) {
		t.Errorf("onChange after a bad signature = %+v, want sequence 1 with a problem", got)
	}
	v2 := encode(t, sampleCatalog(2))
	origin.set(catalog.CatalogFile, v2)
	origin.set(catalog.SignatureFile, catalog.Sign(key, v2))
	if got := next("second catalog"); got != (call{seq: 2}) {
		t.Errorf("onChange after a new catalog = %+v, want sequence 2 and no problem", got)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after ctx ended")
	}
	// Unchanged refreshes must not call onChange.
	select {
	case c := <-calls:
		t.Errorf("extra onChange call %+v while nothing changed", c)
	default:
	}
}

func TestResolve(t *testing.T) {
	f := newFetcher(t, "http://127.0.0.1:8080/channel/", t.TempDir())
	tests := []struct {
		reason string
		rel    string
		want   string // "" means refused
	}{
		{reason: "a poster resolves under the base", rel: "posters/orbit.png", want: "http://127.0.0.1:8080/channel/posters/orbit.png"},
		{reason: "a torrent resolves under the base", rel: "torrents/orbit-s01e01.torrent", want: "http://127.0.0.1:8080/channel/torrents/orbit-s01e01.torrent"},
		{reason: "'..' is refused", rel: "../other/x.png"},
		{reason: "'..' in the middle is refused", rel: "posters/../../x.png"},
		{reason: "an absolute path is refused", rel: "/x.png"},
		{reason: "another host is refused", rel: "http://evil.example/x.png"},
		{reason: "a protocol-relative URL is refused", rel: "//evil.example/x.png"},
		{reason: "an empty path is refused", rel: ""},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			got, err := f.Resolve(tt.rel)
			if tt.want == "" {
				if err == nil {
					t.Errorf("Resolve(%q) = %q, want an error", tt.rel, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Resolve(%q) = %q, %v; want %q", tt.rel, got, err, tt.want)
			}
		})
	}
}

func TestNewFetcherRefusesBadConfig(t *testing.T) {
	pub := testKey().Public().(ed25519.PublicKey)
	tests := []struct {
		reason string
		cfg    catalog.FetcherConfig
	}{
		{reason: "base URL must end in /", cfg: catalog.FetcherConfig{BaseURL: "http://127.0.0.1/channel", PublicKey: pub, Dir: t.TempDir()}},
		{reason: "base URL must be http(s)", cfg: catalog.FetcherConfig{BaseURL: "file:///tmp/", PublicKey: pub, Dir: t.TempDir()}},
		{reason: "a public key is needed", cfg: catalog.FetcherConfig{BaseURL: "http://127.0.0.1/", Dir: t.TempDir()}},
		{reason: "a directory is needed", cfg: catalog.FetcherConfig{BaseURL: "http://127.0.0.1/", PublicKey: pub}},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			if _, err := catalog.NewFetcher(tt.cfg); err == nil {
				t.Errorf("NewFetcher(%+v) succeeded, want an error", tt.cfg)
			}
		})
	}
}

// TestStaleCatalog: a listing past its signed ValidUntil stays in use (what
// is on the box still plays) but the TV is told it is stale, whether the
// origin keeps serving the same old bytes (a man in the middle holding the
// box on it) or cannot be reached; a newer catalog clears the sentence.
func TestStaleCatalog(t *testing.T) {
	key := testKey()
	origin, base := newMemOrigin(t)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f, err := catalog.NewFetcher(catalog.FetcherConfig{
		BaseURL: base, PublicKey: key.Public().(ed25519.PublicKey), Dir: t.TempDir(), Log: testLog(t),
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	serve := func(seq uint64, validUntil time.Time) {
		c := sampleCatalog(seq)
		c.ValidUntil = validUntil
		data := encode(t, c)
		origin.set(catalog.CatalogFile, data)
		origin.set(catalog.SignatureFile, catalog.Sign(key, data))
	}
	until := time.Date(2026, 12, 9, 12, 0, 0, 0, time.UTC)
	serve(1, until)
	if _, err := f.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, st := f.Current(); st.Problem != "" {
		t.Fatalf("a valid catalog has a problem: %q", st.Problem)
	}

	now = until.Add(time.Minute)
	if _, err := f.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, st := f.Current()
	if c == nil || c.Sequence != 1 || !strings.Contains(st.Problem, "ran out on 9 December 2026") || !strings.Contains(st.Problem, "still plays") {
		t.Fatalf("the same bytes past ValidUntil: catalog %v, problem %q; want it kept, and stale", c != nil, st.Problem)
	}

	origin.set(catalog.CatalogFile, nil) // the origin now serves an empty catalog
	f.Refresh(context.Background())
	if _, st := f.Current(); !strings.Contains(st.Problem, "ran out") {
		t.Fatalf("unreachable and stale: problem %q, want the stale sentence", st.Problem)
	}

	serve(2, now.Add(14*24*time.Hour))
	if _, err := f.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c, st := f.Current(); c.Sequence != 2 || st.Problem != "" {
		t.Fatalf("a newer valid catalog: sequence %d, problem %q", c.Sequence, st.Problem)
	}
}

// TestOriginConfinement: which URLs a box treats as its channel's, and
// which hosts are its own machine or link.
func TestOriginConfinement(t *testing.T) {
	f := newFetcher(t, "https://tv.example.net:8443/channel/", t.TempDir())
	for u, want := range map[string]bool{
		"https://tv.example.net:8443/channel/media/a.mp4": true,
		"https://TV.example.net:8443/channel/media/":      true,
		"http://tv.example.net:8443/channel/media/a.mp4":  false, // scheme
		"https://tv.example.net/channel/media/a.mp4":      false, // port
		"https://tv.example.net:8443/other/media/a.mp4":   false, // path
		"https://evil.example:8443/channel/media/a.mp4":   false,
		"https://u:p@tv.example.net:8443/channel/media/":  false,
		"https://127.0.0.1:8443/channel/media/a.mp4":      false,
		"://bad": false,
	} {
		if got := f.Within(u); got != want {
			t.Errorf("Within(%q) = %v, want %v", u, got, want)
		}
	}
	for u, want := range map[string]bool{
		"http://127.0.0.1:8080/announce":      true,
		"udp://[::1]:6969/announce":           true,
		"http://169.254.169.254/latest/":      true,
		"http://[fe80::1]/":                   true,
		"http://0.0.0.0:80/":                  true,
		"http://localhost:6969/announce":      true,
		"http://tracker.localhost/announce":   true,
		"udp://tracker.example:6969/announce": false,
		"http://192.168.1.10:6969/announce":   false,
	} {
		if got := catalog.LocalHost(u); got != want {
			t.Errorf("LocalHost(%q) = %v, want %v", u, got, want)
		}
	}
	first, _ := http.NewRequest("GET", "https://tv.example.net:8443/channel/torrents/a.torrent", nil)
	same, _ := http.NewRequest("GET", "https://tv.example.net:8443/channel/torrents/b.torrent", nil)
	away, _ := http.NewRequest("GET", "https://evil.example/a.torrent", nil)
	down, _ := http.NewRequest("GET", "http://tv.example.net:8443/channel/torrents/b.torrent", nil)
	if err := catalog.StayOnOrigin(same, []*http.Request{first}); err != nil {
		t.Errorf("a redirect on the origin was refused: %v", err)
	}
	for _, r := range []*http.Request{away, down} {
		if err := catalog.StayOnOrigin(r, []*http.Request{first}); !errors.Is(err, catalog.ErrOffOrigin) {
			t.Errorf("redirect to %s: %v, want ErrOffOrigin", r.URL, err)
		}
	}
}
