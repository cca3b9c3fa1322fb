package tv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
	"github.com/atomicnetwork/atomicbox/ui/daemon"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/screens"
	"periph.io/x/conn/v3/ir"
)

// fakeDaemon implements the few daemon endpoints the UI uses, with real
// HTTP on loopback: catalog, posters (files), streams (ServeContent with
// Range), resume, and an SSE stream fed through Send.
type fakeDaemon struct {
	mu      sync.Mutex
	catalog api.CatalogView
	posters map[string]string // URL path -> file
	streams map[string]string // URL path -> file
	resumes []resumePut
	events  chan api.Event
	streamN int // stream requests served
	rate    int // stream bytes per second; 0 means unthrottled

	// Settings endpoints (appliance/api/settings_types.go and gpio/remote's
	// learn API); nil answers 404, as a daemon without them does.
	settings  *api.SettingsView
	seeding   *api.SeedingView
	learn     *api.LearnStatus
	frames    []daemon.RemoteFrame
	puts      []api.SettingsUpdate
	learnCmds []string
	pairReqs  int
	devices   []api.PairedDevice // GET /api/pair/devices; nil answers 404
	unpaired  []string           // DELETE /api/pair/devices/{id} ids, in order
	pairUntil time.Time          // the pairing code's expiry; zero: two minutes from now

	// Network and Wi-Fi endpoints (appliance/api/network_types.go), for
	// the Wi-Fi radio this machine lacks; nil network answers 404.
	network  *api.NetworkView
	wifiNets []api.WifiNetwork
	joins    []api.WifiJoin
}

// throttled slows reads down to rate bytes per second (a slow swarm).
type throttled struct {
	io.ReadSeeker
	rate int
}

func (r throttled) Read(p []byte) (int, error) {
	chunk := max(r.rate/20, 1)
	if len(p) > chunk {
		p = p[:chunk]
	}
	time.Sleep(50 * time.Millisecond)
	return r.ReadSeeker.Read(p)
}

type resumePut struct {
	Episode string
	api.ResumeUpdate
}

func newFakeDaemon(cv api.CatalogView) *fakeDaemon {
	return &fakeDaemon{catalog: cv, posters: map[string]string{}, streams: map[string]string{}, events: make(chan api.Event, 16)}
}

func (d *fakeDaemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/catalog", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(d.catalog)
	})
	mux.HandleFunc("GET /api/poster/", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		f, ok := d.posters[r.URL.Path]
		d.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, f)
	})
	mux.HandleFunc("GET /api/stream/", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		f, ok := d.streams[r.URL.Path]
		d.streamN++
		rate := d.rate
		d.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		file, err := os.Open(f)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer file.Close()
		st, _ := file.Stat()
		w.Header().Set("Content-Type", "video/mp4")
		var rs io.ReadSeeker = file
		if rate > 0 {
			rs = throttled{file, rate}
		}
		http.ServeContent(w, r, "", st.ModTime(), rs)
	})
	mux.HandleFunc("PUT /api/resume/{id}", func(w http.ResponseWriter, r *http.Request) {
		var u api.ResumeUpdate
		if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&u); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		d.mu.Lock()
		d.resumes = append(d.resumes, resumePut{r.PathValue("id"), u})
		for si := range d.catalog.Shows {
			for ei := range d.catalog.Shows[si].Episodes {
				e := &d.catalog.Shows[si].Episodes[ei]
				if e.ID == r.PathValue("id") {
					// The contract: near the end means watched, resume at 0.
					e.ResumeSeconds, e.Watched = u.Seconds, false
					if screens.Watched(u.Seconds, u.DurationSeconds) {
						e.ResumeSeconds, e.Watched = 0, true
					}
				}
			}
		}
		d.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	d.settingsHandlers(mux)
	d.networkHandlers(mux)
	mux.HandleFunc("GET /api/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fl := w.(http.Flusher)
		io.WriteString(w, ": hello\n\n")
		fl.Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case ev := <-d.events:
				data, _ := json.Marshal(ev)
				fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data)
				fl.Flush()
			}
		}
	})
	return mux
}

func (d *fakeDaemon) Resumes() []resumePut {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]resumePut(nil), d.resumes...)
}

