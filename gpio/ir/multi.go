package ir

import "time"

// multi runs several decoders side by side on the same pulses.
type multi struct {
	ds      []Decoder
	enabled map[Protocol]bool // nil: all

	claimAt time.Duration // At of the last frame a claimer claimed
	claimed bool
	lastAt  time.Duration // At of the last frame returned
	any     bool          // a frame was returned
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
	if on(RC6_MCE) {
		m.ds = append(m.ds, NewRC6MCE())
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
// with one that saw a well-formed frame ending on the same edge. The result
// is an Early decoder.
func NewDecoder() Decoder {
	return &multi{ds: []Decoder{NewNEC(), NewSamsung32(), NewRC6(), NewRC6MCE(), NewSIRC(), NewRC5()}}
}

// claimer is a decoder with a header that can tell it just saw a
// well-formed frame, even one it does not return (a Sony copy waiting for
// confirmation, an NEC frame with a bad checksum), and that frame's At.
type claimer interface {
	claimed() (time.Duration, bool)
}

// take keeps the first frame that is enabled and notes claims.
func (m *multi) take(d Decoder, f Frame, ok bool, out *Frame, got *bool) {
	if ok && !*got && (m.enabled == nil || m.enabled[f.Protocol] || f.Repeat) {
		*out, *got = f, true
	}
	if c, isC := d.(claimer); isC {
		if at, ok := c.claimed(); ok {
			m.claimAt, m.claimed = at, true
		}
	}
}

func (m *multi) Feed(p Pulse) (Frame, bool) {
	var out Frame
	var got bool
	for _, d := range m.ds {
		f, ok := d.Feed(p)
		m.take(d, f, ok, &out, &got)
	}
	return m.pick(out, got)
}

// pick returns f unless another reading of the same pulses wins. RC-5 has
// no header: a frame with one (Sony's 1200 us marks read as RC-5 halves) is
// the better reading, whether it claimed the pulses already or is waiting
// for the space after them to decide (a Sony frame that can end here: it
// does once the space lasts sonyGap, as it must after an RC-5 frame). And
// pulses that gave a frame give no second one: the decoder that decided on
// the last mark (RC-6, NEC) read them better than one that waited for the
// space after it (Sony 20, which has no check).
func (m *multi) pick(f Frame, ok bool) (Frame, bool) {
	if !ok || m.any && f.At == m.lastAt {
		return Frame{}, false
	}
	if f.Protocol == RC5 && (m.claimedAt(f.At) || m.waiting()) {
		return Frame{}, false
	}
	m.lastAt, m.any = f.At, true
	return f, true
}

// waiting reports whether a decoder waits for the space after the last
// pulse to decide a frame.
func (m *multi) waiting() bool {
	_, ok := m.Wait()
	return ok
}

func (m *multi) claimedAt(at time.Duration) bool { return m.claimed && m.claimAt == at }

// Wait implements Early.
func (m *multi) Wait() (time.Duration, bool) {
	var w time.Duration
	var any bool
	for _, d := range m.ds {
		if e, ok := d.(Early); ok {
			if dw, ok := e.Wait(); ok && (!any || dw < w) {
				w, any = dw, true
			}
		}
	}
	return w, any
}

// Quiet implements Early.
func (m *multi) Quiet(d time.Duration) (Frame, bool) {
	var out Frame
	var got bool
	for _, dec := range m.ds {
		if e, ok := dec.(Early); ok {
			f, ok := e.Quiet(d)
			m.take(dec, f, ok, &out, &got)
		}
	}
	return m.pick(out, got)
}

func (m *multi) Reset() {
	for _, d := range m.ds {
		d.Reset()
	}
}
