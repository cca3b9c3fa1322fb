package interop

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/lab/bench"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbin"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
)

// client is another BitTorrent implementation driven from its command line.
type client struct {
	name string
	bin  string
	// seed starts seeding torrent whose data is in dir, listening on port.
	// The process runs until ctx ends.
	seed func(ctx context.Context, t *testing.T, torrent, dir string, port int) *proc
	// leech starts downloading torrent into dir, listening on port.
	leech func(ctx context.Context, t *testing.T, torrent, dir string, port int) *proc
	// done returns when the leeching process p has the whole file (or
	// failed, or ctx ended); the caller then compares bytes.
	done func(ctx context.Context, p *proc, file string) error
}

var clients = []client{
	{name: "transmission", bin: "transmission-cli", seed: transmissionSeed, leech: transmissionLeech, done: transmissionDone},
	{name: "aria2", bin: "aria2c", seed: aria2Seed, leech: aria2Leech, done: aria2Done},
}

// The episode: an odd size, so the last piece is short.
const (
	episodeSize = 5<<20 + 12345
	episodeID   = "crowd"
)

func TestInterop(t *testing.T) {
	for _, c := range clients {
		if _, err := exec.LookPath(c.bin); err != nil {
			t.Fatalf("%s is not installed (scripts/setup-debian.sh test installs it): %v", c.bin, err)
		}
	}
	daemon := testbin.Daemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	tracker := NewTracker()
	trackerURL := serve(t, tracker) + "/announce"
	// The origin serves the catalog and the torrents but not the media:
	// every byte must come from the other client.
	var origin http.Handler
	originURL := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/"+publish.MediaDir+"/") {
			http.Error(w, "the origin is down in this test", http.StatusServiceUnavailable)
			return
		}
		origin.ServeHTTP(w, r)
	})) + "/"
	ch, err := bench.PublishChannel(ctx, t.TempDir(), originURL, bench.ChannelOptions{
		Size: episodeSize, DurationSeconds: 10, Trackers: []string{trackerURL}, Seed: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	origin = publish.NewOrigin(ch.Dir, publish.OriginOptions{})
	torrent := filepath.Join(ch.Dir, filepath.FromSlash(ch.Episode.Torrent))
	want := fileSum(t, ch.MediaPath)
	fileName := filepath.Base(ch.MediaPath) // the torrent's file name

	// box starts atomicboxd; a seeding box holds the file from the start
	// (placed in its data dir as a seed box's would be).
	box := func(t *testing.T, seeding bool, peers []string) *bench.Daemon {
		data := t.TempDir()
		if seeding {
			if err := os.MkdirAll(filepath.Join(data, "media"), 0o755); err != nil {
				t.Fatal(err)
			}
			copyFile(t, ch.MediaPath, filepath.Join(data, "media", fileName))
		}
		d, err := bench.StartDaemon(ctx, bench.DaemonConfig{
			Bin: daemon, DataDir: data, APIAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), BTPort: freePort(t),
			Channel: originURL, NetworkKey: ch.PublicKey(), Peers: peers,
			LogPath: filepath.Join(t.TempDir(), "atomicboxd.log"),
			// The box's own extension on: the other clients must ignore it.
			Args: []string{"-push"},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			d.Stop(10 * time.Second)
			if t.Failed() {
				t.Logf("atomicboxd log:\n%s", tail(d.Config().LogPath))
			}
		})
		return d
	}

	for _, c := range clients {
		t.Run(c.name+" seeds, atomicboxd downloads", func(t *testing.T) {
			tracker.Reset()
			dir := t.TempDir()
			copyFile(t, ch.MediaPath, filepath.Join(dir, fileName))
			port := freePort(t)
			p := c.seed(ctx, t, torrent, dir, port)
			defer p.stop(t)
			// Start the box once the client serves the torrent (it has
			// checked its data and announced): a connection made earlier
			// is refused, and the box retries only every 30 s.
			if err := waitAnnounced(ctx, tracker, ch.Episode.InfoHash, p); err != nil {
				t.Fatal(err)
			}
			d := box(t, false, []string{fmt.Sprintf("127.0.0.1:%d", port)})
			wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			if err := d.WaitEpisode(wctx, episodeID, 0); err != nil {
				t.Fatalf("%v\n%s", err, p.log())
			}
			got, err := readAll(wctx, d, "/api/stream/"+episodeID)
			if err != nil {
				t.Fatalf("stream from atomicboxd: %v\n%s log:\n%s", err, c.name, p.log())
			}
			if sha256.Sum256(got) != want || len(got) != episodeSize {
				t.Fatalf("atomicboxd streamed %d bytes that differ from the %d bytes %s seeded", len(got), episodeSize, c.name)
			}
			st, err := d.EpisodeStats(wctx, episodeID)
			if err != nil {
				t.Fatal(err)
			}
			if st.BytesFromPeers < episodeSize || st.BytesFromWebSeed != 0 {
				t.Errorf("stats: %d bytes from peers, %d from the web seed; want >= %d from peers, 0 from the web seed", st.BytesFromPeers, st.BytesFromWebSeed, episodeSize)
			}
		})

		t.Run("atomicboxd seeds, "+c.name+" downloads", func(t *testing.T) {
			tracker.Reset()
			// The client starts first and the box dials it: transmission
			// never dials peers on 127.0.0.0/8 (it counts them as martian
			// addresses) but accepts them.
			dir := t.TempDir()
			port := freePort(t)
			p := c.leech(ctx, t, torrent, dir, port)
			defer p.stop(t)
			if err := waitAnnounced(ctx, tracker, ch.Episode.InfoHash, p); err != nil {
				t.Fatal(err)
			}
			d := box(t, true, []string{fmt.Sprintf("127.0.0.1:%d", port)})
			wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			if err := c.done(wctx, p, filepath.Join(dir, fileName)); err != nil {
				t.Fatal(err)
			}
			if got := fileSum(t, filepath.Join(dir, fileName)); got != want {
				t.Fatalf("%s downloaded a file that differs from what atomicboxd seeded", c.name)
			}
			st, err := d.EpisodeStats(wctx, episodeID)
			if err != nil {
				t.Fatal(err)
			}
			if st.BytesUploaded < episodeSize {
				t.Errorf("atomicboxd reports %d bytes uploaded, want >= %d", st.BytesUploaded, episodeSize)
			}
		})
	}
}

