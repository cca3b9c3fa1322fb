// Package irtest synthesises realistic IR pulse trains (held keys, receiver jitter and bias, glitches, noise) for tests of the ir, edge and tracker packages.
package irtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
)

// Gap is the space a generator puts before the first frame and after the
// last one, long enough for any decoder to see the end of a frame.
const Gap = 150 * time.Millisecond

// Hold returns the pulses a remote sends while a key is held for about hold:
// the first frame and then, every ir.Period(p) from start to start, either
// NEC repeat codes (NEC variants) or copies of the frame (toggle unchanged).
// Sony remotes send at least 3 copies however short the press. The train
// starts with a mark and ends with a mark.
func Hold(p ir.Protocol, scancode uint32, toggle bool, hold time.Duration) ([]ir.Pulse, error) {
	frame, err := ir.Encode(p, scancode, toggle)
	if err != nil {
		return nil, err
	}
	period := ir.Period(p)
	n := int(hold/period) + 1
	if p.Family() == ir.SIRC12 && n < 3 {
		n = 3
	}
	var out []ir.Pulse
	for i := 0; i < n; i++ {
		f := frame
		if i > 0 && p.Family() == ir.NEC {
			f = ir.NECRepeat()
		}
		if i > 0 {
			prev := Length(frame)
			if i > 1 && p.Family() == ir.NEC {
				prev = Length(ir.NECRepeat())
			}
			out = append(out, ir.Pulse{Duration: period - prev})
		}
		out = append(out, f...)
	}
	return out, nil
}

// Length is the total duration of ps.
func Length(ps []ir.Pulse) time.Duration {
	var d time.Duration
	for _, p := range ps {
		d += p.Duration
	}
	return d
}

// Jitter scales every pulse by a uniform random factor in [1-frac, 1+frac].
func Jitter(r *rand.Rand, ps []ir.Pulse, frac float64) []ir.Pulse {
	out := make([]ir.Pulse, len(ps))
	for i, p := range ps {
		f := 1 + frac*(2*r.Float64()-1)
		out[i] = ir.Pulse{Level: p.Level, Duration: time.Duration(float64(p.Duration) * f)}
	}
	return out
}

// Bias lengthens every mark by b and shortens every space by b (b may be
// negative), as a slow receiver output does; durations stay at least 1 us.
func Bias(ps []ir.Pulse, b time.Duration) []ir.Pulse {
	out := make([]ir.Pulse, len(ps))
	for i, p := range ps {
		d := p.Duration - b
		if p.Level {
			d = p.Duration + b
		}
		out[i] = ir.Pulse{Level: p.Level, Duration: max(d, time.Microsecond)}
	}
	return out
}

// GlitchKind names one way a frame gets damaged in the air.
type GlitchKind int

const (
	Spike    GlitchKind = iota // a 20-200 us pulse of the other level splits a pulse
	Dropout                    // a mark is lost: it and its neighbours become one space
	Truncate                   // the frame stops early (remote turned away)
	Merge                      // a space is lost: it and its neighbours become one mark
	numGlitchKinds
)

func (k GlitchKind) String() string {
	return [...]string{"spike", "dropout", "truncate", "merge"}[k]
}

