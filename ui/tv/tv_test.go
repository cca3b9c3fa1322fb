package tv

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/screens"
	"periph.io/x/conn/v3/ir"
)

var update = flag.Bool("update", false, "rewrite the golden screenshots in testdata/golden")

// fixedCatalog is the catalog the golden screenshots show.
func fixedCatalog() api.CatalogView {
	ep := func(show string, season, n int, title, syn string, dur, resume float64, watched bool) api.EpisodeView {
		id := show + "-s" + itoa(season) + "e" + itoa(n)
		return api.EpisodeView{ID: id, Season: season, Number: n, Title: title, Synopsis: syn, DurationSeconds: dur,
			PosterURL: "/api/poster/episode/" + id, StreamURL: "/api/stream/" + id, MimeType: "video/mp4",
			ResumeSeconds: resume, Watched: watched, Completion: 1}
	}
	return api.CatalogView{
		Network:  "Atomic Television",
		Sequence: 7,
		Shows: []api.ShowView{
			{ID: "orbit", Title: "Orbit", Synopsis: "Life aboard a research station.", Episodes: []api.EpisodeView{
				ep("orbit", 1, 1, "Launch Window", "The crew of the Meridian has eleven minutes to decide whether to abort a launch that took nine years to plan.", 1320, 0, true),
				ep("orbit", 1, 2, "Low Earth", "A failing gyroscope sends Ada outside on an unplanned spacewalk while the station drifts toward the terminator.", 1380, 600, false),
				ep("orbit", 1, 3, "Apogee", "Supplies run short when the cargo capsule misses its rendezvous.", 1260, 0, false),
				ep("orbit", 1, 4, "Dark Side", "Radio silence behind the Moon, and a voice on a frequency nobody uses.", 1440, 0, false),
				ep("orbit", 1, 5, "Burn", "The long burn home begins.", 1500, 0, false),
				ep("orbit", 1, 6, "Splashdown", "Home is not what they left.", 1560, 0, false),
			}},
			{ID: "deepfield", Title: "Deep Field", Synopsis: "Astronomers at the edge of the visible universe.", Episodes: []api.EpisodeView{
				ep("deepfield", 2, 1, "First Light", "A new telescope opens its eye on a galaxy older than any seen before.", 2700, 1800, false),
				ep("deepfield", 2, 2, "Redshift", "The data disagree with the model, and the model has a Nobel prize.", 2640, 0, false),
				ep("deepfield", 2, 3, "Noise", "Is it a signal or the cooling system?", 2580, 0, false),
			}},
			{ID: "signal", Title: "The Long Signal", Episodes: []api.EpisodeView{
				ep("signal", 1, 1, "Carrier", "A message arrives 40 years late.", 3000, 0, false),
			}},
		},
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// goldenNow is the clock the home goldens run at: the premiere opens
// 1 d 2 h later.
var goldenNow = time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)

// homeCatalog is fixedCatalog plus a premiere of The Long Signal, already
// fetched, locked until goldenNow + 26 h.
func homeGoldenCatalog() api.CatalogView {
	cv := fixedCatalog()
	s := &cv.Shows[2]
	s.Episodes = append(s.Episodes, api.EpisodeView{ID: "signal-s1e2", Season: 1, Number: 2, Title: "Echo", Synopsis: "The reply.",
		DurationSeconds: 2900, PosterURL: "/api/poster/episode/signal-s1e2", StreamURL: "/api/stream/signal-s1e2", MimeType: "video/mp4",
		Size: 512 << 20, Completion: 1, Locked: "Coming soon.", AvailableAt: goldenNow.Add(26 * time.Hour)})
	for i := range cv.Shows {
		for j := range cv.Shows[i].Episodes {
			e := &cv.Shows[i].Episodes[j]
			e.Size = int64(300+40*j) << 20
		}
	}
	cv.Shows[1].Episodes[2].Completion = 0.4 // partly on the box
	// Deep Field gets a first season, watched: the show page has two tabs.
	pilot := api.EpisodeView{ID: "deepfield-s1e1", Season: 1, Number: 1, Title: "Pale Dot", Synopsis: "Where it began.",
		DurationSeconds: 2500, PosterURL: "/api/poster/episode/deepfield-s1e1", StreamURL: "/api/stream/deepfield-s1e1",
		MimeType: "video/mp4", Size: 280 << 20, Watched: true, Completion: 1}
	cv.Shows[1].Episodes = append([]api.EpisodeView{pilot}, cv.Shows[1].Episodes...)
	cv.Shows[0].Episodes[1].ResumedAt = goldenNow.Add(-time.Hour)
	cv.Shows[1].Episodes[0].ResumedAt = goldenNow.Add(-2 * time.Hour)
	return cv
}

// TestHomeScreenGolden renders the home screen under Xvfb with real libmpv
// (software GL), screenshots the window, and compares with the goldens,
// driven by window keys: the rows (more below hinted), a locked
// premiere's notice, the refused-catalog banner in full, the show page.
func TestHomeScreenGolden(t *testing.T) {
	startXvfb(t)
	cv := homeGoldenCatalog()
	d := newFakeDaemon(cv)
	testPosters(t, d, cv)
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Desktop, srv.URL, func(c *Config) { c.Now = func() time.Time { return goldenNow } })

	st := h.waitState(30*time.Second, "home screen with posters", func(st probeState) bool {
		return st.settled && st.model.Loaded && len(st.model.Rows) == 5 && st.model.Row == 0
	})
	if !strings.Contains(st.frame.Home, "More below: Orbit") {
		t.Errorf("no hint of the rows below in %q", st.frame.Home)
	}
	h.compareScreenshot("home.png")
	// What the whole-screen thresholds let through must fail here.
	h.checkBreaksCaught("home.png", st.frame.Home, breakResumeBars, breakCounts)

	h.key("RIGHT")
	st = h.waitState(10*time.Second, "focus on the second card", func(st probeState) bool {
		return st.settled && st.model.Col == 1
	})
	if ep, _ := st.model.Focused(); ep.ID != "deepfield-s2e1" {
		t.Errorf("after RIGHT the focus is on %q, want deepfield-s2e1 (resumed less recently)", ep.ID)
	}
	h.compareScreenshot("home-right.png")

	// The premiere: OK says when it opens and plays nothing.
	h.key("DOWN")
	h.key("ENTER")
	st = h.waitState(10*time.Second, "locked notice", func(st probeState) bool { return st.settled && st.model.Notice != nil })
	if want := "opens on Tuesday 8 December at 20:00"; !strings.Contains(st.frame.Top, want) || st.model.Screen != screens.Home {
		t.Errorf("locked premiere: screen %d, top layer %q, want home and %q", st.model.Screen, st.frame.Top, want)
	}
	h.compareScreenshot("home-locked.png")
	h.key("ENTER") // dismisses

	// The daemon refuses a new listing: the banner shows the sentence in full.
	d.mu.Lock()
	d.catalog.Problem = "The channel's new listing was refused (bad signature); showing the last good one."
	d.mu.Unlock()
	d.events <- api.Event{Type: api.EventCatalog, Catalog: &api.CatalogEvent{Sequence: 7, Problem: "refused"}}
	h.key("DOWN")
	h.key("DOWN")
	st = h.waitState(10*time.Second, "focus on Deep Field's row", func(st probeState) bool {
		return st.settled && st.model.Row == 3 && st.model.Notice == nil && st.model.Catalog.Problem != ""
	})
	if !strings.Contains(st.frame.Top, "last good one.") {
		t.Errorf("problem banner cut: %q", st.frame.Top)
	}
	h.compareScreenshot("home-problem.png")
	h.checkBreaksCaught("home-problem.png", st.frame.Home, breakWatched)

	// The show's own card opens its page.
	h.key("LEFT")
	h.key("ENTER")
	st = h.waitState(10*time.Second, "show page", func(st probeState) bool { return st.settled && st.model.Screen == screens.ShowPage })
	if st.model.ShowPage.Show != 1 {
		t.Errorf("show page of show %d, want 1 (Deep Field)", st.model.ShowPage.Show)
	}
	// Small text changes few pixels: check what the page says as well.
	for _, want := range []string{"Resume S2 E1", "Stopped at 30:00", "300 MB", "On this box", "40 % on this box", "Season 1", "Season 2"} {
		if !strings.Contains(st.frame.Home, want) {
			t.Errorf("show page does not say %q", want)
		}
	}
	h.compareScreenshot("show-page.png")

	// Mark watched goes to the daemon's resume API: the position at the end.
	h.key("RIGHT")
	h.key("RIGHT")
	h.key("ENTER")
	st = h.waitState(10*time.Second, "marked watched", func(st probeState) bool {
		return st.settled && strings.Contains(st.frame.Home, "Mark unwatched")
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got *resumePut
		for _, r := range d.Resumes() {
			if r.Episode == "deepfield-s2e1" {
				got = &r
			}
		}
		if got != nil {
			if got.Seconds != 2700 || got.DurationSeconds != 2700 {
				t.Errorf("mark watched sent %+v, want seconds = duration = 2700", *got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no PUT /api/resume/deepfield-s2e1 after Mark watched; got %+v", d.Resumes())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStartFailedGolden: an episode the daemon cannot serve (404) brings
// the viewer home with a notice that says why.
func TestStartFailedGolden(t *testing.T) {
	startXvfb(t)
	cv := homeGoldenCatalog()
	d := newFakeDaemon(cv) // no streams: every stream answers 404
	testPosters(t, d, cv)
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Desktop, srv.URL, func(c *Config) { c.Now = func() time.Time { return goldenNow } })
	h.waitState(30*time.Second, "home", func(st probeState) bool { return st.settled && st.model.Loaded })
	h.key("ENTER")
	st := h.waitState(20*time.Second, "start-failure notice", func(st probeState) bool {
		return st.settled && st.model.Screen == screens.Home && st.model.Notice != nil
	})
	if want := "no longer lists this episode"; !strings.Contains(st.frame.Top, want) {
		t.Errorf("notice %q, want it to say %q", st.frame.Top, want)
	}
	h.compareScreenshot("home-start-failed.png")
}

// TestPlayerOSDGolden screenshots the player paused on the first frame of a
// real clip (an exact seek to 0 makes the frame deterministic) with the OSD.
func TestPlayerOSDGolden(t *testing.T) {
	startXvfb(t)
	clip := testmedia.Video(t, testmedia.Clip{Title: "Orbit S1E3", Seconds: 60, FastStart: true, Width: 640, Height: 360})
	cv := fixedCatalog()
	d := newFakeDaemon(cv)
	for _, s := range cv.Shows {
		for _, e := range s.Episodes {
			d.streams[e.StreamURL] = clip
		}
	}
	// The OSD shows the clock: a fixed one, in the household's zone.
	url := playerDaemon(t, d, api.Stats{})
	h := startUI(t, mpv.Desktop, url, func(c *Config) { c.Now = func() time.Time { return playerNow } })
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded && st.model.Settings.Household.Have })
	h.key("DOWN") // past Continue watching to Orbit's row, on its first episode
	h.key("RIGHT")
	h.key("RIGHT")
	h.waitState(5*time.Second, "focus on S1 E3", func(st probeState) bool { ep, _ := st.model.Focused(); return ep.ID == "orbit-s1e3" })
	h.key("ENTER")
	h.waitState(20*time.Second, "first frame", func(st probeState) bool { return st.model.Play.Started })
	h.key("SPACE")
	h.key("LEFT") // back to 0: an exact seek shows the first frame
	h.waitState(10*time.Second, "paused at 0", func(st probeState) bool {
		return st.model.Play.Paused && st.model.Play.Position == 0 && st.frame.OSDVisible() &&
			st.model.Play.CacheEnd >= st.model.Play.Duration-1 // the read-ahead bar is full
	})
	time.Sleep(time.Second) // the seek's frame reaches the window
	h.compareScreenshot("player-paused.png")
}

// TestWindowKeyReachesStateMachine: a key pressed in the mpv window
// (keypress RIGHT) reaches the state machine as KEY_RIGHT, and a key from
// the daemon's event stream drives the same state machine.
func TestWindowKeyReachesStateMachine(t *testing.T) {
	cv := fixedCatalog()
	d := newFakeDaemon(cv)
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Headless, srv.URL, nil)
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded })
	h.key("RIGHT")
	h.waitState(5*time.Second, "KEY_RIGHT from the window", func(st probeState) bool { return st.model.Col == 1 })
	d.events <- api.Event{Type: api.EventKey, Key: &api.KeyEvent{Key: string(ir.KEY_DOWN), Action: "press"}}
	h.waitState(5*time.Second, "KEY_DOWN from /api/events", func(st probeState) bool { return st.model.Row == 1 })
	d.events <- api.Event{Type: api.EventPairing, Pairing: &api.PairingEvent{Code: "123456", ExpiresAt: time.Now().Add(time.Minute)}}
	h.waitState(5*time.Second, "pairing code on screen", func(st probeState) bool { return strings.Contains(st.frame.Top, "123 456") })
	d.events <- api.Event{Type: api.EventPaired}
	h.waitState(5*time.Second, "pairing code gone", func(st probeState) bool { return st.model.Pairing == nil && !strings.Contains(st.frame.Top, "123 456") })
}