// startXvfb starts a private X server at 1920x1080 on a free display
// number (from :60 up, away from the usual :0 and :99 other tools take)
// and points DISPLAY at it for this test. It fails clearly without Xvfb.
func startXvfb(t testing.TB) { t.Helper(); startXvfbSize(t, 1920, 1080) }

// startXvfbSize is startXvfb with a screen of w x h pixels.
func startXvfbSize(t testing.TB, w, h int) {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatalf("Xvfb is required for screenshot tests (apt-get install xvfb): %v", err)
	}
	var errs []string
	for n := 60 + os.Getpid()%40; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-nolisten", "tcp")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		deadline := time.Now().Add(10 * time.Second)
		ready := false
		for !ready && time.Now().Before(deadline) {
			select {
			case <-exited:
				deadline = time.Now()
				continue
			case <-time.After(50 * time.Millisecond):
			}
			if c, err := net.Dial("unix", sock); err == nil {
				c.Close()
				ready = true
			}
		}
		if !ready {
			cmd.Process.Kill()
			<-exited
			errs = append(errs, fmt.Sprintf(":%d: %s", n, strings.TrimSpace(stderr.String())))
			if len(errs) >= 5 {
				break
			}
			continue
		}
		t.Cleanup(func() {
			cmd.Process.Signal(os.Interrupt) // lets Xvfb remove its lock and socket
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		})
		t.Setenv("DISPLAY", fmt.Sprintf(":%d", n))
		return
	}
	t.Fatalf("could not start Xvfb: %s", strings.Join(errs, "; "))
}

// harness is a running UI against a daemon URL.
type harness struct {
	t      testing.TB
	app    *App
	player *mpv.Player
	done   chan error
	cancel context.CancelFunc
}

const fontsDir = "/usr/share/fonts/truetype/dejavu"

func startUI(t testing.TB, profile mpv.Profile, apiURL string, tweak func(*Config)) *harness {
	t.Helper()
	return startUISized(t, profile, apiURL, 1920, 1080, tweak)
}

// startUISized is startUI with a window of w x h pixels.
func startUISized(t testing.TB, profile mpv.Profile, apiURL string, width, height int, tweak func(*Config)) *harness {
	t.Helper()
	dir := t.TempDir()
	env := mpv.Env{Profile: profile, ConfigDir: filepath.Join(dir, "mpv"), FontsDir: fontsDir, Geometry: fmt.Sprintf("%dx%d+0+0", width, height), Fullscreen: true, AudioOut: "null"}
	if err := mpv.PrepareConfigDir(env.ConfigDir, env.FontsDir); err != nil {
		t.Fatal(err)
	}
	opts, err := mpv.Options(env)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	player, err := mpv.Open(context.Background(), opts, log)
	if err != nil {
		t.Fatal(err)
	}
	client, err := daemon.New(apiURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Daemon: client, Player: player, CacheDir: filepath.Join(dir, "cache"), Log: log, RetryMin: 100 * time.Millisecond, RetryMax: 400 * time.Millisecond}
	if tweak != nil {
		tweak(&cfg)
	}
	app, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, app: app, player: player, done: make(chan error, 1), cancel: cancel}
	go func() { h.done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10 s of cancel")
		}
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		if err := player.Close(cctx); err != nil {
			t.Error(err)
		}
	})
	return h
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// waitState waits for a rendered state for which ok is true.
func (h *harness) waitState(d time.Duration, what string, ok func(probeState) bool) probeState {
	h.t.Helper()
	deadline := time.After(d)
	var last probeState
	for {
		select {
		case st := <-h.app.probe:
			last = st
			if ok(st) {
				return st
			}
		case err := <-h.done:
			h.t.Fatalf("waiting for %s: Run returned %v", what, err)
		case <-deadline:
			h.t.Fatalf("waiting for %s: not within %v; last state: screen=%v loaded=%v offline=%v row=%d col=%d play=%+v",
				what, d, last.model.Screen, last.model.Loaded, last.model.Offline, last.model.Row, last.model.Col, last.model.Play)
		}
	}
}

// key simulates the window keyboard: mpv sees the key and its input.conf
// binding sends it to the UI.
func (h *harness) key(name string) {
	h.t.Helper()
	if err := h.player.Command("keypress", name); err != nil {
		h.t.Fatalf("keypress %s: %v", name, err)
	}
}

