package screens

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atomicnetwork/atomicbox/ui/prefs"
	"periph.io/x/conn/v3/ir"
)

// Track is an audio or subtitle track of the file playing, from mpv's
// track-list property.
type Track struct {
	ID       int    `json:"id"`   // mpv's aid/sid
	Type     string `json:"type"` // "audio" or "sub"
	Lang     string `json:"lang"` // as tagged in the file ("eng"); may be ""
	Title    string `json:"title"`
	Selected bool   `json:"selected"`
}

// Chapter is one entry of mpv's chapter-list.
type Chapter struct {
	Title string  `json:"title"`
	Time  float64 `json:"time"` // seconds from the start
}

// Limits on what the parsers keep: a file may carry any number of tracks,
// the menus show these many.
const (
	maxTracks   = 64
	maxChapters = 256
)

// ParseTrackList reads mpv's track-list property (its JSON string form)
// and returns the audio and subtitle tracks, at most maxTracks. Video
// tracks are dropped; a track with id < 1 or a type mpv does not use is
// an error.
func ParseTrackList(s string) ([]Track, error) {
	var all []Track
	if err := json.Unmarshal([]byte(s), &all); err != nil {
		return nil, fmt.Errorf("track-list: %w", err)
	}
	var out []Track
	for _, t := range all {
		if t.ID < 1 {
			return nil, fmt.Errorf("track-list: track id %d", t.ID)
		}
		switch t.Type {
		case "video":
			continue
		case "audio", "sub":
		default:
			return nil, fmt.Errorf("track-list: track type %q", t.Type)
		}
		if len(out) < maxTracks {
			t.Lang, t.Title = clean(t.Lang, 32), clean(t.Title, 80)
			out = append(out, t)
		}
	}
	return out, nil
}

// ParseChapterList reads mpv's chapter-list property: chapters in time
// order, at most maxChapters, none before 0.
func ParseChapterList(s string) ([]Chapter, error) {
	var all []Chapter
	if err := json.Unmarshal([]byte(s), &all); err != nil {
		return nil, fmt.Errorf("chapter-list: %w", err)
	}
	if len(all) > maxChapters {
		all = all[:maxChapters]
	}
	for i, c := range all {
		if !(c.Time >= 0) || (i > 0 && c.Time < all[i-1].Time) {
			return nil, fmt.Errorf("chapter-list: chapter %d at %v", i, c.Time)
		}
		all[i].Title = clean(c.Title, 80)
	}
	return all, nil
}

// clean keeps at most n bytes of valid UTF-8 without control characters.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// languageNames are languages in their own words, by ISO 639-1 and -2
// (both B and T) codes. Scripts DejaVu Sans lacks are left out; their
// codes are shown as they are.
var languageNames = map[string]string{
	"en": "English", "eng": "English",
	"de": "Deutsch", "deu": "Deutsch", "ger": "Deutsch",
	"fr": "Français", "fra": "Français", "fre": "Français",
	"es": "Español", "spa": "Español",
	"it": "Italiano", "ita": "Italiano",
	"nl": "Nederlands", "nld": "Nederlands", "dut": "Nederlands",
	"pt": "Português", "por": "Português",
	"pl": "Polski", "pol": "Polski",
	"sv": "Svenska", "swe": "Svenska",
	"da": "Dansk", "dan": "Dansk",
	"no": "Norsk", "nor": "Norsk", "nb": "Norsk", "nob": "Norsk",
	"fi": "Suomi", "fin": "Suomi",
	"cs": "Čeština", "ces": "Čeština", "cze": "Čeština",
	"tr": "Türkçe", "tur": "Türkçe",
	"el": "Ελληνικά", "ell": "Ελληνικά", "gre": "Ελληνικά",
	"ru": "Русский", "rus": "Русский",
	"uk": "Українська", "ukr": "Українська",
}

// LanguageName names a track's language tag in words ("deu" → "Deutsch").
// Unknown tags are shown upper-case; no tag reads "Unknown language".
func LanguageName(tag string) string {
	if tag == "" || tag == "und" {
		return "Unknown language"
	}
	if n, ok := languageNames[strings.ToLower(tag)]; ok {
		return n
	}
	return strings.ToUpper(tag)
}

// trackLabel is a menu row: the language in words, then the title.
func trackLabel(t Track) string {
	l := LanguageName(t.Lang)
	if t.Title != "" && t.Title != l {
		l += " · " + t.Title
	}
	return l
}

// Track menus.
const (
	MenuNone = iota
	MenuAudio
	MenuSubs
)

// SetTrack selects a track: Prop is "aid" or "sid", ID 0 means none.
type SetTrack struct {
	Prop string
	ID   int
}

// SaveTrackPrefs asks the controller to store the per-show choices.
type SaveTrackPrefs struct{ Shows map[string]prefs.Tracks }

func (SetTrack) isAction()       {}
func (SaveTrackPrefs) isAction() {}

// SetTrackPrefs installs the choices read from the UI's state file.
func (m *Model) SetTrackPrefs(shows map[string]prefs.Tracks) { m.TrackPrefs = shows }

// showOf returns the id of the show that holds the episode, or "".
func (m *Model) showOf(episode string) string {
	for _, s := range m.Catalog.Shows {
		for _, e := range s.Episodes {
			if e.ID == episode {
				return s.ID
			}
		}
	}
	return ""
}

