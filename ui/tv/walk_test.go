package tv

import (
	"crypto/sha256"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbox"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/screens"
)

// walkSeconds is the demo episodes' length in the walk: long enough for
// the next-episode card (the last screens.NextCardAt seconds) to come
// after a seek, short enough to play an episode to its end in the test.
const walkSeconds = 30

// demoMedia renders the demo channel with scripts/demo-media.sh (the
// script `make run` uses, so the walk sees the channel a viewer sees) with
// walkSeconds episodes and returns its directory. The render takes
// minutes on 2 cores, so it is kept in the test media cache under a name
// made of the length and the script's hash: a changed script renders
// afresh. Two test binaries rendering at once would share the script's
// OUTDIR.tmp; go test runs this package's tests one binary at a time.
func demoMedia(t *testing.T) string {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "demo-media.sh"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	dir := filepath.Join(testmedia.CacheDir(), fmt.Sprintf("demo-%ds-%x", walkSeconds, sum[:6]))
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command("bash", script, dir)
	cmd.Env = append(os.Environ(), "DEMO_SECONDS="+strconv.Itoa(walkSeconds))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/demo-media.sh: %v\n%s", err, out)
	}
	t.Logf("demo media in %s (%v)", dir, time.Since(start).Round(time.Millisecond))
	return dir
}

// demoChannel publishes the demo channel as scripts/demo.sh does (a fresh
// network key, the premiere embargoed until some minutes from now) on a
// loopback origin.
func demoChannel(t *testing.T) *testbox.Channel {
	t.Helper()
	dir := demoMedia(t)
	m, err := publish.LoadManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	premieres := 0
	for si := range m.Shows {
		for ei := range m.Shows[si].Episodes {
			if e := &m.Shows[si].Episodes[ei]; !e.ReleaseAt.IsZero() {
				e.ReleaseAt = time.Now().Add(30 * time.Minute).UTC().Truncate(time.Second)
				premieres++
			}
		}
	}
	if premieres != 1 {
		t.Fatalf("the demo manifest has %d premieres, want 1", premieres)
	}
	return testbox.NewChannel(t, testbox.ChannelOptions{Manifest: m, ManifestDir: dir})
}

// walk takes the screenshots of a scripted walk: numbered PNGs in the
// test's artefact directory (kept with go test -artifacts), each checked
// to show something and, where the screen changed, to differ from the
// one before.
type walk struct {
	h    *harness
	t    *testing.T
	dir  string
	n    int
	prev image.Image
}

// shot screenshots the window as step name; changed says the screen must
// differ from the previous step's.
func (w *walk) shot(name string, changed bool) {
	w.t.Helper()
	w.n++
	file := fmt.Sprintf("%02d-%s.png", w.n, name)
	got := w.h.screenshot(file)
	data, err := os.ReadFile(got)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, file), data, 0o644); err != nil {
		w.t.Fatal(err)
	}
	img, err := readPNG(got)
	if err != nil {
		w.t.Fatalf("%s: %v", file, err)
	}
	share := detailShare(img)
	w.t.Logf("%s: %.2f%% of pixels on a sharp edge", file, share*100)
	if share < minDetail {
		w.t.Errorf("%s is blank: %.3f%% of pixels on a sharp edge, want >= %.1f%%", file, share*100, minDetail*100)
	}
	if changed && w.prev != nil {
		if d := diffImages(w.prev, img); d.ok() {
			w.t.Errorf("%s looks like the step before (%v): the screen did not change", file, d)
		}
	}
	w.prev = img
}

// minDetail is the share of pixels on a sharp edge (a step of more than
// bigDiffLevels to the pixel on their right) a screenshot needs to count
// as showing something: text, cards, menus and video all have edges; the
// bare backdrop (a smooth gradient) or a black window has none. The
// sparsest screen of the walk (the seeding page) has about 1 %.
const minDetail = 0.002

