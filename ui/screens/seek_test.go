package screens

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"
)

// TestHeldSeekAccelerates: positions after a press and its repeats.
func TestHeldSeekAccelerates(t *testing.T) {
	repeats := func(k ir.Key, n int) []ir.Key {
		out := []ir.Key{}
		for range n {
			out = append(out, k)
		}
		return out
	}
	tests := []struct {
		name    string
		from    float64
		press   ir.Key
		repeats []ir.Key
		want    float64
		reason  string
	}{
		{"press only", 1000, ir.KEY_RIGHT, nil, 1010, "a press moves 10 s"},
		{"slow start", 1000, ir.KEY_RIGHT, repeats(ir.KEY_RIGHT, 4), 1050, "the first 4 repeats move 10 s each"},
		{"triples", 1000, ir.KEY_RIGHT, repeats(ir.KEY_RIGHT, 6), 1000 + 10 + 4*10 + 2*30, "then 30 s each"},
		{"six times", 1000, ir.KEY_RIGHT, repeats(ir.KEY_RIGHT, 14), 1000 + 10 + 4*10 + 8*30 + 2*60, "after 12 repeats 60 s each"},
		{"back", 2000, ir.KEY_LEFT, repeats(ir.KEY_LEFT, 6), 2000 - 10 - 4*10 - 2*30, "Left accelerates backwards"},
		{"long", 1000, ir.KEY_UP, repeats(ir.KEY_UP, 5), 1000 + 60 + 4*60 + 180, "Up starts at 60 s and triples too"},
		{"clamped", 3500, ir.KEY_RIGHT, repeats(ir.KEY_RIGHT, 20), 3599, "never past the last second"},
		{"other key resets", 1000, ir.KEY_RIGHT, append(repeats(ir.KEY_RIGHT, 6), repeats(ir.KEY_LEFT, 1)...), 1000 + 10 + 4*10 + 2*30 - 10, "a different held key starts slow"},
	}
	for _, tt := range tests {
		var m Model
		cv := catalog(1)
		cv.Shows[0].Episodes[0].DurationSeconds = 3600
		m.SetCatalog(cv)
		m.Key(ir.KEY_OK, t0)
		m.Started(t0)
		m.Duration(3600)
		m.Position(tt.from)
		acts := m.Key(tt.press, t0)
		for _, k := range tt.repeats {
			acts = m.KeyRepeat(k, t0)
		}
		if diff := cmp.Diff([]Action{Seek{To: tt.want}}, acts); diff != "" {
			t.Errorf("%s (%s): last action (-want +got):\n%s", tt.name, tt.reason, diff)
		}
	}
	// A new press after a hold starts slow again.
	var m Model
	m.SetCatalog(catalog(1))
	m.Key(ir.KEY_OK, t0)
	m.Started(t0)
	m.Position(100)
	m.Key(ir.KEY_RIGHT, t0)
	for range 8 {
		m.KeyRepeat(ir.KEY_RIGHT, t0)
	}
	for range 9 { // mpv restarts after each of the 9 seeks, then reports
		m.Restarted()
	}
	m.Position(300)
	m.Key(ir.KEY_RIGHT, t0)
	if got := m.KeyRepeat(ir.KEY_RIGHT, t0); !cmp.Equal(got, []Action{Seek{To: 320}}) {
		t.Errorf("after a release and a new press the first repeat is %v, want a 10 s step", got)
	}
}

