package screens

import (
	"math"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"periph.io/x/conn/v3/ir"
)

// NextCardAt is how long before the end the next-episode card shows, in
// seconds of the episode (not wall time: a pause stops the countdown).
const NextCardAt = 20.0

// nextEpisode returns the episode after the one playing in its show's
// list (seasons follow each other there), skipping locked ones.
func (m *Model) nextEpisode() (api.EpisodeView, string, bool) {
	for _, s := range m.Catalog.Shows {
		for i, e := range s.Episodes {
			if e.ID != m.Play.Episode.ID {
				continue
			}
			for _, n := range s.Episodes[i+1:] {
				if !locked(n, m.lastNow) { // a premiere whose time came plays, as its card opens
					return n, s.Title, true
				}
			}
			return api.EpisodeView{}, "", false
		}
	}
	return api.EpisodeView{}, "", false
}

// previousEpisode returns the episode before the one playing in its
// show's list (the order nextEpisode follows), skipping locked ones.
func (m *Model) previousEpisode() (api.EpisodeView, string, bool) {
	for _, s := range m.Catalog.Shows {
		for i, e := range s.Episodes {
			if e.ID != m.Play.Episode.ID {
				continue
			}
			for j := i - 1; j >= 0; j-- {
				if !locked(s.Episodes[j], m.lastNow) {
					return s.Episodes[j], s.Title, true
				}
			}
			return api.EpisodeView{}, "", false
		}
	}
	return api.EpisodeView{}, "", false
}

// NextCardVisible says whether the next-episode card is up: in the last
// NextCardAt seconds of a started episode that has a next one, until Back
// cancels it.
func (m *Model) NextCardVisible() bool {
	p := &m.Play
	if m.Screen != Player || !p.Started || p.Failed != "" || p.NextCanceled || p.Duration <= NextCardAt || p.Duration-p.Position > NextCardAt {
		return false
	}
	_, _, ok := m.nextEpisode()
	return ok
}

// nextCountdown is the whole seconds left before the next episode starts.
func (m *Model) nextCountdown() int {
	return int(math.Ceil(max(m.Play.Duration-m.Play.Position, 0)))
}

// nextCardKey handles OK (play the next episode now) and Back (cancel the
// autoplay, keep watching); it reports whether it used the key.
func (m *Model) nextCardKey(k ir.Key, now time.Time) ([]Action, bool) {
	switch k {
	case ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
		return m.playNext(m.Play.Position, now), true
	case ir.KEY_ESC, ir.KEY_BACKSPACE, ir.KEY_BACK:
		m.Play.NextCanceled = true
		return nil, true
	}
	return nil, false
}

// playNext leaves the episode at pos (storing it as leave does) and plays
// the next one from its resume point.
func (m *Model) playNext(pos float64, now time.Time) []Action {
	next, show, ok := m.nextEpisode()
	if !ok {
		return m.leave(pos)
	}
	return m.playOther(next, show, pos, -1, now)
}

// playOther leaves the episode at pos (storing it as leave does) and
// plays ep of show from start seconds, or from its resume point when
// start < 0 (from 0 when it was watched). Leaving it later returns to
// where the first episode was started from.
func (m *Model) playOther(ep api.EpisodeView, show string, pos, start float64, now time.Time) []Action {
	acts := m.leave(pos)
	for _, s := range m.Catalog.Shows { // the model's copy has the latest resume point
		for _, e := range s.Episodes {
			if e.ID == ep.ID {
				ep = e
			}
		}
	}
	if start < 0 {
		start = ep.ResumeSeconds
		if ep.Watched {
			start = 0
		}
	}
	m.Screen = Player
	m.Play = Playback{Episode: ep, Show: show, Duration: ep.DurationSeconds, Position: start, OSDUntil: now.Add(OSDShowFor)}
	return append(acts, Play{Episode: ep, Start: start})
}

// EndOfFile leaves playback after the episode ended: the next episode
// starts unless the viewer cancelled it; after the last one (or a
// cancel) the viewer goes back to where they came from, the home screen
// with the focus on the episode just watched.
func (m *Model) EndOfFile(now time.Time) []Action {
	if m.Screen != Player {
		return nil
	}
	pos := m.Play.Duration
	if pos == 0 {
		pos = m.Play.Position
	}
	if !m.Play.NextCanceled && m.Play.Started {
		if _, _, ok := m.nextEpisode(); ok {
			return m.playNext(pos, now)
		}
	}
	return m.leave(pos)
}
