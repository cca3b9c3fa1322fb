package tv

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/prefs"
	"github.com/atomicnetwork/atomicbox/ui/screens"
	"github.com/google/go-cmp/cmp"
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
	h.focusOn("orbit-s1e3", "DOWN", "RIGHT", "RIGHT") // past Continue watching; the show card is column 0
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

// TestPlaybackFailedScreen: a watched episode whose stream the daemon
// serves but mpv cannot play (so the daemon has no reason to give) shows
// the player's failure screen with mpv's reason (golden), stores no
// resume point (the old defect stored 0 and un-watched it), Back returns
// home with the episode still watched, and OK on the failure screen
// retries and plays once the stream is a video.
func TestPlaybackFailedScreen(t *testing.T) {
	startXvfb(t)
	cv := fixedCatalog() // orbit-s1e1 is watched
	d := newFakeDaemon(cv)
	junk := filepath.Join(t.TempDir(), "junk.mp4")
	if err := os.WriteFile(junk, []byte(strings.Repeat("not a video at all\n", 4096)), 0o644); err != nil {
		t.Fatal(err)
	}
	d.streams["/api/stream/orbit-s1e1"] = junk
	url := playerDaemon(t, d, api.Stats{})
	h := startUI(t, mpv.Desktop, url, nil)
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded })
	h.focusOn("orbit-s1e1", "DOWN") // past Continue watching to Orbit's first episode
	h.key("ENTER")
	st := h.waitState(20*time.Second, "failure screen", func(st probeState) bool { return st.model.Play.Failed != "" })
	if !strings.Contains(st.frame.OSD, "could not be played") {
		t.Errorf("failure screen text missing: %q", st.frame.OSD)
	}
	time.Sleep(time.Second) // the daemon's answer (none) has come back: the screen stays
	st = h.waitState(time.Second, "still the failure screen", func(st probeState) bool { return true })
	if st.model.Screen != screens.Player || st.model.Play.Failed == "" || st.model.Notice != nil {
		t.Fatalf("a failure the daemon cannot explain left the failure screen: screen %v, notice %+v", st.model.Screen, st.model.Notice)
	}
	h.compareScreenshot("player-failed.png")

	h.key("ESC")
	h.waitState(10*time.Second, "home", func(st probeState) bool { return st.model.Screen == screens.Home })
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

	// Again, then the stream becomes a video and OK retries.
	h.focusOn("orbit-s1e1")
	h.key("ENTER")
	h.waitState(20*time.Second, "failure screen again", func(st probeState) bool { return st.model.Play.Failed != "" })
	// Rendered before taking the fake daemon's lock: an ffmpeg render under
	// load takes seconds, and the TV's requests must not wait for it.
	clip := testmedia.Video(t, testmedia.Clip{Title: "Orbit S1E1", Seconds: 20, FastStart: true, Width: 640, Height: 360})
	d.mu.Lock()
	d.streams["/api/stream/orbit-s1e1"] = clip
	d.mu.Unlock()
	h.key("ENTER")
	h.waitState(20*time.Second, "playing after the retry", func(st probeState) bool {
		return st.model.Play.Started && st.model.Play.Failed == ""
	})
}

// trackClip is an episode with English and German audio and subtitles
// and three chapters.
func trackClip(t *testing.T) string {
	return testmedia.Video(t, testmedia.Clip{Title: "Orbit S1E3", Seconds: 60, FastStart: true, Width: 640, Height: 360,
		AudioLangs: []string{"eng", "deu"}, SubLangs: []string{"eng", "deu"}, Chapters: 3})
}

func selectedLang(ts []screens.Track, kind string) (string, bool) {
	for _, tr := range ts {
		if tr.Type == kind && tr.Selected {
			return tr.Lang, true
		}
	}
	return "", false
}

