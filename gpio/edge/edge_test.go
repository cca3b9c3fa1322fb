package edge

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/irtest"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/atomicnetwork/atomicbox/gpio/tracker"
)

const ms = time.Millisecond

// TestABI pins the kernel structures and ioctl numbers. The sizes are also
// checked at compile time, so `GOARCH=arm64 go vet` checks them for the Pi.
func TestABI(t *testing.T) {
	tests := []struct {
		reason    string
		got, want uintptr
	}{
		{"sizeof(struct gpio_v2_line_event)", unsafe.Sizeof(LineEvent{}), 48},
		{"gpio_v2_line_event.id offset", unsafe.Offsetof(LineEvent{}.ID), 8},
		{"gpio_v2_line_event.seqno offset", unsafe.Offsetof(LineEvent{}.Seqno), 16},
		{"gpio_v2_line_event.line_seqno offset", unsafe.Offsetof(LineEvent{}.LineSeqno), 20},
		{"sizeof(struct gpio_v2_line_attribute)", unsafe.Sizeof(lineAttribute{}), 16},
		{"sizeof(struct gpio_v2_line_config_attribute)", unsafe.Sizeof(lineConfigAttribute{}), 24},
		{"sizeof(struct gpio_v2_line_config)", unsafe.Sizeof(lineConfig{}), 272},
		{"sizeof(struct gpio_v2_line_request)", unsafe.Sizeof(lineRequest{}), 592},
		{"gpio_v2_line_request.config offset", unsafe.Offsetof(lineRequest{}.Config), 288},
		{"gpio_v2_line_request.num_lines offset", unsafe.Offsetof(lineRequest{}.NumLines), 560},
		{"gpio_v2_line_request.event_buffer_size offset", unsafe.Offsetof(lineRequest{}.EventBufferSize), 564},
		{"gpio_v2_line_request.fd offset", unsafe.Offsetof(lineRequest{}.Fd), 588},
		{"sizeof(struct gpiochip_info)", unsafe.Sizeof(chipInfo{}), 68},
		{"GPIO_V2_GET_LINE_IOCTL (arm64 and amd64)", gpioV2GetLineIoctl, 0xC250B407},
		{"GPIO_GET_CHIPINFO_IOCTL (arm64 and amd64)", gpioGetChipInfoIoctl, 0x8044B401},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.reason, tt.got, tt.want)
		}
	}
	req := newLineRequest(Line{Offset: 18})
	if req.Offsets[0] != 18 || req.NumLines != 1 || req.EventBufferSize != 1024 ||
		req.Config.Flags != lineFlagInput|lineFlagEdgeRising|lineFlagEdgeFalling|lineFlagBiasPullUp ||
		cstr(req.Consumer[:]) != "atomicbox-ir" {
		t.Errorf("line request = %+v, want line 18, both edges, pull-up, input, 1024 events", req)
	}
}

func TestEventRoundTrip(t *testing.T) {
	e := LineEvent{TimestampNs: 123456789012, ID: EventFalling, Offset: 18, Seqno: 7, LineSeqno: 7}
	b, _ := e.MarshalBinary()
	got, err := parseEvent(b)
	if err != nil || got != e {
		t.Errorf("parseEvent(MarshalBinary(%+v)) = %+v, %v", e, got, err)
	}
	b[8] = 3
	if _, err := parseEvent(b); err == nil {
		t.Errorf("event id 3 accepted")
	}
}

// collect runs src over a sink that records key events.
type result struct {
	events []tracker.Event
	stats  Stats
	err    error
}

// replay writes evs into a pipe (the fake character device) from a
// goroutine, closes it, and runs the whole path in replay mode.
func replay(t *testing.T, evs []LineEvent, cfg tracker.Config) result {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() {
		err := WriteEvents(w, evs)
		w.Close()
		werr <- err
	}()
	var got []tracker.Event
	stats, err := Run(context.Background(), r, Options{Replay: true}, cfg, func(ev tracker.Event, _ time.Time) {
		got = append(got, ev)
	})
	if err := <-werr; err != nil {
		t.Errorf("writing fake events: %v", err)
	}
	return result{got, stats, err}
}

