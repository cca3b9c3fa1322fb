// Package cectest is a fake CEC adapter and the recording format of CEC
// sessions (testdata/*.cec) used to test the cec package and its users.
//
// A recording is a text file of lines; '#' starts a comment, blank lines are
// ignored:
//
//	addr <logical> <physical>    our addresses, e.g. "addr 4 1.0.0.0" (default 4 1.0.0.0)
//	<time> rx <frame>            the TV sends frame at time, e.g. "120ms rx 04:44:01"
//	<time> tx <frame>            we transmit frame (an expectation)
//	<time> key <KEY_NAME> <action>  a key event reaches the sink (an expectation)
//
// Times are Go durations since the start of the session ("0s", "120ms",
// "1.5s"). Frames are colon-separated hex bytes as cec-ctl prints them,
// header first: "04:44:01" is TV (0) to playback 1 (4), User Control
// Pressed (0x44), Up (0x01).
package cectest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/cec"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"periph.io/x/conn/v3/ir"
)

// Line is one line of a recording.
type Line struct {
	At      time.Duration
	Dir     string      // "rx", "tx" or "key"
	Msg     cec.Message // rx and tx
	Key     ir.Key      // key
	Action  keys.Action // key
	Comment string      // kept for rx lines when a recording is rewritten
}

// String formats l as a recording line, without its comment.
func (l Line) String() string {
	if l.Dir == "key" {
		return fmt.Sprintf("%v key %s %s", l.At, l.Key, l.Action)
	}
	return fmt.Sprintf("%v %s %s", l.At, l.Dir, l.Msg)
}

// Recording is a parsed recording.
type Recording struct {
	Header      string // the comment lines before the first other line, without "# "
	LogicalAddr cec.LogicalAddr
	PhysAddr    cec.PhysAddr
	Lines       []Line
}

// MaxRecordingBytes bounds what ParseRecording reads.
const MaxRecordingBytes = 1 << 20

// ParseRecording parses the format in the package comment. Errors name the
// line.
func ParseRecording(r io.Reader) (Recording, error) {
	rec := Recording{LogicalAddr: cec.AddrPlayback1, PhysAddr: 0x1000}
	sc := bufio.NewScanner(io.LimitReader(r, MaxRecordingBytes))
	n := 0
	inHeader := true
	for sc.Scan() {
		n++
		text, comment, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(text)
		if len(f) == 0 {
			if inHeader && strings.HasPrefix(strings.TrimSpace(sc.Text()), "#") {
				rec.Header += strings.TrimPrefix(comment, " ") + "\n"
			}
			continue
		}
		inHeader = false
		bad := func(format string, a ...any) (Recording, error) {
			return Recording{}, fmt.Errorf("recording line %d: %s", n, fmt.Sprintf(format, a...))
		}
		if f[0] == "addr" {
			if len(f) != 3 {
				return bad("want \"addr <logical> <a.b.c.d>\"")
			}
			la, err := strconv.ParseUint(f[1], 10, 4)
			if err != nil {
				return bad("logical address %q: %v", f[1], err)
			}
			pa, err := ParsePhysAddr(f[2])
			if err != nil {
				return bad("%v", err)
			}
			rec.LogicalAddr, rec.PhysAddr = cec.LogicalAddr(la), pa
			continue
		}
		if len(f) < 3 {
			return bad("want \"<time> rx|tx|key ...\"")
		}
		at, err := time.ParseDuration(f[0])
		if err != nil || at < 0 {
			return bad("time %q: want a duration such as 120ms", f[0])
		}
		l := Line{At: at, Dir: f[1], Comment: strings.TrimSpace(comment)}
		switch f[1] {
		case "rx", "tx":
			if len(f) != 3 {
				return bad("want one frame")
			}
			if l.Msg, err = cec.ParseHex(f[2]); err != nil {
				return bad("%v", err)
			}
		case "key":
			if len(f) != 4 {
				return bad("want \"<time> key KEY_NAME press|repeat|release\"")
			}
			l.Key, l.Action = ir.Key(f[2]), keys.Action(f[3])
			if err := (keys.Event{Key: l.Key, Action: l.Action}).Validate(); err != nil || l.Action == "" {
				return bad("key event %q %q: %v", f[2], f[3], err)
			}
		default:
			return bad("direction %q: want rx, tx or key", f[1])
		}
		rec.Lines = append(rec.Lines, l)
	}
	if err := sc.Err(); err != nil {
		return Recording{}, fmt.Errorf("recording line %d: %w", n+1, err)
	}
	return rec, nil
}

