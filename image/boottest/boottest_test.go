package boottest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWait(t *testing.T) {
	ctx := context.Background()
	n := 0
	d, err := Wait(ctx, 10*time.Millisecond, nil, func(context.Context) (string, error) {
		if n++; n < 3 {
			return "", fmt.Errorf("attempt %d", n)
		}
		return "ok", nil
	})
	if d != "ok" || err != nil || n != 3 {
		t.Errorf("Wait = %q, %v after %d attempts; want ok on the third", d, err, n)
	}

	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Wait(tctx, 10*time.Millisecond, nil, func(context.Context) (string, error) { return "", errors.New("refused") })
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("Wait past its deadline = %v, want DeadlineExceeded naming the last attempt", err)
	}
	if e := time.Since(start); e > 2*time.Second {
		t.Errorf("Wait took %v after a 100 ms deadline", e)
	}

	n = 0
	ectx, ecancel := context.WithTimeout(ctx, 2*time.Second) // a broken Wait fails instead of hanging
	defer ecancel()
	_, err = Wait(ectx, 10*time.Millisecond, func() error { return ErrExited }, func(context.Context) (string, error) {
		n++
		return "", errors.New("not yet")
	})
	if !errors.Is(err, ErrExited) || n != 1 {
		t.Errorf("Wait with QEMU gone = %v after %d attempts, want ErrExited after 1", err, n)
	}
}

// TestProcessAlive uses a real child process: alive while it runs, exited
// as an unreaped zombie (the shell has not waited for QEMU yet) and once gone.
func TestProcessAlive(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep: %v", err)
	}
	alive := ProcessAlive("/proc", cmd.Process.Pid)
	if err := alive(); err != nil {
		t.Fatalf("running child: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := alive(); !errors.Is(err, ErrExited) {
		t.Errorf("killed, unreaped child: %v, want ErrExited", err)
	}
	cmd.Wait()
	if err := alive(); !errors.Is(err, ErrExited) {
		t.Errorf("reaped child: %v, want ErrExited", err)
	}
}

func TestConsoleLine(t *testing.T) {
	log := filepath.Join(t.TempDir(), "serial.log")
	if err := os.WriteFile(log, []byte("[    0.000000] Booting Linux on physical CPU 0x0\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			panic(err)
		}
		fmt.Fprint(f, "atomicbox initramfs: board raspberrypi,4-model-b\r\natomicbox initramfs: root /dev/mmcblk0p2 mounted\r\nhostname \"atomicbox\"\r\n")
		f.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := Wait(ctx, 10*time.Millisecond, nil, ConsoleLine(log, regexp.MustCompile(`atomicbox initramfs: root .* mounted`)))
	if err != nil || d != "atomicbox initramfs: root /dev/mmcblk0p2 mounted" {
		t.Errorf("waiting for the root line: %q, %v", d, err)
	}
	d, err = ConsoleLine(log, regexp.MustCompile(`^hostname "(.*)"$`))(ctx)
	if err != nil || d != "atomicbox" {
		t.Errorf("hostname: %q, %v, want atomicbox (carriage return removed)", d, err)
	}
	if _, err := ConsoleLine(log, regexp.MustCompile(`Kernel panic`))(ctx); err == nil {
		t.Error("a line that is not there was found")
	}
}

// box serves what atomicboxd's API would, on loopback, with its bearer token.
func box(t *testing.T, catalog, stats string) string {
	t.Helper()
	mux := http.NewServeMux()
	auth := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer tok" {
				http.Error(w, "pair first", http.StatusUnauthorized)
				return
			}
			fmt.Fprint(w, body)
		}
	}
	mux.HandleFunc("/api/catalog", auth(catalog))
	mux.HandleFunc("/api/stats", auth(stats))
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s.URL
}