// TestTrackMenusGolden: Menu opens the audio menu (languages in words),
// Right the subtitle menu (goldens of both); a choice is remembered for
// the show in the TV's state file and applied by mpv the next time an
// episode of the show plays.
func TestTrackMenusGolden(t *testing.T) {
	startXvfb(t)
	clip := trackClip(t)
	cv := fixedCatalog()
	d := newFakeDaemon(cv)
	d.streams["/api/stream/orbit-s1e3"] = clip
	d.streams["/api/stream/orbit-s1e4"] = clip
	d.streams["/api/stream/deepfield-s2e3"] = clip
	url := playerDaemon(t, d, api.Stats{})
	state := t.TempDir()
	h := startUI(t, mpv.Desktop, url, func(c *Config) {
		c.Now = func() time.Time { return playerNow }
		c.StateDir = state
	})
	h.waitState(20*time.Second, "catalog and household", func(st probeState) bool {
		return st.model.Loaded && st.model.Settings.Household.Have
	})
	h.focusOn("orbit-s1e3", "DOWN", "RIGHT", "RIGHT") // past Continue watching; the show card is column 0
	h.key("ENTER")
	h.waitState(20*time.Second, "first frame and tracks", func(st probeState) bool {
		return st.model.Play.Started && len(st.model.Play.Tracks) == 4
	})
	h.key("SPACE")
	h.key("LEFT") // to 0: a deterministic frame
	h.waitState(10*time.Second, "paused at 0", func(st probeState) bool {
		p := st.model.Play
		// mpv's demuxer-cache-time stays near 0 here: the subtitle
		// tracks' single long cue holds it back.
		return p.Paused && p.Position == 0
	})
	h.key("MENU")
	st := h.waitState(5*time.Second, "audio menu", func(st probeState) bool { return st.model.Play.Menu == screens.MenuAudio })
	for _, want := range []string{"English", "Deutsch"} {
		if !strings.Contains(st.frame.OSD, want) {
			t.Errorf("audio menu lacks %q", want)
		}
	}
	time.Sleep(time.Second)
	h.compareScreenshot("player-audio-menu.png")
	h.key("RIGHT")
	st = h.waitState(5*time.Second, "subtitle menu", func(st probeState) bool { return st.model.Play.Menu == screens.MenuSubs })
	if !strings.Contains(st.frame.OSD, "Off") || !strings.Contains(st.frame.OSD, "Deutsch") {
		t.Errorf("subtitle menu lacks Off or Deutsch")
	}
	h.compareScreenshot("player-subtitle-menu.png")

	// Subtitles off (row 0), then German audio.
	h.key("UP")
	h.key("UP")
	h.key("UP")
	h.key("ENTER")
	h.key("MENU")
	h.key("DOWN")
	h.key("ENTER")
	h.waitState(5*time.Second, "menu closed", func(st probeState) bool { return st.model.Play.Menu == screens.MenuNone })
	want := map[string]prefs.Tracks{"orbit": {Audio: "deu", Sub: prefs.SubOff}}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := prefs.Load(filepath.Join(state, prefsFile))
		if err == nil && cmp.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("state file holds %v (%v), want %v", got, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Another show keeps the household's languages: English, subtitles on.
	h.key("ESC")
	h.waitState(10*time.Second, "home", func(st probeState) bool { return st.model.Screen == screens.Home })
	h.focusOn("deepfield-s2e3", "DOWN", "RIGHT", "RIGHT")
	h.key("ENTER")
	h.waitState(20*time.Second, "English audio and subtitles in another show", func(st probeState) bool {
		p := st.model.Play
		a, _ := selectedLang(p.Tracks, "audio")
		s, _ := selectedLang(p.Tracks, "sub")
		return p.Started && p.Episode.ID == "deepfield-s2e3" && len(p.Tracks) == 4 && a == "eng" && s == "eng"
	})

	// The next episode of the show: mpv itself reports German audio and
	// no subtitles (the model's list comes only from mpv here).
	h.key("ESC")
	h.waitState(10*time.Second, "home", func(st probeState) bool { return st.model.Screen == screens.Home })
	h.focusOn("orbit-s1e3", "UP") // Orbit's row remembers its card
	h.focusOn("orbit-s1e4", "RIGHT")
	h.key("ENTER")
	h.waitState(10*time.Second, "playing S1 E4", func(st probeState) bool { return st.model.Play.Episode.ID == "orbit-s1e4" })
	h.waitState(20*time.Second, "German audio, no subtitles", func(st probeState) bool {
		p := st.model.Play
		a, _ := selectedLang(p.Tracks, "audio")
		_, sub := selectedLang(p.Tracks, "sub")
		return p.Started && p.Episode.ID == "orbit-s1e4" && len(p.Tracks) == 4 && a == "deu" && !sub
	})
}

// TestNextEpisodeCardGolden: 20 s before the end the card shows the next
// episode with its countdown (golden); Back cancels it; when the episode
// is started again and reaches its end, the next one plays by itself.
func TestNextEpisodeCardGolden(t *testing.T) {
	startXvfb(t)
	clip := testmedia.Video(t, testmedia.Clip{Title: "Orbit S1E3", Seconds: 60, FastStart: true, Width: 640, Height: 360})
	cv := fixedCatalog()
	d := newFakeDaemon(cv)
	d.streams["/api/stream/orbit-s1e3"] = clip
	d.streams["/api/stream/orbit-s1e4"] = clip
	url := playerDaemon(t, d, api.Stats{})
	h := startUI(t, mpv.Desktop, url, func(c *Config) { c.Now = func() time.Time { return playerNow } })
	h.waitState(20*time.Second, "catalog and household", func(st probeState) bool {
		return st.model.Loaded && st.model.Settings.Household.Have
	})
	h.focusOn("orbit-s1e3", "DOWN", "RIGHT", "RIGHT") // past Continue watching; the show card is column 0
	h.key("ENTER")
	h.waitState(20*time.Second, "first frame", func(st probeState) bool { return st.model.Play.Started })
	h.key("SPACE")
	h.key("LEFT")
	for range 4 {
		h.key("RIGHT") // to 0:40 (0:50 would count as watched when leaving below)
	}
	st := h.waitState(10*time.Second, "paused at 0:40 with the card", func(st probeState) bool {
		p := st.model.Play
		return p.Paused && p.Position == 40 && p.CacheEnd >= p.Duration-1
	})
	if !strings.Contains(st.frame.OSD, "Up next in 20 s") || !strings.Contains(st.frame.OSD, "Dark Side") {
		t.Errorf("next-episode card missing or wrong: %q", st.frame.OSD)
	}
	time.Sleep(time.Second)
	h.compareScreenshot("player-next-card.png")

	h.key("ESC")
	st = h.waitState(5*time.Second, "card cancelled", func(st probeState) bool { return st.model.Play.NextCanceled })
	if st.model.Screen != screens.Player || strings.Contains(st.frame.OSD, "Up next") {
		t.Errorf("Back on the card: screen %v, card still drawn %v; want the player without the card", st.model.Screen, strings.Contains(st.frame.OSD, "Up next"))
	}

	// Leave, start again (resumes at 0:40), jump to the last second and play.
	h.key("ESC")
	h.waitState(10*time.Second, "home", func(st probeState) bool { return st.model.Screen == screens.Home })
	h.key("ENTER")
	h.waitState(20*time.Second, "resumed", func(st probeState) bool {
		return st.model.Play.Started && st.model.Play.Episode.ID == "orbit-s1e3" && st.model.Play.Position >= 39
	})
	h.key("UP") // to 0:59
	h.waitState(20*time.Second, "the next episode by itself", func(st probeState) bool {
		return st.model.Play.Episode.ID == "orbit-s1e4" && st.model.Play.Started
	})
	var stored bool
	for _, r := range d.Resumes() {
		stored = stored || (r.Episode == "orbit-s1e3" && screens.Watched(r.Seconds, r.DurationSeconds))
	}
	if !stored {
		t.Errorf("the finished episode was not stored as watched: %+v", d.Resumes())
	}
}

// TestPlayerOSDSizesGolden: the OSD on 720p and 2160p screens (libass
// scales the 1920x1080 overlay; text stays inside the safe margins).
func TestPlayerOSDSizesGolden(t *testing.T) {
	for _, sz := range []struct {
		name string
		w, h int
	}{{"720p", 1280, 720}, {"2160p", 3840, 2160}} {
		t.Run(sz.name, func(t *testing.T) {
			startXvfbSize(t, sz.w, sz.h)
			clip := testmedia.Video(t, testmedia.Clip{Title: "Orbit S1E3", Seconds: 60, FastStart: true, Width: 640, Height: 360})
			cv := fixedCatalog()
			d := newFakeDaemon(cv)
			d.streams["/api/stream/orbit-s1e3"] = clip
			url := playerDaemon(t, d, api.Stats{Torrents: []api.TorrentStats{{Episode: "orbit-s1e3",
				TransferStats: api.TransferStats{BytesFromPeers: 30 << 20, BytesFromWebSeed: 10 << 20, Peers: 4, Completion: 0.62}}}})
			h := startUISized(t, mpv.Desktop, url, sz.w, sz.h, func(c *Config) { c.Now = func() time.Time { return playerNow } })
			h.waitState(20*time.Second, "catalog and household", func(st probeState) bool {
				return st.model.Loaded && st.model.Settings.Household.Have
			})
			h.focusOn("orbit-s1e3", "DOWN", "RIGHT", "RIGHT") // past Continue watching; the show card is column 0
			h.key("ENTER")
			h.waitState(20*time.Second, "first frame", func(st probeState) bool { return st.model.Play.Started })
			h.key("SPACE")
			h.key("LEFT")
			h.key("RIGHT")
			h.key("RIGHT")
			h.waitState(10*time.Second, "paused at 0:20 with stats", func(st probeState) bool {
				p := st.model.Play
				return p.Paused && p.Position == 20 && p.Source != nil && p.CacheEnd >= p.Duration-1
			})
			time.Sleep(time.Second)
			shot := h.compareScreenshot("player-osd-" + sz.name + ".png")
			img, err := readPNG(shot)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != sz.w || b.Dy() != sz.h {
				t.Errorf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), sz.w, sz.h)
			}
		})
	}
}
