package ir

import "time"

// Philips timings (rc-core ir-rc5-decoder and ir-rc6-decoder).
const (
	rc5Unit   = 888889 * time.Nanosecond // half a bit
	rc5Halves = 28                       // 14 bits

	rc6Unit       = 444444 * time.Nanosecond
	rc6HdrMark    = 6 * rc6Unit
	rc6HdrSpace   = 2 * rc6Unit
	rc6Halves     = 2 + 3*2 + 2 + 16*2 // start, mode, double-width toggle, data
	rc6ToggleHalf = 2 + 3*2
	rc6MCEHalves  = 2 + 3*2 + 2 + 32*2 // mode 6A, 32 data bits
	manchesterMax = rc6MCEHalves
)

// MCE customer codes: the top 16 bits of an RC-6 mode 6A 32-bit body that
// rc-core reports as rc-6-mce, with the toggle in bit 15 (ir-rc6-decoder.c:
// RC6_6A_MCE_CC, RC6_6A_ZOTAC_CC, RC6_6A_KATHREIN_CC, RC6_6A_MCE_TOGGLE_MASK).
const (
	mceToggle = 0x8000
	mceCCMask = 0xffff0000
)

var mceCustomers = [...]uint32{0x800f0000, 0x80340000, 0x80460000}

func mceCustomer(body uint32) bool {
	for _, c := range mceCustomers {
		if body&mceCCMask == c {
			return true
		}
	}
	return false
}

// manchester collects a bi-phase frame's pulses and parses them on every
// mark once they last about as long as a frame: the bit count is fixed, so
// the frame's last mark decides it (a last half that is a space merges into
// the trailing space and is implied). Each pulse covers one or two halves of
// the same level (RC-6's toggle halves are two units wide, so up to 3
// units); the count is the one whose nominal length is nearest in ratio. The
// one place where both can be right is the pulse after RC-6's toggle
// (1066 us is 2 units +20 % or 3 units -20 %): if the frame does not parse,
// it is read the other way once. RC-6's receiver bias is learnt from its
// fixed start bits; the frame's total length and (RC-5) each level's average
// length must match.
type manchester struct {
	rc6    bool
	mce    bool // RC-6 mode 6A with 32 bits, not mode 0
	now    time.Duration
	q      quiet
	state  uint8 // 0 idle, 1 RC-6 header space, 2 collecting
	n      int
	halves [manchesterMax]bool
	ps     [manchesterMax]Pulse // the frame's pulses after the header
	np     int
	got    time.Duration // the pulses' total length
}

// maxFlips bounds the re-parses of one frame: only RC-6's post-toggle pulse
// is ever re-read.
const maxFlips = 1

// NewRC5 returns a decoder for RC-5 (14 bits, toggle bit).
func NewRC5() Decoder { return &manchester{q: quiet{now: true}} }

// NewRC6 returns a decoder for RC-6 mode 0 (16 bits, toggle bit).
func NewRC6() Decoder { return &manchester{rc6: true, q: quiet{now: true}} }

// NewRC6MCE returns a decoder for rc-core's rc-6-mce: RC-6 mode 6A with a
// 32-bit body whose top 16 bits are an MCE customer code (0x800f, also
// Zotac's 0x8034 and Kathrein's 0x8046). As in rc-core the scancode is the
// body without bit 15, which is the toggle.
func NewRC6MCE() Decoder { return &manchester{rc6: true, mce: true, q: quiet{now: true}} }

// Reset implements Decoder: the next frame must follow a quiet line.
func (d *manchester) Reset() { d.reset(); d.q = quiet{} }

func (d *manchester) reset() { d.state, d.n, d.np, d.got = 0, 0, 0, 0 }

func (d *manchester) want() int {
	if d.mce {
		return rc6MCEHalves
	}
	if d.rc6 {
		return rc6Halves
	}
	return rc5Halves
}

func (d *manchester) unit() time.Duration {
	if d.rc6 {
		return rc6Unit
	}
	return rc5Unit
}

// width is the nominal length of half number i.
func (d *manchester) width(i int) time.Duration {
	if !d.rc6 {
		return rc5Unit
	}
	if i == rc6ToggleHalf || i == rc6ToggleHalf+1 {
		return 2 * rc6Unit
	}
	return rc6Unit
}

// margin is the kernel's margin for a half bit. RC-5 goes without it (LIRC's
// 30 % alone): half its 889 us unit admits Sony's 600 and 1200 us pulses, and
// RC-5 has no header to tell the two apart.
func (d *manchester) margin() time.Duration {
	if d.rc6 {
		return rc6Unit / 2
	}
	return 0
}

// plausible reports whether dur can be a pulse inside a frame at all.
func (d *manchester) plausible(dur time.Duration) bool {
	u := d.unit()
	most := 2 * u
	if d.rc6 {
		most = 3 * u
	}
	return atLeast(dur, u, d.margin()) && dur <= most+tol(most, d.margin())
}

