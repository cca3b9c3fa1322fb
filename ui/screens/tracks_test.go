package screens

import (
	"testing"

	"github.com/atomicnetwork/atomicbox/ui/prefs"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"periph.io/x/conn/v3/ir"
)

// mpvTracks is a track-list as mpv 0.35 reports it (trimmed).
const mpvTracks = `[{"id":1,"type":"video","selected":true,"codec":"h264"},
{"id":1,"type":"audio","lang":"eng","selected":true},{"id":2,"type":"audio","lang":"deu","selected":false},
{"id":1,"type":"sub","lang":"eng","selected":true},{"id":2,"type":"sub","lang":"deu","title":"Forced\u0007","selected":false}]`

func TestParseTrackList(t *testing.T) {
	got, err := ParseTrackList(mpvTracks)
	if err != nil {
		t.Fatal(err)
	}
	want := []Track{{1, "audio", "eng", "", true}, {2, "audio", "deu", "", false}, {1, "sub", "eng", "", true}, {2, "sub", "deu", "Forced", false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{`{}`, `[{"id":0,"type":"audio"}]`, `[{"id":1,"type":"secret"}]`, `[`} {
		if _, err := ParseTrackList(bad); err == nil {
			t.Errorf("ParseTrackList(%s) accepted", bad)
		}
	}
	if _, err := ParseChapterList(`[{"title":"b","time":20},{"title":"a","time":10}]`); err == nil {
		t.Error("chapters out of order accepted")
	}
}

func TestLanguageName(t *testing.T) {
	for tag, want := range map[string]string{"eng": "English", "deu": "Deutsch", "ger": "Deutsch", "FRE": "Français", "": "Unknown language", "und": "Unknown language", "tlh": "TLH"} {
		if got := LanguageName(tag); got != want {
			t.Errorf("LanguageName(%q) = %q, want %q", tag, got, want)
		}
	}
}

// TestTrackMenus drives the menus with keys and checks what reaches mpv
// and what is remembered for the show.
func TestTrackMenus(t *testing.T) {
	tracks, _ := ParseTrackList(mpvTracks)
	tests := []struct {
		name      string
		keys      []ir.Key
		want      []Action
		wantPrefs map[string]prefs.Tracks
		reason    string
	}{
		{"german audio", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_OK), []Action{SetTrack{"aid", 2}, SaveTrackPrefs{map[string]prefs.Tracks{"s0": {Audio: "deu"}}}},
			map[string]prefs.Tracks{"s0": {Audio: "deu"}}, "the audio menu starts on the selected track; Down, OK picks Deutsch"},
		{"subtitles off", keys(ir.KEY_MENU, ir.KEY_RIGHT, ir.KEY_UP, ir.KEY_OK), []Action{SetTrack{"sid", 0}, SaveTrackPrefs{map[string]prefs.Tracks{"s0": {Sub: prefs.SubOff}}}},
			map[string]prefs.Tracks{"s0": {Sub: prefs.SubOff}}, "Right opens subtitles; the row above English is Off"},
		{"back closes", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_BACK), nil, nil, "Back closes the menu and changes nothing (and does not leave the episode)"},
		{"down clamps", keys(ir.KEY_MENU, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK), []Action{SetTrack{"aid", 2}, SaveTrackPrefs{map[string]prefs.Tracks{"s0": {Audio: "deu"}}}},
			map[string]prefs.Tracks{"s0": {Audio: "deu"}}, "no row past the last"},
	}
	for _, tt := range tests {
		var m Model
		m.SetCatalog(catalog(1))
		m.Key(ir.KEY_OK, t0)
		m.Started(t0)
		m.SetTracks(tracks)
		var got []Action
		for _, k := range tt.keys {
			got = append(got, m.Key(k, t0)...)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): actions (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		if diff := cmp.Diff(tt.wantPrefs, m.TrackPrefs, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: prefs (-want +got):\n%s", tt.name, diff)
		}
		if m.Screen != Player || m.Play.Menu != MenuNone {
			t.Errorf("%s: screen %v menu %d, want the player with the menu closed", tt.name, m.Screen, m.Play.Menu)
		}
	}
}

// TestRememberedTracksApplied: the first track list of an episode applies
// the show's choice; later lists (mpv reports every change) do not fight
// the viewer.
func TestRememberedTracksApplied(t *testing.T) {
	tracks, _ := ParseTrackList(mpvTracks)
	tests := []struct {
		name   string
		pref   prefs.Tracks
		want   []Action
		reason string
	}{
		{"german, no subs", prefs.Tracks{Audio: "deu", Sub: prefs.SubOff}, []Action{SetTrack{"aid", 2}, SetTrack{"sid", 0}}, "both remembered choices reach mpv"},
		{"already", prefs.Tracks{Audio: "eng", Sub: "eng"}, nil, "what mpv chose already (the household's language) is left alone"},
		{"missing language", prefs.Tracks{Audio: "fra"}, nil, "an episode without the remembered language keeps mpv's choice"},
	}
	for _, tt := range tests {
		var m Model
		m.SetCatalog(catalog(1))
		m.SetTrackPrefs(map[string]prefs.Tracks{"s0": tt.pref})
		m.Key(ir.KEY_OK, t0)
		got := m.SetTracks(tracks)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		if again := m.SetTracks(tracks); again != nil {
			t.Errorf("%s: a second track list applied the choice again: %v", tt.name, again)
		}
	}
}

func FuzzParseTrackList(f *testing.F) {
	f.Add(mpvTracks)
	f.Add(`[{"title":"Intro","time":0},{"title":"Part 2","time":12.5}]`)
	f.Fuzz(func(t *testing.T, s string) {
		if ts, err := ParseTrackList(s); err == nil {
			if len(ts) > maxTracks {
				t.Fatalf("%d tracks kept", len(ts))
			}
			for _, tr := range ts {
				if tr.ID < 1 || (tr.Type != "audio" && tr.Type != "sub") {
					t.Fatalf("bad track kept: %+v", tr)
				}
				_ = trackLabel(tr)
			}
		}
		if cs, err := ParseChapterList(s); err == nil {
			for i, c := range cs {
				if c.Time < 0 || (i > 0 && c.Time < cs[i-1].Time) {
					t.Fatalf("bad chapter kept: %+v", cs)
				}
			}
		}
	})
}
