package ir_test

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/irtest"
)

// decodeAll feeds ps followed by a long space to a fresh multi-protocol
// decoder, as a live edge source does (irtest.Feed), and returns the frames.
func decodeAll(ps []ir.Pulse) []ir.Frame {
	return irtest.Feed(ir.NewDecoder(), append(ps, ir.Pulse{Duration: irtest.Gap}))
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		reason   string
		proto    ir.Protocol
		scancode uint32
		toggle   bool
	}{
		{"NEC address 0x04 command 0x08 (LG-style)", ir.NEC, 0x0408, false},
		{"NEC all zero bits", ir.NEC, 0x0000, false},
		{"NEC all one bits", ir.NEC, 0xffff, false},
		{"NECX 16-bit address", ir.NECX, 0x7b8012, false},
		{"NECX address with low inverse byte", ir.NECX, 0x000012, false},
		{"NEC32 Apple-style", ir.NEC32, 0x87ee0a05, false},
		{"NEC32 all ones", ir.NEC32, 0xffffffff, false},
		{"Samsung32 TV power", ir.Samsung32, 0x0702, false},
		{"RC-5 system 0 command 0x0c", ir.RC5, 0x000c, false},
		{"RC-5 extended command (S2 = 0)", ir.RC5, 0x1f7f, true},
		{"RC-5 toggle set", ir.RC5, 0x0501, true},
		{"RC-6 mode 0 MCE-style", ir.RC6_0, 0x800f, true},
		{"RC-6 mode 0 zero", ir.RC6_0, 0x0000, false},
		{"RC-6 mode 0 ones", ir.RC6_0, 0xffff, true},
		{"RC-6 MCE OK key", ir.RC6_MCE, 0x800f0422, false},
		{"RC-6 MCE OK key, toggle (bit 15) set", ir.RC6_MCE, 0x800f0422, true},
		{"RC-6 MCE Zotac customer code", ir.RC6_MCE, 0x80347fff, true},
		{"RC-6 MCE Kathrein customer code", ir.RC6_MCE, 0x80460000, false},
		{"Sony 12 TV power", ir.SIRC12, 0x010015, false},
		{"Sony 12 all ones", ir.SIRC12, 0x1f007f, false},
		{"Sony 15 8-bit device", ir.SIRC15, 0x970034, false},
		{"Sony 20 with subdevice", ir.SIRC20, 0x1a4b2c, false},
		{"Sony 20 zero", ir.SIRC20, 0x000000, false},
	}
	for _, tt := range tests {
		ps, err := ir.Encode(tt.proto, tt.scancode, tt.toggle)
		if err != nil {
			t.Errorf("%s: Encode: %v", tt.reason, err)
			continue
		}
		in := append([]ir.Pulse{{Duration: irtest.Gap}}, ps...)
		if tt.proto == ir.SIRC12 || tt.proto == ir.SIRC15 { // such a Sony frame counts when its copy confirms it
			in = append(in, ir.Pulse{Duration: ir.Period(tt.proto) - irtest.Length(ps)})
			in = append(in, ps...)
		}
		want := []ir.Frame{{Protocol: tt.proto, Scancode: tt.scancode, Toggle: tt.toggle,
			At: irtest.Length(in)}}
		got := decodeAll(in)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: decode (-want +got):\n%s", tt.reason, diff)
		}
	}
}

