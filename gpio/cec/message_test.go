package cec

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"
)

func TestParseHex(t *testing.T) {
	tests := []struct {
		reason  string
		in      string
		want    Message
		wantErr bool
	}{
		{reason: "user control pressed from the TV", in: "04:44:01", want: Message{Initiator: 0, Destination: 4, HasOpcode: true, Opcode: 0x44, Operands: []byte{1}}},
		{reason: "a poll is a header alone", in: "40", want: Message{Initiator: 4, Destination: 0}},
		{reason: "broadcast with no operands", in: "0f:85", want: Message{Initiator: 0, Destination: 15, HasOpcode: true, Opcode: 0x85}},
		{reason: "upper-case hex is accepted", in: "0F:86:1A:00", want: Message{Initiator: 0, Destination: 15, HasOpcode: true, Opcode: 0x86, Operands: []byte{0x1a, 0}}},
		{reason: "empty", in: "", wantErr: true},
		{reason: "one digit", in: "4:44", wantErr: true},
		{reason: "not hex", in: "04:zz", wantErr: true},
		{reason: "trailing colon", in: "04:44:", wantErr: true},
		{reason: "17 bytes is longer than a CEC frame", in: "04:47:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseHex(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: ParseHex(%q) error = %v, want error %v", tt.reason, tt.in, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: error %v does not wrap ErrMalformed", tt.reason, err)
			}
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: ParseHex(%q) (-want +got):\n%s", tt.reason, tt.in, diff)
		}
		if s := got.String(); s != lower(tt.in) {
			t.Errorf("%s: String() = %q, want %q", tt.reason, s, lower(tt.in))
		}
	}
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

// FuzzParseMessage: any frame either is refused with ErrMalformed or
// encodes back to the same bytes and survives the hex form.
func FuzzParseMessage(f *testing.F) {
	f.Add([]byte{0x04, 0x44, 0x01})
	f.Add([]byte{0x40})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if got := m.Bytes(); !bytes.Equal(got, b) {
			t.Fatalf("Bytes() = %x, want %x", got, b)
		}
		m2, err := ParseHex(m.String())
		if err != nil {
			t.Fatalf("ParseHex(%q): %v", m.String(), err)
		}
		if !bytes.Equal(m2.Bytes(), b) {
			t.Fatalf("hex round trip %q gave %x", m.String(), m2.Bytes())
		}
		// The handler must not panic on any frame, addressed to us or not.
		h := handler{settings: Settings{OSDName: DefaultOSDName}}
		replies, _ := h.handle(AddrPlayback1, 0x1000, m)
		for _, r := range replies {
			if len(r.Bytes()) > MaxMessageLen {
				t.Fatalf("reply %v longer than a frame", r)
			}
		}
	})
}

// TestUIKeysAreKnown: every key the table sends is in the keys vocabulary
// (that a product acts on all of them is the product's test).
func TestUIKeysAreKnown(t *testing.T) {
	for code, k := range uiKeys {
		if !keys.Known(k) {
			t.Errorf("UI code %#02x maps to %s, which the keys package does not know", code, k)
		}
	}
	for code, want := range map[byte]ir.Key{0x00: ir.KEY_OK, 0x0d: ir.KEY_BACK, 0x20: ir.KEY_0, 0x29: ir.KEY_9, 0x44: ir.KEY_PLAY, 0x46: ir.KEY_PAUSE, 0x71: ir.KEY_BLUE, 0x74: ir.KEY_YELLOW} {
		if got, _ := UIKey(code); got != want {
			t.Errorf("UIKey(%#02x) = %s, want %s", code, got, want)
		}
	}
}

func TestRepeater(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	type step struct {
		ms   int
		op   string // press, release, tick
		key  ir.Key
		want []string
	}
	tests := []struct {
		reason string
		steps  []step
	}{
		{reason: "tap: press and release, no repeat", steps: []step{
			{0, "press", ir.KEY_UP, []string{"0 KEY_UP press"}},
			{120, "release", "", []string{"120 KEY_UP release"}},
			{2000, "tick", "", nil},
		}},
		{reason: "no release: one repeat at 500 ms, key-up at 550 ms", steps: []step{
			{0, "press", ir.KEY_OK, []string{"0 KEY_OK press"}},
			{10000, "tick", "", []string{"500 KEY_OK repeat", "550 KEY_OK release"}},
		}},
		{reason: "held by resent presses: repeats every 125 ms after 500 ms", steps: []step{
			{0, "press", ir.KEY_OK, []string{"0 KEY_OK press"}},
			{450, "press", ir.KEY_OK, nil},
			{900, "press", ir.KEY_OK, []string{"500 KEY_OK repeat", "625 KEY_OK repeat", "750 KEY_OK repeat", "875 KEY_OK repeat"}},
			{1000, "release", "", []string{"1000 KEY_OK repeat", "1000 KEY_OK release"}},
		}},
		{reason: "another key releases the held one first", steps: []step{
			{0, "press", ir.KEY_UP, []string{"0 KEY_UP press"}},
			{100, "press", ir.KEY_DOWN, []string{"100 KEY_UP release", "100 KEY_DOWN press"}},
		}},
		{reason: "a release with nothing held does nothing", steps: []step{
			{0, "release", "", nil},
		}},
	}
	for _, tt := range tests {
		r := newRepeater(DefaultRepeatDelay, DefaultRepeatPeriod, DefaultKeyUpTimeout)
		for _, s := range tt.steps {
			var evs []keys.Event
			switch s.op {
			case "press":
				evs = r.press(at(s.ms), s.key)
			case "release":
				evs = r.release(at(s.ms))
			case "tick":
				evs = r.tick(at(s.ms))
			}
			var got []string
			for _, e := range evs {
				got = append(got, fmt.Sprintf("%d %s %s", e.At.Sub(t0).Milliseconds(), e.Key, e.Action))
				if e.Source != keys.SourceCEC {
					t.Errorf("%s: event source %q, want cec", tt.reason, e.Source)
				}
			}
			if diff := cmp.Diff(s.want, got); diff != "" {
				t.Errorf("%s: at %d ms %s (-want +got):\n%s", tt.reason, s.ms, s.op, diff)
			}
		}
	}
}

// FuzzParseHex: text either is refused with ErrMalformed or formats back
// to itself (lower case).
func FuzzParseHex(f *testing.F) {
	f.Add("04:44:01")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseHex(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if got := m.String(); got != lower(s) {
			t.Fatalf("ParseHex(%q).String() = %q", s, got)
		}
	})
}
