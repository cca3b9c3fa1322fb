package screens

import (
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"periph.io/x/conn/v3/ir"
)

// OSDPausedFor is how long the OSD stays up after a pause; then it fades
// and the picture stays paused (a paused OSD left for hours marks a TV).
const OSDPausedFor = 10 * time.Second

// VolumeStep is what one volume key changes, in mpv volume percent.
const VolumeStep = 5

// Volume changes mpv's volume by Delta percent, or toggles mute.
type Volume struct {
	Delta      int
	ToggleMute bool
}

// Unload replaces the episode in mpv by the backdrop without storing
// anything (after a failure, so no frozen frame stays on screen).
type Unload struct{}

func (Volume) isAction() {}
func (Unload) isAction() {}

// PlaybackFailed records that mpv could not play the episode (reason is
// mpv's end-file error). The player shows the failure screen with the
// reason at once; the controller then asks the daemon why and hands its
// answer to FailureExplained. OK retries and Back leaves. Nothing is
// stored: a failure never moves a resume point or clears a watched mark.
func (m *Model) PlaybackFailed(reason string) []Action {
	if m.Screen != Player || m.Play.Failed != "" {
		return nil
	}
	if reason == "" {
		reason = "unknown error"
	}
	m.Play.Failed = reason
	m.Play.Buffering = false
	return []Action{Unload{}}
}

// FailureExplained takes the daemon's sentence for why episode id failed
// ("" when the daemon sees nothing wrong, e.g. a file mpv cannot decode).
// While the failure screen for id is up: an episode that failed before
// its first frame with a reason goes back to where the viewer came from
// (home or the show page) with the reason as a notice (StartFailed); one
// that failed after it started keeps the failure screen, with the
// daemon's sentence in place of mpv's. Without a reason mpv's stays.
// Once the viewer has left the failure screen the answer is dropped.
func (m *Model) FailureExplained(id, reason string, now time.Time) []Action {
	p := &m.Play
	if reason == "" || m.Screen != Player || p.Failed == "" || p.Episode.ID != id {
		return nil
	}
	if p.Started {
		p.FailedWhy = reason
		return nil
	}
	acts := m.leave(p.Position) // stores nothing: it failed
	m.StartFailed(id, reason, now)
	return acts
}

// failedKey handles keys on the failure screen: OK (or Play) tries again
// from where the viewer was, Back and its kin leave without storing.
func (m *Model) failedKey(k ir.Key, now time.Time) []Action {
	p := &m.Play
	switch k {
	case ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT, ir.KEY_PLAY, ir.KEY_PLAYPAUSE, ir.KEY_SPACE:
		start := p.Episode.ResumeSeconds
		if p.Started {
			start = p.Position // it failed mid-way: carry on from there
		}
		*p = Playback{Episode: p.Episode, Show: p.Show, Duration: p.Duration, Position: start, OSDUntil: now.Add(OSDShowFor)}
		return []Action{Play{Episode: p.Episode, Start: start}}
	case ir.KEY_ESC, ir.KEY_BACKSPACE, ir.KEY_BACK, ir.KEY_EXIT, ir.KEY_STOP, ir.KEY_HOME:
		return m.leave(p.Position)
	}
	return nil
}

// volumeKey turns volume keys into Volume actions; the OSD shows the level.
func (m *Model) volumeKey(k ir.Key, now time.Time) []Action {
	p := &m.Play
	p.VolumeMsg = now
	switch k {
	case ir.KEY_VOLUMEUP:
		p.Muted = false
		return []Action{Volume{Delta: VolumeStep}}
	case ir.KEY_VOLUMEDOWN:
		return []Action{Volume{Delta: -VolumeStep}}
	}
	p.Muted = !p.Muted
	return []Action{Volume{ToggleMute: true}}
}

// SetVolume records mpv's volume (percent) and mute.
func (m *Model) SetVolume(volume int, muted bool) {
	m.Play.Volume, m.Play.Muted = volume, muted
}

// CacheEnd records mpv's demuxer-cache-time: the position (seconds) up to
// which the file has been read ahead.
func (m *Model) CacheEnd(s float64) {
	if m.Screen == Player {
		m.Play.CacheEnd = s
	}
}

// PlayStats records the daemon's transfer figures for the episode on
// screen (GET /api/stats); figures for another episode are ignored. The
// previous sample is kept: the OSD shows where the bytes came from
// between the two ("now").
func (m *Model) PlayStats(st api.Stats) {
	if m.Screen != Player {
		return
	}
	for _, t := range st.Torrents {
		if t.Episode == m.Play.Episode.ID {
			t := t
			m.Play.SourcePrev, m.Play.Source = m.Play.Source, &t
			if t.Completion > 0 {
				m.Play.Episode.Completion = t.Completion
			}
			return
		}
	}
}