func hold(t *testing.T, p ir.Protocol, sc uint32, toggle bool, d time.Duration) []ir.Pulse {
	t.Helper()
	ps, err := irtest.Hold(p, sc, toggle, d)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestSourceDrops(t *testing.T) {
	ok := ir.Code{Protocol: ir.NEC, Scancode: 0x0408}
	back := ir.Code{Protocol: ir.NEC, Scancode: 0x0428}
	gap := ir.Pulse{Duration: irtest.Gap}
	var ps []ir.Pulse
	ps = append(ps, gap)
	ps = append(ps, hold(t, ir.NEC, ok.Scancode, false, 0)...)
	ps = append(ps, ir.Pulse{Duration: 300 * ms})
	ps = append(ps, hold(t, ir.NEC, back.Scancode, false, 0)...)
	ps = append(ps, ir.Pulse{Duration: 300 * ms})
	ps = append(ps, hold(t, ir.NEC, ok.Scancode, false, 0)...)
	ps = append(ps, gap)
	evs := EventsFromPulses(ps, time.Hour, 0, 18, false)
	per := len(evs) / 3 // edges per frame: 68

	clean := replay(t, evs, tracker.Config{})
	if clean.err != nil {
		t.Fatal(clean.err)
	}
	// Drop 5 edges from the middle of the second frame, as a kernel buffer
	// overrun does: the sequence numbers show the gap.
	dropped := append(append([]LineEvent(nil), evs[:per+20]...), evs[per+25:]...)
	lossy := replay(t, dropped, tracker.Config{})
	if lossy.err != nil {
		t.Fatal(lossy.err)
	}
	codes := func(evs []tracker.Event) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.Code.String()+" "+string(e.Action))
		}
		return out
	}
	want := []string{"nec:0x0408 press", "nec:0x0408 release", "nec:0x0428 press", "nec:0x0428 release", "nec:0x0408 press", "nec:0x0408 release"}
	if diff := cmp.Diff(want, codes(clean.events)); diff != "" {
		t.Errorf("clean capture (-want +got):\n%s", diff)
	}
	want = []string{"nec:0x0408 press", "nec:0x0408 release", "nec:0x0408 press", "nec:0x0408 release"}
	if diff := cmp.Diff(want, codes(lossy.events)); diff != "" {
		t.Errorf("capture with 5 dropped edges: the damaged frame is lost, no other (-want +got):\n%s", diff)
	}
	if clean.stats.Dropped != 0 || clean.stats.Resets != 0 {
		t.Errorf("clean capture stats %+v, want no drops", clean.stats)
	}
	if lossy.stats.Dropped != 5 || lossy.stats.Resets != 1 {
		t.Errorf("lossy capture stats %+v, want Dropped 5, Resets 1", lossy.stats)
	}
	if clean.events[0].At != irtest.Length(ir.MustEncode(ir.NEC, 0x0408, false)) {
		t.Errorf("first press at %v, want the frame's last edge %v after the first edge", clean.events[0].At, irtest.Length(ir.MustEncode(ir.NEC, 0x0408, false)))
	}
}

// TestSourceLive runs the source with deadlines: nothing closes the fake
// device, so the idle timeout and the release must come from the clock.
func TestSourceLive(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ps := append([]ir.Pulse{{Duration: irtest.Gap}}, hold(t, ir.RC5, 0x0010, true, 0)...)
	evs := EventsFromPulses(ps, 10*time.Second, 41, 18, false)
	last := time.Duration(evs[len(evs)-1].TimestampNs)
	var now atomic.Int64           // the fake CLOCK_MONOTONIC
	now.Store(int64(last + 20*ms)) // the frame is over; the idle timeout is due
	opt := Options{Now: func() time.Duration { return time.Duration(now.Load()) }}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan tracker.Event, 10)
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, r, opt, tracker.Config{}, func(ev tracker.Event, wall time.Time) {
			if wall.IsZero() {
				ev.Action = "zero wall time"
			}
			got <- ev
		})
		done <- err
	}()
	if err := WriteEvents(w, evs); err != nil {
		t.Fatal(err)
	}
	code := ir.Code{Protocol: ir.RC5, Scancode: 0x0010}
	first := evs[0].TimestampNs
	if e := <-got; e.Code != code || e.Action != keys.Press || e.At != last-time.Duration(first) {
		t.Errorf("first event %+v, want press of %v at %v", e, code, last-time.Duration(first))
	}
	now.Store(int64(last + time.Second)) // the release is due; the read deadline wakes the source
	select {
	case e := <-got:
		if e.Action != keys.Release {
			t.Errorf("second event %+v, want release", e)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("no release within 5 s of wall time")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel = %v, want context.Canceled", err)
	}
}

func TestOpenWithoutChip(t *testing.T) {
	tests := []struct {
		reason string
		line   Line
	}{
		{"no gpiochip nodes: the default labels are not found", Line{DevDir: t.TempDir(), Offset: DefaultLine}},
		{"a chip asked for by name that is not there", Line{DevDir: t.TempDir(), Chip: "gpiochip4", Offset: DefaultLine}},
		{"a chip path that does not exist", Line{Chip: filepath.Join(t.TempDir(), "gpiochip0"), Offset: DefaultLine}},
	}
	for _, tt := range tests {
		if f, _, err := Open(tt.line); err == nil {
			f.Close()
			t.Errorf("%s: Open succeeded", tt.reason)
		}
	}
}
