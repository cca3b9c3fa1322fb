package ir

import "time"

// Sony SIRC timings (rc-core ir-sony-decoder; unit 600 us).
const (
	sonyUnit     = 600 * time.Microsecond
	sonyHdrMark  = 4 * sonyUnit
	sonyHdrSpace = sonyUnit
	sonyBit0     = sonyUnit
	sonyBit1     = 2 * sonyUnit
	sonySpace    = sonyUnit
	sonyTol      = sonyUnit / 2
	// sonyGap is the space after a bit's mark that ends the frame: just
	// longer than any space a bit can have (600 us, accepted up to 900 us),
	// so the frame has no further bit, however long the line stays quiet.
	sonyGap     = sonySpace + sonyTol + 50*time.Microsecond
	sonyConfirm = 2*45*time.Millisecond + 20*time.Millisecond // two periods between copies' last edges, with slack
)

type sircState uint8

const (
	sircIdle sircState = iota
	sircHdrSpace
	sircBitMark
	sircBitSpace
)

// sirc decodes Sony SIRC 12, 15 and 20: a header, then bits LSB first coded
// in the mark length, the frame length told by the trailing space.
type sirc struct {
	last    Frame         // the previous complete frame, unconfirmed or not
	claim   bool          // the last pulse (or Quiet) completed a well-formed frame
	claimAt time.Duration // and this is its At
	now     time.Duration
	q       quiet
	state   sircState
	mark    time.Duration // the last bit's mark
	n       int
	data    uint32 // bit i is the i-th bit received
}

// NewSIRC returns a decoder for Sony SIRC 12, 15 and 20. A frame ends when
// the space after its last mark reaches 950 us (Quiet, or a longer space fed).
// A 12- or 15-bit frame is returned only when the previous copy (at most two
// 45 ms periods earlier) had the same protocol and scancode, as LIRC's
// min_repeat does for Sony remotes: the first press of such a key comes from
// its second copy. A 20-bit frame is returned at once.
func NewSIRC() Decoder { return &sirc{q: quiet{now: true}} }

// Reset implements Decoder: the next frame must follow a quiet line.
func (d *sirc) Reset() { d.reset(); d.q = quiet{} }

func (d *sirc) reset() { d.state, d.n, d.data = sircIdle, 0, 0 }

func (d *sirc) Feed(p Pulse) (Frame, bool) {
	d.now += p.Duration
	dur := p.Duration
	wasQuiet := d.q.step(p)
	d.claim = false
	switch d.state {
	case sircIdle:
		if p.Level && wasQuiet && near(dur, sonyHdrMark, sonyTol) {
			d.state = sircHdrSpace
		}
		return Frame{}, false
	case sircHdrSpace:
		if !p.Level && near(dur, sonyHdrSpace, sonyTol) {
			d.state, d.n, d.data = sircBitMark, 0, 0
			return Frame{}, false
		}
	case sircBitMark:
		if !p.Level || d.n == 20 {
			break
		}
		// The accepted ranges overlap (300-900 and 840-1560 us): take the
		// nearer nominal.
		one := dur > (sonyBit0+sonyBit1)/2
		if one && near(dur, sonyBit1, sonyTol) || !one && near(dur, sonyBit0, sonyTol) {
			if one {
				d.data |= 1 << d.n
			}
			d.n++
			d.mark = dur
			d.state = sircBitSpace
			return Frame{}, false
		}
	case sircBitSpace:
		if p.Level {
			break
		}
		// A bit lasts 2 or 3 units, mark and space together, to within
		// 25 % (a receiver's bias moves the edge between them, not the
		// period): RC-5's 889 us halves fit Sony's pulse margins but not this.
		period := 2 * sonyUnit
		if d.data&(1<<(d.n-1)) != 0 {
			period = 3 * sonyUnit
		}
		if near(dur, sonySpace, sonyTol) && near(d.mark+dur, period, period/4) {
			d.state = sircBitMark
			return Frame{}, false
		}
		if dur >= sonyGap {
			return d.end(d.now - dur)
		}
	}
	d.reset()
	return Frame{}, false
}

// Wait implements Early: a space after a bit's mark, of a frame that could
// end there, ends it once it lasts sonyGap.
func (d *sirc) Wait() (time.Duration, bool) {
	if d.state == sircBitSpace && (d.n == 12 || d.n == 15 || d.n == 20) {
		return sonyGap, true
	}
	return 0, false
}

// Quiet implements Early.
func (d *sirc) Quiet(dur time.Duration) (Frame, bool) {
	d.claim = false
	if w, ok := d.Wait(); !ok || dur < w {
		return Frame{}, false
	}
	return d.end(d.now)
}

// end completes the frame whose last mark ended at at.
func (d *sirc) end(at time.Duration) (Frame, bool) {
	f, ok := d.frame()
	d.reset()
	if !ok {
		return Frame{}, false
	}
	f.At = at
	d.claim, d.claimAt = true, f.At
	prev := d.last
	d.last = f
	// A 12- or 15-bit frame counts once a copy confirms it: a 20-bit
	// frame cut short (remote turned away) is a valid 12- or 15-bit one.
	// Remotes send at least three copies, so this costs one period. A
	// 20-bit frame cannot be a longer one cut short, and the damage a
	// receiver does (spikes, lost marks or spaces) breaks a frame's
	// timing rather than making another valid one: it counts at once.
	if f.Protocol == SIRC20 {
		return f, true
	}
	ok = prev.Protocol == f.Protocol && prev.Scancode == f.Scancode && f.At-prev.At <= sonyConfirm
	return f, ok
}

// frame lays the bits out as rc-core does: device<<16 | subdevice<<8 | function,
// with the 7 command bits as function.
func (d *sirc) frame() (Frame, bool) {
	cmd := d.data & 0x7f
	switch d.n {
	case 12:
		return Frame{Protocol: SIRC12, Scancode: ((d.data>>7)&0x1f)<<16 | cmd}, true
	case 15:
		return Frame{Protocol: SIRC15, Scancode: ((d.data>>7)&0xff)<<16 | cmd}, true
	case 20:
		return Frame{Protocol: SIRC20, Scancode: ((d.data>>7)&0x1f)<<16 | ((d.data>>12)&0xff)<<8 | cmd}, true
	}
	return Frame{}, false
}

func (d *sirc) claimed() (time.Duration, bool) { return d.claimAt, d.claim }