// proc is a client process with its log.
type proc struct {
	cmd     *exec.Cmd
	logPath string
	done    chan error
}

func start(ctx context.Context, t *testing.T, logPath string, name string, args ...string) *proc {
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.Stdin = nil
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{cmd: cmd, logPath: logPath, done: make(chan error, 1)}
	go func() {
		err := cmd.Wait()
		f.Close()
		p.done <- err
	}()
	return p
}

func (p *proc) log() string {
	return fmt.Sprintf("%s log:\n%s", filepath.Base(p.cmd.Path), tail(p.logPath))
}

// stop interrupts the process and waits up to 10 s before killing it.
func (p *proc) stop(t *testing.T) {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	if t.Failed() {
		t.Log(p.log())
	}
}

// transmissionConfig writes a settings.json that keeps transmission on
// loopback: no DHT, LPD, PEX, uTP or port mapping.
func transmissionConfig(t *testing.T, dir string, port int) string {
	cfg := filepath.Join(t.TempDir(), "transmission")
	if err := os.MkdirAll(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	settings := map[string]any{
		"dht-enabled": false, "lpd-enabled": false, "pex-enabled": false, "utp-enabled": false,
		"port-forwarding-enabled": false, "peer-port": port, "peer-port-random-on-start": false,
		"bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1", "rpc-enabled": false,
		"blocklist-enabled": false, "encryption": 0, "download-dir": dir,
		"incomplete-dir-enabled": false, "rename-partial-files": false,
		"ratio-limit-enabled": false, "idle-seeding-limit-enabled": false,
		"speed-limit-up-enabled": false, "speed-limit-down-enabled": false,
		"message-level": 2,
	}
	data, _ := json.Marshal(settings)
	if err := os.WriteFile(filepath.Join(cfg, "settings.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func transmissionArgs(t *testing.T, torrent, dir string, port int) []string {
	return []string{"-g", transmissionConfig(t, dir, port), "-w", dir, "-p", fmt.Sprint(port), "-M", "-D", "-U", "-et", "-B"}
}

func transmissionSeed(ctx context.Context, t *testing.T, torrent, dir string, port int) *proc {
	// No -v: transmission checks the data of a new torrent anyway, and
	// with -v transmission-cli 3.00 may see the torrent paused for the
	// second check and exit at once.
	args := append(transmissionArgs(t, torrent, dir, port), torrent)
	return start(ctx, t, filepath.Join(t.TempDir(), "transmission.log"), "transmission-cli", args...)
}

func transmissionLeech(ctx context.Context, t *testing.T, torrent, dir string, port int) *proc {
	args := append(transmissionArgs(t, torrent, dir, port), torrent)
	return start(ctx, t, filepath.Join(t.TempDir(), "transmission.log"), "transmission-cli", args...)
}

// transmissionDone waits for "Seeding" in the log: transmission-cli keeps
// running after the download.
func transmissionDone(ctx context.Context, p *proc, file string) error {
	for {
		if fi, err := os.Stat(file); err == nil && fi.Size() == episodeSize && strings.Contains(tail(p.logPath), "Seeding") {
			return nil
		}
		select {
		case err := <-p.done:
			p.done <- err
			return fmt.Errorf("transmission-cli exited before the download finished: %v\n%s", err, p.log())
		case <-ctx.Done():
			return fmt.Errorf("transmission-cli did not finish the download: %w\n%s", ctx.Err(), p.log())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func aria2Args(dir string, port int) []string {
	return []string{
		"--dir=" + dir, "--listen-port=" + fmt.Sprint(port), "--enable-dht=false", "--enable-dht6=false",
		"--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
		"--file-allocation=none", "--summary-interval=0", "--console-log-level=warn",
		"--log=-", "--log-level=info", "--bt-tracker-interval=2",
		"--bt-stop-timeout=60", "--no-conf=true", "--auto-save-interval=0",
	}
}

func aria2Seed(ctx context.Context, t *testing.T, torrent, dir string, port int) *proc {
	args := append(aria2Args(dir, port), "--check-integrity=true", "--seed-ratio=0.0", torrent)
	return start(ctx, t, filepath.Join(t.TempDir(), "aria2.log"), "aria2c", args...)
}

func aria2Leech(ctx context.Context, t *testing.T, torrent, dir string, port int) *proc {
	args := append(aria2Args(dir, port), "--seed-time=0", torrent)
	return start(ctx, t, filepath.Join(t.TempDir(), "aria2.log"), "aria2c", args...)
}

// aria2Done waits for aria2c to exit: with --seed-time=0 it does once the
// download is complete.
func aria2Done(ctx context.Context, p *proc, file string) error {
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			return fmt.Errorf("aria2c: %v\n%s", err, p.log())
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("aria2c did not finish the download: %w\n%s", ctx.Err(), p.log())
	}
}

func TestMain(m *testing.M) { testbin.Main(m) }

func serve(t *testing.T, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago:
// the other clients take port numbers, not listeners.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func readAll(ctx context.Context, d *bench.Daemon, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL(path), nil)
	if err != nil {
		return nil, err
	}
	resp, err := d.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func fileSum(t *testing.T, path string) [32]byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

func copyFile(t *testing.T, src, dst string) {
	if err := testmedia.CopyFile(src, dst); err != nil {
		t.Fatal(err)
	}
}

// tail returns the last 4 KiB of a log file.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(data) > 4<<10 {
		data = data[len(data)-4<<10:]
	}
	return string(bytes.TrimSpace(data))
}

// waitAnnounced waits until the client announced the torrent to the
// tracker (it does so once its data is checked), the process exits or ctx
// ends.
func waitAnnounced(ctx context.Context, tr *Tracker, infoHashHex string, p *proc) error {
	raw, err := hex.DecodeString(infoHashHex)
	if err != nil {
		return err
	}
	for tr.Announces(string(raw)) == 0 {
		select {
		case err := <-p.done:
			p.done <- err
			return fmt.Errorf("%s exited: %v\n%s", p.cmd.Path, err, p.log())
		case <-ctx.Done():
			return fmt.Errorf("%s never announced the torrent: %w\n%s", p.cmd.Path, ctx.Err(), p.log())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
