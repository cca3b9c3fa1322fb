// Package screens is the TV interface's state machine (first-boot pages, home screen, player, settings) fed by keys and player events, and its rendering to ASS overlays; it never calls mpv.
package screens

import (
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/ui/prefs"
	"periph.io/x/conn/v3/ir"
)

// Screen is what fills the TV.
type Screen int

const (
	Home      Screen = iota // rows of shows with their episodes
	Player                  // an episode full screen with the OSD
	Settings                // about, seeding, bandwidth, storage, network, remote, pairing
	FirstBoot               // language, time zone, Wi-Fi, the phone's QR code
	ShowPage                // one show: poster, synopsis, seasons, episodes, actions
)

// Seek steps during playback, in seconds.
const (
	SeekShort = 10.0 // Left/Right, rewind/fast-forward
	SeekLong  = 60.0 // Up/Down
)

// OSDShowFor is how long the player OSD stays up after a key or the start.
const OSDShowFor = 4 * time.Second

// Layout of the home screen's card grid (what fits on 1920x1080).
const (
	VisibleRows = 2
	VisibleCols = 5
)

// Action is something the controller must do for the model: it is one of
// Play, Stop, Seek, SetPause.
type Action interface{ isAction() }

// Play starts an episode full screen at Start seconds.
type Play struct {
	Episode api.EpisodeView
	Start   float64
}

// Stop leaves playback; Position and Duration (seconds) are what to store
// as the resume point, unless Keep: then nothing is stored (the episode
// failed or never showed a frame, so its resume point and watched mark
// must stay as they are).
type Stop struct {
	Episode            string
	Position, Duration float64
	Keep               bool
}

// Seek jumps to an absolute position in seconds.
type Seek struct{ To float64 }

// SetPause pauses or resumes playback.
type SetPause struct{ Paused bool }

func (Play) isAction()     {}
func (Stop) isAction()     {}
func (Seek) isAction()     {}
func (SetPause) isAction() {}

// Playback is what the model knows about the episode on screen.
type Playback struct {
	Episode       api.EpisodeView
	Show          string  // show title
	Position      float64 // seconds
	Duration      float64 // seconds; 0 until mpv knows it
	Paused        bool
	Buffering     bool // mpv's paused-for-cache
	BufferPercent int  // cache-buffering-state, 0..100
	Started       bool // the first frame was shown (playback-restart)
	OSDUntil      time.Time

	// Player OSD details (player.go).
	Failed     string            // mpv's reason playback failed; non-empty shows the failure screen
	FailedWhy  string            // the daemon's sentence for it, shown instead when set (FailureExplained)
	CacheEnd   float64           // mpv's demuxer-cache-time: seconds of the file read ahead up to; 0 unknown
	Source     *api.TorrentStats // the latest GET /api/stats figures for the episode
	SourcePrev *api.TorrentStats // the sample before
	Muted      bool
	VolumeMsg  time.Time // when a volume key was last pressed (shows the volume line)
	Volume     int       // mpv's volume, percent

	Tracks        []Track   // audio and subtitle tracks (tracks.go)
	Chapters      []Chapter // the file's chapters, if any
	Menu          int       // MenuNone, MenuAudio or MenuSubs
	MenuRow       int
	tracksApplied bool   // the show's remembered choice was applied
	NextCanceled  bool   // Back on the next-episode card: no autoplay (next.go)
	heldKey       ir.Key // the seek key autorepeating (seek.go)
	heldRepeats   int
	seeksInFlight int       // seeks asked of mpv whose playback restart has not come (seekTo)
	seekAt        time.Time // when the last was asked
}