// ParsePhysAddr parses "1.0.0.0".
func ParsePhysAddr(s string) (cec.PhysAddr, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return 0, fmt.Errorf("physical address %q: want a.b.c.d", s)
	}
	var pa cec.PhysAddr
	for _, p := range parts {
		v, err := strconv.ParseUint(p, 16, 4)
		if err != nil {
			return 0, fmt.Errorf("physical address %q: %v", s, err)
		}
		pa = pa<<4 | cec.PhysAddr(v)
	}
	return pa, nil
}

// Format writes rec in the recording format (ParseRecording reads it back).
func (rec Recording) Format() []byte {
	var b bytes.Buffer
	for _, h := range strings.Split(strings.TrimSuffix(rec.Header, "\n"), "\n") {
		if rec.Header != "" {
			fmt.Fprintf(&b, "# %s\n", h)
		}
	}
	fmt.Fprintf(&b, "addr %d %v\n", rec.LogicalAddr, rec.PhysAddr)
	for _, l := range rec.Lines {
		if l.Comment != "" && l.Dir == "rx" {
			fmt.Fprintf(&b, "%-28s # %s\n", l.String(), l.Comment)
			continue
		}
		fmt.Fprintln(&b, l.String())
	}
	return b.Bytes()
}

// Device is a fake cec.Device: the test injects received frames with
// Inject and reads what was transmitted from Transmits. Safe for concurrent
// use.
type Device struct {
	now   func() time.Time
	claim cec.LogicalAddr
	rx    chan cec.Message
	tx    chan Transmitted

	mu       sync.Mutex
	la       cec.LogicalAddr
	pa       cec.PhysAddr
	settings *cec.Settings
	closed   bool
	failTx   error
}

// Transmitted is one frame the code under test sent.
type Transmitted struct {
	At  time.Time
	Msg cec.Message
}

// NewDevice returns a fake adapter that claims la on Configure and has
// physical address pa. now stamps transmitted frames (nil: time.Now).
func NewDevice(la cec.LogicalAddr, pa cec.PhysAddr, now func() time.Time) *Device {
	if now == nil {
		now = time.Now
	}
	return &Device{now: now, claim: la, la: cec.AddrBroadcast, pa: pa,
		rx: make(chan cec.Message, 64), tx: make(chan Transmitted, 4096)}
}

// Configure implements cec.Device.
func (d *Device) Configure(ctx context.Context, s cec.Settings) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	d.settings = &s
	d.la = d.claim
	return nil
}

// Settings returns what Configure was called with (nil before).
func (d *Device) Settings() *cec.Settings {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.settings
}

// Addresses implements cec.Device.
func (d *Device) Addresses() (cec.LogicalAddr, cec.PhysAddr) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.la, d.pa
}

// SetPhysAddr simulates a replug to another HDMI port.
func (d *Device) SetPhysAddr(pa cec.PhysAddr) {
	d.mu.Lock()
	d.pa = pa
	d.mu.Unlock()
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("cectest: device closed")

// Inject queues m for Receive, as if the TV had sent it. It blocks while 64
// frames are already queued.
func (d *Device) Inject(m cec.Message) { d.rx <- m }

// Receive implements cec.Device.
func (d *Device) Receive(ctx context.Context) (cec.Message, error) {
	select {
	case m := <-d.rx:
		return m, nil
	case <-ctx.Done():
		return cec.Message{}, ctx.Err()
	}
}

// FailTransmits makes every later Transmit return err (nil: succeed).
func (d *Device) FailTransmits(err error) {
	d.mu.Lock()
	d.failTx = err
	d.mu.Unlock()
}

// Transmit implements cec.Device: it records m (also when failing) and
// never blocks.
func (d *Device) Transmit(ctx context.Context, m cec.Message) error {
	d.mu.Lock()
	fail := d.failTx
	d.mu.Unlock()
	select {
	case d.tx <- Transmitted{At: d.now(), Msg: m}:
	default:
		return errors.New("cectest: more than 4096 frames not read from Transmits")
	}
	return fail
}

// Transmits returns the frames transmitted so far, in order, as they are
// sent. Each frame is delivered once.
func (d *Device) Transmits() <-chan Transmitted { return d.tx }

// Close implements cec.Device.
func (d *Device) Close() error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	return nil
}