// openSettings presses MENU and then DOWN to section sec, one key at a
// time, each once the screen has taken the one before: mpv keeps only 7
// unread keys, and keys sent while the TV is busy (a loaded CI machine)
// were dropped, leaving the menu at About.
func (h *harness) openSettings(sec screens.Section) {
	h.t.Helper()
	h.key("MENU")
	h.waitState(10*time.Second, "Settings", func(st probeState) bool { return st.model.Screen == screens.Settings })
	for i := range sec {
		h.key("DOWN")
		h.waitState(5*time.Second, "the next section", func(st probeState) bool { return st.model.Settings.Section == i+1 })
	}
}

// focusOn presses keys on the home screen and waits until the focused
// card is episode id (show rows start with the show's own card).
func (h *harness) focusOn(id string, keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.key(k)
	}
	h.waitState(5*time.Second, "focus on "+id, func(st probeState) bool {
		ep, ok := st.model.Focused()
		return ok && ep.ID == id && st.model.Screen == screens.Home
	})
}

// reserveAddr returns a loopback address that was free a moment ago.
func reserveAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func startServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() { closeServer(srv) })
	return srv
}

// testPosters makes real poster files (ffmpeg, cached) for every poster
// URL in cv and registers them with d.
func testPosters(t testing.TB, d *fakeDaemon, cv api.CatalogView) {
	t.Helper()
	colors := []string{"0x1f4e79", "0x7a2e39", "0x2e6b4f", "0x6b4a1f", "0x4b2e6b", "0x1f6b6b", "0x6b1f5a", "0x3f3f7a"}
	i := 0
	for _, s := range cv.Shows {
		for _, e := range s.Episodes {
			if e.PosterURL == "" {
				continue
			}
			d.posters[e.PosterURL] = testmedia.PosterImage(t, testmedia.Poster{Title: e.Title, Width: 640, Height: 360, Color: colors[i%len(colors)]})
			i++
		}
	}
}

// httptestAt serves d at addr (a daemon appearing late at a known address).
func httptestAt(t *testing.T, addr string, d *fakeDaemon) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s again: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(d.Handler())
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(func() { closeServer(srv) })
	return srv
}

// closeServer drops open event streams first: Close alone waits for them.
func closeServer(srv *httptest.Server) {
	srv.CloseClientConnections()
	srv.Close()
}