// TestDaemonUnreachable: with no daemon the screen says so; when a daemon
// appears at the address the catalog loads without a restart.
func TestDaemonUnreachable(t *testing.T) {
	addr := reserveAddr(t)
	h := startUI(t, mpv.Headless, "http://"+addr, nil)
	h.waitState(10*time.Second, "offline message", func(st probeState) bool {
		return st.model.Offline && strings.Contains(st.frame.Top, "Can't reach the box's service, retrying…")
	})
	d := newFakeDaemon(fixedCatalog())
	srv := httptestAt(t, addr, d)
	st := h.waitState(10*time.Second, "catalog after the daemon appeared", func(st probeState) bool {
		return st.model.Loaded && !st.model.Offline
	})
	if strings.Contains(st.frame.Top, "Can't reach") {
		t.Errorf("offline message still shown after recovery: %q", st.frame.Top)
	}
	if st.model.Catalog.Network != "Atomic Television" {
		t.Errorf("network = %q", st.model.Catalog.Network)
	}

	// The daemon restarts: the UI says so, then reconnects its event stream.
	closeServer(srv)
	h.waitState(10*time.Second, "offline after the daemon stopped", func(st probeState) bool {
		return st.model.Offline && strings.Contains(st.frame.Top, "Can't reach")
	})
	srv = httptestAt(t, addr, d)
	h.waitState(10*time.Second, "online after the daemon restarted", func(st probeState) bool { return !st.model.Offline })
	// Keys flow again once the event stream is back (it retries on its own schedule).
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case d.events <- api.Event{Type: api.EventKey, Key: &api.KeyEvent{Key: "KEY_RIGHT", Action: "press"}}:
		default:
		}
		st := <-h.app.probe
		if st.model.Col >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no key from the event stream after the daemon restarted")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPlayback plays a real H.264/AAC clip over HTTP with libmpv (vo=null):