func (d *manchester) Feed(p Pulse) (Frame, bool) {
	d.now += p.Duration
	dur := p.Duration
	wasQuiet := d.q.step(p)
	switch d.state {
	case 0:
		if !p.Level || !wasQuiet {
			return Frame{}, false
		}
		if d.rc6 {
			if near(dur, rc6HdrMark, rc6Unit) {
				d.state = 1
			}
			return Frame{}, false
		}
		// The first half of RC-5's start bit is a space lost in the idle
		// line; a 2-unit mark means the second start bit is 0.
		if d.plausible(dur) {
			d.state, d.np, d.got = 2, 1, dur
			d.ps[0] = p
		}
		return Frame{}, false
	case 1:
		if !p.Level && near(dur, rc6HdrSpace, rc6Unit/2) {
			d.state, d.np = 2, 0
			return Frame{}, false
		}
	case 2:
		if !p.Level {
			if d.plausible(dur) && d.np < len(d.ps) {
				d.ps[d.np] = p
				d.np++
				d.got += dur
				return Frame{}, false
			}
			break // a trailing space: the frame's last mark did not decide it
		}
		if !d.plausible(dur) || d.np == len(d.ps) {
			break
		}
		d.ps[d.np] = p
		d.np++
		d.got += dur
		// parse accepts a frame within 12 % of its length, and its last
		// half may be a space not seen yet: parse from 85 % of the length
		// without that half, give up past 115 % of the whole.
		if d.got > d.nominal(d.want())*115/100 {
			break
		}
		if d.got < d.nominal(d.want()-1)*85/100 {
			return Frame{}, false
		}
		f, ok := d.parseAll()
		if !ok {
			return Frame{}, false
		}
		d.reset()
		f.At = d.now
		return f, true
	}
	d.reset()
	return Frame{}, false
}

// nominal is the length of a frame's first n halves as pulses cover them:
// from the second half for RC-5 (its first is the idle line), from the
// first for RC-6, whose two toggle halves are twice as wide.
func (d *manchester) nominal(n int) time.Duration {
	if d.rc6 {
		return time.Duration(n+2) * rc6Unit
	}
	return time.Duration(n-1) * rc5Unit
}

// parseAll parses the collected pulses, re-reading ambiguous ones if needed.
func (d *manchester) parseAll() (Frame, bool) {
	f, ok, amb := d.parse(-1)
	for i := 0; !ok && i < min(amb, maxFlips); i++ {
		f, ok, _ = d.parse(i)
	}
	return f, ok
}

// bias estimates how much longer than nominal the receiver makes marks (bm)
// and spaces (bs) from RC-6's fixed start: start bit 1 and mode 000 are
// mark 1, space 2, mark 1, space 1, mark 1, space 1 units. A constant bias
// of 200 us is 45 % of RC-6's unit, so without this a 1-unit mark reads as 2.
// RC-5 has no fixed pulses to learn from (and a unit twice as long).
func (d *manchester) bias() (bm, bs time.Duration) {
	if !d.rc6 || d.np < 7 {
		return 0, 0
	}
	ps := d.ps[:6]
	bm = (ps[0].Duration + ps[2].Duration + ps[4].Duration - 3*rc6Unit) / 3
	bs = (ps[1].Duration + ps[3].Duration + ps[5].Duration - 4*rc6Unit) / 3
	// Jitter alone moves these estimates by up to about 100 us; correct
	// only a clear bias, and never by more than 300 us.
	const least, most = 120 * time.Microsecond, 300 * time.Microsecond
	if bm > -least && bm < least && bs > -least && bs < least {
		return 0, 0
	}
	return max(min(bm, most), -most), max(min(bs, most), -most)
}

// nearestUnits is the whole number of units (1 to 3) nearest to d in ratio.
func nearestUnits(d, unit time.Duration) int {
	best, bestErr := 1, 0.0
	for n := 1; n <= 3; n++ {
		e := float64(d)/float64(time.Duration(n)*unit) - 1
		if e < 0 {
			e = -e
		}
		if n == 1 || e < bestErr {
			best, bestErr = n, e
		}
	}
	return best
}

