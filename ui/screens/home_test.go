package screens

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"
)

// homeCatalog: show 0 has a started episode (resumed at t0-1h) and a
// premiere locked until t0+26h; show 1 has a started episode resumed more
// recently (t0-10min), an episode released 2 days ago and one released 30
// days ago.
func homeCatalog() api.CatalogView {
	cv := catalog(3, 3)
	s0, s1 := cv.Shows[0].Episodes, cv.Shows[1].Episodes
	s0[1].ResumeSeconds, s0[1].ResumedAt = 120, t0.Add(-time.Hour)
	s0[2].Locked, s0[2].AvailableAt, s0[2].Completion = "Coming soon.", t0.Add(26*time.Hour), 1
	s1[0].ResumeSeconds, s1[0].ResumedAt = 60, t0.Add(-10*time.Minute)
	s1[1].AvailableAt = t0.Add(-48 * time.Hour)
	s1[2].AvailableAt = t0.Add(-30 * 24 * time.Hour)
	return cv
}

func rowSummary(m *Model) []string {
	var out []string
	for _, r := range m.Rows {
		var ids []string
		for _, it := range r.Items {
			if it.Ep == ShowCard {
				ids = append(ids, "show")
				continue
			}
			ids = append(ids, m.Catalog.Shows[it.Show].Episodes[it.Ep].ID)
		}
		out = append(out, r.Key+": "+strings.Join(ids, " "))
	}
	return out
}

func TestHomeRows(t *testing.T) {
	tests := []struct {
		name   string
		now    time.Time
		want   []string
		reason string
	}{
		{"before release", t0, []string{
			"continue: s1e0 s0e1",
			"premieres: s0e2",
			"new: s1e1",
			"show:s0: show s0e0 s0e1 s0e2",
			"show:s1: show s1e0 s1e1 s1e2",
		}, "most recently resumed first; the locked episode is a premiere; only the episode released within 14 days is new"},
		{"after release", t0.Add(27 * time.Hour), []string{
			"continue: s1e0 s0e1",
			"new: s0e2 s1e1",
			"show:s0: show s0e0 s0e1 s0e2",
			"show:s1: show s1e0 s1e1 s1e2",
		}, "once its time has passed the premiere opens by itself and is the newest of the new episodes"},
	}
	for _, tt := range tests {
		var m Model
		m.SetCatalog(homeCatalog())
		m.Tick(tt.now)
		if diff := cmp.Diff(tt.want, rowSummary(&m)); diff != "" {
			t.Errorf("%s (%s): rows (-want +got):\n%s", tt.name, tt.reason, diff)
		}
	}
}

func TestHomeOK(t *testing.T) {
	cv := homeCatalog()
	tests := []struct {
		name       string
		keys       []ir.Key
		wantScreen Screen
		wantPlay   string // episode played, "" none
		wantStart  float64
		wantNotice string // substring
		reason     string
	}{
		{"continue resumes", keys(ir.KEY_OK), Player, "s1e0", 60, "", "OK on Continue watching resumes"},
		{"locked premiere says when", keys(ir.KEY_DOWN, ir.KEY_OK), Home, "", 0, "opens on Thursday 26 November at 22:00 (UTC)", "a locked premiere never plays; it says when it opens"},
		{"notice dismissed by a key", keys(ir.KEY_DOWN, ir.KEY_OK, ir.KEY_OK), Home, "", 0, "", "any key dismisses the notice and does nothing else"},
		{"new plays", keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK), Player, "s1e1", 0, "", "OK on a new episode plays it"},
		{"show card opens the show page", keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_LEFT, ir.KEY_OK), ShowPage, "", 0, "", "the show's own card opens its page"},
		{"episode in a show row plays", keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_OK), Player, "s0e1", 120, "", "an episode card plays from its resume point"},
	}
	for _, tt := range tests {
		var m Model
		m.Settings.Household.Have = true // zone "" is UTC
		m.SetCatalog(cv)
		var acts []Action
		for _, k := range tt.keys {
			acts = append(acts, m.Key(k, t0)...)
		}
		if m.Screen != tt.wantScreen {
			t.Errorf("%s (%s): screen %d, want %d", tt.name, tt.reason, m.Screen, tt.wantScreen)
		}
		var played string
		var start float64
		for _, a := range acts {
			if p, ok := a.(Play); ok {
				played, start = p.Episode.ID, p.Start
			}
		}
		if played != tt.wantPlay || start != tt.wantStart {
			t.Errorf("%s (%s): played %q at %v, want %q at %v", tt.name, tt.reason, played, start, tt.wantPlay, tt.wantStart)
		}
		got := ""
		if m.Notice != nil {
			got = m.Notice.Text
		}
		if (tt.wantNotice == "") != (got == "") || !strings.Contains(got, tt.wantNotice) {
			t.Errorf("%s (%s): notice %q, want one containing %q", tt.name, tt.reason, got, tt.wantNotice)
		}
		if m.Notice != nil && !strings.Contains(Render(&m, t0).Top, "Not out yet") {
			t.Errorf("%s: the notice is not drawn", tt.name)
		}
	}
}