// Enter plays, time passes 5 s, Right seeks +10 s, Escape goes home and
// stores the resume point, Enter again resumes there.
func TestPlayback(t *testing.T) {
	clip := testmedia.Video(t, testmedia.Clip{Title: "Orbit S1E3", Seconds: 60, FastStart: true, Width: 640, Height: 360})
	cv := fixedCatalog()
	d := newFakeDaemon(cv)
	for _, s := range cv.Shows {
		for _, e := range s.Episodes {
			d.streams[e.StreamURL] = clip
		}
	}
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Headless, srv.URL, func(c *Config) { c.ResumeEvery = 2 * time.Second })
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded })

	// Orbit S1 E3 (new): start at 0.
	h.key("DOWN") // past Continue watching to Orbit's row, on its first episode
	h.key("RIGHT")
	h.key("RIGHT")
	h.waitState(5*time.Second, "focus on S1 E3", func(st probeState) bool { ep, _ := st.model.Focused(); return ep.ID == "orbit-s1e3" })
	h.key("ENTER")
	st := h.waitState(20*time.Second, "first frame", func(st probeState) bool { return st.model.Play.Started })
	t.Logf("loadfile -> first frame (playback-restart): %v", st.firstFrame)
	// mpv.md: 150 to 530 ms for a first file, 250 to 500 ms from loopback
	// HTTP, on this 2-core machine; allow 4x for a loaded CI box.
	if st.firstFrame <= 0 || st.firstFrame > 2*time.Second {
		t.Errorf("first frame after %v, want within 2 s", st.firstFrame)
	}
	if !st.frame.OSDVisible() {
		t.Error("OSD not shown at the start of playback")
	}
	st = h.waitState(20*time.Second, "time-pos past 5 s", func(st probeState) bool { return st.model.Play.Position > 5 })
	before := st.model.Play.Position

	h.key("RIGHT")
	time.Sleep(1500 * time.Millisecond)
	st = h.waitState(5*time.Second, "position after +10 s", func(st probeState) bool { return st.model.Play.Position > 0 })
	if got := st.model.Play.Position; got < before+10-0.5 || got > before+10+3 {
		t.Errorf("after RIGHT at %.2f s the position is %.2f s, want about %.2f s", before, got, before+10)
	}
	pos := st.model.Play.Position
	periodic := 0
	for _, r := range d.Resumes() {
		if r.Episode == "orbit-s1e3" && r.Seconds > 0 {
			periodic++
		}
	}
	if periodic == 0 {
		t.Errorf("no resume point stored during %.0f s of playback (every 2 s wanted)", pos)
	}

	h.key("ESC")
	st = h.waitState(5*time.Second, "home after ESC", func(st probeState) bool { return st.model.Screen == screens.Home })
	var stored *resumePut
	deadline := time.Now().Add(5 * time.Second)
	for stored == nil && time.Now().Before(deadline) {
		for _, r := range d.Resumes() {
			if r.Episode == "orbit-s1e3" && r.Seconds >= pos-0.5 {
				stored = &r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if stored == nil {
		t.Fatalf("no resume point >= %.2f stored for orbit-s1e3; got %+v", pos-0.5, d.Resumes())
	}
	if stored.DurationSeconds < 59 || stored.DurationSeconds > 61 {
		t.Errorf("stored duration %.2f, want the clip's 60 s", stored.DurationSeconds)
	}
	// The fake daemon does not change its catalog; the UI's own copy
	// carries the resume point, as it does while the daemon catches up.
	h.key("ENTER")
	st = h.waitState(20*time.Second, "resumed playback", func(st probeState) bool { return st.model.Play.Started })
	if got := st.model.Play.Position; got < stored.Seconds-2.5 || got > stored.Seconds+3 {
		t.Errorf("resumed at %.2f s, want about %.2f s", got, stored.Seconds)
	}

	// Up seeks +60 s, clamped a second before the end: the episode ends,
	// counts as watched and the next episode plays by itself (Back there
	// returns home).
	h.key("UP")
	st = h.waitState(15*time.Second, "the next episode after the end", func(st probeState) bool {
		return st.model.Screen == screens.Player && st.model.Play.Episode.ID == "orbit-s1e4"
	})
	if ep := episodeIn(st.model, "orbit-s1e3"); !ep.Watched || ep.ResumeSeconds != 0 {
		t.Errorf("after the end: watched=%v resume=%.1f, want watched and 0", ep.Watched, ep.ResumeSeconds)
	}
	h.key("ESC")
	// The daemon's catalog (reloaded after leaving) agrees.
	time.Sleep(500 * time.Millisecond)
	st = h.waitState(5*time.Second, "reloaded catalog", func(st probeState) bool { return st.model.Screen == screens.Home })
	if ep := episodeIn(st.model, "orbit-s1e3"); !ep.Watched {
		t.Errorf("after the catalog reload the episode is not watched: %+v", ep)
	}
}

// TestOverlayCost measures what a focus move costs under Xvfb with
// software GL: the model render in Go, the osd-overlay command for the
// home layer, overlay-add of a card poster, and a key's round trip from
// the window to a rendered state.
func TestOverlayCost(t *testing.T) {
	startXvfb(t)
	cv := fixedCatalog()
	d := newFakeDaemon(cv)
	testPosters(t, d, cv)
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Desktop, srv.URL, nil)
	h.waitState(30*time.Second, "home screen", func(st probeState) bool { return st.settled && st.model.Loaded })

	var m screens.Model
	m.SetCatalog(cv)
	const n = 30
	var renderT, assT, addT, keyT []time.Duration
	frames := make([]string, 2)
	for i := range frames {
		m.Key(ir.KEY_RIGHT, time.Now())
		start := time.Now()
		frames[i] = screens.Render(&m, time.Now()).Home
		renderT = append(renderT, time.Since(start))
	}
	for i := 0; i < n; i++ {
		start := time.Now()
		screens.Render(&m, time.Now())
		renderT = append(renderT, time.Since(start))
		start = time.Now()
		if err := h.player.Command("osd-overlay", "9", "ass-events", frames[i%2], "1920", "1080", "5", "no"); err != nil {
			t.Fatal(err)
		}
		assT = append(assT, time.Since(start))
	}
	h.player.Command("osd-overlay", "9", "none", "")
	poster := filepath.Join(t.TempDir(), "p.bgra")
	img, err := readPNG(d.posters[cv.Shows[0].Episodes[0].PosterURL])
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := writeBGRA(poster, img, 320, 180); err != nil {
		t.Fatal(err)
	}
	scaleT := time.Since(start)
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := h.player.Command("overlay-add", "40", "0", "0", poster, "0", "bgra", "320", "180", "1280"); err != nil {
			t.Fatal(err)
		}
		addT = append(addT, time.Since(start))
	}
	h.player.Command("overlay-remove", "40")
	for i := 0; i < 10; i++ {
		k, col := "RIGHT", 1
		if i%2 == 1 {
			k, col = "LEFT", 0
		}
		start := time.Now()
		h.key(k)
		h.waitState(5*time.Second, "focus move", func(st probeState) bool { return st.model.Col == col && st.settled })
		keyT = append(keyT, time.Since(start))
	}
	t.Logf("Go render of the home screen: median %v max %v", median(renderT), maxOf(renderT))
	t.Logf("osd-overlay (home layer, %d bytes of ASS): median %v max %v", len(frames[0]), median(assT), maxOf(assT))
	t.Logf("poster scale to 320x180 BGRA + write: %v", scaleT)
	t.Logf("overlay-add 320x180 BGRA: median %v max %v", median(addT), maxOf(addT))
	t.Logf("window key -> model -> overlays sent: median %v max %v", median(keyT), maxOf(keyT))
	// mpv.md measured about 2 ms per osd-overlay and 5 to 7 ms for a full
	// 1080p bitmap; a remote must feel instant (< 100 ms per step).
	if median(assT) > 20*time.Millisecond || median(addT) > 20*time.Millisecond || median(keyT) > 100*time.Millisecond {
		t.Errorf("overlay updates too slow: osd-overlay %v, overlay-add %v, key round trip %v (medians)", median(assT), median(addT), median(keyT))
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	return s[len(s)/2]
}

func maxOf(d []time.Duration) time.Duration { return slices.Max(d) }

// TestBufferingIndicator: a stream slower than its bitrate makes mpv pause
// for cache; the OSD then says "Buffering… N%".
func TestBufferingIndicator(t *testing.T) {
	clip := testmedia.Video(t, testmedia.Clip{Title: "Orbit S1E3", Seconds: 60, FastStart: true, Width: 640, Height: 360})
	st, err := os.Stat(clip)
	if err != nil {
		t.Fatal(err)
	}
	cv := fixedCatalog()
	d := newFakeDaemon(cv)
	d.rate = int(st.Size() / 60 / 3) // a third of the clip's average bitrate
	d.streams[cv.Shows[0].Episodes[0].StreamURL] = clip
	srv := startServer(t, d.Handler())
	h := startUI(t, mpv.Headless, srv.URL, nil)
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded })
	h.key("DOWN") // past Continue watching to Orbit's first episode
	h.waitState(5*time.Second, "focus on S1 E1", func(st probeState) bool { ep, _ := st.model.Focused(); return ep.ID == "orbit-s1e1" })
	h.key("ENTER")
	got := h.waitState(40*time.Second, "buffering indicator", func(st probeState) bool {
		return st.model.Play.Buffering && st.model.Play.BufferPercent < 100 && strings.Contains(st.frame.OSD, "Buffering…")
	})
	t.Logf("buffering shown at %.1f s into the episode (stream at %d B/s): %q", got.model.Play.Position, d.rate, firstLineWith(got.frame.OSD, "Buffering"))
}

func firstLineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l[strings.LastIndex(l, "}")+1:]
		}
	}
	return ""
}

// episodeIn returns the model's copy of an episode.
func episodeIn(m screens.Model, id string) api.EpisodeView {
	for _, s := range m.Catalog.Shows {
		for _, e := range s.Episodes {
			if e.ID == id {
				return e
			}
		}
	}
	return api.EpisodeView{}
}

// TestHomeScreenSizes: the home screen at 720p and 2160p windows (the
// overlays are laid out at 1920x1080 and scaled by mpv; posters must
// follow).
func TestHomeScreenSizes(t *testing.T) {
	for _, size := range []struct{ w, h int }{{1280, 720}, {3840, 2160}} {
		t.Run(fmt.Sprintf("%dp", size.h), func(t *testing.T) {
			startXvfbSize(t, size.w, size.h)
			cv := homeGoldenCatalog()
			d := newFakeDaemon(cv)
			testPosters(t, d, cv)
			srv := startServer(t, d.Handler())
			h := startUISized(t, mpv.Desktop, srv.URL, size.w, size.h, func(c *Config) { c.Now = func() time.Time { return goldenNow } })
			st := h.waitState(30*time.Second, "home screen with posters", func(st probeState) bool {
				return st.settled && st.model.Loaded && len(st.model.Rows) == 5
			})
			golden := fmt.Sprintf("home-%dp.png", size.h)
			h.compareScreenshot(golden)
			// At 720p a resume bar is 4 px high and text 16 px: the
			// per-tile bound must still see them go.
			h.checkBreaksCaught(golden, st.frame.Home, breakResumeBars, breakCounts)
		})
	}
}