func TestAPIChecks(t *testing.T) {
	const good = `{"network":"Demo TV","shows":[{"episodes":[{"id":"garden-s01e01","durationSeconds":8.04}]},{"episodes":[]}]}`
	const stats = `{"torrents":[{"episode":"garden-s01e01","completion":1,"bytesFromPeers":0,"bytesFromWebSeed":0},
		{"episode":"garden-s01e02","completion":0.5}],"total":{"bytesUploaded":123}}`
	for _, tc := range []struct {
		name, catalog string
		check         func(c *Client, url string) Check
		token         string
		wantDetail    string
		wantErr       string
		reason        string
	}{
		{"verified", good, func(c *Client, u string) Check { return JSON(c, u+"/api/catalog", Catalog.Verified) }, "tok",
			"Demo TV / 2 shows", "", "shows and no problem"},
		{"unpaired", good, func(c *Client, u string) Check { return JSON(c, u+"/api/catalog", Catalog.Verified) }, "",
			"", "status 401", "the API refuses an unpaired client"},
		{"refused", `{"network":"Demo TV","problem":"bad signature","shows":[{}]}`,
			func(c *Client, u string) Check { return JSON(c, u+"/api/catalog", Catalog.Verified) }, "tok",
			"", "bad signature", "a catalog with a problem is not verified even with shows"},
		{"empty", `{"network":"Demo TV","shows":[]}`,
			func(c *Client, u string) Check { return JSON(c, u+"/api/catalog", Catalog.Verified) }, "tok",
			"", "no shows", "no shows yet"},
		{"has-episode", good, func(c *Client, u string) Check {
			return JSON(c, u+"/api/catalog", func(c Catalog) (string, error) { return c.HasEpisode("garden-s01e01") })
		}, "tok", "garden-s01e01", "", "listed"},
		{"no-episode", good, func(c *Client, u string) Check {
			return JSON(c, u+"/api/catalog", func(c Catalog) (string, error) { return c.HasEpisode("garden-s01e0") })
		}, "tok", "", "no episode garden-s01e0", "whole ids only (the script grepped for the quoted id)"},
		{"complete", good, func(c *Client, u string) Check {
			return JSON(c, u+"/api/stats", func(s Stats) (string, error) { return s.Complete("garden-s01e01") })
		}, "tok", "", "", "completion 1"},
		{"partial", good, func(c *Client, u string) Check {
			return JSON(c, u+"/api/stats", func(s Stats) (string, error) { return s.Complete("garden-s01e02") })
		}, "tok", "", "completion 0.5", "half there"},
		{"status-any", good, func(c *Client, u string) Check { return c.Status(u+"/api/stats", 0) }, "",
			"401", "", "kernel-test: any answer will do"},
		{"status-want", good, func(c *Client, u string) Check { return c.Status(u+"/api/stats", 401) }, "tok",
			"", "status 200, want 401", "image-test's hello image: gokrazy asks for its password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := box(t, tc.catalog, stats)
			d, err := tc.check(&Client{Token: tc.token}, url)(context.Background())
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want %q (%s)", err, tc.wantErr, tc.reason)
			}
			if d != tc.wantDetail {
				t.Errorf("detail %q, want %q (%s)", d, tc.wantDetail, tc.reason)
			}
		})
	}
}

func TestStatsJudges(t *testing.T) {
	s := Stats{Torrents: []TorrentStats{
		{Episode: "a", Completion: 1, BytesFromPeers: 4096},
		{Episode: "b", Completion: 1, BytesFromPeers: 10, BytesFromWebSeed: 1},
		{Episode: "c", Completion: 1},
	}}
	for _, tc := range []struct {
		name   string
		err    error
		want   bool
		reason string
	}{
		{"peers-only", s.FromPeersOnly("a"), true, "all from the box"},
		{"web-seed-too", s.FromPeersOnly("b"), false, "one byte from the web seed means the box was not the only source"},
		{"nothing-from-peers", s.FromPeersOnly("c"), false, "no bytes at all"},
		{"unknown", s.FromPeersOnly("z"), false, "no torrent"},
		{"not-uploaded", s.Uploaded(), false, "total 0"},
		{"uploaded", Stats{Total: struct {
			BytesUploaded int64 `json:"bytesUploaded"`
		}{1}}.Uploaded(), true, "one byte up"},
		{"kept", s.NotDownloaded("c"), true, "library kept: nothing fetched"},
		{"fetched-again", s.NotDownloaded("a"), false, "peers count"},
		{"fetched-from-web", Stats{Torrents: []TorrentStats{{Episode: "w", BytesFromWebSeed: 1}}}.NotDownloaded("w"), false, "web seed counts"},
	} {
		if (tc.err == nil) != tc.want {
			t.Errorf("%s: %v, want ok=%v (%s)", tc.name, tc.err, tc.want, tc.reason)
		}
	}
}

func TestResumeStored(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		r      Resume
		want   bool
		reason string
	}{
		{"watched", Resume{Watched: true, UpdatedAt: at}, true, "the TV left the player at the end"},
		{"midway", Resume{Seconds: 3, UpdatedAt: at}, true, "a position stored while playing"},
		{"none", Resume{}, false, "never played: the daemon answers zeros"},
		{"undated", Resume{Watched: true}, false, "a record without updatedAt was never stored"},
	} {
		if _, err := tc.r.Stored(); (err == nil) != tc.want {
			t.Errorf("%s: %v, want ok=%v (%s)", tc.name, err, tc.want, tc.reason)
		}
	}
}