// Model is the whole interface state. It is not safe for concurrent use:
// one goroutine (the controller's loop) owns it.
type Model struct {
	Catalog api.CatalogView
	Loaded  bool // a catalog has been received at least once
	Offline bool // the daemon is unreachable right now
	// OfflineSince is when the daemon stopped answering (offline.go).
	OfflineSince time.Time

	Pairing *api.PairingEvent

	Screen Screen
	Header bool      // home: the focus is on the Settings button above the rows
	Rows   []HomeRow // home rows, rebuilt from the catalog (home.go)
	Row    int       // focused row (index into Rows)
	Col    int       // focused card in that row
	RowTop int       // first visible row
	ColTop []int     // first visible card per row
	Notice *Notice   // why OK did nothing (a locked premiere, a failed start)
	Play   Playback

	ShowPage ShowState // the show page (show.go)

	colOf, topOf map[string]int // remembered focus and scroll per row key
	builtAt      time.Time      // the time Rows were built for
	lastNow      time.Time      // the time of the last key or tick
	lastKey      time.Time      // the time of the last key (idle.go)
	playFrom     Screen         // where playback started (home.go)

	alertSeen Alert // the alert whose panel was answered (health.go)

	// Idle is set after IdleAfter without a key on a menu: the screen
	// shows the screensaver until the next key, which does nothing else.
	Idle bool

	Settings SettingsState
	Setup    SetupState

	TrackPrefs map[string]prefs.Tracks // per show id: the audio/subtitle choice (tracks.go)
}

// SetCatalog replaces the catalog, keeping the focus on the same row
// and each row's remembered card where they still exist. The model keeps
// its own copy of the shows and episodes (it updates resume points in
// place).
func (m *Model) SetCatalog(v api.CatalogView) {
	shows := make([]api.ShowView, len(v.Shows))
	for i, s := range v.Shows {
		s.Episodes = append([]api.EpisodeView(nil), s.Episodes...)
		shows[i] = s
	}
	v.Shows = shows
	m.Catalog = v
	m.Loaded = true
	if m.Screen == ShowPage && m.ShowPage.Show >= len(shows) {
		m.Screen = Home
	}
	m.rebuildHome(m.lastNow)
}

// Focused returns the focused card's episode, if any.
func (m *Model) Focused() (api.EpisodeView, bool) {
	_, it, ok := m.FocusedItem()
	if !ok || it.Ep == ShowCard {
		return api.EpisodeView{}, false
	}
	return m.Catalog.Shows[it.Show].Episodes[it.Ep], true
}

// clamp keeps the focus on an existing card (or row 0 col 0 when empty)
// and scrolls rows and cards so the focus is visible.
func (m *Model) clamp() {
	rows := m.Rows
	if len(m.ColTop) != len(rows) {
		m.ColTop = make([]int, len(rows))
	}
	m.Row = min(max(m.Row, 0), max(len(rows)-1, 0))
	if len(rows) == 0 {
		m.Col, m.RowTop = 0, 0
		return
	}
	m.Col = min(max(m.Col, 0), max(len(rows[m.Row].Items)-1, 0))
	m.RowTop = scrollTo(m.RowTop, m.Row, VisibleRows, len(rows))
	m.ColTop[m.Row] = scrollTo(m.ColTop[m.Row], m.Col, VisibleCols, len(rows[m.Row].Items))
	m.saveRowFocus()
}

// scrollTo returns the first visible index of a window of size n over
// total items that contains focus, moving top as little as possible.
func scrollTo(top, focus, n, total int) int {
	if focus < top {
		top = focus
	}
	if focus >= top+n {
		top = focus - n + 1
	}
	return max(0, min(top, max(total-n, 0)))
}

// Key applies a key press (or repeat) and returns what the controller must do.
func (m *Model) Key(k ir.Key, now time.Time) []Action {
	m.lastNow = now
	if m.wake(now) {
		return nil
	}
	switch m.Screen {
	case Player:
		return m.playerKey(k, now)
	case Settings:
		return m.settingsKey(k)
	case FirstBoot:
		return m.setupKey(k, now)
	}
	if m.alertPanelUp() && m.Notice == nil {
		return m.alertKey(k)
	}
	if m.Screen == ShowPage {
		return m.showKey(k, now)
	}
	return m.homeKey(k, now)
}