// TestOfflineGolden: a daemon that never comes up (as after exiting on its
// configuration) gets the set-up screen; one that goes away after the
// catalog arrived gets a banner saying for how long. The UI's clock runs
// 15 times faster than the wall clock so minutes pass in seconds.
func TestOfflineGolden(t *testing.T) {
	startXvfb(t)
	addr := reserveAddr(t)
	start := time.Now()
	fast := func() time.Time { return start.Add(time.Since(start) * 15) }
	h := startUI(t, mpv.Desktop, "http://"+addr, func(c *Config) { c.Now = fast })
	st := h.waitState(20*time.Second, "set-up screen", func(st probeState) bool {
		return strings.Contains(st.frame.Top, screens.NotSetUpTitle)
	})
	if !strings.Contains(st.frame.Top, "network_key=") {
		t.Errorf("set-up screen does not say what to put where: %q", st.frame.Top)
	}
	h.compareScreenshot("not-set-up.png")

	d := newFakeDaemon(fixedCatalog())
	testPosters(t, d, d.catalog)
	srv := httptestAt(t, addr, d)
	h.waitState(20*time.Second, "home", func(st probeState) bool { return st.settled && st.model.Loaded && !st.model.Offline })
	closeServer(srv)
	h.waitState(20*time.Second, "daemon away a minute", func(st probeState) bool {
		return strings.Contains(st.frame.Top, "stopped answering 1 min ago")
	})
	h.compareScreenshot("home-daemon-away.png")
}