// parse splits the collected pulses into halves, reading the flip-th
// ambiguous pulse the less likely way, and decodes them. It also returns
// the number of ambiguous pulses met.
func (d *manchester) parse(flip int) (Frame, bool, int) {
	d.n = 0
	if !d.rc6 {
		d.n = 1
		d.halves[0] = false
	}
	amb := 0
	bm, bs := d.bias()
	for i, p := range d.ps[:d.np] {
		// A pulse never covers both halves of one bit: from a first half
		// it covers just that, from a second half at most the next bit's
		// first half too. Later pulses need a half each.
		room := min(d.want()-d.n-(d.np-1-i), 1+d.n%2)
		dur := p.Duration - bs
		if p.Level {
			dur = p.Duration - bm
		}
		best, second := 0, 0
		var bestErr, secondErr float64
		var c time.Duration
		for k := 1; k <= room; k++ {
			c += d.width(d.n + k - 1)
			if !near(dur, c, d.margin()) {
				continue
			}
			e := float64(dur)/float64(c) - 1
			if e < 0 {
				e = -e
			}
			switch {
			case best == 0 || e < bestErr:
				second, secondErr = best, bestErr
				best, bestErr = k, e
			case second == 0 || e < secondErr:
				second, secondErr = k, e
			}
		}
		if best == 0 {
			return Frame{}, false, amb
		}
		k := best
		// Only RC-6's toggle can leave two acceptable readings (2 or 3
		// units) and only near their boundary; elsewhere 1 and 2 units are
		// told apart by ratio, and re-reading only finds wrong frames.
		if second != 0 && d.rc6 && d.n == rc6ToggleHalf+1 && secondErr-bestErr < 0.1 {
			if amb == flip {
				k = second
			}
			amb++
		}
		// Away from RC-6's toggle every half is one unit: a pulse nearer
		// to a count the position does not allow (a lost space merging
		// three halves into one mark) is damage, not a reading. At the end
		// of a frame nothing else would tell.
		if d.rc6 && (d.n+k <= rc6ToggleHalf || d.n >= rc6ToggleHalf+2) && nearestUnits(dur, rc6Unit) != k {
			return Frame{}, false, amb
		}
		if !d.rc6 && nearestUnits(dur, rc5Unit) != k {
			return Frame{}, false, amb
		}
		for ; k > 0; k-- {
			d.halves[d.n] = p.Level
			d.n++
		}
	}
	// The pulses together must last as long as the halves they cover, to
	// within 12 %: per-pulse jitter averages out over a frame, a constant
	// bias cancels between marks and spaces, but another protocol's frame
	// (Sony's 600 us unit read as RC-5's 889 us) is off by a third.
	var got, want time.Duration
	for _, p := range d.ps[:d.np] {
		got += p.Duration
	}
	for i := 0; i < d.n; i++ {
		if i > 0 || d.rc6 {
			want += d.width(i)
		}
	}
	if diff := got - want; diff > want*12/100 || -diff > want*12/100 {
		return Frame{}, false, amb
	}
	// So must each level on its own, to within 25 %: Sony's spaces are all
	// 600 us, a third short of RC-5's unit, while a 200 us bias costs RC-5
	// 22 %.
	if !d.rc6 {
		var sum [2]time.Duration
		var halves [2]int
		i := 1
		for _, p := range d.ps[:d.np] {
			l := 0
			if p.Level {
				l = 1
			}
			sum[l] += p.Duration
			for ; i < d.n && d.halves[i] == p.Level; i++ {
				halves[l]++
			}
		}
		for l := range sum {
			if halves[l] == 0 {
				continue
			}
			avg := sum[l] / time.Duration(halves[l])
			if avg < rc5Unit*3/4 || avg > rc5Unit*5/4 {
				return Frame{}, false, amb
			}
		}
	}
	// A last half that is a space merged into the trailer.
	if d.n == d.want()-1 {
		d.halves[d.n] = false
		d.n++
	}
	f, ok := d.frame()
	return f, ok, amb
}

// bit reads the bi-phase bit in halves i and i+1.
// RC-5 codes 1 as space-mark, RC-6 as mark-space.
func (d *manchester) bit(i int) (one, ok bool) {
	a, b := d.halves[i], d.halves[i+1]
	if a == b {
		return false, false
	}
	if d.rc6 {
		return a, true
	}
	return b, true
}

func (d *manchester) frame() (Frame, bool) {
	if d.n != d.want() {
		return Frame{}, false
	}
	var v uint32
	if !d.rc6 {
		for i := 0; i < rc5Halves; i += 2 {
			one, ok := d.bit(i)
			if !ok {
				return Frame{}, false
			}
			v <<= 1
			if one {
				v |= 1
			}
		}
		// v: S1 S2 T A4..A0 C5..C0; S2 is command bit 6 inverted.
		if v&(1<<13) == 0 {
			return Frame{}, false
		}
		cmd := v & 0x3f
		if v&(1<<12) == 0 {
			cmd |= 0x40
		}
		return Frame{Protocol: RC5, Scancode: ((v>>6)&0x1f)<<8 | cmd, Toggle: v&(1<<11) != 0}, true
	}
	// Start bit 1, mode 000 (mode 0) or 110 (mode 6A), a double-width
	// toggle (mode 0) or trailer bit 0 (6A), then 16 or 32 data bits.
	mode := []bool{true, false, false, false}
	if d.mce {
		mode = []bool{true, true, true, false}
	}
	for i, want := range mode {
		one, ok := d.bit(2 * i)
		if !ok || one != want {
			return Frame{}, false
		}
	}
	toggle, ok := d.bit(rc6ToggleHalf)
	if !ok {
		return Frame{}, false
	}
	for i := rc6ToggleHalf + 2; i < d.want(); i += 2 {
		one, ok := d.bit(i)
		if !ok {
			return Frame{}, false
		}
		v <<= 1
		if one {
			v |= 1
		}
	}
	if !d.mce {
		return Frame{Protocol: RC6_0, Scancode: v, Toggle: toggle}, true
	}
	// rc-core reads mode 6 with the trailer bit set as no mode at all.
	if toggle || !mceCustomer(v) {
		return Frame{}, false
	}
	return Frame{Protocol: RC6_MCE, Scancode: v &^ mceToggle, Toggle: v&mceToggle != 0}, true
}