// TestLockedMessageZone: the release time is said in the household's zone.
func TestLockedMessageZone(t *testing.T) {
	var m Model
	m.SetCatalog(homeCatalog())
	m.Settings.Household.Value.TimeZone = "Europe/Berlin"
	m.Settings.Household.Have = true
	got := m.LockedMessage(m.Catalog.Shows[0].Episodes[2])
	if want := "Ep 3 (S1 E3) opens on Thursday 26 November at 23:00 (Europe/Berlin)."; got != want {
		t.Errorf("LockedMessage = %q, want %q", got, want)
	}
}

func TestShowPage(t *testing.T) {
	cv := catalog(4)
	eps := cv.Shows[0].Episodes
	eps[2].Season, eps[2].Number = 2, 1
	eps[3].Season, eps[3].Number = 2, 2
	eps[0].Watched = true
	eps[1].ResumeSeconds = 100
	tests := []struct {
		name   string
		keys   []ir.Key
		want   []Action
		sel    string
		reason string
	}{
		{"play next unwatched", keys(ir.KEY_OK), []Action{Play{Episode: eps[1], Start: 100}}, "s0e1", "the page opens on the first unwatched episode; Play resumes it"},
		{"start over", keys(ir.KEY_RIGHT, ir.KEY_OK), []Action{Play{Episode: eps[1], Start: 0}}, "s0e1", "Start over plays from 0"},
		{"mark watched", keys(ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_OK), []Action{MarkWatched{Episode: "s0e1", Watched: true, Duration: 600}}, "s0e1", "Mark watched sends the mark"},
		{"season tab", keys(ir.KEY_DOWN, ir.KEY_RIGHT, ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_OK), []Action{Play{Episode: eps[3], Start: 0}}, "s0e3", "Right on the tabs opens season 2; the list selects and plays its second episode"},
		{"mark unwatched", keys(ir.KEY_DOWN, ir.KEY_DOWN, ir.KEY_UP, ir.KEY_UP, ir.KEY_UP, ir.KEY_RIGHT, ir.KEY_RIGHT, ir.KEY_OK), nil, "s0e1", "Up from the list's first row reaches the tabs, then the actions"},
		{"back", keys(ir.KEY_BACK), nil, "s0e1", "Back goes home"},
	}
	for _, tt := range tests {
		var m Model
		m.SetCatalog(cv)
		m.OpenShow(0, -1)
		var acts []Action
		for _, k := range tt.keys {
			acts = append(acts, m.Key(k, t0)...)
		}
		if tt.name == "mark unwatched" {
			// the list starts on s0e1 (season 1's second): Up goes to s0e0 first.
			tt.want = []Action{MarkWatched{Episode: "s0e0", Watched: false, Duration: 600}}
			tt.sel = "s0e0"
		}
		if diff := cmp.Diff(tt.want, acts); diff != "" {
			t.Errorf("%s (%s): actions (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		if got := m.Catalog.Shows[0].Episodes[m.ShowPage.Ep].ID; got != tt.sel && m.Screen != Player {
			t.Errorf("%s: selected %s, want %s", tt.name, got, tt.sel)
		}
		if tt.name == "back" && m.Screen != Home {
			t.Errorf("back: screen %d, want home", m.Screen)
		}
	}
}

// TestRenderTextSizes: nothing on the home screen, the show page or a
// notice is drawn under 24 px, and every text position sits inside the
// safe area (54 px top and bottom, 48 px sides at 1080p).
func TestRenderTextSizes(t *testing.T) {
	var m Model
	m.SetCatalog(homeCatalog())
	m.Tick(t0)
	frames := map[string]string{"home": Render(&m, t0).Home}
	m.Key(ir.KEY_DOWN, t0)
	m.Key(ir.KEY_OK, t0)
	frames["notice"] = Render(&m, t0).Top
	m.Notice = nil
	m.OpenShow(0, -1)
	frames["show"] = Render(&m, t0).Home
	for name, ass := range frames {
		for _, line := range strings.Split(ass, "\n") {
			var an, x, y, fs int
			if _, err := fmt.Sscanf(line, "{\\an%d\\pos(%d,%d)\\fnDejaVu Sans\\fs%d", &an, &x, &y, &fs); err != nil {
				continue
			}
			if fs < 24 {
				t.Errorf("%s: text at %d px: %s", name, fs, line)
			}
			if y < 54 || y > Height-54 || x < 48 || x > Width-48 {
				t.Errorf("%s: text outside the safe area at %d,%d: %s", name, x, y, line)
			}
		}
	}
}

// BenchmarkHomeModel builds and renders the home screen for 20 shows of
// 30 episodes, a third started, some premieres and new ones.
func BenchmarkHomeModel(b *testing.B) {
	counts := make([]int, 20)
	for i := range counts {
		counts[i] = 30
	}
	cv := catalog(counts...)
	for s := range cv.Shows {
		cv.Shows[s].PosterURL = "/api/poster/show/" + cv.Shows[s].ID
		for e := range cv.Shows[s].Episodes {
			ep := &cv.Shows[s].Episodes[e]
			ep.PosterURL = "/api/poster/episode/" + ep.ID
			switch e % 10 {
			case 0, 1, 2:
				ep.ResumeSeconds, ep.ResumedAt = 100, t0.Add(-time.Duration(s*30+e)*time.Minute)
			case 3:
				ep.AvailableAt = t0.Add(-time.Duration(e) * time.Hour)
			case 9:
				ep.Locked, ep.AvailableAt = "Coming.", t0.Add(time.Duration(s+e)*time.Hour)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		var m Model
		m.SetCatalog(cv)
		m.Tick(t0)
		m.Key(ir.KEY_DOWN, t0)
		f := Render(&m, t0)
		if len(f.Posters) == 0 {
			b.Fatal("no posters")
		}
	}
}

// TestIdle: menus dim after IdleAfter without a key; the waking key does
// nothing else; playback never dims.
func TestIdle(t *testing.T) {
	var m Model
	m.SetCatalog(catalog(3))
	m.Tick(t0)
	m.Tick(t0.Add(IdleAfter - time.Second))
	if m.Idle {
		t.Fatal("idle before IdleAfter")
	}
	m.Tick(t0.Add(IdleAfter))
	if !m.Idle {
		t.Fatal("not idle after IdleAfter on the home screen")
	}
	f := Render(&m, t0.Add(IdleAfter))
	if len(f.Posters) != 0 || f.Top != "" || !strings.Contains(f.Home, "20:05") {
		t.Errorf("screensaver frame: %d posters, top %q, home %q; want only the clock", len(f.Posters), f.Top, f.Home)
	}
	if acts := m.Key(ir.KEY_OK, t0.Add(IdleAfter+time.Second)); acts != nil || m.Idle || m.Screen != Home {
		t.Errorf("waking key: actions %v, idle %v, screen %d; want nothing but waking", acts, m.Idle, m.Screen)
	}
	m.Key(ir.KEY_OK, t0.Add(IdleAfter+2*time.Second)) // plays
	m.Tick(t0.Add(3 * IdleAfter))
	if m.Idle {
		t.Error("playback dimmed")
	}
}

// TestOffline: a daemon away at start says "retrying", then after
// NotSetUpAfter without any catalog the set-up screen says what to put
// where; a daemon that goes away after a catalog keeps the catalog on
// screen and, after a minute, says for how long.
func TestOffline(t *testing.T) {
	tests := []struct {
		name   string
		loaded bool
		after  time.Duration
		want   string
		reason string
	}{
		{"just down", false, time.Second, OfflineMessage, "at first it may be restarting"},
		{"never came up", false, NotSetUpAfter, "atomicbox.txt", "a daemon that exited on configuration does not come back"},
		{"restarting", true, 10 * time.Second, OfflineMessage, "with a catalog, a short absence is a restart"},
		{"away long", true, 3 * time.Minute, "stopped answering 3 min ago", "with a catalog, a long absence says for how long"},
	}
	for _, tt := range tests {
		var m Model
		if tt.loaded {
			m.SetCatalog(catalog(2))
		}
		m.SetOffline(true, t0)
		m.SetOffline(true, t0.Add(time.Second)) // still away: the clock keeps its start
		f := Render(&m, t0.Add(tt.after))
		if !strings.Contains(f.Top, tt.want) {
			t.Errorf("%s (%s): top layer %q, want %q", tt.name, tt.reason, f.Top, tt.want)
		}
	}
}

// TestShowPageReturn: playback started on the show page returns there,
// with the episode's resume point updated; from home it returns home.
func TestShowPageReturn(t *testing.T) {
	var m Model
	m.SetCatalog(catalog(3))
	m.OpenShow(0, -1)
	m.Key(ir.KEY_OK, t0) // Play s0e0
	m.Started(t0)        // leaving before the first frame would store nothing
	m.Position(120)
	m.Key(ir.KEY_BACK, t0)
	if m.Screen != ShowPage {
		t.Fatalf("after playback from the show page: screen %d, want the show page", m.Screen)
	}
	if got := m.Catalog.Shows[0].Episodes[0].ResumeSeconds; got != 120 {
		t.Errorf("resume point %v, want 120", got)
	}
	m.Key(ir.KEY_BACK, t0) // home
	m.Key(ir.KEY_DOWN, t0) // Continue watching is row 0 now; the show row below
	m.Key(ir.KEY_RIGHT, t0)
	if ep, _ := m.Focused(); ep.ID != "s0e1" {
		t.Fatalf("home focus on %q, want s0e1 (the show card is column 0)", ep.ID)
	}
	m.Key(ir.KEY_OK, t0)
	if m.Screen != Player {
		t.Fatalf("OK on s0e1 at home: screen %d, want the player", m.Screen)
	}
	m.Key(ir.KEY_BACK, t0)
	if m.Screen != Home {
		t.Errorf("after playback from home: screen %d, want home", m.Screen)
	}
}
