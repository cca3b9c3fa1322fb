package ir

import (
	"errors"
	"fmt"
	"time"
)

// ErrScancode wraps every reason Encode refuses a scancode.
var ErrScancode = errors.New("scancode not encodable")

// Encode returns the pulses of one frame of protocol p, starting with a mark
// and ending with the frame's last mark (the trailing gap is the caller's:
// see Period). toggle is used by RC-5 and RC-6 only. A scancode that does not
// fit p, or that would decode as another protocol (an NECX address that is
// its own inverse), is an error wrapping ErrScancode. Encode(p, s, t)
// decodes back to p, s, t.
func Encode(p Protocol, scancode uint32, toggle bool) ([]Pulse, error) {
	bad := func(why string) ([]Pulse, error) {
		return nil, fmt.Errorf("%w: %s %#x: %s", ErrScancode, p, scancode, why)
	}
	var e enc
	switch p {
	case NEC, NECX, NEC32, Samsung32:
		var a, na, c, nc uint32
		switch p {
		case NEC:
			if scancode > 0xffff {
				return bad("more than 16 bits")
			}
			a, c = scancode>>8, scancode&0xff
			na, nc = a^0xff, c^0xff
		case NECX:
			if scancode > 0xffffff {
				return bad("more than 24 bits")
			}
			a, na, c = scancode>>16, (scancode>>8)&0xff, scancode&0xff
			nc = c ^ 0xff
			if a^na == 0xff {
				return bad("address bytes are inverses: that is plain NEC")
			}
		case NEC32:
			na, a, nc, c = scancode>>24, (scancode>>16)&0xff, (scancode>>8)&0xff, scancode&0xff
			if c^nc == 0xff {
				return bad("command bytes are inverses: that is NEC or NECX")
			}
		case Samsung32:
			if scancode > 0xffff {
				return bad("more than 16 bits")
			}
			a, c = scancode>>8, scancode&0xff
			na, nc = a, c^0xff
		}
		if p == Samsung32 {
			e.mark(samHdrMark).space(samHdrSpace)
		} else {
			e.mark(necHdrMark).space(necHdrSpace)
		}
		data := a | na<<8 | c<<16 | nc<<24
		for i := 0; i < 32; i++ {
			e.mark(necBitMark)
			if data&(1<<i) != 0 {
				e.space(necBit1Space)
			} else {
				e.space(necBit0Space)
			}
		}
		e.mark(necBitMark)
	case RC5:
		if scancode&^0x1f7f != 0 {
			return bad("not system<<8|command with a 5-bit system and 7-bit command")
		}
		sys, cmd := scancode>>8, scancode&0x7f
		v := uint32(1)<<13 | (cmd&0x40^0x40)<<6 | sys<<6 | cmd&0x3f
		if toggle {
			v |= 1 << 11
		}
		for i := 13; i >= 0; i-- {
			if v&(1<<i) != 0 {
				e.space(rc5Unit).mark(rc5Unit)
			} else {
				e.mark(rc5Unit).space(rc5Unit)
			}
		}
	case RC6_0:
		if scancode > 0xffff {
			return bad("more than 16 bits")
		}
		e.mark(rc6HdrMark).space(rc6HdrSpace)
		e.mark(rc6Unit).space(rc6Unit) // start bit 1
		for i := 0; i < 3; i++ {
			e.space(rc6Unit).mark(rc6Unit) // mode 0
		}
		if toggle {
			e.mark(2 * rc6Unit).space(2 * rc6Unit)
		} else {
			e.space(2 * rc6Unit).mark(2 * rc6Unit)
		}
		for i := 15; i >= 0; i-- {
			if scancode&(1<<i) != 0 {
				e.mark(rc6Unit).space(rc6Unit)
			} else {
				e.space(rc6Unit).mark(rc6Unit)
			}
		}
	case RC6_MCE:
		if scancode&mceToggle != 0 {
			return bad("bit 15 is the toggle, not part of the scancode")
		}
		if !mceCustomer(scancode) {
			return bad("top 16 bits are not an MCE customer code (0x800f, 0x8034, 0x8046)")
		}
		body := scancode
		if toggle {
			body |= mceToggle
		}
		e.mark(rc6HdrMark).space(rc6HdrSpace)
		e.mark(rc6Unit).space(rc6Unit) // start bit 1
		e.mark(rc6Unit).space(rc6Unit) // mode 110
		e.mark(rc6Unit).space(rc6Unit)
		e.space(rc6Unit).mark(rc6Unit)
		e.space(2 * rc6Unit).mark(2 * rc6Unit) // trailer bit 0
		for i := 31; i >= 0; i-- {
			if body&(1<<i) != 0 {
				e.mark(rc6Unit).space(rc6Unit)
			} else {
				e.space(rc6Unit).mark(rc6Unit)
			}
		}
	case SIRC12, SIRC15, SIRC20:
		cmd, dev, sub := scancode&0xff, scancode>>16, (scancode>>8)&0xff
		var v uint32
		n := 12
		switch {
		case cmd > 0x7f:
			return bad("command over 7 bits")
		case p == SIRC12 && (dev > 0x1f || sub != 0):
			return bad("not device(5 bits)<<16|command")
		case p == SIRC15 && (dev > 0xff || sub != 0):
			return bad("not device(8 bits)<<16|command")
		case p == SIRC20 && dev > 0x1f:
			return bad("not device(5 bits)<<16|subdevice<<8|command")
		}
		v = cmd | dev<<7
		switch p {
		case SIRC15:
			n = 15
		case SIRC20:
			n = 20
			v |= sub << 12
		}
		e.mark(sonyHdrMark).space(sonyHdrSpace)
		for i := 0; i < n; i++ {
			if i > 0 {
				e.space(sonySpace)
			}
			if v&(1<<i) != 0 {
				e.mark(sonyBit1)
			} else {
				e.mark(sonyBit0)
			}
		}
	default:
		return bad("unknown protocol")
	}
	return e.trim(), nil
}

// NECRepeat returns the pulses of an NEC repeat code (sent every 108 ms
// while a key is held, after the first frame).
func NECRepeat() []Pulse {
	var e enc
	return e.mark(necHdrMark).space(necRptSpace).mark(necBitMark).trim()
}

// enc appends pulses, merging neighbours of the same level.
type enc struct{ ps []Pulse }

func (e *enc) add(level bool, d time.Duration) *enc {
	if n := len(e.ps); n > 0 && e.ps[n-1].Level == level {
		e.ps[n-1].Duration += d
		return e
	}
	e.ps = append(e.ps, Pulse{Level: level, Duration: d})
	return e
}

func (e *enc) mark(d time.Duration) *enc  { return e.add(true, d) }
func (e *enc) space(d time.Duration) *enc { return e.add(false, d) }

// trim drops leading and trailing spaces: a frame starts and ends with a mark.
func (e *enc) trim() []Pulse {
	ps := e.ps
	for len(ps) > 0 && !ps[0].Level {
		ps = ps[1:]
	}
	for len(ps) > 0 && !ps[len(ps)-1].Level {
		ps = ps[:len(ps)-1]
	}
	return ps
}

// MustEncode is Encode for known-good scancodes (tests, tables); it panics
// on error.
func MustEncode(p Protocol, scancode uint32, toggle bool) []Pulse {
	ps, err := Encode(p, scancode, toggle)
	if err != nil {
		panic(err)
	}
	return ps
}
