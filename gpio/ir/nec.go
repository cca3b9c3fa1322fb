package ir

import "time"

// NEC and Samsung32 timings (rc-core ir-nec-decoder; unit 562.5 us).
const (
	necUnit        = 562500 * time.Nanosecond
	necHdrMark     = 16 * necUnit // 9 ms
	necHdrSpace    = 8 * necUnit  // 4.5 ms
	necRptSpace    = 4 * necUnit  // 2.25 ms
	necBitMark     = necUnit
	necBit0Space   = necUnit
	necBit1Space   = 3 * necUnit
	necTrailer     = 10 * necUnit // minimum space after a repeat code
	samHdrMark     = 8 * necUnit  // 4.5 ms
	samHdrSpace    = 8 * necUnit
	necHdrMarkTol  = 2 * necUnit
	necHdrSpaceTol = necUnit
	necBitTol      = necUnit / 2
)

type pdState uint8

const (
	pdIdle pdState = iota
	pdHdrSpace
	pdBitMark
	pdBitSpace
	pdRptMark
	pdRptTrailer
)

// pulseDistance decodes NEC (with NECX, NEC32 and repeat codes) or Samsung32:
// a header, 32 bits LSB first coded in the space after a fixed mark, and a
// trailing mark. A frame is returned on its trailing mark: after 32 bits and
// the stop mark nothing can change it, and the quiet line required before
// the header keeps it from starting inside another frame.
type pulseDistance struct {
	samsung bool
	claim   bool          // the last pulse completed a well-formed frame
	claimAt time.Duration // and this is its At
	now     time.Duration
	q       quiet
	state   pdState
	n       int
	data    uint32 // bits in arrival order: bit i is the i-th bit received
}

// NewNEC returns a decoder for NEC, NECX, NEC32 and NEC repeat codes.
func NewNEC() Decoder { return &pulseDistance{q: quiet{now: true}} }

// NewSamsung32 returns a decoder for Samsung32.
func NewSamsung32() Decoder { return &pulseDistance{samsung: true, q: quiet{now: true}} }

// Reset implements Decoder: the next frame must follow a quiet line.
func (d *pulseDistance) Reset() { d.state, d.n, d.data, d.q = pdIdle, 0, 0, quiet{} }

func (d *pulseDistance) reset() { d.state, d.n, d.data = pdIdle, 0, 0 }

func (d *pulseDistance) Feed(p Pulse) (Frame, bool) {
	d.now += p.Duration
	dur := p.Duration
	wasQuiet := d.q.step(p)
	d.claim = false
	switch d.state {
	case pdIdle:
		if !p.Level || !wasQuiet {
			return Frame{}, false
		}
		if d.samsung && near(dur, samHdrMark, necBitTol) || !d.samsung && near(dur, necHdrMark, necHdrMarkTol) {
			d.state = pdHdrSpace
		}
		return Frame{}, false
	case pdHdrSpace:
		switch {
		case p.Level:
		case d.samsung && near(dur, samHdrSpace, necBitTol),
			!d.samsung && near(dur, necHdrSpace, necHdrSpaceTol):
			d.state, d.n, d.data = pdBitMark, 0, 0
			return Frame{}, false
		case !d.samsung && near(dur, necRptSpace, necBitTol):
			d.state = pdRptMark
			return Frame{}, false
		}
	case pdBitMark, pdRptMark:
		if !p.Level || !near(dur, necBitMark, necBitTol) {
			break
		}
		// The stop mark of a 32-bit frame completes it: decide now, not
		// when the line has been quiet for a while.
		switch {
		case d.state == pdRptMark:
			d.state = pdRptTrailer
			return Frame{}, false
		case d.n == 32:
			f, ok := d.frame()
			d.reset()
			d.claim, d.claimAt = true, d.now
			f.At = d.now
			return f, ok
		}
		d.state = pdBitSpace
		return Frame{}, false
	case pdRptTrailer:
		// A repeat code is three pulses, which damaged frames and noise
		// can fake: it needs its trailing space too. It only keeps a held
		// key held, so the wait costs no latency.
		if p.Level || !atLeast(dur, necTrailer, necBitTol) {
			break
		}
		at := d.now - dur
		d.reset()
		d.claim, d.claimAt = true, at
		return Frame{Protocol: NEC, Repeat: true, At: at}, true
	case pdBitSpace:
		if p.Level {
			break
		}
		// 0 and 1 spaces are accepted ranges that do not overlap
		// (282-844 us and 1182-2196 us).
		switch {
		case near(dur, necBit0Space, necBitTol):
		case near(dur, necBit1Space, necBitTol):
			d.data |= 1 << d.n
		default:
			d.reset()
			return Frame{}, false
		}
		d.n++
		d.state = pdBitMark
		return Frame{}, false
	}
	d.reset()
	return Frame{}, false
}

// frame converts the 32 received bits (bytes LSB first on the air) to a
// scancode the way rc-core does.
func (d *pulseDistance) frame() (Frame, bool) {
	b0, b1 := uint32(uint8(d.data)), uint32(uint8(d.data>>8))
	b2, b3 := uint32(uint8(d.data>>16)), uint32(uint8(d.data>>24))
	if d.samsung {
		if b0 != b1 || b2^b3 != 0xff {
			return Frame{}, false
		}
		return Frame{Protocol: Samsung32, Scancode: b0<<8 | b2}, true
	}
	addr, naddr, cmd, ncmd := b0, b1, b2, b3
	switch {
	case cmd^ncmd != 0xff:
		return Frame{Protocol: NEC32, Scancode: naddr<<24 | addr<<16 | ncmd<<8 | cmd}, true
	case addr^naddr != 0xff:
		return Frame{Protocol: NECX, Scancode: addr<<16 | naddr<<8 | cmd}, true
	}
	return Frame{Protocol: NEC, Scancode: addr<<8 | cmd}, true
}

func (d *pulseDistance) claimed() (time.Duration, bool) { return d.claimAt, d.claim }
