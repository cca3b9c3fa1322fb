package screens

import (
	"time"

	"periph.io/x/conn/v3/ir"
)

// Held seek keys accelerate: the first repeats move by the key's own step,
// then three times, then six times as far (10 s → 30 s → 60 s per repeat
// for Left/Right; 60 s → 3 min → 6 min for Up/Down). Repeats come about
// 5 to 12 times a second from IR and 2 to 3 from CEC (notes/couch.md).
const (
	seekRepeatsAt3x = 4  // repeats before the step triples
	seekRepeatsAt6x = 12 // repeats before it is six times the step
)

// seekStep is the signed base step of a seek key, 0 for other keys.
func seekStep(k ir.Key) float64 {
	switch k {
	case ir.KEY_LEFT, ir.KEY_REWIND:
		return -SeekShort
	case ir.KEY_RIGHT, ir.KEY_FASTFORWARD:
		return SeekShort
	case ir.KEY_UP:
		return SeekLong
	case ir.KEY_DOWN:
		return -SeekLong
	}
	return 0
}

// KeyRepeat applies an autorepeat of a held key (api.KeyRepeat). During
// playback a held seek key seeks further the longer it is held; anything
// else repeats as a press.
func (m *Model) KeyRepeat(k ir.Key, now time.Time) []Action {
	p := &m.Play
	step := seekStep(k)
	if m.Screen != Player || step == 0 || p.Failed != "" || p.Menu != MenuNone {
		return m.Key(k, now)
	}
	if p.heldKey != k {
		p.heldKey, p.heldRepeats = k, 0
	}
	p.heldRepeats++
	switch {
	case p.heldRepeats > seekRepeatsAt6x:
		step *= 6
	case p.heldRepeats > seekRepeatsAt3x:
		step *= 3
	}
	p.OSDUntil = now.Add(OSDShowFor)
	return m.seekBy(step)
}

// PreviousWithin is how far into an episode Previous still goes to the
// episode before (seconds of the episode); later it restarts the episode
// (or its chapter), as TVs and CD players do. Two quick presses therefore
// reach the previous episode from anywhere.
const PreviousWithin = 3.0

// chapterKey handles Next and Previous: chapters when the file has them,
// else the next episode (Next) or the episode's start (Previous). Within
// the first PreviousWithin seconds, Previous plays the episode before in
// the show's list (the order the next-episode card follows) from its
// start.
func (m *Model) chapterKey(k ir.Key, now time.Time) []Action {
	p := &m.Play
	if k == ir.KEY_NEXT {
		for _, c := range p.Chapters {
			if c.Time > p.Position+0.5 {
				return m.seekTo(c.Time)
			}
		}
		if _, _, ok := m.nextEpisode(); ok {
			return m.playNext(p.Position, now)
		}
		return nil
	}
	if p.Position < PreviousWithin {
		if prev, show, ok := m.previousEpisode(); ok {
			return m.playOther(prev, show, p.Position, 0, now)
		}
	}
	// Previous: the start of the chapter playing, or the one before when
	// within its first 3 s (as CD players do).
	to := 0.0
	for _, c := range p.Chapters {
		if c.Time < p.Position-PreviousWithin {
			to = c.Time
		}
	}
	return m.seekTo(to)
}

// digitKey jumps to a tenth of the episode: 0 to the start, 5 to the
// middle, 9 to 90%.
func (m *Model) digitKey(k ir.Key) []Action {
	p := &m.Play
	d := int(k[len(k)-1] - '0')
	if p.Duration <= 0 {
		return nil
	}
	return m.seekTo(p.Duration * float64(d) / 10)
}