// Glitch returns a damaged copy of the frame ps (which starts and ends with a
// mark) and the kind of damage. The kinds are physical: short spikes, lost
// marks or spaces, frames cut short. A pulse stretched into the other valid
// length is not among them: in a protocol without a checksum it is a
// different valid frame, which no decoder can tell.
func Glitch(r *rand.Rand, ps []ir.Pulse) ([]ir.Pulse, GlitchKind) {
	k := GlitchKind(r.IntN(int(numGlitchKinds)))
	out := append([]ir.Pulse(nil), ps...)
	switch k {
	case Spike:
		i := r.IntN(len(out))
		p := out[i]
		w := time.Duration(20+r.IntN(181)) * time.Microsecond
		if p.Duration <= w+2*time.Microsecond {
			break
		}
		a := time.Duration(r.Int64N(int64(p.Duration - w)))
		a = max(a, time.Microsecond)
		b := p.Duration - w - a
		out = append(out[:i], append([]ir.Pulse{
			{Level: p.Level, Duration: a}, {Level: !p.Level, Duration: w}, {Level: p.Level, Duration: max(b, time.Microsecond)},
		}, out[i+1:]...)...)
	case Dropout:
		// marks strictly inside the frame: indices 2, 4, ... len-3
		if len(out) < 5 {
			out = out[:1]
			break
		}
		i := 2 + 2*r.IntN((len(out)-3)/2)
		merged := ir.Pulse{Duration: out[i-1].Duration + out[i].Duration + out[i+1].Duration}
		out = append(out[:i-1], append([]ir.Pulse{merged}, out[i+2:]...)...)
	case Truncate:
		// keep an odd count (end on a mark) shorter than the frame
		out = out[:1+2*r.IntN(max((len(out)-1)/2, 1))]
	case Merge:
		// spaces: indices 1, 3, ... len-2
		i := 1 + 2*r.IntN(len(out)/2)
		merged := ir.Pulse{Level: true, Duration: out[i-1].Duration + out[i].Duration + out[i+1].Duration}
		out = append(out[:i-1], append([]ir.Pulse{merged}, out[i+2:]...)...)
	}
	return out, k
}

// Noise returns n pulses of alternating level with durations log-uniform
// between 50 us and 20 ms: sunlight, lamps and other remotes' carriers as a
// receiver passes them on.
func Noise(r *rand.Rand, n int) []ir.Pulse {
	out := make([]ir.Pulse, n)
	level := r.IntN(2) == 0
	for i := range out {
		us := 50 * pow(400, r.Float64()) // 50 us .. 20 ms
		out[i] = ir.Pulse{Level: level, Duration: time.Duration(us * float64(time.Microsecond))}
		level = !level
	}
	return out
}

func pow(b, e float64) float64 { return math.Pow(b, e) }

// Feed feeds ps to d as a live edge source does and returns the frames: a
// space is fed whole when it ends, but if d is an ir.Early decoder it is
// first told, through Quiet, each time the space reaches d's Wait.
func Feed(d ir.Decoder, ps []ir.Pulse) []ir.Frame {
	var out []ir.Frame
	e, early := d.(ir.Early)
	for _, p := range ps {
		if early && !p.Level {
			for last := time.Duration(-1); ; {
				w, ok := e.Wait()
				if !ok || w > p.Duration || w <= last {
					break
				}
				last = w
				if f, ok := e.Quiet(w); ok {
					out = append(out, f)
				}
			}
		}
		if f, ok := d.Feed(p); ok {
			out = append(out, f)
		}
	}
	return out
}

// Scancode returns a random scancode valid for p.
func Scancode(r *rand.Rand, p ir.Protocol) uint32 {
	for {
		var s uint32
		switch p {
		case ir.NEC, ir.Samsung32, ir.RC6_0:
			s = uint32(r.IntN(1 << 16))
		case ir.RC6_MCE:
			cc := [...]uint32{0x800f0000, 0x80340000, 0x80460000}
			s = cc[r.IntN(len(cc))] | uint32(r.IntN(1<<15))
		case ir.NECX:
			s = uint32(r.IntN(1 << 24))
		case ir.NEC32:
			s = r.Uint32()
		case ir.RC5:
			s = uint32(r.IntN(32))<<8 | uint32(r.IntN(128))
		case ir.SIRC12:
			s = uint32(r.IntN(32))<<16 | uint32(r.IntN(128))
		case ir.SIRC15:
			s = uint32(r.IntN(256))<<16 | uint32(r.IntN(128))
		case ir.SIRC20:
			s = uint32(r.IntN(32))<<16 | uint32(r.IntN(256))<<8 | uint32(r.IntN(128))
		default:
			panic(fmt.Sprintf("irtest: unknown protocol %q", p))
		}
		if _, err := ir.Encode(p, s, false); err == nil {
			return s
		}
	}
}
