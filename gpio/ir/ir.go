package ir

import (
	"fmt"
	"time"
)

// Protocol names an IR protocol variant; the values are rc-core's protocol
// names so they read the same in keymaps.
type Protocol string

const (
	NEC       Protocol = "nec"       // NEC, 8-bit address and command both sent inverted
	NECX      Protocol = "necx"      // extended NEC, 16-bit address
	NEC32     Protocol = "nec32"     // NEC transport with 32 free bits (Apple, TiVo)
	Samsung32 Protocol = "samsung32" // Samsung: 4.5 ms header, address sent twice
	RC5       Protocol = "rc-5"      // Philips RC-5, 14 bits Manchester
	RC6_0     Protocol = "rc-6-0"    // Philips RC-6 mode 0, 16 bits
	RC6_MCE   Protocol = "rc-6-mce"  // RC-6 mode 6A, 32 bits, MCE customer codes (toggle 0x8000)
	SIRC12    Protocol = "sony-12"   // Sony SIRC 12 bits
	SIRC15    Protocol = "sony-15"   // Sony SIRC 15 bits
	SIRC20    Protocol = "sony-20"   // Sony SIRC 20 bits
)

// Protocols lists every protocol this package decodes, in a stable order.
var Protocols = []Protocol{NEC, NECX, NEC32, Samsung32, RC5, RC6_0, RC6_MCE, SIRC12, SIRC15, SIRC20}

// Valid reports whether p is one of Protocols.
func (p Protocol) Valid() bool {
	for _, q := range Protocols {
		if p == q {
			return true
		}
	}
	return false
}

// Pulse is one stretch of constant level as the receiver saw it.
type Pulse struct {
	Level    bool          // true = mark (carrier on), false = space
	Duration time.Duration // length of the stretch
}

// String formats a pulse as in the pulse-file format: "+563" for a mark,
// "-563" for a space, in microseconds.
func (p Pulse) String() string {
	sign := "-"
	if p.Level {
		sign = "+"
	}
	return fmt.Sprintf("%s%d", sign, p.Duration.Microseconds())
}

// Frame is one decoded transmission.
type Frame struct {
	Protocol Protocol
	Scancode uint32 // rc-core scancode layout for Protocol; 0 for a repeat code
	Toggle   bool   // toggle bit (RC-5, RC-6); flips on every new press
	Repeat   bool   // an NEC repeat code: "the key held before is still held"
	// At is the time of the frame's last edge (the start of its trailing
	// space) on the clock of whoever fed the pulses: decoders count it as
	// the sum of every duration fed since they were made, so it is the
	// source's clock when the source's pulses tile time from its epoch.
	At time.Duration
}

// Code is what a keymap maps to a key: a protocol and a scancode. The toggle
// bit and repeat flag are the tracker's business, not the keymap's.
type Code struct {
	Protocol Protocol
	Scancode uint32
}

// Code returns the frame's protocol and scancode.
func (f Frame) Code() Code { return Code{f.Protocol, f.Scancode} }

// String formats a code as "nec:0x0408".
func (c Code) String() string { return fmt.Sprintf("%s:%#04x", c.Protocol, c.Scancode) }

// Decoder turns pulses into frames. Feed returns a frame and true when the
// pulse completed one. Reset drops any partial frame (call it after the
// source lost edges); it keeps the decoder's clock. Not safe for concurrent use.
type Decoder interface {
	Feed(p Pulse) (Frame, bool)
	Reset()
}

// Early is a Decoder that can decide a frame while the space after the
// frame's last mark is still going on, instead of when that space ends (at
// the next edge, or when the edge source gives up waiting). The edge source
// calls Quiet once the line has been a space for Wait() after the last mark
// it fed; it still feeds the whole space to Feed when it ends, and a frame
// returned by Quiet is not returned again by Feed. Decoders that decide on
// the frame's last mark itself (NEC) need none of this. Not safe for
// concurrent use.
type Early interface {
	Decoder
	// Wait is how long a space after the last mark fed must last before
	// Quiet can decide something; false if nothing waits on that space.
	Wait() (time.Duration, bool)
	// Quiet says the space after the last mark fed has lasted d so far.
	// After it, Wait returns a longer duration or false.
	Quiet(d time.Duration) (Frame, bool)
}

// Family returns the protocol whose timing a frame of p uses for repeat and
// release purposes: the NEC variants share NEC's.
func (p Protocol) Family() Protocol {
	switch p {
	case NECX, NEC32:
		return NEC
	case SIRC15, SIRC20:
		return SIRC12
	}
	return p
}

// Period is the nominal start-to-start interval of a held key's frames.
func Period(p Protocol) time.Duration {
	switch p.Family() {
	case NEC, Samsung32:
		return 108 * time.Millisecond
	case RC5, RC6_0, RC6_MCE:
		return 114 * time.Millisecond
	case SIRC12:
		return 45 * time.Millisecond
	}
	return 110 * time.Millisecond
}

// ReleaseAfter is rc-core's protocol timeout: how long after a frame's last
// edge a key still counts as held without a further frame.
func ReleaseAfter(p Protocol) time.Duration {
	switch p.Family() {
	case NEC, Samsung32:
		return 110 * time.Millisecond
	case RC5, RC6_0, RC6_MCE:
		return 114 * time.Millisecond
	case SIRC12:
		return 100 * time.Millisecond
	}
	return 110 * time.Millisecond
}

// HasToggle reports whether p carries a toggle bit.
func HasToggle(p Protocol) bool { return p == RC5 || p == RC6_0 || p == RC6_MCE }
