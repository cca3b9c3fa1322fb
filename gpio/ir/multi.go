package ir

// multi runs several decoders side by side on the same pulses.
type multi struct {
	ds      []Decoder
	enabled map[Protocol]bool // nil: all
}

// NewDecoderFor is NewDecoder restricted to the given protocols, as rc-core
// enables only the protocols of the loaded keymap: frames of other
// protocols are not returned (nor do they hide RC-5 frames). NEC repeat
// codes come through if any NEC variant is enabled.
func NewDecoderFor(protocols ...Protocol) Decoder {
	m := &multi{enabled: make(map[Protocol]bool)}
	for _, p := range protocols {
		m.enabled[p] = true
	}
	on := func(ps ...Protocol) bool {
		for _, p := range ps {
			if m.enabled[p] {
				return true
			}
		}
		return false
	}
	if on(NEC, NECX, NEC32) {
		m.ds = append(m.ds, NewNEC())
	}
	if on(Samsung32) {
		m.ds = append(m.ds, NewSamsung32())
	}
	if on(RC6_0) {
		m.ds = append(m.ds, NewRC6())
	}
	if on(SIRC12, SIRC15, SIRC20) {
		m.ds = append(m.ds, NewSIRC())
	}
	if on(RC5) {
		m.ds = append(m.ds, NewRC5())
	}
	return m
}

// NewDecoder returns a decoder for every protocol in Protocols, run in
// parallel on the same pulses. Their headers and lengths differ, so at most
// one completes on a pulse; RC-5, which has no header, yields to any decoder
// with one that just saw a well-formed frame.
func NewDecoder() Decoder {
	return &multi{ds: []Decoder{NewNEC(), NewSamsung32(), NewRC6(), NewSIRC(), NewRC5()}}
}

// claimer is a decoder with a header that can tell it just saw a
// well-formed frame, even one it does not return (a Sony copy waiting for
// confirmation, an NEC frame with a bad checksum).
type claimer interface{ claimed() bool }

func (m *multi) Feed(p Pulse) (Frame, bool) {
	var out Frame
	var got, claimed bool
	for _, d := range m.ds {
		if f, ok := d.Feed(p); ok && !got && (m.enabled == nil || m.enabled[f.Protocol] || f.Repeat) {
			out, got = f, true
		}
		if c, ok := d.(claimer); ok && c.claimed() {
			claimed = true
		}
	}
	// RC-5 has no header: a frame with one (Sony's 1200 us marks read as
	// RC-5 halves) is the better reading.
	if got && out.Protocol == RC5 && claimed {
		return Frame{}, false
	}
	return out, got
}

func (m *multi) Reset() {
	for _, d := range m.ds {
		d.Reset()
	}
}