func (m *Model) playerKey(k ir.Key, now time.Time) []Action {
	p := &m.Play
	if p.Failed != "" {
		return m.failedKey(k, now)
	}
	if p.Menu != MenuNone {
		return m.menuKey(k, now)
	}
	if m.NextCardVisible() {
		if acts, used := m.nextCardKey(k, now); used {
			return acts
		}
	}
	if k == ir.KEY_MENU {
		if len(p.Tracks) > 0 {
			p.openMenu(MenuAudio)
			p.OSDUntil = now.Add(OSDShowFor)
		}
		return nil
	}
	wasVisible := m.OSDVisible(now)
	p.OSDUntil = now.Add(OSDShowFor)
	p.heldKey = "" // a new press: held seeks start slow again
	switch k {
	case ir.KEY_NEXT, ir.KEY_PREVIOUS:
		return m.chapterKey(k, now)
	case ir.KEY_0, ir.KEY_1, ir.KEY_2, ir.KEY_3, ir.KEY_4, ir.KEY_5, ir.KEY_6, ir.KEY_7, ir.KEY_8, ir.KEY_9:
		return m.digitKey(k)
	case ir.KEY_INFO:
		if wasVisible && p.Started {
			p.OSDUntil = now // Info again hides it
		}
		return nil
	case ir.KEY_VOLUMEUP, ir.KEY_VOLUMEDOWN, ir.KEY_MUTE:
		return m.volumeKey(k, now)
	case ir.KEY_LEFT, ir.KEY_REWIND:
		return m.seekBy(-SeekShort)
	case ir.KEY_RIGHT, ir.KEY_FASTFORWARD:
		return m.seekBy(SeekShort)
	case ir.KEY_UP:
		return m.seekBy(SeekLong)
	case ir.KEY_DOWN:
		return m.seekBy(-SeekLong)
	case ir.KEY_SPACE, ir.KEY_PLAYPAUSE, ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
		p.Paused = !p.Paused
		if p.Paused {
			p.OSDUntil = now.Add(OSDPausedFor)
		}
		return []Action{SetPause{Paused: p.Paused}}
	case ir.KEY_PLAY:
		p.Paused = false
		return []Action{SetPause{Paused: false}}
	case ir.KEY_PAUSE:
		p.Paused = true
		p.OSDUntil = now.Add(OSDPausedFor)
		return []Action{SetPause{Paused: true}}
	case ir.KEY_ESC, ir.KEY_BACKSPACE, ir.KEY_BACK, ir.KEY_EXIT, ir.KEY_STOP, ir.KEY_HOME:
		return m.leave(p.Position)
	}
	return nil
}

// seekBy moves the position by delta seconds, clamped to [0, duration-1]
// when the duration is known. The position moves at once so repeated keys
// add up before mpv reports back.
func (m *Model) seekBy(delta float64) []Action {
	p := &m.Play
	to := max(p.Position+delta, 0)
	if p.Duration > 0 {
		to = min(to, max(p.Duration-1, 0))
	}
	return m.seekTo(to)
}

// SeekSettles bounds how long mpv's position reports are ignored after a
// seek whose playback restart has not come (mpv may merge seeks queued
// behind each other and restart once).
const SeekSettles = 2 * time.Second

// seekTo asks mpv to seek to `to` (seconds) and moves the position there
// at once. Until mpv has restarted playback after each seek asked (or
// SeekSettles passed), its position reports may predate the seek and are
// ignored: one that arrived between two presses of Right made the second
// count from the old position (0:20.04 instead of 0:20).
func (m *Model) seekTo(to float64) []Action {
	p := &m.Play
	p.Position = to
	p.seeksInFlight++
	p.seekAt = m.lastNow
	return []Action{Seek{To: to}}
}

// Restarted records one of mpv's playback restarts (the end of a seek,
// or of the start).
func (m *Model) Restarted() {
	if m.Screen == Player && m.Play.seeksInFlight > 0 {
		m.Play.seeksInFlight--
	}
}