func TestSameResume(t *testing.T) {
	const a = `{"seconds":3.5,"durationSeconds":8.04,"updatedAt":"2026-12-06T10:00:00Z"}`
	for _, tc := range []struct {
		before, after string
		ok            bool
		reason        string
	}{
		{a, a + "\n", true, "the same record"},
		{a, `{"updatedAt":"2026-12-06T10:00:00Z","durationSeconds":8.04,"seconds":3.5}`, true, "key order does not matter"},
		{a, `{"seconds":0,"durationSeconds":8.04,"updatedAt":"2026-12-06T10:00:00Z"}`, false, "position lost"},
		{`{"seconds":3.5}`, `{"seconds":3.5}`, false, "no updatedAt: not a stored record"},
		{a, `not json`, false, "garbage after the update"},
	} {
		if err := SameResume([]byte(tc.before), []byte(tc.after)); (err == nil) != tc.ok {
			t.Errorf("SameResume(%s, %s) = %v, want ok=%v (%s)", tc.before, tc.after, err, tc.ok, tc.reason)
		}
	}
}

// coldplugLine is a line as image/coldplug/cmd/coldplug logs it through
// gokrazy (same format string, log timestamp in front).
func coldplugLine(mods []string) string {
	return "2026/12/06 10:00:01 " + fmt.Sprintf("coldplug: %d modules in %v: %v", len(mods), 1234*time.Millisecond, mods)
}

func TestParseColdplugLine(t *testing.T) {
	for _, tc := range []struct {
		line   string
		want   ColdplugLine
		ok     bool
		reason string
	}{
		{coldplugLine([]string{"vc4", "v3d", "cec"}), ColdplugLine{3, []string{"vc4", "v3d", "cec"}}, true, "the service's own format"},
		{coldplugLine(nil), ColdplugLine{N: 0, Modules: []string{}}, true, "nothing loaded"},
		{"2026/12/06 10:00:01 coldplug: some modules failed: vc4: exec format error", ColdplugLine{}, false, "the error line is no summary"},
		{"coldplug: 2 modules in 5ms: [vc4 v3d", ColdplugLine{}, false, "cut off"},
	} {
		got, ok := ParseColdplugLine(tc.line)
		if ok != tc.ok {
			t.Errorf("ParseColdplugLine(%q) ok=%v, want %v (%s)", tc.line, ok, tc.ok, tc.reason)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseColdplugLine(%q) (-want +got):\n%s(%s)", tc.line, diff, tc.reason)
		}
	}
}

// TestColdplugStream: gokrazy's /log never ends; the check must decide on
// the lines it has read instead of waiting for the end.
func TestColdplugStream(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "gokrazy" || p != "pw" {
			http.Error(w, "auth", http.StatusUnauthorized)
			return
		}
		fmt.Fprintln(w, "2026/12/06 10:00:00 coldplug: loading 12 modules")
		mods := []string{"cec", "vc4", "v3d"}
		if r.URL.Query().Get("path") == "/user/partial" {
			mods = []string{"vc4", "cec"}
		}
		fmt.Fprintln(w, coldplugLine(mods))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer s.Close()
	c := &Client{User: "gokrazy:pw", Timeout: 2 * time.Second}
	start := time.Now()
	d, err := c.Coldplug(s.URL+"/log?path=/user/coldplug", "vc4", "v3d")(context.Background())
	if err != nil || d != coldplugLine([]string{"cec", "vc4", "v3d"}) {
		t.Errorf("Coldplug = %q, %v", d, err)
	}
	if e := time.Since(start); e > time.Second {
		t.Errorf("Coldplug took %v: it waited for the stream to end", e)
	}
	c.Timeout = 200 * time.Millisecond
	if _, err := c.Coldplug(s.URL+"/log?path=/user/partial", "vc4", "v3d")(context.Background()); err == nil || !strings.Contains(err.Error(), "did not load") {
		t.Errorf("Coldplug without v3d = %v, want an error naming the line", err)
	}
}

func FuzzParseColdplugLine(f *testing.F) {
	f.Add(coldplugLine([]string{"vc4", "v3d"}))
	f.Fuzz(func(t *testing.T, line string) {
		l, ok := ParseColdplugLine(line)
		if !ok {
			return
		}
		if l.N < 0 {
			t.Fatalf("negative count from %q", line)
		}
		for _, m := range l.Modules {
			if m == "" || strings.ContainsAny(m, " \t\n]") {
				t.Fatalf("module %q from %q", m, line)
			}
		}
		// The service's own rendering of what was parsed parses the same.
		again, ok := ParseColdplugLine(coldplugLine(l.Modules))
		if !ok || !cmp.Equal(again.Modules, l.Modules, cmp.Comparer(func(a, b []string) bool { return strings.Join(a, " ") == strings.Join(b, " ") })) {
			t.Fatalf("round trip of %q: %+v", line, again)
		}
	})
}