// TestIdleGolden: after IdleAfter without a key the home screen gives way
// to the screensaver; a key brings the home screen back and does nothing
// else.
func TestIdleGolden(t *testing.T) {
	startXvfb(t)
	cv := homeGoldenCatalog()
	d := newFakeDaemon(cv)
	testPosters(t, d, cv)
	srv := startServer(t, d.Handler())
	var skip atomic.Int64 // nanoseconds added to goldenNow
	h := startUI(t, mpv.Desktop, srv.URL, func(c *Config) {
		c.Now = func() time.Time { return goldenNow.Add(time.Duration(skip.Load())) }
	})
	h.waitState(30*time.Second, "home", func(st probeState) bool { return st.settled && st.model.Loaded })
	time.Sleep(time.Second) // a few ticks (250 ms) start the idle clock at goldenNow
	skip.Store(int64(screens.IdleAfter + 30*time.Second))
	st := h.waitState(10*time.Second, "screensaver", func(st probeState) bool { return st.model.Idle })
	if len(st.frame.Posters) != 0 || !strings.Contains(st.frame.Home, "18:05") {
		t.Errorf("screensaver: %d posters, home layer %q; want the clock 18:05 only", len(st.frame.Posters), st.frame.Home)
	}
	h.compareScreenshot("idle.png")
	h.key("ENTER")
	st = h.waitState(10*time.Second, "awake", func(st probeState) bool { return st.settled && !st.model.Idle })
	if st.model.Screen != screens.Home {
		t.Errorf("the waking key changed the screen to %d", st.model.Screen)
	}
}