// OSDVisible reports whether the frame shows the player OSD.
func (f frameView) OSDVisible() bool { return f.OSD != "" }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// settingsHandlers implements the settings contract the way the daemon
// will: PUT applies only the fields present and answers the result.
func (d *fakeDaemon) settingsHandlers(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/settings", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.settings == nil {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, 200, d.settings)
	})
	mux.HandleFunc("PUT /api/settings", func(w http.ResponseWriter, r *http.Request) {
		var u api.SettingsUpdate
		if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&u); err != nil {
			writeJSON(w, 400, map[string]string{"error": err.Error()})
			return
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.settings == nil {
			http.NotFound(w, r)
			return
		}
		d.puts = append(d.puts, u)
		if b := u.Bandwidth; b != nil {
			if b.Night.Enabled && b.Night.StartMinute == b.Night.EndMinute {
				writeJSON(w, 400, map[string]string{"error": "bandwidth: the overnight window starts and ends at the same minute; give it a length"})
				return
			}
			d.settings.Bandwidth = *b
		}
		if u.KeepFreePercent != nil {
			d.settings.Storage.KeepFreePercent = *u.KeepFreePercent
		}
		if u.Video != nil {
			d.settings.Video = *u.Video
		}
		if u.Household != nil {
			d.settings.Household = *u.Household
		}
		writeJSON(w, 200, d.settings)
	})
	mux.HandleFunc("GET /api/seeding", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.seeding == nil {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, 200, d.seeding)
	})
	mux.HandleFunc("GET /api/remote/learn", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.learn == nil {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, 200, d.learn)
	})
	mux.HandleFunc("POST /api/remote/learn/{cmd}", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.learn == nil {
			http.NotFound(w, r)
			return
		}
		cmd := r.PathValue("cmd")
		d.learnCmds = append(d.learnCmds, cmd)
		st := d.learn
		switch cmd {
		case "start":
			if st.State == api.LearnRunning {
				writeJSON(w, 409, map[string]string{"error": "learn mode is running already"})
				return
			}
			*st = api.LearnStatus{State: api.LearnRunning, Steps: len(learnKeys), Keys: learnKeys, Key: learnKeys[0],
				Prompt: "Press OK on your remote", SecondsLeft: 30, Learned: []api.LearnedKey{}}
		case "skip":
			if st.State != api.LearnRunning || st.Step == 0 {
				writeJSON(w, 409, map[string]string{"error": "OK cannot be skipped"})
				return
			}
			st.Step++
			st.Key = learnKeys[st.Step]
		case "cancel":
			*st = api.LearnStatus{State: api.LearnCanceled, Steps: len(learnKeys), Keys: learnKeys, Prompt: "Learning was cancelled; the keymap is unchanged.", Learned: []api.LearnedKey{}}
		default:
			http.NotFound(w, r)
			return
		}
		writeJSON(w, 200, st)
	})
	mux.HandleFunc("GET /api/remote/frames", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.learn == nil {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, 200, map[string]any{"frames": d.frames})
	})
	mux.HandleFunc("GET /api/pair/devices", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.devices == nil {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, 200, d.devices)
	})
	mux.HandleFunc("DELETE /api/pair/devices/{id}", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		n := len(d.devices)
		d.devices = slices.DeleteFunc(d.devices, func(p api.PairedDevice) bool { return p.ID == r.PathValue("id") })
		if len(d.devices) == n {
			writeJSON(w, 404, map[string]string{"error": api.ErrNoDevice.Error()})
			return
		}
		d.unpaired = append(d.unpaired, r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /api/pair/request", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.pairReqs++
		until := d.pairUntil
		d.mu.Unlock()
		if until.IsZero() {
			until = time.Now().Add(2 * time.Minute)
		}
		d.events <- api.Event{Type: api.EventPairing, Pairing: &api.PairingEvent{Code: "042917", ExpiresAt: until, URL: "http://192.168.1.20:8080/remote"}}
		writeJSON(w, 202, map[string]any{"expiresAt": time.Now().Add(2 * time.Minute)})
	})
}

// learnKeys are the steps the daemon's learn mode names (gpio/keymap.LearnKeys).
var learnKeys = []ir.Key{ir.KEY_OK, ir.KEY_UP, ir.KEY_DOWN, ir.KEY_LEFT, ir.KEY_RIGHT, ir.KEY_BACK, ir.KEY_PLAYPAUSE, ir.KEY_HOME}

// networkHandlers serves the network contract the way the daemon will:
// a join answers 202 and enters the joining state; the test moves the
// state on with setWifi.
func (d *fakeDaemon) networkHandlers(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/network", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.network == nil {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, 200, d.network)
	})
	mux.HandleFunc("GET /api/wifi/networks", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.network == nil || d.network.Wifi == nil {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, 200, d.wifiNets)
	})
	mux.HandleFunc("POST /api/wifi/join", func(w http.ResponseWriter, r *http.Request) {
		var j api.WifiJoin
		if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&j); err != nil {
			writeJSON(w, 400, map[string]string{"error": err.Error()})
			return
		}
		d.mu.Lock()
		if d.network == nil || d.network.Wifi == nil {
			d.mu.Unlock()
			http.NotFound(w, r)
			return
		}
		d.joins = append(d.joins, j)
		d.network.Wifi = &api.WifiState{State: api.WifiJoining, SSID: j.SSID, Since: time.Now()}
		d.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		d.events <- api.Event{Type: api.EventNetwork}
	})
}

// setWifi moves the fake radio to a state and announces it.
func (d *fakeDaemon) setWifi(online bool, ws api.WifiState, ifcs ...api.InterfaceView) {
	d.mu.Lock()
	ws.Since = time.Now()
	d.network.Online, d.network.Wifi = online, &ws
	if ifcs != nil {
		d.network.Interfaces = ifcs
	}
	d.mu.Unlock()
	d.events <- api.Event{Type: api.EventNetwork}
}