// detailShare returns the share of pixels, on every other row, that
// differ by more than bigDiffLevels in some channel from the pixel on
// their right.
func detailShare(img image.Image) float64 {
	b := img.Bounds()
	px := func(x, y int) [3]uint8 {
		r, g, bb, _ := img.At(x, y).RGBA()
		return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bb >> 8)}
	}
	edges, n := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		prev := px(b.Min.X, y)
		for x := b.Min.X + 1; x < b.Max.X; x++ {
			c := px(x, y)
			if max(absDiff(c[0], prev[0]), absDiff(c[1], prev[1]), absDiff(c[2], prev[2])) > bigDiffLevels {
				edges++
			}
			prev, n = c, n+1
		}
	}
	return float64(edges) / float64(max(n, 1))
}

func absDiff(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }

// pressUntil presses key until ok holds for the rendered state, at most n
// times, and returns that state.
func (h *harness) pressUntil(key string, n int, what string, ok func(probeState) bool) probeState {
	h.t.Helper()
	for range n {
		h.key(key)
		st := h.waitState(5*time.Second, what+" (after "+key+")", func(probeState) bool { return true })
		if ok(st) {
			return st
		}
		// Later states of the same key may still arrive: drain briefly.
		deadline := time.Now().Add(300 * time.Millisecond)
		for time.Now().Before(deadline) {
			select {
			case st = <-h.app.probe:
				if ok(st) {
					return st
				}
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	h.t.Fatalf("%s: not after %d presses of %s", what, n, key)
	return probeState{}
}

// waitMPVPos waits until mpv's own time-pos is at least pos seconds.
func (h *harness) waitMPVPos(pos float64) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := strconv.ParseFloat(h.player.GetString("time-pos"), 64)
		if err == nil && got >= pos {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("mpv's time-pos is %q (%v), want >= %.1f s", h.player.GetString("time-pos"), err, pos)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func rowKey(m screens.Model) string {
	if m.Row < 0 || m.Row >= len(m.Rows) {
		return ""
	}
	return m.Rows[m.Row].Key
}

func trackID(ts []screens.Track, kind, lang string) int {
	for _, tr := range ts {
		if tr.Type == kind && tr.Lang == lang {
			return tr.ID
		}
	}
	return 0
}

func showIndex(cv api.CatalogView, id string) int {
	return slices.IndexFunc(cv.Shows, func(s api.ShowView) bool { return s.ID == id })
}

// TestDemoWalk is the scripted walk, against a real daemon
// following the demo channel (scripts/demo-media.sh, published with a
// fresh key on a loopback origin) and the TV with real libmpv under Xvfb:
// home → show page → play → seek → audio menu → subtitle menu → back →
// next-episode autoplay → settings → seeding. Each step checks the
// model (screen, focus, the episode playing, mpv's aid and sid) and keeps
// a screenshot as a test artefact (go test -artifacts keeps them under
// the output directory; otherwise they go with the test's temp files).
func TestDemoWalk(t *testing.T) {
	start := time.Now()
	ch := demoChannel(t)
	box := testbox.StartDaemon(t, ch, testbox.DaemonOptions{})
	box.WaitEpisodes(t, ch.Episodes(), false, 30*time.Second)
	setUpHousehold(t, box.URL)
	startXvfb(t)
	h := startUI(t, mpv.Desktop, box.URL, func(c *Config) { c.StateDir = t.TempDir() })
	w := &walk{h: h, t: t, dir: t.ArtifactDir()}
	t.Logf("screenshots go to %s", w.dir)

	// 1. Home: the channel's three shows in rows, the premiere locked.
	st := h.waitState(30*time.Second, "home with the demo channel", func(st probeState) bool {
		return st.settled && st.model.Loaded && st.model.Screen == screens.Home && len(st.model.Catalog.Shows) == 3
	})
	var keys []string
	for _, r := range st.model.Rows {
		keys = append(keys, r.Key)
	}
	for _, want := range []string{"premieres", "show:orbit", "show:tidewater", "show:night-market"} {
		if !slices.Contains(keys, want) {
			t.Errorf("home rows %q lack %q", keys, want)
		}
	}
	// The focus starts on the first row's first card: the premiere, locked.
	if ep, ok := st.model.Focused(); !ok || ep.ID != "night-market-s01e02" || ep.Locked == "" || rowKey(st.model) != "premieres" {
		t.Errorf("home focus on %q (locked %q) in row %q, want the locked premiere night-market-s01e02 in Premieres", ep.ID, ep.Locked, rowKey(st.model))
	}
	w.shot("home", false)

	// 2. Tidewater's page, from its show card.
	tide := showIndex(st.model.Catalog, "tidewater")
	h.pressUntil("DOWN", 6, "Tidewater's row", func(st probeState) bool { return rowKey(st.model) == "show:tidewater" })
	h.pressUntil("LEFT", 6, "Tidewater's show card", func(st probeState) bool { return st.model.Col == 0 })
	h.key("ENTER")
	st = h.waitState(10*time.Second, "Tidewater's page", func(st probeState) bool {
		return st.settled && st.model.Screen == screens.ShowPage && st.model.ShowPage.Show == tide
	})
	eps := st.model.Catalog.Shows[tide].Episodes
	crossing := slices.IndexFunc(eps, func(e api.EpisodeView) bool { return e.ID == "tidewater-s01e02" })
	if crossing < 0 {
		t.Fatalf("Tidewater has no S1 E2: %+v", eps)
	}
	w.shot("show-page", true)

	// 3. Play S1 E2 (two audio languages, two subtitle tracks) from the list.
	h.pressUntil("DOWN", 4, "S1 E2 selected in the list", func(st probeState) bool {
		return st.model.ShowPage.Area == screens.AreaEpisodes && st.model.ShowPage.Ep == crossing
	})
	h.key("ENTER")
	st = h.waitState(30*time.Second, "S1 E2 playing with its tracks", func(st probeState) bool {
		p := st.model.Play
		return st.model.Screen == screens.Player && p.Episode.ID == "tidewater-s01e02" && p.Started && len(p.Tracks) == 4
	})
	tracks := st.model.Play.Tracks
	engA, deuA, deuS := trackID(tracks, "audio", "eng"), trackID(tracks, "audio", "deu"), trackID(tracks, "sub", "deu")
	if engA == 0 || deuA == 0 || deuS == 0 {
		t.Fatalf("tracks %+v lack English or German audio or German subtitles", tracks)
	}
	if got := h.player.GetString("aid"); got != strconv.Itoa(engA) {
		t.Errorf("mpv plays aid %q first, want %d (English, the household's language)", got, engA)
	}
	w.shot("play", true)

	// 4. Seek: Right jumps screens.SeekShort ahead.
	from := st.model.Play.Position
	h.key("RIGHT")
	st = h.waitState(10*time.Second, "seeked ahead", func(st probeState) bool {
		return st.model.Play.Position >= from+screens.SeekShort-1 && st.model.Play.Started
	})
	h.waitMPVPos(from + screens.SeekShort - 1) // the model moves at once, mpv after its seek
	w.shot("seek", true)

	// 5. Audio menu: the second language, Deutsch.
	h.key("MENU")
	h.waitState(5*time.Second, "audio menu", func(st probeState) bool { return st.model.Play.Menu == screens.MenuAudio })
	audioRows := []int{}
	for _, tr := range tracks {
		if tr.Type == "audio" {
			audioRows = append(audioRows, tr.ID)
		}
	}
	deuRow := slices.Index(audioRows, deuA)
	h.pressUntil("DOWN", 3, "Deutsch focused in the audio menu", func(st probeState) bool { return st.model.Play.MenuRow == deuRow })
	w.shot("audio-menu", true)
	h.key("ENTER")
	h.waitState(10*time.Second, "German audio", func(st probeState) bool {
		a, _ := selectedLang(st.model.Play.Tracks, "audio")
		return st.model.Play.Menu == screens.MenuNone && a == "deu"
	})
	if got := h.player.GetString("aid"); got != strconv.Itoa(deuA) {
		t.Errorf("after choosing Deutsch mpv's aid is %q, want %d", got, deuA)
	}

	// 6. Subtitle menu: German subtitles (row 0 is Off).
	sidBefore := h.player.GetString("sid")
	h.key("MENU")
	h.key("RIGHT")
	h.waitState(5*time.Second, "subtitle menu", func(st probeState) bool { return st.model.Play.Menu == screens.MenuSubs })
	subRows := []int{0}
	for _, tr := range tracks {
		if tr.Type == "sub" {
			subRows = append(subRows, tr.ID)
		}
	}
	subRow := slices.Index(subRows, deuS)
	st = h.pressUntil("DOWN", 3, "Deutsch focused in the subtitle menu", func(st probeState) bool { return st.model.Play.MenuRow == subRow })
	w.shot("subtitle-menu", true)
	h.key("ENTER")
	h.waitState(10*time.Second, "German subtitles", func(st probeState) bool {
		s, _ := selectedLang(st.model.Play.Tracks, "sub")
		return st.model.Play.Menu == screens.MenuNone && s == "deu"
	})
	if got := h.player.GetString("sid"); got != strconv.Itoa(deuS) || got == sidBefore {
		t.Errorf("after choosing German subtitles mpv's sid is %q (was %q), want %d", got, sidBefore, deuS)
	}

	// 7. Back: to the show page playback started from, on the same episode.
	h.key("ESC")
	st = h.waitState(10*time.Second, "back on Tidewater's page", func(st probeState) bool {
		return st.settled && st.model.Screen == screens.ShowPage && st.model.ShowPage.Show == tide
	})
	if st.model.ShowPage.Ep != crossing {
		t.Errorf("back on the show page with episode %d selected, want %d (the one just played)", st.model.ShowPage.Ep, crossing)
	}
	w.shot("back", true)

	// 8. Next-episode autoplay across a season boundary: Orbit S1 E2 played
	// into its last seconds goes on to S2 E1 with no key pressed.
	h.key("ESC")
	h.waitState(10*time.Second, "home", func(st probeState) bool { return st.model.Screen == screens.Home })
	h.pressUntil("UP", 6, "Orbit's row", func(st probeState) bool { return rowKey(st.model) == "show:orbit" })
	h.pressUntil("RIGHT", 6, "Orbit S1 E2", func(st probeState) bool {
		ep, ok := st.model.Focused()
		return ok && ep.ID == "orbit-s01e02"
	})
	h.key("ENTER")
	st = h.waitState(30*time.Second, "Orbit S1 E2 playing", func(st probeState) bool {
		return st.model.Play.Episode.ID == "orbit-s01e02" && st.model.Play.Started
	})
	from = st.model.Play.Position
	h.key("RIGHT")
	h.key("RIGHT")
	st = h.waitState(10*time.Second, "the next-episode card", func(st probeState) bool {
		return st.model.Play.Position >= from+2*screens.SeekShort-1 && st.model.NextCardVisible()
	})
	h.waitMPVPos(from + 2*screens.SeekShort - 1)
	w.shot("next-card", true)
	st = h.waitState(2*walkSeconds*time.Second, "Orbit S2 E1 started by itself", func(st probeState) bool {
		p := st.model.Play
		return st.model.Screen == screens.Player && p.Episode.ID == "orbit-s02e01" && p.Started && p.Position > 1
	})
	if r := getJSON[api.Resume](t, box.URL+"/api/resume/orbit-s01e02"); !r.Watched {
		t.Errorf("the daemon does not hold Orbit S1 E2 as watched after it played to its end: %+v", r)
	}
	w.shot("autoplay", true)

	// 9. Settings from the home screen's header: the real daemon's figures.
	h.key("ESC")
	h.waitState(10*time.Second, "home", func(st probeState) bool { return st.model.Screen == screens.Home })
	h.pressUntil("UP", 8, "the Settings button", func(st probeState) bool { return st.model.Header })
	h.key("ENTER")
	st = h.waitState(10*time.Second, "settings with the daemon's view", func(st probeState) bool {
		return st.settled && st.model.Screen == screens.Settings && st.model.Settings.View.Have
	})
	if got := st.model.Settings.View.Value.Storage.TotalBytes; got != 1<<40 {
		t.Errorf("settings show a disk of %d bytes, want the test daemon's 1 TiB", got)
	}
	w.shot("settings", true)

	// 10. Seeding: the section with the daemon's seeding figures.
	h.pressUntil("DOWN", 2, "Seeding", func(st probeState) bool {
		return st.model.Settings.Section == screens.SecSeeding && st.model.Settings.Seeding.Have
	})
	w.shot("seeding", true)
	t.Logf("walk done in %v", time.Since(start).Round(time.Millisecond))
}
