package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/cec"
	"github.com/atomicnetwork/atomicbox/gpio/cec/cectest"
	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/keymap"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/google/go-cmp/cmp"
	"github.com/jonboulle/clockwork"
	pir "periph.io/x/conn/v3/ir"
)

type chanSink chan keys.Event

func (c chanSink) SendKey(ev keys.Event) { c <- ev }

// chanSource delivers the frames the test sends (FramesIR.Frames).
type chanSource chan ir.Frame

func (s chanSource) run(ctx context.Context, emit func(ir.Frame)) error {
	for {
		select {
		case f := <-s:
			emit(f)
		case <-ctx.Done():
			return nil
		}
	}
}

// percentile returns the p-th percentile (nearest rank) of d.
func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[max((len(s)*p+99)/100-1, 0)]
}

func waitKey(t *testing.T, sub <-chan keys.Event) keys.Event {
	t.Helper()
	select {
	case ev := <-sub:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no key event within 5 s")
		return keys.Event{}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCECToKeyStream is the end-to-end path the daemon runs: a User
// Control Pressed on the (fake) /dev/cec0 becomes a key on a channel
// sink, as on the daemon's key stream. It measures the latency over 1000
// presses and drives the TV switch through the HTTP API.
func TestCECToKeyStream(t *testing.T) {
	dev := cectest.NewDevice(cec.AddrPlayback1, 0x1000, nil)
	sink := make(chanSink, 64)
	r, err := New(Config{
		CECDevice: "/dev/cec0",
		OpenCEC:   func(string) (cec.Device, error) { return dev, nil },
		Sink:      sink,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sub <-chan keys.Event = sink
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	dev.WaitConfigured(t)
	const n = 1000
	lat := dev.PressLatencies(t, sub, 0x00, pir.KEY_OK, n)
	t.Logf("CEC -> key sink, %d presses: p50 %v p99 %v max %v", n, percentile(lat, 50), percentile(lat, 99), percentile(lat, 100))
	if p99 := percentile(lat, 99); p99 > 50*time.Millisecond {
		t.Errorf("p99 %v, want under 50 ms", p99)
	}

	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/api/remote/cec/active-source", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("active-source: %s", resp.Status)
	}
	var sent []string
	for len(sent) < 2 {
		select {
		case tx := <-dev.Transmits():
			sent = append(sent, tx.Msg.String())
		case <-time.After(5 * time.Second):
			t.Fatalf("transmitted only %v", sent)
		}
	}
	if diff := cmp.Diff([]string{"40:04", "4f:82:10:00"}, sent); diff != "" {
		t.Errorf("active source frames (-want +got):\n%s", diff)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestMissingDevicesAreNotFatal: a desktop has no /dev/cec0, no input
// directory and no IR edge source; Run logs that and keeps serving.
func TestMissingDevicesAreNotFatal(t *testing.T) {
	dir := t.TempDir()
	var logBuf bytes.Buffer
	r, err := New(Config{
		CECDevice: filepath.Join(dir, "cec0"),
		InputDir:  filepath.Join(dir, "input"),
		IR:        &IRConfig{Chip: "gpiochip0", Line: 17},
		OpenIR: func(IRConfig) (IRSource, error) {
			return nil, fmt.Errorf("%w: no /dev/gpiochip*", ErrNoIRChip)
		},
		Sink: make(chanSink, 8),
		Log:  newLogger(&logBuf),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	want := map[string]string{"cec": "missing", "ir": "missing", "input": "running"}
	waitFor(t, "sources settled", func() bool {
		for _, s := range r.Sources() {
			if want[s.Name] != s.State {
				return false
			}
		}
		return true
	})
	if err := r.ActiveSource(ctx); err != ErrNoCEC {
		t.Errorf("ActiveSource without CEC: %v, want ErrNoCEC", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if !strings.Contains(logBuf.String(), "no HDMI-CEC adapter") {
		t.Errorf("missing CEC not logged: %s", logBuf.String())
	}
}

// irRig runs the IR path on a fake clock with a channel source.
type irRig struct {
	t     *testing.T
	r     *Remote
	clock *clockwork.FakeClock
	src   chanSource
	sink  chanSink
	srv   *httptest.Server
	n     int // frames emitted
}

func newIRRig(t *testing.T) *irRig {
	clock := clockwork.NewFakeClock()
	sink := make(chanSink, 64)
	r, err := New(Config{Sink: sink, Clock: clock, KeymapPath: filepath.Join(t.TempDir(), "keymap.json"), WriteKeymap: writeFile})
	if err != nil {
		t.Fatal(err)
	}
	rig := &irRig{t: t, r: r, clock: clock, src: make(chanSource), sink: sink}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.RunIR(ctx, FramesIR{Frames: rig.src.run, Clock: clock}) }()
	rig.srv = httptest.NewServer(r.Handler())
	t.Cleanup(func() {
		rig.srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunIR: %v", err)
		}
	})
	return rig
}

// frame emits f and waits until the IR path recorded it.
func (g *irRig) frame(f ir.Frame) {
	g.t.Helper()
	g.src <- f
	g.n++
	waitFor(g.t, "frame recorded", func() bool { return len(g.r.Frames()) >= min(g.n, FramesKept) })
}

// press emits one press of code and lets the key go (300 ms later).
func (g *irRig) press(code uint32) {
	g.t.Helper()
	g.frame(ir.Frame{Protocol: ir.NEC, Scancode: code})
	g.clock.Advance(300 * time.Millisecond)
}

func (g *irRig) do(method, path, body string, wantCode int, out any) {
	g.t.Helper()
	req, err := http.NewRequest(method, g.srv.URL+path, strings.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != wantCode {
		g.t.Fatalf("%s %s: %s, want %d", method, path, resp.Status, wantCode)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			g.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
}

// TestIRPath: a frame of a default keymap's code is a press, the key is
// released after the protocol timeout, held keys repeat, and the
// diagnostics view shows the frames.
func TestIRPath(t *testing.T) {
	g := newIRRig(t)
	ok := ir.Frame{Protocol: ir.NEC, Scancode: 0x0043} // car MP3 >||: KEY_OK
	g.frame(ok)
	if ev := waitKey(t, g.sink); ev.Key != pir.KEY_OK || ev.Action != keys.Press || ev.Source != keys.SourceIR {
		t.Fatalf("got %+v, want KEY_OK press from ir", ev)
	}
	if err := g.clock.BlockUntilContext(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	g.clock.Advance(200 * time.Millisecond) // > 110 ms + 25 ms
	if ev := waitKey(t, g.sink); ev.Key != pir.KEY_OK || ev.Action != keys.Release {
		t.Fatalf("got %+v, want KEY_OK release", ev)
	}

	// Held: NEC repeat codes every 108 ms keep it down; autorepeat at 500 ms.
	g.clock.Advance(time.Second)
	g.frame(ok)
	waitKey(t, g.sink)
	for range 6 {
		g.clock.Advance(108 * time.Millisecond)
		g.frame(ir.Frame{Protocol: ir.NEC, Repeat: true})
	}
	if ev := waitKey(t, g.sink); ev.Action != keys.Repeat || ev.Key != pir.KEY_OK {
		t.Fatalf("got %+v, want KEY_OK repeat", ev)
	}
	unknown := ir.Frame{Protocol: ir.RC5, Scancode: 0x1234}
	g.clock.Advance(time.Second)
	g.frame(unknown) // no key: nothing on the sink, but shown in diagnostics
	var got struct{ Frames []FrameRecord }
	g.do("GET", "/api/remote/frames", "", http.StatusOK, &got)
	if len(got.Frames) != 9 {
		t.Fatalf("frames: %d, want 9", len(got.Frames))
	}
	first, last := got.Frames[0], got.Frames[len(got.Frames)-1]
	if first.Protocol != ir.NEC || first.Scancode != "0x0043" || first.Key != pir.KEY_OK || first.Map != "car-mp3-nec" {
		t.Errorf("first frame %+v", first)
	}
	if last.Protocol != ir.RC5 || last.Key != "" {
		t.Errorf("last frame %+v", last)
	}
	for {
		select {
		case ev := <-g.sink:
			if ev.Action == keys.Press {
				t.Errorf("unexpected press %+v", ev)
			}
			continue
		default:
		}
		break
	}
}

// TestLearnThroughAPI drives learn mode as the UI would: start, show the
// prompt, press every key twice, then the new keymap is in force and in
// the file.
func TestLearnThroughAPI(t *testing.T) {
	g := newIRRig(t)
	var st keymap.LearnStatus
	g.do("POST", "/api/remote/learn/start", "", http.StatusOK, &st)
	if st.State != keymap.LearnRunning || st.Prompt != "Press OK on your remote" {
		t.Fatalf("after start: %+v", st)
	}
	g.do("POST", "/api/remote/learn/start", "", http.StatusConflict, nil)
	base := uint32(0x1100) // not in any default map
	for i := range keymap.LearnKeys {
		g.press(base + uint32(i))
		g.do("GET", "/api/remote/learn", "", http.StatusOK, &st)
		if !st.Confirming {
			t.Fatalf("step %d after one press: %+v", i, st)
		}
		if i == 1 {
			g.press(base) // OK's button again: refused
			g.do("GET", "/api/remote/learn", "", http.StatusOK, &st)
			if !strings.Contains(st.Problem, "already OK") {
				t.Fatalf("duplicate not refused: %+v", st)
			}
			g.press(base + uint32(i))
		}
		g.press(base + uint32(i))
	}
	g.do("GET", "/api/remote/learn", "", http.StatusOK, &st)
	if st.State != keymap.LearnDone {
		t.Fatalf("after all keys: %+v", st)
	}
	select {
	case ev := <-g.sink:
		t.Fatalf("a key reached the UI while learning: %+v", ev)
	default:
	}
	g.frame(ir.Frame{Protocol: ir.NEC, Scancode: base + 1})
	if ev := waitKey(t, g.sink); ev.Key != pir.KEY_UP || ev.Action != keys.Press {
		t.Fatalf("learned UP: got %+v", ev)
	}
	var f keymap.File
	g.do("GET", "/api/remote/keymap", "", http.StatusOK, &f)
	if len(f.Maps) != 1 || f.Maps[0].Name != keymap.LearnedMapName || len(f.Maps[0].Entries) != len(keymap.LearnKeys) {
		t.Fatalf("keymap after learning: %+v", f)
	}
	reopened, err := keymap.Open(g.r.cfg.KeymapPath, writeFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f, reopened.File()); diff != "" {
		t.Errorf("file on disk differs (-api +disk):\n%s", diff)
	}
}

func TestKeymapAPI(t *testing.T) {
	g := newIRRig(t)
	tests := []struct {
		reason string
		body   string
		code   int
	}{
		{"valid map", `{"version":1,"defaults":false,"maps":[{"name":"mine","entries":[{"protocol":"nec","scancode":"0x0043","key":"KEY_BACK"}]}]}`, http.StatusNoContent},
		{"unknown key refused", `{"version":1,"maps":[{"name":"x","entries":[{"protocol":"nec","scancode":"0x1","key":"KEY_Q"}]}]}`, http.StatusBadRequest},
		{"not JSON", `keymap`, http.StatusBadRequest},
		{"too large", `{"version":1,"maps":[]}` + strings.Repeat(" ", keymap.MaxFileBytes), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		var out map[string]string
		if tt.code == http.StatusNoContent {
			g.do("PUT", "/api/remote/keymap", tt.body, tt.code, nil)
			continue
		}
		g.do("PUT", "/api/remote/keymap", tt.body, tt.code, &out)
		if out["error"] == "" {
			t.Errorf("%s: no error message", tt.reason)
		}
	}
	if k, ok := g.r.Keymap().Lookup(ir.Code{Protocol: ir.NEC, Scancode: 0x0043}); !ok || k != pir.KEY_BACK {
		t.Errorf("after PUT: %s %v, want KEY_BACK (and refused PUTs changed nothing)", k, ok)
	}
	if _, ok := g.r.Keymap().Lookup(ir.Code{Protocol: ir.NEC, Scancode: 0x0045}); ok {
		t.Error("defaults still used although the PUT turned them off")
	}
	var st keymap.LearnStatus
	g.do("POST", "/api/remote/learn/skip", "", http.StatusConflict, nil) // not learning
	g.do("POST", "/api/remote/learn/start", "", http.StatusOK, &st)
	g.do("POST", "/api/remote/learn/skip", "", http.StatusConflict, nil) // OK cannot be skipped
	g.do("POST", "/api/remote/learn/cancel", "", http.StatusOK, &st)
	if st.State != keymap.LearnCanceled {
		t.Errorf("after cancel: %s", st.State)
	}
	var src struct{ Sources []SourceStatus }
	g.do("GET", "/api/remote/sources", "", http.StatusOK, &src)
	if len(src.Sources) != 3 {
		t.Errorf("sources: %+v", src.Sources)
	}
}

// writeFile saves a keymap without the temp-and-rename dance: these tests
// never cut power.
func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }
