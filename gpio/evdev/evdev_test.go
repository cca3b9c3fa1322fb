package evdev

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
	"periph.io/x/conn/v3/ir"
)

func TestEventSizeMatchesKernel(t *testing.T) {
	// struct input_event as x/sys/unix lays out struct timeval for this GOARCH.
	type inputEvent struct {
		Time  unix.Timeval
		Type  uint16
		Code  uint16
		Value int32
	}
	if got := unsafe.Sizeof(inputEvent{}); got != EventSize {
		t.Errorf("sizeof(struct input_event) = %d on this GOARCH, EventSize = %d", got, EventSize)
	}
	if strconv.IntSize == 64 && EventSize != 24 {
		t.Errorf("EventSize = %d on a 64-bit GOARCH, want 24", EventSize)
	}
}

func TestIoctlNumbers(t *testing.T) {
	// Printed by a C program against <linux/input.h> on amd64.
	tests := []struct {
		reason    string
		got, want uintptr
	}{
		{"EVIOCGRAB", ioctlGrab, 0x40044590},
		{"EVIOCGNAME(256)", ioctlName, 0x81004506},
		{"EVIOCGBIT(0, 4)", ioctlEvBits, 0x80044520},
		{"EVIOCGBIT(EV_KEY, 96)", ioctlKeyBit, 0x80604521},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.reason, tt.got, tt.want)
		}
	}
}

func TestDecodeEvents(t *testing.T) {
	evs := []RawEvent{
		{Sec: 1700000000, Usec: 123456, Type: evKey, Code: 103, Value: valuePress},
		{Sec: 1700000000, Usec: 123456, Type: evSyn, Code: 0, Value: 0},
		{Sec: 1700000001, Usec: 5, Type: evKey, Code: 103, Value: valueRelease},
	}
	for _, word := range []int{8, 4} {
		var b []byte
		for _, e := range evs {
			b = append(b, EncodeEvent(e, word)...)
		}
		if len(b) != len(evs)*(2*word+8) {
			t.Fatalf("word %d: encoded %d bytes", word, len(b))
		}
		partial := append(b, 1, 2, 3) // the start of a fourth record
		got, used, err := DecodeEvents(partial, word)
		if err != nil {
			t.Fatal(err)
		}
		if used != len(b) {
			t.Errorf("word %d: used %d bytes, want %d (partial record left)", word, used, len(b))
		}
		if diff := cmp.Diff(evs, got); diff != "" {
			t.Errorf("word %d: (-want +got):\n%s", word, diff)
		}
	}
	if _, _, err := DecodeEvents(nil, 3); err == nil {
		t.Error("word size 3 accepted")
	}
}

// FuzzDecodeEvents: any byte stream decodes without panic, uses whole
// records only, and re-encodes to the bytes it used.
func FuzzDecodeEvents(f *testing.F) {
	f.Add(EncodeEvent(RawEvent{Type: evKey, Code: 103, Value: 1}, 8), true)
	f.Fuzz(func(t *testing.T, b []byte, wide bool) {
		word := 4
		if wide {
			word = 8
		}
		evs, used, err := DecodeEvents(b, word)
		if err != nil {
			t.Fatal(err)
		}
		if used%(2*word+8) != 0 || used > len(b) || used/(2*word+8) != len(evs) {
			t.Fatalf("used %d of %d bytes for %d events", used, len(b), len(evs))
		}
		var re []byte
		for _, e := range evs {
			re = append(re, EncodeEvent(e, word)...)
		}
		if !bytes.Equal(re, b[:used]) {
			t.Fatalf("re-encoding differs")
		}
	})
}

func TestUIKey(t *testing.T) {
	tests := []struct {
		reason string
		code   uint16
		want   ir.Key
		ok     bool
	}{
		{"arrow up", 103, ir.KEY_UP, true},
		{"a remote's OK", 0x160, ir.KEY_OK, true},
		{"a media keyboard's play/pause", 164, ir.KEY_PLAYPAUSE, true},
		{"KEY_PLAYCD from an IR receiver's keymap is play", 200, ir.KEY_PLAY, true},
		{"keypad 5 is 5", 76, ir.KEY_5, true},
		{"numeric 7 from a remote is 7", 0x207, ir.KEY_7, true},
		{"letter A means nothing to the UI", 30, "", false},
		{"mouse left button", 0x110, "", false},
		{"KEY_RECORD is known but unsupported", 167, ir.KEY_RECORD, false},
	}
	// A product's key set: what it acts on.
	tvKeys := map[ir.Key]bool{ir.KEY_UP: true, ir.KEY_OK: true, ir.KEY_PLAYPAUSE: true, ir.KEY_PLAY: true, ir.KEY_5: true, ir.KEY_7: true}
	for _, tt := range tests {
		got, ok := UIKey(tt.code, tvKeys)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("%s: UIKey(%d) = %s, %v; want %s, %v", tt.reason, tt.code, got, ok, tt.want, tt.ok)
		}
	}
}

// chanSink delivers events on a channel.
type chanSink chan keys.Event

func (c chanSink) SendKey(ev keys.Event) { c <- ev }

// fakeInput stands in for /dev/input: FIFOs that the test writes
// input_event records into.
type fakeInput struct {
	t       *testing.T
	dir     string
	staging string
	writers map[string]*os.File
}

func newFakeInput(t *testing.T) *fakeInput {
	root := t.TempDir()
	fi := &fakeInput{t: t, dir: filepath.Join(root, "input"), staging: filepath.Join(root, "staging"), writers: map[string]*os.File{}}
	for _, d := range []string{fi.dir, fi.staging} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return fi
}

// plug creates eventN: a FIFO made beside the directory, opened for
// writing, then renamed in (as devtmpfs makes a node appear at once).
func (fi *fakeInput) plug(name string) {
	fi.t.Helper()
	tmp := filepath.Join(fi.staging, name)
	if err := unix.Mkfifo(tmp, 0o600); err != nil {
		fi.t.Fatal(err)
	}
	w, err := os.OpenFile(tmp, os.O_RDWR, 0) // RDWR: opening does not wait for a reader
	if err != nil {
		fi.t.Fatal(err)
	}
	fi.writers[name] = w
	if err := os.Rename(tmp, filepath.Join(fi.dir, name)); err != nil {
		fi.t.Fatal(err)
	}
}

// unplug removes the node and closes the writer (the reader sees EOF, as
// it sees ENODEV from a real device). In that order: a FIFO left without a
// writer would block whoever opens it, which no real device node does.
func (fi *fakeInput) unplug(name string) {
	fi.t.Helper()
	if err := os.Remove(filepath.Join(fi.dir, name)); err != nil {
		fi.t.Fatal(err)
	}
	fi.writers[name].Close()
	delete(fi.writers, name)
}

func (fi *fakeInput) key(name string, code uint16, value int32) {
	fi.t.Helper()
	var b []byte
	b = append(b, EncodeEvent(RawEvent{Sec: 1, Type: evKey, Code: code, Value: value}, wordSize)...)
	b = append(b, EncodeEvent(RawEvent{Sec: 1, Type: evSyn}, wordSize)...)
	if _, err := fi.writers[name].Write(b); err != nil {
		fi.t.Fatal(err)
	}
}

func (fi *fakeInput) probe(path string, f *os.File) (Info, error) {
	switch filepath.Base(path) {
	case "event0":
		return Info{Name: "Logitech USB Keyboard", HasKeys: true}, nil
	case "event1":
		return Info{Name: "PixArt USB Optical Mouse"}, nil
	case "event2":
		return Info{Name: "Media Center Ed. eHome Infrared Remote Transceiver", HasKeys: true}, nil
	}
	return Info{}, errors.New("unknown fake device")
}

func want(t *testing.T, sink chanSink, key ir.Key, action keys.Action, src keys.Source) {
	t.Helper()
	select {
	case ev := <-sink:
		if ev.Key != key || ev.Action != action || ev.Source != src {
			t.Fatalf("got %s %s from %s, want %s %s from %s", ev.Key, ev.Action, ev.Source, key, action, src)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no event within 5 s, want %s %s", key, action)
	}
}

func waitDevices(t *testing.T, r *Reader, want []string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got []string
		for _, d := range r.Devices() {
			got = append(got, filepath.Base(d.Path))
		}
		if cmp.Equal(want, got) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("devices %v, want %v", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHotplug: a keyboard present at start, a mouse that is ignored, a
// USB IR receiver plugged in later, the keyboard unplugged with a key
// held (released for the UI) and plugged in again.
func TestHotplug(t *testing.T) {
	fi := newFakeInput(t)
	fi.plug("event0")
	fi.plug("event1")
	sink := make(chanSink, 64)
	grabbed := make(chan string, 8)
	r := New(Config{Dir: fi.dir, Sink: sink, Probe: fi.probe, Grab: true, Rescan: time.Hour,
		GrabFunc: func(path string, f *os.File) error { grabbed <- filepath.Base(path); return nil }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	fi.key("event0", 103, valuePress)
	want(t, sink, ir.KEY_UP, keys.Press, keys.SourceKeyboard)
	fi.key("event0", 103, valueRepeat)
	want(t, sink, ir.KEY_UP, keys.Repeat, keys.SourceKeyboard)
	fi.key("event0", 103, valueRelease)
	want(t, sink, ir.KEY_UP, keys.Release, keys.SourceKeyboard)
	fi.key("event0", 30, valuePress) // 'a': nothing
	fi.key("event0", 30, valueRelease)
	waitDevices(t, r, []string{"event0"})

	fi.plug("event2") // found through inotify (the rescan interval is an hour)
	fi.key("event2", 0x160, valuePress)
	want(t, sink, ir.KEY_OK, keys.Press, keys.SourceIR)
	fi.key("event2", 0x160, valueRelease)
	want(t, sink, ir.KEY_OK, keys.Release, keys.SourceIR)
	waitDevices(t, r, []string{"event0", "event2"})

	fi.key("event0", 108, valuePress)
	want(t, sink, ir.KEY_DOWN, keys.Press, keys.SourceKeyboard)
	fi.unplug("event0")
	want(t, sink, ir.KEY_DOWN, keys.Release, keys.SourceKeyboard)
	waitDevices(t, r, []string{"event2"})

	fi.plug("event0")
	fi.key("event0", 28, valuePress)
	want(t, sink, ir.KEY_ENTER, keys.Press, keys.SourceKeyboard)
	waitDevices(t, r, []string{"event0", "event2"})

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	close(grabbed)
	var g []string
	for name := range grabbed {
		g = append(g, name)
	}
	if diff := cmp.Diff([]string{"event0", "event2", "event0"}, g); diff != "" {
		t.Errorf("grabbed (-want +got):\n%s", diff)
	}
	select {
	case ev := <-sink:
		if ev.Key != ir.KEY_ENTER || ev.Action != keys.Release {
			t.Errorf("after shutdown: %+v, want only the release of the held ENTER", ev)
		}
	default:
		t.Error("ENTER held at shutdown was not released")
	}
	select {
	case ev := <-sink:
		t.Errorf("unexpected event %+v", ev)
	default:
	}
}

// TestMissingDir: no /dev/input at all is not an error; the directory
// appearing later is picked up by the rescan.
func TestMissingDir(t *testing.T) {
	fi := newFakeInput(t)
	os.Remove(fi.dir)
	sink := make(chanSink, 8)
	r := New(Config{Dir: fi.dir, Sink: sink, Probe: fi.probe, Rescan: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	if err := os.Mkdir(fi.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fi.plug("event0")
	fi.key("event0", 164, valuePress)
	want(t, sink, ir.KEY_PLAYPAUSE, keys.Press, keys.SourceKeyboard)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestInputLatency measures write-to-sink latency of key events through a
// FIFO standing in for an input device (500 presses; the figure is logged).
func TestInputLatency(t *testing.T) {
	fi := newFakeInput(t)
	fi.plug("event0")
	sink := make(chanSink, 8)
	r := New(Config{Dir: fi.dir, Sink: sink, Probe: fi.probe, Rescan: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	const n = 500
	var lat []time.Duration
	for range n {
		start := time.Now()
		fi.key("event0", 0x160, valuePress)
		want(t, sink, ir.KEY_OK, keys.Press, keys.SourceKeyboard)
		lat = append(lat, time.Since(start))
		fi.key("event0", 0x160, valueRelease)
		want(t, sink, ir.KEY_OK, keys.Release, keys.SourceKeyboard)
	}
	slices.Sort(lat)
	p50, p99 := lat[n/2-1], lat[n*99/100-1]
	t.Logf("input event -> sink over %d presses: p50 %v p99 %v max %v", n, p50, p99, lat[n-1])
	if p99 > 50*time.Millisecond {
		t.Errorf("p99 %v, want under 50 ms", p99)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