func TestDecoderFor(t *testing.T) {
	tests := []struct {
		reason string
		protos []ir.Protocol
		send   ir.Protocol
		want   bool
	}{
		{"NEC enabled decodes NEC", []ir.Protocol{ir.NEC}, ir.NEC, true},
		{"only NECX enabled: a plain NEC frame is not returned", []ir.Protocol{ir.NECX}, ir.NEC, false},
		{"RC-5 alone", []ir.Protocol{ir.RC5}, ir.RC5, true},
		{"Sony not enabled", []ir.Protocol{ir.RC5, ir.NEC}, ir.SIRC12, false},
	}
	for _, tt := range tests {
		ps := ir.MustEncode(tt.send, 0x0001, false)
		in := append([]ir.Pulse{{Duration: irtest.Gap}}, ps...)
		in = append(append(in, ir.Pulse{Duration: ir.Period(tt.send) - irtest.Length(ps)}), ps...)
		d := ir.NewDecoderFor(tt.protos...)
		got := false
		for _, p := range append(in, ir.Pulse{Duration: irtest.Gap}) {
			if f, ok := d.Feed(p); ok && f.Protocol == tt.send && f.Scancode == 0x0001 {
				got = true
			}
		}
		if got != tt.want {
			t.Errorf("%s: decoded %v, want %v", tt.reason, got, tt.want)
		}
	}
	// RC-5 0x0040 with marks 200 us long reads as Sony 12 0x1f007f too: with
	// Sony enabled the header protocol wins, with RC-5 alone it decodes.
	ps := irtest.Bias(ir.MustEncode(ir.RC5, 0x0040, false), 200*time.Microsecond)
	for _, c := range []struct {
		protos []ir.Protocol
		want   bool
	}{{ir.Protocols, false}, {[]ir.Protocol{ir.RC5}, true}} {
		d := ir.NewDecoderFor(c.protos...)
		got := false
		for _, p := range append(append([]ir.Pulse{{Duration: irtest.Gap}}, ps...), ir.Pulse{Duration: irtest.Gap}) {
			if f, ok := d.Feed(p); ok && f.Protocol == ir.RC5 && f.Scancode == 0x0040 {
				got = true
			}
		}
		if got != c.want {
			t.Errorf("biased RC-5 0x0040 with %v enabled: decoded %v, want %v", c.protos, got, c.want)
		}
	}
}

func TestNECRepeat(t *testing.T) {
	ps := append([]ir.Pulse{{Duration: irtest.Gap}}, ir.NECRepeat()...)
	want := []ir.Frame{{Protocol: ir.NEC, Repeat: true, At: irtest.Length(ps)}}
	if diff := cmp.Diff(want, decodeAll(ps)); diff != "" {
		t.Errorf("repeat code (-want +got):\n%s", diff)
	}
}

func TestEncodeRefuses(t *testing.T) {
	tests := []struct {
		reason   string
		proto    ir.Protocol
		scancode uint32
	}{
		{"NEC is 16 bits", ir.NEC, 0x10000},
		{"NECX whose address bytes are inverses is plain NEC", ir.NECX, 0x04fb08},
		{"NEC32 whose command bytes are inverses is NEC or NECX", ir.NEC32, 0x00fff708},
		{"RC-5 system is 5 bits", ir.RC5, 0x2001},
		{"RC-5 command is 7 bits", ir.RC5, 0x0080},
		{"RC-6 mode 0 is 16 bits", ir.RC6_0, 0x10000},
		{"Sony 12 device is 5 bits", ir.SIRC12, 0x200001},
		{"Sony 15 has no subdevice", ir.SIRC15, 0x010101},
		{"RC-6 MCE bit 15 is the toggle", ir.RC6_MCE, 0x800f8422},
		{"RC-6 MCE needs an MCE customer code", ir.RC6_MCE, 0x80100422},
		{"Sony command is 7 bits", ir.SIRC20, 0x000080},
		{"unknown protocol", ir.Protocol("rc-mm"), 1},
	}
	for _, tt := range tests {
		if _, err := ir.Encode(tt.proto, tt.scancode, false); !errors.Is(err, ir.ErrScancode) {
			t.Errorf("%s: Encode(%s, %#x) = %v, want ErrScancode", tt.reason, tt.proto, tt.scancode, err)
		}
	}
}

// stats counts what a decoder made of a generated stream.
type stats struct {
	frames, decoded, wrong, missed, glitched int // glitched counts damaged copies
}