// leave returns to where playback started and records pos as the episode's resume point locally
// (the daemon gets the same numbers through the Stop action).
func (m *Model) leave(pos float64) []Action {
	p := m.Play
	m.Screen = m.backFromPlayer()
	m.Play = Playback{}
	dur := p.Duration
	if !p.Started || p.Failed != "" {
		// Nothing was shown, or it failed: the old resume point and
		// watched mark stand.
		return []Action{Stop{Episode: p.Episode.ID, Position: pos, Duration: dur, Keep: true}}
	}
	for r := range m.Catalog.Shows {
		for c := range m.Catalog.Shows[r].Episodes {
			e := &m.Catalog.Shows[r].Episodes[c]
			if e.ID != p.Episode.ID {
				continue
			}
			if Watched(pos, dur) {
				e.Watched, e.ResumeSeconds = true, 0
			} else {
				e.ResumeSeconds = pos
			}
			if dur > 0 {
				e.DurationSeconds = dur
			}
			e.ResumedAt = m.lastNow
		}
	}
	m.rebuildHome(m.lastNow)
	return []Action{Stop{Episode: p.Episode.ID, Position: pos, Duration: dur}}
}

// Watched mirrors the daemon's rule: within the last 5% or 10 s.
func Watched(pos, dur float64) bool {
	return dur > 0 && (pos >= dur*0.95 || dur-pos <= 10)
}

// Position records mpv's time-pos (seconds), unless a seek is in flight
// (seekTo).
func (m *Model) Position(s float64) {
	if m.Screen != Player {
		return
	}
	p := &m.Play
	if p.seeksInFlight > 0 && m.lastNow.Sub(p.seekAt) < SeekSettles {
		return
	}
	p.seeksInFlight = 0
	p.Position = s
}

// Duration records mpv's duration (seconds).
func (m *Model) Duration(s float64) {
	if m.Screen == Player && s > 0 {
		m.Play.Duration = s
	}
}

// Paused records mpv's pause property; a pause shows the OSD for
// OSDPausedFor, then it fades and the pause stays.
func (m *Model) Paused(paused bool, now time.Time) {
	if m.Screen == Player && m.Play.Paused != paused {
		m.Play.Paused = paused
		m.Play.OSDUntil = now.Add(OSDShowFor)
		if paused {
			m.Play.OSDUntil = now.Add(OSDPausedFor)
		}
	}
}

// Buffering records paused-for-cache and the cache fill (percent).
func (m *Model) Buffering(buffering bool, percent int) {
	if m.Screen == Player {
		m.Play.Buffering = buffering
		m.Play.BufferPercent = min(max(percent, 0), 100)
	}
}

// Started records the first frame of the episode; the OSD shows briefly.
func (m *Model) Started(now time.Time) {
	if m.Screen == Player && !m.Play.Started {
		m.Play.Started = true
		m.Play.OSDUntil = now.Add(OSDShowFor)
	}
}

// OSDVisible says whether the player OSD is up at now: after keys, the
// start and a pause (for a while), and always while buffering or failed.
func (m *Model) OSDVisible(now time.Time) bool {
	p := m.Play
	return m.Screen == Player && (p.Buffering || !p.Started || p.Failed != "" || p.Menu != MenuNone || now.Before(p.OSDUntil))
}

// ShowPairing shows a pairing code until Paired or its expiry. In
// settings, the Pairing page shows it.
func (m *Model) ShowPairing(p api.PairingEvent) {
	m.Pairing = &p
	if m.Screen == Settings && m.Settings.Section != SecPairing && !m.learning() {
		m.Settings.Section, m.Settings.InContent, m.Settings.Row = SecPairing, false, 0
	}
}

// Paired hides the pairing code.
func (m *Model) Paired() { m.Pairing = nil }

// Tick drops an expired pairing code.
func (m *Model) Tick(now time.Time) {
	m.lastNow = now
	m.tickHome(now)
	m.idleTick(now)
	m.tickAlert()
	if m.Pairing != nil && !now.Before(m.Pairing.ExpiresAt) {
		m.Pairing = nil
	}
}
