package screens

import (
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"
)

// TestPlaybackFailure: a failure shows its screen and stores nothing; OK
// retries from where the viewer was, Back leaves with the old resume point
// and watched mark untouched.
func TestPlaybackFailure(t *testing.T) {
	type ep struct {
		resume  float64
		watched bool
	}
	tests := []struct {
		name        string
		before      ep
		started     bool    // a frame was shown before the failure
		at          float64 // mpv's position when it failed
		key         ir.Key
		want        []Action
		wantScreen  Screen
		wantEpisode ep // the model's copy of the episode afterwards
		reason      string
	}{
		{"watched fails, back", ep{0, true}, false, 0, ir.KEY_BACK,
			[]Action{Stop{Episode: "s0e0", Position: 0, Duration: 600, Keep: true}}, Home, ep{0, true},
			"a watched episode that fails to load stays watched (the old defect stored 0 and un-watched it)"},
		{"resumed fails, back", ep{250, false}, false, 250, ir.KEY_ESC,
			[]Action{Stop{Episode: "s0e0", Position: 250, Duration: 600, Keep: true}}, Home, ep{250, false},
			"the resume point stays where it was"},
		{"fails mid-way, back", ep{250, false}, true, 300, ir.KEY_HOME,
			[]Action{Stop{Episode: "s0e0", Position: 300, Duration: 600, Keep: true}}, Home, ep{250, false},
			"a failure after playing stores nothing: the periodic resume puts already carry the position"},
		{"retry", ep{250, false}, false, 250, ir.KEY_OK,
			[]Action{Play{Episode: api.EpisodeView{ID: "s0e0"}, Start: 250}}, Player, ep{250, false},
			"OK tries again from the resume point"},
		{"retry mid-way", ep{250, false}, true, 300, ir.KEY_ENTER,
			[]Action{Play{Episode: api.EpisodeView{ID: "s0e0"}, Start: 300}}, Player, ep{250, false},
			"OK after a failure mid-way carries on where it stopped"},
		{"other keys", ep{250, false}, true, 300, ir.KEY_RIGHT,
			nil, Player, ep{250, false},
			"seek keys do nothing on the failure screen"},
	}
	for _, tt := range tests {
		cv := catalog(1)
		e := &cv.Shows[0].Episodes[0]
		e.ResumeSeconds, e.Watched = tt.before.resume, tt.before.watched
		var m Model
		m.SetCatalog(cv)
		m.Key(ir.KEY_OK, t0)
		if tt.started {
			m.Started(t0)
			m.Position(tt.at)
		}
		if got := m.PlaybackFailed("loading failed"); !cmp.Equal(got, []Action{Unload{}}) {
			t.Errorf("%s: PlaybackFailed actions %v, want Unload", tt.name, got)
		}
		if !m.OSDVisible(t0.Add(time.Hour)) || !strings.Contains(Render(&m, t0).OSD, "could not be played") {
			t.Errorf("%s: the failure screen is not shown", tt.name)
		}
		got := m.Key(tt.key, t0.Add(time.Second))
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b api.EpisodeView) bool { return a.ID == b.ID })); diff != "" {
			t.Errorf("%s (%s): actions (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		if m.Screen != tt.wantScreen {
			t.Errorf("%s: screen %v, want %v", tt.name, m.Screen, tt.wantScreen)
		}
		after := m.Catalog.Shows[0].Episodes[0]
		if g := (ep{after.ResumeSeconds, after.Watched}); g != tt.wantEpisode {
			t.Errorf("%s (%s): episode afterwards %+v, want %+v", tt.name, tt.reason, g, tt.wantEpisode)
		}
		if _, retried := firstPlay(got); retried && m.Play.Failed != "" {
			t.Errorf("%s: still failed after a retry", tt.name)
		}
	}
}