// SetTracks records mpv's track list for the episode on screen. The first
// list of an episode applies the show's remembered choice (the household's
// language is mpv's alang/slang default already).
func (m *Model) SetTracks(ts []Track) []Action {
	if m.Screen != Player {
		return nil
	}
	p := &m.Play
	p.Tracks = ts
	if p.tracksApplied || len(ts) == 0 {
		return nil
	}
	p.tracksApplied = true
	pref, ok := m.TrackPrefs[m.showOf(p.Episode.ID)]
	if !ok {
		return nil
	}
	var acts []Action
	if id := pickTrack(ts, "audio", pref.Audio); id > 0 {
		acts = append(acts, SetTrack{Prop: "aid", ID: id})
	}
	switch {
	case pref.Sub == prefs.SubOff:
		if selected(ts, "sub") > 0 {
			acts = append(acts, SetTrack{Prop: "sid", ID: 0})
		}
	default:
		if id := pickTrack(ts, "sub", pref.Sub); id > 0 {
			acts = append(acts, SetTrack{Prop: "sid", ID: id})
		}
	}
	return acts
}

// pickTrack returns the id of the first track of kind tagged lang when it
// is not already the selected one, else 0.
func pickTrack(ts []Track, kind, lang string) int {
	if lang == "" {
		return 0
	}
	for _, t := range ts {
		if t.Type == kind && strings.EqualFold(t.Lang, lang) {
			if t.Selected {
				return 0
			}
			return t.ID
		}
	}
	return 0
}

func selected(ts []Track, kind string) int {
	for _, t := range ts {
		if t.Type == kind && t.Selected {
			return t.ID
		}
	}
	return 0
}

// menuRows are the rows of the open menu: audio tracks, or "Off" (id 0)
// and the subtitle tracks.
func (p *Playback) menuRows() []Track {
	var rows []Track
	if p.Menu == MenuSubs {
		rows = append(rows, Track{Type: "sub", Selected: selected(p.Tracks, "sub") == 0})
	}
	kind := map[int]string{MenuAudio: "audio", MenuSubs: "sub"}[p.Menu]
	for _, t := range p.Tracks {
		if t.Type == kind {
			rows = append(rows, t)
		}
	}
	return rows
}

// openMenu opens a track menu with the focus on the selected row.
func (p *Playback) openMenu(menu int) {
	p.Menu, p.MenuRow = menu, 0
	for i, t := range p.menuRows() {
		if t.Selected {
			p.MenuRow = i
		}
	}
}

// menuKey handles keys while a track menu is open: Up/Down move, Left and
// Right switch between audio and subtitles, OK chooses (and remembers it
// for the show), Back or Menu closes.
func (m *Model) menuKey(k ir.Key, now time.Time) []Action {
	p := &m.Play
	p.OSDUntil = now.Add(OSDShowFor)
	rows := p.menuRows()
	switch k {
	case ir.KEY_UP:
		p.MenuRow = max(p.MenuRow-1, 0)
	case ir.KEY_DOWN:
		p.MenuRow = min(p.MenuRow+1, max(len(rows)-1, 0))
	case ir.KEY_LEFT:
		p.openMenu(MenuAudio)
	case ir.KEY_RIGHT:
		p.openMenu(MenuSubs)
	case ir.KEY_ESC, ir.KEY_BACKSPACE, ir.KEY_BACK, ir.KEY_MENU, ir.KEY_EXIT:
		p.Menu = MenuNone
	case ir.KEY_OK, ir.KEY_ENTER, ir.KEY_SELECT:
		if p.MenuRow >= len(rows) {
			return nil
		}
		t := rows[p.MenuRow]
		show := m.showOf(p.Episode.ID)
		if m.TrackPrefs == nil {
			m.TrackPrefs = map[string]prefs.Tracks{}
		}
		pref := m.TrackPrefs[show]
		var act SetTrack
		if p.Menu == MenuAudio {
			act = SetTrack{Prop: "aid", ID: t.ID}
			pref.Audio = t.Lang
		} else {
			act = SetTrack{Prop: "sid", ID: t.ID}
			pref.Sub = t.Lang
			if t.ID == 0 {
				pref.Sub = prefs.SubOff
			}
		}
		for i := range p.Tracks { // show the choice at once; mpv's list follows
			if p.Tracks[i].Type == t.Type {
				p.Tracks[i].Selected = p.Tracks[i].ID == t.ID
			}
		}
		p.Menu = MenuNone
		acts := []Action{act}
		if show != "" {
			m.TrackPrefs[show] = pref
			cp := make(map[string]prefs.Tracks, len(m.TrackPrefs))
			for k, v := range m.TrackPrefs {
				cp[k] = v
			}
			acts = append(acts, SaveTrackPrefs{Shows: cp})
		}
		return acts
	}
	return nil
}

// SetChapters records the file's chapters.
func (m *Model) SetChapters(cs []Chapter) {
	if m.Screen == Player {
		m.Play.Chapters = cs
	}
}

// TrackPrefFor returns the remembered choice of the show holding episode.
func (m *Model) TrackPrefFor(episode string) (prefs.Tracks, bool) {
	t, ok := m.TrackPrefs[m.showOf(episode)]
	return t, ok
}