// TestChapterKeys: Next/Previous jump chapters, or episodes without them;
// digits jump to tenths.
func TestChapterKeys(t *testing.T) {
	chapters := []Chapter{{"Intro", 0}, {"Act 1", 90}, {"Act 2", 300}, {"Credits", 560}}
	tests := []struct {
		name     string
		chapters []Chapter
		pos      float64
		key      ir.Key
		want     []Action
		reason   string
	}{
		{"next chapter", chapters, 100, ir.KEY_NEXT, []Action{Seek{To: 300}}, "Next goes to the next chapter's start"},
		{"previous restarts chapter", chapters, 320, ir.KEY_PREVIOUS, []Action{Seek{To: 300}}, "Previous goes to the start of the chapter playing"},
		{"previous chapter", chapters, 301, ir.KEY_PREVIOUS, []Action{Seek{To: 90}}, "within its first 3 s, Previous goes one chapter back"},
		{"next episode after last chapter", chapters, 570, ir.KEY_NEXT, []Action{Stop{Episode: "s0e0", Position: 570, Duration: 600}, Play{Episode: catalog(2).Shows[0].Episodes[1]}}, "Next in the last chapter plays the next episode"},
		{"next episode without chapters", nil, 100, ir.KEY_NEXT, []Action{Stop{Episode: "s0e0", Position: 100, Duration: 600}, Play{Episode: catalog(2).Shows[0].Episodes[1]}}, "without chapters Next is the next episode"},
		{"previous without chapters", nil, 100, ir.KEY_PREVIOUS, []Action{Seek{To: 0}}, "without chapters Previous restarts the episode"},
		{"digit", nil, 100, ir.KEY_5, []Action{Seek{To: 300}}, "5 jumps to the middle"},
		{"zero", nil, 100, ir.KEY_0, []Action{Seek{To: 0}}, "0 jumps to the start"},
	}
	for _, tt := range tests {
		var m Model
		m.SetCatalog(catalog(2))
		m.Key(ir.KEY_OK, t0)
		m.Started(t0)
		m.Duration(600)
		m.SetChapters(tt.chapters)
		m.Position(tt.pos)
		got := m.Key(tt.key, t0)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): (-want +got):\n%s", tt.name, tt.reason, diff)
		}
	}
}

// TestPreviousKey: Previous in the first PreviousWithin seconds plays the
// episode before in the show's list from its start, later it restarts the
// episode (or its chapter), and the first episode has nothing before it.
func TestPreviousKey(t *testing.T) {
	cv := catalog(3)
	cv.Shows[0].Episodes[0].ResumeSeconds = 250 // the previous one starts from 0 all the same
	eps := cv.Shows[0].Episodes
	tests := []struct {
		name     string
		playing  int // index of the episode playing
		chapters []Chapter
		pos      float64
		want     []Action
		reason   string
	}{
		{"previous episode", 1, nil, 2, []Action{Stop{Episode: "s0e1", Position: 2, Duration: 600}, Play{Episode: eps[0], Start: 0}},
			"in the first seconds Previous plays the episode before, from its start"},
		{"previous episode with chapters", 2, []Chapter{{"A", 0}, {"B", 200}}, 1, []Action{Stop{Episode: "s0e2", Position: 1, Duration: 600}, Play{Episode: eps[1], Start: 0}},
			"chapters do not stop Previous from reaching the episode before"},
		{"restart", 1, nil, 3.5, []Action{Seek{To: 0}}, "after the first seconds Previous restarts the episode"},
		{"first episode", 0, nil, 1, []Action{Seek{To: 0}}, "the first episode has nothing before it: Previous restarts it"},
	}
	for _, tt := range tests {
		var m Model
		m.SetCatalog(cv)
		m.Key(ir.KEY_DOWN, t0) // past Continue watching, to the show's row
		for range tt.playing {
			m.Key(ir.KEY_RIGHT, t0)
		}
		m.Key(ir.KEY_OK, t0)
		m.Started(t0)
		m.Duration(600)
		m.SetChapters(tt.chapters)
		m.Position(tt.pos)
		if m.Play.Episode.ID != eps[tt.playing].ID {
			t.Fatalf("%s: playing %s, want %s", tt.name, m.Play.Episode.ID, eps[tt.playing].ID)
		}
		got := m.Key(ir.KEY_PREVIOUS, t0)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		if len(tt.want) == 2 && (m.Screen != Player || m.Play.Episode.ID != eps[tt.playing-1].ID) {
			t.Errorf("%s: screen %v playing %s, want the player on %s", tt.name, m.Screen, m.Play.Episode.ID, eps[tt.playing-1].ID)
		}
	}
	// Two quick presses from anywhere reach the episode before.
	var m Model
	m.SetCatalog(cv)
	m.Key(ir.KEY_DOWN, t0)
	m.Key(ir.KEY_RIGHT, t0)
	m.Key(ir.KEY_OK, t0)
	m.Started(t0)
	m.Duration(600)
	m.Position(300)
	m.Key(ir.KEY_PREVIOUS, t0)
	if got := m.Key(ir.KEY_PREVIOUS, t0); len(got) != 2 || m.Play.Episode.ID != "s0e0" {
		t.Errorf("second Previous: %v, playing %s; want the episode before", got, m.Play.Episode.ID)
	}
}