// TestLeaveBeforeFirstFrame: leaving before any frame was shown stores
// nothing, so a watched episode opened by mistake stays watched.
func TestLeaveBeforeFirstFrame(t *testing.T) {
	cv := catalog(1)
	cv.Shows[0].Episodes[0].Watched = true
	var m Model
	m.SetCatalog(cv)
	m.Key(ir.KEY_OK, t0)
	got := m.Key(ir.KEY_BACK, t0)
	want := []Action{Stop{Episode: "s0e0", Duration: 600, Keep: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("back before the first frame (-want +got):\n%s", diff)
	}
	if !m.Catalog.Shows[0].Episodes[0].Watched {
		t.Error("the episode lost its watched mark")
	}
}

func TestPlayerVolumeKeys(t *testing.T) {
	tests := []struct {
		name      string
		keys      []ir.Key
		want      []Action
		wantMuted bool
		reason    string
	}{
		{"up", keys(ir.KEY_VOLUMEUP), []Action{Volume{Delta: VolumeStep}}, false, "volume up raises mpv's volume"},
		{"down", keys(ir.KEY_VOLUMEDOWN), []Action{Volume{Delta: -VolumeStep}}, false, "volume down lowers it"},
		{"mute", keys(ir.KEY_MUTE), []Action{Volume{ToggleMute: true}}, true, "mute toggles"},
		{"unmute by up", keys(ir.KEY_MUTE, ir.KEY_VOLUMEUP), []Action{Volume{ToggleMute: true}, Volume{Delta: VolumeStep}}, false, "raising the volume shows it unmuted (mpv reports the truth next)"},
	}
	for _, tt := range tests {
		var m Model
		m.SetCatalog(catalog(1))
		m.Key(ir.KEY_OK, t0)
		m.Started(t0)
		var got []Action
		for _, k := range tt.keys {
			got = append(got, m.Key(k, t0)...)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): actions (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		if m.Play.Muted != tt.wantMuted {
			t.Errorf("%s: muted %v, want %v", tt.name, m.Play.Muted, tt.wantMuted)
		}
	}
}

// TestPlayerOSDText: what the OSD says, in the household's time zone.
func TestPlayerOSDText(t *testing.T) {
	setup := func(m *Model) {
		m.SetHousehold(api.HouseholdSettings{TimeZone: "Europe/Berlin", Language: "en"}, nil, false)
		m.Screen = Home
		m.SetCatalog(catalog(1))
		m.Key(ir.KEY_OK, t0)
		m.Started(t0)
		m.Duration(600)
		m.Position(120)
	}
	tests := []struct {
		name   string
		setup  func(m *Model)
		want   []string
		reason string
	}{
		{"times", func(m *Model) {}, []string{"2:00", "-8:00", "Ends at 21:08", "21:00"},
			"elapsed, remaining, the clock and the end in Berlin (t0 is 20:00 UTC)"},
		{"sources", func(m *Model) {
			m.PlayStats(api.Stats{Torrents: []api.TorrentStats{
				{Episode: "other", TransferStats: api.TransferStats{Peers: 9}},
				{Episode: "s0e0", TransferStats: api.TransferStats{BytesFromPeers: 750, BytesFromWebSeed: 250, Peers: 3, Completion: 0.645}},
			}})
		}, []string{"So far: 75% from neighbours, 25% from the network", "3 neighbours connected", "64% on this box"},
			"the episode's own torrent: share of bytes from peers vs origin, peers connected, share on disk"},
		{"now", func(m *Model) {
			m.PlayStats(api.Stats{Torrents: []api.TorrentStats{{Episode: "s0e0", TransferStats: api.TransferStats{BytesFromPeers: 750, BytesFromWebSeed: 250, Peers: 2}}}})
			m.PlayStats(api.Stats{Torrents: []api.TorrentStats{{Episode: "s0e0", TransferStats: api.TransferStats{BytesFromPeers: 760, BytesFromWebSeed: 340, Peers: 2}}}})
		}, []string{"Now: 10% from neighbours, 90% from the network", "2 neighbours connected"},
			"two samples: the share of the bytes between them, not since the daemon started"},
		{"now from disk", func(m *Model) {
			st := api.Stats{Torrents: []api.TorrentStats{{Episode: "s0e0", TransferStats: api.TransferStats{BytesFromPeers: 750, BytesFromWebSeed: 250}}}}
			m.PlayStats(st)
			m.PlayStats(st)
		}, []string{"Now: from this box's disk", "no neighbours connected"}, "nothing arrived between the samples"},
		{"from disk", func(m *Model) {
			m.PlayStats(api.Stats{Torrents: []api.TorrentStats{{Episode: "s0e0", TransferStats: api.TransferStats{Peers: 1, Completion: 1}}}})
		}, []string{"From this box's disk", "1 neighbour connected", "100% on this box"}, "nothing downloaded since the daemon started"},
		{"muted", func(m *Model) { m.SetVolume(80, true) }, []string{"Muted"}, "mute is shown while the OSD is up"},
		{"volume", func(m *Model) { m.SetVolume(65, false); m.Key(ir.KEY_VOLUMEUP, t0) }, []string{"Volume 65%"}, "a volume key shows the level"},
	}
	var m Model
	setup(&m)
	if osd := Render(&m, t0).OSD; strings.Contains(osd, "neighbour") {
		t.Errorf("without figures from the daemon the OSD claims a source:\n%s", osd)
	}
	for _, tt := range tests {
		var m Model
		setup(&m)
		tt.setup(&m)
		osd := Render(&m, t0).OSD
		for _, w := range tt.want {
			if !strings.Contains(osd, w) {
				t.Errorf("%s (%s): OSD lacks %q:\n%s", tt.name, tt.reason, w, osd)
			}
		}
	}
}

func firstPlay(acts []Action) (Play, bool) {
	for _, a := range acts {
		if p, ok := a.(Play); ok {
			return p, true
		}
	}
	return Play{}, false
}

// TestFailureExplained: the daemon's answer to a failure. Before the
// first frame a reason takes the viewer back where they came from with a
// notice; after it the failure screen stays with the daemon's sentence;
// without a reason mpv's stays. Nothing is ever stored.
func TestFailureExplained(t *testing.T) {
	const gone = "The channel no longer lists this episode."
	tests := []struct {
		name       string
		fromShow   bool   // playback started on the show page
		started    bool   // a frame was shown before the failure
		id         string // the episode the answer is about
		why        string // the daemon's sentence
		want       []Action
		wantScreen Screen
		wantText   string // in the notice (home, show page) or on the failure screen
		reason     string
	}{
		{"before the first frame", false, false, "s0e0", gone,
			[]Action{Stop{Episode: "s0e0", Position: 250, Duration: 600, Keep: true}}, Home, gone,
			"a reason before any frame goes home with a notice, the resume point kept"},
		{"from the show page", true, false, "s0e0", gone,
			[]Action{Stop{Episode: "s0e0", Position: 250, Duration: 600, Keep: true}}, ShowPage, gone,
			"it goes back to the show page when it started there"},
		{"after the first frame", false, true, "s0e0", gone,
			nil, Player, gone,
			"a failure mid-way keeps the failure screen (OK retries) with the daemon's words"},
		{"no reason", false, false, "s0e0", "",
			nil, Player, "could not open the episode's stream",
			"the daemon sees nothing wrong: mpv's reason stays on the failure screen"},
		{"another episode", false, false, "s0e1", gone,
			nil, Player, "could not open the episode's stream",
			"a late answer about another episode changes nothing"},
	}
	for _, tt := range tests {
		cv := catalog(2)
		cv.Shows[0].Episodes[0].ResumeSeconds = 250
		var m Model
		m.SetCatalog(cv)
		if tt.fromShow {
			m.OpenShow(0, 0)
		} else {
			focusEpisode(t, &m, "s0e0")
		}
		m.Key(ir.KEY_OK, t0)
		if m.Screen != Player || m.Play.Episode.ID != "s0e0" {
			t.Fatalf("%s: not playing s0e0", tt.name)
		}
		if tt.started {
			m.Started(t0)
		}
		m.PlaybackFailed("loading failed")
		got := m.FailureExplained(tt.id, tt.why, t0)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (%s): actions (-want +got):\n%s", tt.name, tt.reason, diff)
		}
		if m.Screen != tt.wantScreen {
			t.Errorf("%s (%s): screen %v, want %v", tt.name, tt.reason, m.Screen, tt.wantScreen)
		}
		f := Render(&m, t0)
		text := f.OSD
		if tt.wantScreen != Player {
			text = f.Top
			if m.Notice == nil {
				t.Errorf("%s (%s): no notice", tt.name, tt.reason)
			}
		}
		if !strings.Contains(text, tt.wantText) {
			t.Errorf("%s (%s): screen says %q, want %q", tt.name, tt.reason, text, tt.wantText)
		}
		if e := m.Catalog.Shows[0].Episodes[0]; e.ResumeSeconds != 250 || e.Watched {
			t.Errorf("%s: the failure changed the episode: %+v", tt.name, e)
		}
		if tt.wantScreen == Player && tt.started {
			// OK retries from where it failed and clears the reason.
			m.Key(ir.KEY_OK, t0)
			if m.Play.Failed != "" || m.Play.FailedWhy != "" {
				t.Errorf("%s: still failed after a retry: %q %q", tt.name, m.Play.Failed, m.Play.FailedWhy)
			}
		}
	}
}
