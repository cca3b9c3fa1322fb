package screens

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"
)

// eof stands for the end of the file in a step.
const eof ir.Key = ""

// TestNextEpisode: the card in the last 20 s, autoplay at the end, Back
// cancels it, OK plays at once; after the last episode the viewer is back
// on its card.
func TestNextEpisode(t *testing.T) {
	type step struct {
		pos float64 // mpv's position before the key; <0 leaves it
		key ir.Key  // eof: end of file instead of a key
	}
	tests := []struct {
		name      string
		col       int    // the episode played (show 0 has 3, the middle one locked in "locked" rows)
		locked    bool   // episode 1 is locked
		opened    bool   // and its release time has passed (the catalog still says locked)
		steps     []step // applied in order
		wantCard  bool   // card visible after the steps
		wantPlay  string // episode on screen after the steps ("" = home)
		wantStops []Stop
		reason    string
	}{
		{"too early", 0, false, false, []step{{579, ir.KEY_INFO}}, false, "s0e0", nil, "21 s before the end: no card yet"},
		{"card", 0, false, false, []step{{581, ir.KEY_INFO}}, true, "s0e0", nil, "19 s before the end the card shows"},
		{"autoplay", 0, false, false, []step{{599.9, eof}}, false, "s0e1",
			[]Stop{{Episode: "s0e0", Position: 600, Duration: 600}}, "the end plays the next episode and stores the last as watched"},
		{"ok plays now", 0, false, false, []step{{585, ir.KEY_OK}}, false, "s0e1",
			[]Stop{{Episode: "s0e0", Position: 585, Duration: 600}}, "OK on the card plays the next episode at once"},
		{"back cancels", 0, false, false, []step{{585, ir.KEY_BACK}}, false, "s0e0", nil, "Back hides the card and playback goes on"},
		{"then the end", 0, false, false, []step{{585, ir.KEY_BACK}, {599.9, eof}}, false, "",
			[]Stop{{Episode: "s0e0", Position: 600, Duration: 600}}, "after a cancel the end goes back to the episode's card"},
		{"last episode", 2, false, false, []step{{590, ir.KEY_INFO}, {599.9, eof}}, false, "",
			[]Stop{{Episode: "s0e2", Position: 600, Duration: 600}}, "no card and no autoplay after the last episode"},
		{"skips locked", 0, true, false, []step{{599.9, eof}}, false, "s0e2",
			[]Stop{{Episode: "s0e0", Position: 600, Duration: 600}}, "a locked episode is skipped"},
		{"premiere opened", 0, true, true, []step{{599.9, eof}}, false, "s0e1",
			[]Stop{{Episode: "s0e0", Position: 600, Duration: 600}}, "a premiere whose time came plays next, as its card opens on the home screen"},
	}
	for _, tt := range tests {
		cv := catalog(3)
		if tt.locked {
			cv.Shows[0].Episodes[1].Locked = "Available Tue 1 Dec 2026 20:00 UTC."
		}
		if tt.opened {
			cv.Shows[0].Episodes[1].AvailableAt = t0.Add(-time.Hour)
		}
		var m Model
		m.SetCatalog(cv)
		played := fmt.Sprintf("s0e%d", tt.col)
		focusEpisode(t, &m, played)
		m.Key(ir.KEY_OK, t0)
		m.Started(t0)
		m.Duration(600)
		var stops []Stop
		for _, s := range tt.steps {
			if s.pos >= 0 {
				m.Position(s.pos)
			}
			var acts []Action
			if s.key == eof {
				acts = m.EndOfFile(t0)
			} else {
				acts = m.Key(s.key, t0)
			}
			for _, a := range acts {
				if st, ok := a.(Stop); ok {
					stops = append(stops, st)
				}
			}
		}
		if got := m.NextCardVisible(); got != tt.wantCard {
			t.Errorf("%s (%s): card %v, want %v", tt.name, tt.reason, got, tt.wantCard)
		}
		if tt.wantCard && !strings.Contains(Render(&m, t0.Add(OSDShowFor*10)).OSD, "Up next in 19 s") {
			t.Errorf("%s: the card does not count down (or hides with the OSD)", tt.name)
		}
		got := ""
		if m.Screen == Player {
			got = m.Play.Episode.ID
		}
		if got != tt.wantPlay {
			t.Errorf("%s (%s): playing %q, want %q", tt.name, tt.reason, got, tt.wantPlay)
		}
		if diff := cmp.Diff(tt.wantStops, stops); diff != "" {
			t.Errorf("%s (%s): stops (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		if ep, _ := m.Focused(); tt.wantPlay == "" && (m.Screen != Home || ep.ID != played) {
			t.Errorf("%s: back on screen %d with the focus on %q, want home on %q (the episode just watched)", tt.name, m.Screen, ep.ID, played)
		}
	}
}

// focusEpisode moves the home focus to episode id in its show's row (the
// show's own card is column 0 there), as arrow keys would.
func focusEpisode(t *testing.T, m *Model, id string) {
	t.Helper()
	for r, row := range m.Rows {
		for c, it := range row.Items {
			if row.Kind == RowShow && it.Ep != ShowCard && m.Catalog.Shows[it.Show].Episodes[it.Ep].ID == id {
				m.Row, m.Col = r, c
				m.clamp()
				if ep, ok := m.Focused(); !ok || ep.ID != id {
					t.Fatalf("focus on %q, want %q", ep.ID, id)
				}
				return
			}
		}
	}
	t.Fatalf("no card for %q on the home screen", id)
}