// run sends n random frames of p through one multi-protocol decoder, each
// frame alone between gaps, after applying distort to it, and compares
// every decoded frame with the one sent. glitch is the fraction of frames
// damaged with irtest.Glitch; damaged frames may be lost but must never
// decode as something else.
func run(t *testing.T, seed uint64, p ir.Protocol, n int, distort func(*rand.Rand, []ir.Pulse) []ir.Pulse, glitch float64) stats {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, uint64(len(p))))
	d := ir.NewDecoder()
	var s stats
	for i := 0; i < n; i++ {
		sc := irtest.Scancode(r, p)
		toggle := ir.HasToggle(p) && r.IntN(2) == 0
		frame, err := ir.Encode(p, sc, toggle)
		if err != nil {
			t.Fatalf("Encode(%s, %#x): %v", p, sc, err)
		}
		// Sony remotes send three copies (the decoder confirms a frame by
		// its next copy); the others are tested one frame at a time.
		copies := 1
		if p.Family() == ir.SIRC12 {
			copies = 3
		}
		var ps []ir.Pulse
		damaged := false
		for c := 0; c < copies; c++ {
			f := frame
			if r.Float64() < glitch {
				f, _ = irtest.Glitch(r, f)
				damaged = true
				s.glitched++
			}
			if c > 0 {
				ps = append(ps, ir.Pulse{Duration: ir.Period(p) - irtest.Length(frame)})
			}
			ps = append(ps, distort(r, f)...)
		}
		s.frames++
		got := irtest.Feed(d, append(ps, ir.Pulse{Duration: irtest.Gap}))
		want := ir.Frame{Protocol: p, Scancode: sc, Toggle: toggle}
		ok := false
		for _, f := range got {
			f.At = 0
			if f == want {
				ok = true
			} else {
				s.wrong++
				t.Logf("%s frame %d (damaged %v): sent %+v, decoded %+v from %v", p, i, damaged, want, f, ps)
			}
		}
		if ok {
			s.decoded++
		} else {
			s.missed++
			if !damaged {
				t.Errorf("%s frame %d undamaged, not decoded: %v", p, i, ps)
			}
		}
	}
	return s
}

func TestRobustness(t *testing.T) {
	const n = 2000
	none := func(_ *rand.Rand, ps []ir.Pulse) []ir.Pulse { return ps }
	jitter := func(r *rand.Rand, ps []ir.Pulse) []ir.Pulse { return irtest.Jitter(r, ps, 0.20) }
	conditions := []struct {
		reason  string
		distort func(*rand.Rand, []ir.Pulse) []ir.Pulse
		glitch  float64
	}{
		{"clean frames all decode", none, 0},
		{"uniform jitter of +-20 % per pulse (beyond the kernel margins)", jitter, 0},
		{"marks 200 us long, spaces 200 us short (beyond LIRC 30 % on short pulses)", func(_ *rand.Rand, ps []ir.Pulse) []ir.Pulse { return irtest.Bias(ps, 200*time.Microsecond) }, 0},
		{"marks 200 us short, spaces 200 us long", func(_ *rand.Rand, ps []ir.Pulse) []ir.Pulse { return irtest.Bias(ps, -200*time.Microsecond) }, 0},
		{"25 % of frames glitched (spike, dropout, merge, truncation), all jittered", jitter, 0.25},
	}
	for ci, c := range conditions {
		for _, p := range ir.Protocols {
			s := run(t, uint64(ci), p, n, c.distort, c.glitch)
			t.Logf("%-10s %-70s frames=%d decoded=%d wrong=%d missed=%d glitched=%d", p, c.reason, s.frames, s.decoded, s.wrong, s.missed, s.glitched)
			if s.wrong != 0 {
				t.Errorf("%s, %s: %d wrong decodes in %d frames", c.reason, p, s.wrong, s.frames)
			}
		}
	}
}
