package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/edge"
	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/irtest"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/google/go-cmp/cmp"
	pir "periph.io/x/conn/v3/ir"
)

// TestEdgeToKeys runs the whole IR path on a fake GPIO character device:
// kernel edge records of a car MP3 remote's >|| held for 700 ms (a frame,
// then NEC repeat codes) → gpio/edge → gpio/ir → gpio/tracker → the
// built-in keymap → the sink: KEY_OK press, autorepeats, release.
func TestEdgeToKeys(t *testing.T) {
	ps, err := irtest.Hold(ir.NEC, 0x0043, false, 700*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	evs := edge.EventsFromPulses(ps, time.Second, 0, 18, false)
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() {
		err := edge.WriteEvents(wr, evs)
		wr.Close()
		werr <- err
	}()
	sink := make(chanSink, 64)
	r, err := New(Config{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	err = r.RunIR(context.Background(), EdgeIRFile(rd, edge.Options{Replay: true}))
	if err == nil || err.Error() != "IR source ended" {
		t.Errorf("RunIR at end of capture: %v, want \"IR source ended\"", err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	close(sink)
	var got []string
	for ev := range sink {
		if ev.Source != keys.SourceIR {
			t.Errorf("source %q", ev.Source)
		}
		got = append(got, string(ev.Key)+" "+string(ev.Action))
	}
	// The press is at the end of the first frame (~68 ms), repeats 500 and
	// 625 ms after it (~568, ~693 ms); the last repeat code ends at ~660 ms,
	// so the key is up 135 ms later (~795 ms), before a third repeat (~818 ms).
	want := []string{"KEY_OK press", "KEY_OK repeat", "KEY_OK repeat", "KEY_OK release"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	frames := r.Frames()
	if len(frames) < 2 || frames[0].Key != pir.KEY_OK || frames[0].Scancode != "0x0043" || !frames[1].Repeat {
		t.Errorf("frames: %+v", frames)
	}
}

// TestOpenEdgeIRWithoutGPIO: a machine without /dev/gpiochip* (a desktop,
// CI) gets ErrNoIRChip, which Run treats as "IR off", not as a failure.
func TestOpenEdgeIRWithoutGPIO(t *testing.T) {
	if chips, _ := filepath.Glob("/dev/gpiochip*"); len(chips) > 0 {
		t.Skipf("this machine has GPIO chips %v; the case under test is a machine without", chips)
	}
	_, err := OpenEdgeIR(IRConfig{Line: edge.DefaultLine})
	if !errors.Is(err, ErrNoIRChip) {
		t.Fatalf("OpenEdgeIR: %v, want ErrNoIRChip", err)
	}
	r, err := New(Config{Sink: make(chanSink, 1), IR: &IRConfig{Line: edge.DefaultLine}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, "IR reported missing", func() bool { return r.Sources()[0].State == "missing" })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestMCECaptureToKeys replays the Windows MCE remote capture
// (gpio/edge/testdata/captures/rc6-mce-remote.pulses: RC-6 mode 6A 32-bit
// frames, OK held, then Up with the toggle flipped) through the whole IR
// path into the built-in rc6-mce keymap: KEY_ events come out.
func TestMCECaptureToKeys(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "edge", "testdata", "captures", "rc6-mce-remote.pulses"))
	if err != nil {
		t.Fatal(err)
	}
	pf, err := edge.ReadPulses(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() {
		err := edge.WriteEvents(wr, edge.EventsFromPulses(pf.Pulses, time.Second, 0, edge.DefaultLine, false))
		wr.Close()
		werr <- err
	}()
	sink := make(chanSink, 64)
	r, err := New(Config{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RunIR(context.Background(), EdgeIRFile(rd, edge.Options{Replay: true})); err == nil || err.Error() != "IR source ended" {
		t.Errorf("RunIR at end of capture: %v, want \"IR source ended\"", err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	close(sink)
	var got []string
	for ev := range sink {
		got = append(got, string(ev.Key)+" "+string(ev.Action))
	}
	want := []string{"KEY_OK press", "KEY_OK repeat", "KEY_OK release", "KEY_UP press", "KEY_UP release"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	var frames []string
	for _, fr := range r.Frames() {
		frames = append(frames, fmt.Sprintf("%s %s toggle=%v %s (%s)", fr.Protocol, fr.Scancode, fr.Toggle, fr.Key, fr.Map))
	}
	if len(frames) == 0 || frames[0] != "rc-6-mce 0x800f0422 toggle=false KEY_OK (rc6-mce)" || frames[len(frames)-1] != "rc-6-mce 0x800f041e toggle=true KEY_UP (rc6-mce)" {
		t.Errorf("frames: %q", frames)
	}
}
