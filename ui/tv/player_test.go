package tv

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
)

// playerNow is the wall clock the player goldens show: 19:30 UTC, 20:30
// in the household's zone (Europe/Berlin).
var playerNow = time.Date(2026, 12, 6, 19, 30, 0, 0, time.UTC)

// playerDaemon serves the fake daemon plus GET /api/stats with figures
// for stats (the episode the test plays) and a household in Berlin.
func playerDaemon(t *testing.T, d *fakeDaemon, stats api.Stats) string {
	t.Helper()
	d.settings = &api.SettingsView{Household: api.HouseholdSettings{TimeZone: "Europe/Berlin", Language: "en"}}
	mux := http.NewServeMux()
	mux.Handle("/", d.Handler())
	mux.HandleFunc("GET /api/stats", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, stats) })
	return startServer(t, mux).URL
}

// TestPlayerOSDDetailsGolden: the OSD paused at 0:20 of a real clip shows
// elapsed and remaining time, the clock and "ends at" in the household's
// zone, the read-ahead and on-disk bars and where the bytes came from.
func TestPlayerOSDDetailsGolden(t *testing.T) {
	startXvfb(t)
	clip := testmedia.Video(t, testmedia.Clip{Title: "Orbit S1E3", Seconds: 60, FastStart: true, Width: 640, Height: 360})
	cv := fixedCatalog()
	d := newFakeDaemon(cv)
	d.streams["/api/stream/orbit-s1e3"] = clip
	url := playerDaemon(t, d, api.Stats{Torrents: []api.TorrentStats{{Episode: "orbit-s1e3",
		TransferStats: api.TransferStats{BytesFromPeers: 30 << 20, BytesFromWebSeed: 10 << 20, Peers: 4, Completion: 0.62}}}})
	h := startUI(t, mpv.Desktop, url, func(c *Config) { c.Now = func() time.Time { return playerNow } })
	h.waitState(20*time.Second, "catalog and household", func(st probeState) bool {
		return st.model.Loaded && st.model.Settings.Household.Have
	})
	h.key("RIGHT")
	h.key("RIGHT")
	h.waitState(5*time.Second, "focus on S1 E3", func(st probeState) bool { return st.model.Col == 2 })
	h.key("ENTER")
	h.waitState(20*time.Second, "first frame", func(st probeState) bool { return st.model.Play.Started })
	h.key("SPACE")
	h.key("LEFT") // to 0
	h.key("RIGHT")
	h.key("RIGHT") // to 0:20, exact: a deterministic frame
	st := h.waitState(10*time.Second, "paused at 0:20 with stats and read-ahead", func(st probeState) bool {
		p := st.model.Play
		return p.Paused && p.Position == 20 && p.Source != nil && p.CacheEnd >= p.Duration-1 && st.frame.OSDVisible()
	})
	for _, want := range []string{"0:20", "-0:40", "20:30", "Ends at 20:30", "75% from neighbours, 25% from the network", "4 neighbours connected", "62% on this box"} {
		if !strings.Contains(st.frame.OSD, want) {
			t.Errorf("OSD lacks %q", want)
		}
	}
	time.Sleep(time.Second) // the seek's frame reaches the window
	h.compareScreenshot("player-osd.png")
}

// TestPlaybackFailedScreen: a watched episode whose stream cannot be
// opened shows the failure screen (golden), stores no resume point (the
// old defect stored 0 and un-watched it), Back returns home with the
// episode still watched, and OK on the failure screen retries and plays
// once the stream is there.
func TestPlaybackFailedScreen(t *testing.T) {
	startXvfb(t)
	cv := fixedCatalog() // orbit-s1e1 is watched
	d := newFakeDaemon(cv)
	url := playerDaemon(t, d, api.Stats{})
	h := startUI(t, mpv.Desktop, url, nil)
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded && st.model.Col == 0 })
	h.key("ENTER")
	st := h.waitState(20*time.Second, "failure screen", func(st probeState) bool { return st.model.Play.Failed != "" })
	if !strings.Contains(st.frame.OSD, "could not be played") {
		t.Errorf("failure screen text missing: %q", st.frame.OSD)
	}
	h.compareScreenshot("player-failed.png")

	h.key("ESC")
	h.waitState(10*time.Second, "home", func(st probeState) bool { return st.model.Screen == 0 })
	time.Sleep(500 * time.Millisecond) // a wrong PUT would be on its way by now
	if r := d.Resumes(); len(r) != 0 {
		t.Errorf("a failed playback stored resume points %+v; want none", r)
	}
	d.mu.Lock()
	watched := d.catalog.Shows[0].Episodes[0].Watched
	d.mu.Unlock()
	if !watched {
		t.Error("the daemon's copy of the episode lost its watched mark")
	}

	// Again, then the stream appears and OK retries.
	h.key("ENTER")
	h.waitState(20*time.Second, "failure screen again", func(st probeState) bool { return st.model.Play.Failed != "" })
	d.mu.Lock()
	d.streams["/api/stream/orbit-s1e1"] = testmedia.Video(t, testmedia.Clip{Title: "Orbit S1E1", Seconds: 20, FastStart: true, Width: 640, Height: 360})
	d.mu.Unlock()
	h.key("ENTER")
	h.waitState(20*time.Second, "playing after the retry", func(st probeState) bool {
		return st.model.Play.Started && st.model.Play.Failed == ""
	})
}
