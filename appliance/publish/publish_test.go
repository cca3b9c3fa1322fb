package publish_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testswarm"
)

func testKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
}

// clip is a short real H.264+AAC MP4 made by ffmpeg (cached between runs).
func clip(t *testing.T, title string, faststart bool) string {
	return testmedia.Video(t, testmedia.Clip{Title: title, Seconds: 3, Width: 320, Height: 180, FPS: 25, Bitrate: "300k", FastStart: faststart})
}

// writeManifest lays out a manifest with real media beside it, as a person
// publishing their own videos would, and returns its path. Durations are
// left out so LoadManifest must read them from the MP4s.
func writeManifest(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	link := func(src, rel string) {
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link(clip(t, "Orbit 1", true), "videos/Orbit Ep 1.MP4")
	link(clip(t, "Orbit 2", false), "videos/orbit-2.mp4")
	link(testmedia.PosterImage(t, testmedia.Poster{Title: "Orbit"}), "art/orbit.png")
	link(testmedia.PosterImage(t, testmedia.Poster{Title: "Orbit 1", Color: "0x402040"}), "art/orbit-1.png")
	m := `{"network":"Atomic Demo Channel","shows":[{"id":"orbit","title":"Orbit","synopsis":"Things go round.","poster":"art/orbit.png",
	"episodes":[
	 {"id":"orbit-s01e01","season":1,"episode":1,"title":"Launch","synopsis":"Up.","video":"videos/Orbit Ep 1.MP4","poster":"art/orbit-1.png"},
	 {"id":"orbit-s01e02","season":1,"episode":2,"title":"Apogee","video":"videos/orbit-2.mp4","durationSeconds":2.5}]}]}`
	path := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(path, []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func publishOnce(t *testing.T, manifestPath, originDir, baseURL string) *catalog.Catalog {
	t.Helper()
	m, err := publish.LoadManifest(manifestPath)
	if err != nil {
		t.Fatalf("LoadManifest: %v", err)
	}
	c, err := publish.Publish(context.Background(), m, filepath.Dir(manifestPath), publish.Options{
		OriginDir: originDir,
		BaseURL:   baseURL,
		Key:       testKey(),
		Trackers:  []string{"http://127.0.0.1:1/announce", "udp://127.0.0.1:2/announce"},
		Now:       func() time.Time { return time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return c
}

func TestPublishTorrentsAndCatalog(t *testing.T) {
	manifest := writeManifest(t)
	origin := t.TempDir()
	const base = "http://127.0.0.1:8080/channel/"
	c := publishOnce(t, manifest, origin, base)

	// What boxes see: the signed catalog verifies with the network key.
	data, err := os.ReadFile(filepath.Join(origin, catalog.CatalogFile))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := os.ReadFile(filepath.Join(origin, catalog.SignatureFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := catalog.Verify(testKey().Public().(ed25519.PublicKey), data, sig)
	if err != nil {
		t.Fatalf("Verify published catalog: %v", err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("published catalog vs returned (-want +got):\n%s", diff)
	}
	if got.Sequence != 1 || got.Network != "Atomic Demo Channel" || len(got.Shows) != 1 || len(got.Shows[0].Episodes) != 2 {
		t.Fatalf("catalog = %+v", got)
	}
	if v := got.ValidUntil.Sub(got.Published); v != publish.DefaultValidFor {
		t.Errorf("catalog valid for %v after publication, want the default %v", v, publish.DefaultValidFor)
	}
	if got.Shows[0].Poster != "posters/orbit.png" {
		t.Errorf("show poster = %q, want posters/orbit.png", got.Shows[0].Poster)
	}
	e1 := got.Shows[0].Episodes[0]
	if e1.Poster != "posters/orbit-s01e01.png" || e1.MimeType != "video/mp4" || e1.Torrent != "torrents/orbit-s01e01.torrent" {
		t.Errorf("episode 1 = %+v", e1)
	}
	if math.Abs(e1.DurationSeconds-3) > 0.1 {
		t.Errorf("episode 1 duration = %v, want about 3 s (read from the MP4)", e1.DurationSeconds)
	}
	if e2 := got.Shows[0].Episodes[1]; e2.DurationSeconds != 2.5 {
		t.Errorf("episode 2 duration = %v, want the manifest's 2.5", e2.DurationSeconds)
	}

	for _, e := range got.Shows[0].Episodes {
		t.Run(e.ID, func(t *testing.T) {
			mi, err := metainfo.LoadFromFile(filepath.Join(origin, filepath.FromSlash(e.Torrent)))
			if err != nil {
				t.Fatalf("metainfo.Load: %v", err)
			}
			if ih := mi.HashInfoBytes().HexString(); ih != e.InfoHash {
				t.Errorf("torrent info hash %s, catalog says %s", ih, e.InfoHash)
			}
			info, err := mi.UnmarshalInfo()
			if err != nil {
				t.Fatal(err)
			}
			media := filepath.Join(origin, "media", e.ID+".mp4")
			fi, err := os.Stat(media)
			if err != nil {
				t.Fatalf("media not in the origin: %v", err)
			}
			wantInfo := struct {
				Name        string
				Length      int64
				PieceLength int64
				Pieces      int
				Files       int
			}{e.ID + ".mp4", fi.Size(), 64 << 10, int((fi.Size()+64<<10-1)/(64<<10)) * 20, 0} // a few seconds of low-rate video: the floor
			gotInfo := wantInfo
			gotInfo.Name, gotInfo.Length, gotInfo.PieceLength, gotInfo.Pieces, gotInfo.Files = info.Name, info.Length, info.PieceLength, len(info.Pieces), len(info.Files)
			if diff := cmp.Diff(wantInfo, gotInfo); diff != "" {
				t.Errorf("info (-want +got):\n%s", diff)
			}
			if e.Size != fi.Size() {
				t.Errorf("catalog size %d, file %d", e.Size, fi.Size())
			}
			if diff := cmp.Diff([]string{base + "media/"}, []string(mi.UrlList)); diff != "" {
				t.Errorf("url-list (-want +got):\n%s", diff)
			}
			if mi.Announce != "http://127.0.0.1:1/announce" || len(mi.AnnounceList) != 2 || mi.CreatedBy != "atomicbox" {
				t.Errorf("announce %q, list %v, created by %q", mi.Announce, mi.AnnounceList, mi.CreatedBy)
			}
			// The piece hashes are those anacrolix computes itself.
			var ref metainfo.Info
			ref.PieceLength = info.PieceLength
			if err := ref.BuildFromFilePath(media); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ref.Pieces, info.Pieces) {
				t.Errorf("piece hashes differ from anacrolix's BuildFromFilePath")
			}
		})
	}
}

func TestPublishSequence(t *testing.T) {
	manifest := writeManifest(t)
	origin := t.TempDir()
	const base = "http://127.0.0.1:8080/"
	c1 := publishOnce(t, manifest, origin, base)
	c2 := publishOnce(t, manifest, origin, base)
	if c1.Sequence != 1 || c2.Sequence != 2 {
		t.Errorf("sequences %d then %d, want 1 then 2", c1.Sequence, c2.Sequence)
	}
	// Unchanged media keeps its torrents.
	for i := range c1.Shows[0].Episodes {
		if a, b := c1.Shows[0].Episodes[i].InfoHash, c2.Shows[0].Episodes[i].InfoHash; a != b {
			t.Errorf("episode %d info hash changed across publishes of the same media: %s then %s", i, a, b)
		}
	}

	// A previous catalog that cannot be read stops publishing: never a
	// silent reset to 1, and the broken file is left for a person to see.
	broken := []byte(`{"format":1,"sequence":`)
	if err := os.WriteFile(filepath.Join(origin, catalog.CatalogFile), broken, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := publish.LoadManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	_, err = publish.Publish(context.Background(), m, filepath.Dir(manifest), publish.Options{OriginDir: origin, BaseURL: base, Key: testKey()})
	if err == nil || !strings.Contains(err.Error(), "previous catalog") {
		t.Errorf("Publish over an unreadable catalog: error = %v, want one about the previous catalog", err)
	}
	if data, _ := os.ReadFile(filepath.Join(origin, catalog.CatalogFile)); !bytes.Equal(data, broken) {
		t.Errorf("the unreadable catalog was overwritten")
	}
}

func TestPublishRefusesBadOptions(t *testing.T) {
	manifest := writeManifest(t)
	m, err := publish.LoadManifest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		reason string
		opt    publish.Options
	}{
		{reason: "base URL must end in /", opt: publish.Options{OriginDir: t.TempDir(), BaseURL: "http://127.0.0.1/x", Key: testKey()}},
		{reason: "base URL must be absolute", opt: publish.Options{OriginDir: t.TempDir(), BaseURL: "/x/", Key: testKey()}},
		{reason: "a key is needed", opt: publish.Options{OriginDir: t.TempDir(), BaseURL: "http://127.0.0.1/"}},
		{reason: "an origin dir is needed", opt: publish.Options{BaseURL: "http://127.0.0.1/", Key: testKey()}},
		{reason: "piece length must be a power of two", opt: publish.Options{OriginDir: t.TempDir(), BaseURL: "http://127.0.0.1/", Key: testKey(), PieceLength: 100000}},
		{reason: "a catalog cannot be valid for two years", opt: publish.Options{OriginDir: t.TempDir(), BaseURL: "http://127.0.0.1/", Key: testKey(), ValidFor: 2 * 366 * 24 * time.Hour}},
		{reason: "a negative validity", opt: publish.Options{OriginDir: t.TempDir(), BaseURL: "http://127.0.0.1/", Key: testKey(), ValidFor: -time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			if _, err := publish.Publish(context.Background(), m, filepath.Dir(manifest), tt.opt); err == nil {
				t.Errorf("Publish succeeded, want an error")
			}
		})
	}
}

func TestPieceLengthFor(t *testing.T) {
	const min = 60.0
	tests := []struct {
		reason   string
		size     int64
		duration float64
		want     int64
	}{
		{"a 45-minute 8 Mbit/s episode: 0.3 s is 300,000 bytes, so 256 KiB", 2_700_000_000, 45 * min, 256 << 10},
		{"the bench's 64 MiB at 8 Mbit/s: 256 KiB", 64 << 20, 64 << 20 / 1e6, 256 << 10},
		{"25 Mbit/s (4K): 937,500 bytes, so 512 KiB", 25e6 / 8 * 45 * min, 45 * min, 512 << 10},
		{"just enough for 256 KiB: 0.3 s is exactly 256 KiB", 256 << 10 * 100, 30, 256 << 10},
		{"a byte short of it: 128 KiB", 256<<10*100 - 1, 30, 128 << 10},
		{"4 Mbit/s: 150,000 bytes, so 128 KiB", 4e6 / 8 * 20 * min, 20 * min, 128 << 10},
		{"2 Mbit/s: 75,000 bytes, so the 64 KiB floor", 2e6 / 8 * 20 * min, 20 * min, 64 << 10},
		{"1 Mbit/s: under the floor, 64 KiB", 1e6 / 8 * 20 * min, 20 * min, 64 << 10},
		{"a 2-hour 8 Mbit/s film: 27,466 pieces of 256 KiB, under the cap", 7_200_000_000, 120 * min, 256 << 10},
		{"a 3-hour 8 Mbit/s film: 41,199 pieces of 256 KiB is over the cap, so 512 KiB", 10_800_000_000, 180 * min, 512 << 10},
		{"exactly MaxPieces pieces stays", 32768 * (256 << 10), 32768 * (256 << 10) / 1e6, 256 << 10},
		{"one byte more doubles", 32768*(256<<10) + 1, (32768*(256<<10) + 1) / 1e6, 512 << 10},
		{"a huge bit rate is capped at 16 MiB", 1 << 40, 1, 16 << 20},
		{"no duration, small: by size, 256 KiB", 3 << 20, 0, 256 << 10},
		{"no duration, 512 MiB: 256 KiB", 512 << 20, 0, 256 << 10},
		{"no duration, above 512 MiB: 1 MiB", 512<<20 + 1, 0, 1 << 20},
		{"no duration, 4 GiB: 1 MiB", 4 << 30, 0, 1 << 20},
		{"no duration, above 4 GiB: 4 MiB", 4<<30 + 1, 0, 4 << 20},
		{"no duration, 1 TiB: over MaxPieces at 4 MiB, so 16 MiB", 1 << 40, 0, 16 << 20},
	}
	for _, tt := range tests {
		if got := publish.PieceLengthFor(tt.size, tt.duration); got != tt.want {
			t.Errorf("%s: PieceLengthFor(%d, %v) = %d, want %d", tt.reason, tt.size, tt.duration, got, tt.want)
		}
	}
}

// TestWebSeedDownload proves the web seed URL layout end to end: a real
// anacrolix client with no peers at all gets each episode purely from the
// origin handler and the bytes are identical.
func TestWebSeedDownload(t *testing.T) {
	manifest := writeManifest(t)
	originDir := t.TempDir()
	origin := publish.NewOrigin(originDir, publish.OriginOptions{})
	srv := httptest.NewServer(origin)
	defer srv.Close()
	c := publishOnce(t, manifest, originDir, srv.URL+"/")

	cl := testswarm.Client(t, t.TempDir(), nil)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// All torrents are added first and read at once: anacrolix v1.61 plans
	// web seed requests on a 5 s timer, so reading them one after another
	// would pay that wait once per torrent.
	type result struct {
		id      string
		data    []byte
		err     error
		elapsed time.Duration
		peers   int
	}
	results := make(chan result, len(c.Shows[0].Episodes))
	start := time.Now()
	var total int64
	for _, e := range c.Shows[0].Episodes {
		resp, err := http.Get(srv.URL + "/" + e.Torrent)
		if err != nil {
			t.Fatal(err)
		}
		mi, err := metainfo.Load(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("load %s over HTTP: %v", e.Torrent, err)
		}
		tor, err := cl.AddTorrent(mi)
		if err != nil {
			t.Fatal(err)
		}
		total += e.Size
		go func() {
			select {
			case <-tor.GotInfo():
			case <-ctx.Done():
				results <- result{id: e.ID, err: ctx.Err()}
				return
			}
			r := tor.NewReader()
			defer r.Close()
			r.SetContext(ctx)
			data, err := io.ReadAll(r)
			results <- result{id: e.ID, data: data, err: err, elapsed: time.Since(start), peers: len(tor.PeerConns())}
		}()
	}
	for range c.Shows[0].Episodes {
		res := <-results
		if res.err != nil {
			t.Errorf("%s: read through the client: %v", res.id, res.err)
			continue
		}
		t.Logf("%s: %d bytes from the web seed after %v", res.id, len(res.data), res.elapsed)
		want, err := os.ReadFile(filepath.Join(originDir, "media", res.id+".mp4"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.data, want) {
			t.Errorf("%s: downloaded %d bytes, differ from the %d-byte original", res.id, len(res.data), len(want))
		}
		if res.peers != 0 {
			t.Errorf("%s: %d peer connections; the test wants the web seed alone", res.id, res.peers)
		}
	}
	cl.Close()
	srv.Close() // waits for the handlers, so their last writes are counted
	if served := origin.ServedBytes(); served < total {
		t.Errorf("origin served %d body bytes, less than the %d downloaded: the data did not come from the web seed", served, total)
	}
}

func TestLoadManifest(t *testing.T) {
	manifest := writeManifest(t)
	m, err := publish.LoadManifest(manifest)
	if err != nil {
		t.Fatalf("LoadManifest: %v", err)
	}
	if d := m.Shows[0].Episodes[0].DurationSeconds; math.Abs(d-3) > 0.1 {
		t.Errorf("duration read from the MP4 = %v, want about 3", d)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.mkv"), []byte("not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		reason  string
		json    string
		wantErr string
	}{
		{reason: "unknown fields are refused", json: `{"network":"N","shows":[],"extra":1}`, wantErr: `unknown field "extra"`},
		{reason: "a network name is required", json: `{"shows":[{"id":"a","title":"A","episodes":[]}]}`, wantErr: "network is missing"},
		{reason: "at least one show", json: `{"network":"N","shows":[]}`, wantErr: "no shows"},
		{reason: "IDs follow the catalog rules", json: `{"network":"N","shows":[{"id":"A B","title":"A","episodes":[]}]}`, wantErr: "show 1: id \"A B\""},
		{reason: "IDs are unique across shows and episodes", json: `{"network":"N","shows":[{"id":"a","title":"A","episodes":[{"id":"a","title":"x","video":"v.mp4"}]}]}`, wantErr: `show 1 episode 1: id "a" is already used by show 1`},
		{reason: "a video is required", json: `{"network":"N","shows":[{"id":"a","title":"A","episodes":[{"id":"e","title":"x"}]}]}`, wantErr: "show 1 episode 1 (e): video is missing"},
		{reason: "unknown video types are refused", json: `{"network":"N","shows":[{"id":"a","title":"A","episodes":[{"id":"e","title":"x","video":"v.avi"}]}]}`, wantErr: "not a known video type"},
		{reason: "posters are PNG or JPEG", json: `{"network":"N","shows":[{"id":"a","title":"A","poster":"p.gif","episodes":[{"id":"e","title":"x","video":"v.mp4"}]}]}`, wantErr: "not PNG or JPEG"},
		{reason: "negative durations are refused", json: `{"network":"N","shows":[{"id":"a","title":"A","episodes":[{"id":"e","title":"x","video":"v.mp4","durationSeconds":-1}]}]}`, wantErr: "durationSeconds -1"},
		{reason: "a missing video without a duration is reported", json: `{"network":"N","shows":[{"id":"a","title":"A","episodes":[{"id":"e","title":"x","video":"missing.mp4"}]}]}`, wantErr: "show 1 episode 1 (e): no durationSeconds"},
		{reason: "a non-MP4 video needs its duration in the manifest", json: `{"network":"N","shows":[{"id":"a","title":"A","episodes":[{"id":"e","title":"x","video":"notes.mkv"}]}]}`, wantErr: "not MP4 or MOV"},
		{reason: "trailing data is refused", json: `{"network":"N","shows":[]} {}`, wantErr: "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			path := filepath.Join(dir, "m.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := publish.LoadManifest(path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LoadManifest error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config", "atomicbox")
	path := filepath.Join(dir, "network.key")
	k1, created, err := publish.LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreateKey = created %v, %v; want a new key", created, err)
	}
	for _, c := range []struct {
		path string
		want os.FileMode
	}{{path, 0o600}, {dir, 0o700}} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != c.want {
			t.Errorf("%s mode %04o, want %04o", c.path, fi.Mode().Perm(), c.want)
		}
	}
	k2, created, err := publish.LoadOrCreateKey(path)
	if err != nil || created || !k1.Equal(k2) {
		t.Errorf("second LoadOrCreateKey = created %v, %v, same key %v; want the stored key", created, err, k1.Equal(k2))
	}

	tests := []struct {
		reason  string
		setup   func(t *testing.T) string
		wantErr string
	}{
		{reason: "a key readable by others is refused", setup: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "k")
			if _, _, err := publish.LoadOrCreateKey(p); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, 0o644)
			return p
		}, wantErr: "can be read by other users (mode 0644)"},
		{reason: "a file that is not a key is refused", setup: func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "k")
			os.WriteFile(p, []byte("hello"), 0o600)
			return p
		}, wantErr: "not a PEM"},
		{reason: "a key path inside a git work tree is refused", setup: func(t *testing.T) string {
			repo := t.TempDir()
			os.Mkdir(filepath.Join(repo, ".git"), 0o755)
			return filepath.Join(repo, "keys", "network.key")
		}, wantErr: "inside the git work tree"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			p := tt.setup(t)
			_, _, err := publish.LoadOrCreateKey(p)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("LoadOrCreateKey error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestOrigin(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 100000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "media"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "media", "e.mp4"), data, 0o644))
	must(os.WriteFile(filepath.Join(dir, ".publish-cache.json"), []byte("{}"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "media", ".e.mp4.tmp-1"), data, 0o644))
	outside := t.TempDir()
	must(os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644))
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "media", "link.mp4")))

	o := publish.NewOrigin(dir, publish.OriginOptions{})
	srv := httptest.NewServer(o)
	defer srv.Close()

	tests := []struct {
		reason     string
		method     string
		path       string
		rangeHdr   string
		wantStatus int
		wantBody   []byte // nil: not checked
		wantHeader map[string]string
	}{
		{reason: "a whole file", method: "GET", path: "/media/e.mp4", wantStatus: 200, wantBody: data, wantHeader: map[string]string{"Content-Type": "video/mp4", "Accept-Ranges": "bytes"}},
		{reason: "a range gets 206 and just those bytes", method: "GET", path: "/media/e.mp4", rangeHdr: "bytes=1000-1999", wantStatus: 206, wantBody: data[1000:2000], wantHeader: map[string]string{"Content-Range": "bytes 1000-1999/100000"}},
		{reason: "an open-ended range", method: "GET", path: "/media/e.mp4", rangeHdr: "bytes=99990-", wantStatus: 206, wantBody: data[99990:]},
		{reason: "a range past the end is 416", method: "GET", path: "/media/e.mp4", rangeHdr: "bytes=200000-200100", wantStatus: 416},
		{reason: "HEAD gives the length and no body", method: "HEAD", path: "/media/e.mp4", wantStatus: 200, wantBody: []byte{}, wantHeader: map[string]string{"Content-Length": "100000"}},
		{reason: "no directory listing", method: "GET", path: "/media/", wantStatus: 404},
		{reason: "no listing of the root", method: "GET", path: "/", wantStatus: 404},
		{reason: "dotfiles are not served", method: "GET", path: "/.publish-cache.json", wantStatus: 404},
		{reason: "the publisher's temp files are not served", method: "GET", path: "/media/.e.mp4.tmp-1", wantStatus: 404},
		{reason: "a symbolic link out of the origin is refused", method: "GET", path: "/media/link.mp4", wantStatus: 404},
		{reason: "missing files are 404", method: "GET", path: "/media/none.mp4", wantStatus: 404},
		{reason: "only GET and HEAD", method: "POST", path: "/media/e.mp4", wantStatus: 405},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.rangeHdr != "" {
				req.Header.Set("Range", tt.rangeHdr)
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
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantBody != nil && !bytes.Equal(body, tt.wantBody) {
				t.Errorf("body is %d bytes, want %d (content differs)", len(body), len(tt.wantBody))
			}
			for k, v := range tt.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}

	// Path traversal on the raw request line (clients clean "..", so speak
	// HTTP by hand).
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	must(err)
	defer conn.Close()
	io.WriteString(conn, "GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	resp, err := io.ReadAll(conn)
	must(err)
	if !bytes.HasPrefix(resp, []byte("HTTP/1.1 404")) && !bytes.HasPrefix(resp, []byte("HTTP/1.1 400")) {
		t.Errorf("traversal answer: %.40q, want 404 or 400", resp)
	}
}

// TestOriginRateLimit measures a 1 MiB transfer at 1 MiB/s.
func TestOriginRateLimit(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 1<<20)
	if err := os.WriteFile(filepath.Join(dir, "big.mp4"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	o := publish.NewOrigin(dir, publish.OriginOptions{RateLimit: 1 << 20})
	srv := httptest.NewServer(o)
	defer srv.Close()
	start := time.Now()
	resp, err := http.Get(srv.URL + "/big.mp4")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil || n != 1<<20 {
		t.Fatalf("read %d bytes, %v", n, err)
	}
	rate := float64(n) / elapsed.Seconds()
	t.Logf("1 MiB at a 1 MiB/s limit took %v (%.0f KiB/s)", elapsed, rate/1024)
	// The cap must hold (upper bound within 15%); a loaded CI machine can
	// only make the transfer slower, so the lower bound is loose.
	if rate > 1.15*(1<<20) || rate < 0.5*(1<<20) {
		t.Errorf("rate %.0f B/s, want at most 1 MiB/s + 15%% (and not below half of it)", rate)
	}

	// The limit is shared: two halves fetched at once still take a second.
	start = time.Now()
	errc := make(chan error, 2)
	for _, rng := range []string{"bytes=0-524287", "bytes=524288-"} {
		go func() {
			req, _ := http.NewRequest("GET", srv.URL+"/big.mp4", nil)
			req.Header.Set("Range", rng)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errc <- err
				return
			}
			defer resp.Body.Close()
			_, err = io.Copy(io.Discard, resp.Body)
			errc <- err
		}()
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	elapsed = time.Since(start)
	rate = float64(1<<20) / elapsed.Seconds()
	t.Logf("two concurrent 512 KiB ranges took %v (%.0f KiB/s in all)", elapsed, rate/1024)
	if rate > 1.15*(1<<20) || rate < 0.5*(1<<20) {
		t.Errorf("shared rate %.0f B/s, want at most 1 MiB/s + 15%% over both responses (and not below half of it)", rate)
	}
	srv.Close() // waits for the handlers, so their last writes are counted
	if got := o.ServedBytes(); got != 2<<20 {
		t.Errorf("ServedBytes = %d, want %d", got, 2<<20)
	}
}

// TestCatalogFromPublishVerifies: the JSON the publisher writes is exactly
// what Parse accepts, with nothing left over (strict decoding both ways).
func TestCatalogFromPublishVerifies(t *testing.T) {
	origin := t.TempDir()
	publishOnce(t, writeManifest(t), origin, "http://127.0.0.1/")
	data, err := os.ReadFile(filepath.Join(origin, catalog.CatalogFile))
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.Parse(data); err != nil {
		t.Errorf("Parse(published) = %v", err)
	}
	if _, err := catalog.Parse(data[:len(data)-3]); !errors.Is(err, catalog.ErrMalformed) {
		t.Errorf("Parse(truncated) = %v, want ErrMalformed", err)
	}
}

// TestRepublishSkipsHashing: media whose size and modification time have
// not changed keeps its torrent without being hashed again; a changed time
// makes the publisher hash it again.
func TestRepublishSkipsHashing(t *testing.T) {
	manifest := writeManifest(t)
	origin := t.TempDir()
	c1 := publishOnce(t, manifest, origin, "http://127.0.0.1/")
	media := filepath.Join(origin, "media", "orbit-s01e02.mp4")
	fi, err := os.Stat(media)
	if err != nil {
		t.Fatal(err)
	}
	// Change the content behind the publisher's back, keeping size and time.
	data, err := os.ReadFile(media)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(media, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(media, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	c2 := publishOnce(t, manifest, origin, "http://127.0.0.1/")
	if a, b := c1.Shows[0].Episodes[1].InfoHash, c2.Shows[0].Episodes[1].InfoHash; a != b {
		t.Errorf("same size and time: info hash %s then %s; want the torrent kept without hashing", a, b)
	}
	later := fi.ModTime().Add(time.Minute)
	if err := os.Chtimes(media, later, later); err != nil {
		t.Fatal(err)
	}
	c3 := publishOnce(t, manifest, origin, "http://127.0.0.1/")
	if a, b := c1.Shows[0].Episodes[1].InfoHash, c3.Shows[0].Episodes[1].InfoHash; a == b {
		t.Errorf("changed time: info hash still %s; want the media hashed again", a)
	}
	if c3.Sequence != 3 {
		t.Errorf("sequence %d after three publishes, want 3", c3.Sequence)
	}
}
