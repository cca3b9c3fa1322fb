package swarm

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// fixture is one episode file, its torrent and an origin serving it.
type fixture struct {
	id     string
	name   string
	path   string
	data   []byte
	mi     *metainfo.MetaInfo
	served atomic.Int64 // bytes the origin sent
}

func newFixture(t *testing.T, size int, webSeed bool) *fixture {
	t.Helper()
	f := &fixture{id: "ep1", name: "ep1.mp4", data: make([]byte, size)}
	rand.Read(f.data)
	dir := t.TempDir()
	f.path = filepath.Join(dir, f.name)
	if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
		t.Fatal(err)
	}
	info := metainfo.Info{PieceLength: 256 << 10}
	if err := info.BuildFromFilePath(f.path); err != nil {
		t.Fatal(err)
	}
	ib, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	f.mi = &metainfo.MetaInfo{InfoBytes: ib}
	if webSeed {
		fs := http.FileServer(http.Dir(dir))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fs.ServeHTTP(countingWriter{w, &f.served}, r)
		}))
		t.Cleanup(srv.Close)
		f.mi.UrlList = []string{srv.URL + "/"}
	}
	return f
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

// testLog writes through t.Log until the test's cleanups have run; later
// lines (goroutines winding down) are dropped.
func testLog(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.done.Store(true) })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct {
	t    *testing.T
	done atomic.Bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func newSwarm(t *testing.T, dir string, peers ...string) *Swarm {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := New(ctx, Config{DataDir: dir, ListenHost: "127.0.0.1", Peers: peers,
		DisableDHT: true, DisableTrackers: true, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// placedMedia returns a fresh data dir whose media dir holds data under
// the fixture's file name, as a script would place it.
func placedMedia(t *testing.T, f *fixture, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, MediaDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, MediaDir, f.name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// seeder returns a swarm that already holds the fixture's file.
func seeder(t *testing.T, f *fixture) *Swarm {
	t.Helper()
	dir := placedMedia(t, f, f.data)
	s := newSwarm(t, dir)
	add(t, s, f)
	return s
}

func add(t *testing.T, s *Swarm, f *fixture) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Add(ctx, f.id, f.mi, 10); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, s *Swarm, id string, off int64, n int) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := s.Open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Seek(off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(st, buf); err != nil {
		t.Fatalf("read %d bytes at %d: %v", n, off, err)
	}
	return buf
}

// TestSources checks the byte accounting by source against setups where
// only one kind of source exists, and a mixed swarm.
func TestSources(t *testing.T) {
	const size = 6 << 20
	for _, tc := range []struct {
		name        string
		webSeed     bool
		seeders     int
		wantPeers   bool // BytesFromPeers > 0
		wantWebSeed int  // BytesFromWebSeed: 0 = must be 0, 1 = must be > 0, -1 = either (scheduling decides)
		reason      string
	}{
		{"webseed-only", true, 0, false, 1, "no peers: every byte comes from the origin and must be counted as web seed"},
		{"peers-only", false, 2, true, 0, "no url-list: every byte comes from peers"},
		{"mixed", true, 2, true, -1, "both sources: the split must add up to at least the file; on loopback peers often finish before the web seed is scheduled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, size, tc.webSeed)
			var peers []string
			for i := 0; i < tc.seeders; i++ {
				peers = append(peers, seeder(t, f).Addr())
			}
			s := newSwarm(t, t.TempDir(), peers...)
			add(t, s, f)
			got := readAll(t, s, f.id, 0, size)
			if !bytes.Equal(got, f.data) {
				t.Fatalf("streamed bytes differ from the file (%s)", tc.reason)
			}
			st := s.Stats()
			t.Logf("split: peers=%d webseed=%d origin served=%d", st.Total.BytesFromPeers, st.Total.BytesFromWebSeed, f.served.Load())
			webOK := tc.wantWebSeed == -1 || (st.Total.BytesFromWebSeed > 0) == (tc.wantWebSeed == 1)
			if (st.Total.BytesFromPeers > 0) != tc.wantPeers || !webOK {
				t.Errorf("peers=%d webseed=%d, want peers>0 %v webseed rule %d (%s)", st.Total.BytesFromPeers, st.Total.BytesFromWebSeed, tc.wantPeers, tc.wantWebSeed, tc.reason)
			}
			if sum := st.Total.BytesFromPeers + st.Total.BytesFromWebSeed; sum < size {
				t.Errorf("peers+webseed = %d < file size %d (%s)", sum, size, tc.reason)
			}
			if st.Total.BytesFromWebSeed > f.served.Load() {
				t.Errorf("web seed bytes %d exceed what the origin served %d (%s)", st.Total.BytesFromWebSeed, f.served.Load(), tc.reason)
			}
			if st.Total.Completion != 1 || len(st.Torrents) != 1 || st.Torrents[0].Episode != f.id {
				t.Errorf("stats = %+v, want one complete torrent %s", st, f.id)
			}
		})
	}
}

// TestClassicFileIO checks that episode files are not memory-mapped (see
// package classicio).
func TestClassicFileIO(t *testing.T) {
	f := newFixture(t, 1<<20, true)
	s := newSwarm(t, t.TempDir())
	add(t, s, f)
	readAll(t, s, f.id, 0, 1<<20)
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(maps, []byte(filepath.Join(MediaDir, f.name))) {
		t.Errorf("the episode file is memory-mapped; want classic file I/O (%s=%q)", "TORRENT_STORAGE_DEFAULT_FILE_IO", os.Getenv("TORRENT_STORAGE_DEFAULT_FILE_IO"))
	}
}

// TestRestart checks that what was downloaded survives a clean restart, and
// that after an unclean stop a damaged piece is re-verified, not served.
func TestRestart(t *testing.T) {
	const size = 4 << 20
	f := newFixture(t, size, true)
	dir := t.TempDir()
	ctx := context.Background()

	s := newSwarm(t, dir)
	add(t, s, f)
	readAll(t, s, f.id, 0, size/2)
	deadline := time.Now().Add(10 * time.Second)
	for s.Completion(f.id) < 0.5 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	servedBefore := f.served.Load()

	s2 := newSwarm(t, dir)
	if s2.Unclean() {
		t.Error("clean close reported as unclean")
	}
	add(t, s2, f)
	if c := s2.Completion(f.id); c < 0.5 {
		t.Errorf("after a clean restart completion = %.2f, want >= 0.5 (downloads resume)", c)
	}
	if got := readAll(t, s2, f.id, 0, size/2); !bytes.Equal(got, f.data[:size/2]) {
		t.Error("first half differs after restart")
	}
	if f.served.Load() != servedBefore {
		t.Errorf("origin served %d more bytes for data the box already held", f.served.Load()-servedBefore)
	}
	if err := s2.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// Unclean stop: the marker stays, and the first piece on disk is damaged
	// (as if its data never reached the card).
	if err := os.WriteFile(filepath.Join(dir, runningMk), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	media := filepath.Join(dir, MediaDir, f.name)
	fh, err := os.OpenFile(media, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.WriteAt(make([]byte, 4096), 0)
	fh.Close()

	s3 := newSwarm(t, dir)
	if !s3.Unclean() {
		t.Error("leftover running marker not seen as an unclean stop")
	}
	add(t, s3, f)
	if got := readAll(t, s3, f.id, 0, size); !bytes.Equal(got, f.data) {
		t.Error("after an unclean stop the stream served damaged data")
	}
}

func TestUnknownEpisode(t *testing.T) {
	s := newSwarm(t, t.TempDir())
	if _, err := s.Open(context.Background(), "nope"); err == nil {
		t.Error("Open of an unknown episode succeeded")
	}
}

// TestPlacedLater: a file placed in media/ after the completion records
// said "nothing here" (a script pre-placing episodes on a box that already
// knew the torrent) is hashed and served without any network source.
func TestPlacedLater(t *testing.T) {
	f := newFixture(t, 2<<20, false)
	dir := t.TempDir()
	s := newSwarm(t, dir)
	add(t, s, f)
	// Opened once, so the torrent joins the client and its pieces get
	// records (a dormant episode has none).
	st, err := s.Open(context.Background(), f.id)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	deadline := time.Now().Add(10 * time.Second)
	for checking(s.episodes[f.id].t) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if c := s.Completion(f.id); c != 0 {
		t.Fatalf("completion %v before the file is placed", c)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, MediaDir, f.name), f.data, 0o644); err != nil {
		t.Fatal(err)
	}
	s2 := newSwarm(t, dir)
	add(t, s2, f)
	deadline = time.Now().Add(20 * time.Second)
	for s2.Completion(f.id) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("placed file not verified: completion %.2f", s2.Completion(f.id))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := readAll(t, s2, f.id, 0, len(f.data)); !bytes.Equal(got, f.data) {
		t.Error("placed file served wrong bytes")
	}
}
