package tv

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/ui/screens"
)

// Golden comparison thresholds. Software GL and libass may differ by a
// level or two between runs or machines; a moved card or a missing text
// line changes thousands of pixels by far more.
//
// The whole-screen figures alone let small things go: a home screen
// without its two resume bars (2 x 320 x 6 px, 0.19 % of 1080p), without
// "✓ Watched" or without a row's "2 episodes" stays under 0.2 %. Those
// differences are small on the screen but dense where they are, so every
// tile of the screenshot has its own bound as well.
const (
	maxMeanDiff     = 1.0   // mean absolute difference per channel, in levels (0..255)
	bigDiffLevels   = 24    // a pixel "differs" when a channel is off by more than this
	maxBigDiffShare = 0.002 // share of pixels allowed to differ (0.2 %, about 4000 pixels)

	// tileSize is the side of a comparison tile in screenshot pixels. At
	// 720p a resume bar is 4 px high and text 16 px: a 32 px tile over
	// either holds a hundred or more differing pixels.
	tileSize = 32
	// maxTileBigDiff is how many differing pixels one tile may hold.
	maxTileBigDiff = 24
)

// goldenDiff is how a screenshot differs from its golden.
type goldenDiff struct {
	mean, share float64     // per channel; share of pixels off by > bigDiffLevels
	tileMax     int         // differing pixels in the worst tile
	tileAt      image.Point // that tile's top-left corner, in pixels
}

// ok says whether the screenshot matches the golden within the thresholds.
func (d goldenDiff) ok() bool {
	return d.mean <= maxMeanDiff && d.share <= maxBigDiffShare && d.tileMax <= maxTileBigDiff
}

func (d goldenDiff) String() string {
	return fmt.Sprintf("mean %.3f levels (max %.1f), %.4f%% of pixels off by > %d (max %.2f%%), worst %d px tile at %v has %d (max %d)",
		d.mean, maxMeanDiff, d.share*100, bigDiffLevels, maxBigDiffShare*100, tileSize, d.tileAt, d.tileMax, maxTileBigDiff)
}

// screenshot writes the window as mpv shows it to a file named name in a
// temporary directory and returns its path.
func (h *harness) screenshot(name string) string {
	t := h.t
	t.Helper()
	// Let mpv draw the overlays just sent before reading the window back.
	time.Sleep(500 * time.Millisecond)
	got := filepath.Join(t.TempDir(), name)
	start := time.Now()
	if err := h.player.Command("screenshot-to-file", got, "window"); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot %s took %v", name, time.Since(start))
	return got
}

// compareScreenshot takes a window screenshot, compares it with the golden
// (or rewrites it with -update) and returns the screenshot's path.
func (h *harness) compareScreenshot(name string) string {
	t := h.t
	t.Helper()
	got := h.screenshot(name)
	golden := filepath.Join("testdata", "golden", name)
	if *update {
		data, err := os.ReadFile(got)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", golden)
		return got
	}
	d, err := diffPNG(golden, got)
	if err != nil {
		t.Fatalf("compare %s: %v (run with -update to create it)", name, err)
	}
	t.Logf("%s: %v", name, d)
	if !d.ok() {
		keep := filepath.Join(os.TempDir(), "atomictv-"+name)
		data, _ := os.ReadFile(got)
		os.WriteFile(keep, data, 0o644)
		t.Errorf("%s differs from the golden: %v; got is in %s", name, d, keep)
	}
	return got
}

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}

// diffPNG compares two PNG files with diffImages.
func diffPNG(wantPath, gotPath string) (goldenDiff, error) {
	want, err := readPNG(wantPath)
	if err != nil {
		return goldenDiff{}, err
	}
	got, err := readPNG(gotPath)
	if err != nil {
		return goldenDiff{}, err
	}
	return diffImages(want, got), nil
}

// diffImages returns the mean absolute difference per channel, the share
// of pixels where some channel differs by more than bigDiffLevels and the
// most such pixels in one tileSize square. Images of different sizes
// differ everywhere.
func diffImages(want, got image.Image) goldenDiff {
	if want.Bounds().Size() != got.Bounds().Size() {
		return goldenDiff{mean: math.Inf(1), share: 1, tileMax: tileSize * tileSize}
	}
	b := want.Bounds()
	tilesX := (b.Dx() + tileSize - 1) / tileSize
	tiles := make([]int, tilesX*((b.Dy()+tileSize-1)/tileSize))
	var sum float64
	var big int
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r1, g1, b1, _ := want.At(b.Min.X+x, b.Min.Y+y).RGBA()
			r2, g2, b2, _ := got.At(got.Bounds().Min.X+x, got.Bounds().Min.Y+y).RGBA()
			worst := 0.0
			for _, p := range [][2]uint32{{r1, r2}, {g1, g2}, {b1, b2}} {
				d := math.Abs(float64(p[0]>>8) - float64(p[1]>>8))
				sum += d
				worst = max(worst, d)
			}
			if worst > bigDiffLevels {
				big++
				tiles[y/tileSize*tilesX+x/tileSize]++
			}
		}
	}
	n := float64(b.Dx() * b.Dy())
	d := goldenDiff{mean: sum / (3 * n), share: float64(big) / n}
	for i, c := range tiles {
		if c > d.tileMax {
			d.tileMax, d.tileAt = c, image.Pt(i%tilesX*tileSize, i/tilesX*tileSize)
		}
	}
	return d
}

// goldenBreak takes one thing off a rendered home layer (osd-overlay
// ass-events, one event per line): a screen the viewer would get if the
// renderer forgot it.
type goldenBreak struct {
	what   string
	remove func(ass string) (string, int) // the layer without it, events changed
}

var (
	// A resume bar is two 6 px high rectangles (track, then progress);
	// nothing else on the home screen is 6 px high.
	resumeBarEvent = regexp.MustCompile(`\\p1\}m 0 0 l \d+ 0 \d+ 6 0 6\{\\p0\}$`)
	// A row's count sits top-right (\an9) and says only "N episode(s)".
	episodeCountEvent = regexp.MustCompile(`^\{\\an9[^}]*\}\d+ episodes?$`)
)

var (
	breakResumeBars = goldenBreak{"its resume bars", dropEvents(resumeBarEvent)}
	breakCounts     = goldenBreak{"its rows' episode counts", dropEvents(episodeCountEvent)}
	breakWatched    = goldenBreak{"\"✓ Watched\"", func(ass string) (string, int) {
		var n int
		lines := strings.Split(ass, "\n")
		for i, l := range lines {
			// The hero's meta joins with "   ·   ", a card's with " · ".
			if c := strings.NewReplacer("   ·   ✓ Watched", "", " · ✓ Watched", "").Replace(l); c != l {
				lines[i], n = c, n+1
			}
		}
		return strings.Join(lines, "\n"), n
	}}
)

func dropEvents(re *regexp.Regexp) func(string) (string, int) {
	return func(ass string) (string, int) {
		var kept []string
		n := 0
		for _, l := range strings.Split(ass, "\n") {
			if re.MatchString(l) {
				n++
				continue
			}
			kept = append(kept, l)
		}
		return strings.Join(kept, "\n"), n
	}
}

// checkBreaksCaught shows each break of the home layer home in mpv's
// window, screenshots it and wants the comparison with golden to fail;
// then it puts the layer back as the app sent it (the app sends a layer
// only when it changes, so it does not undo the break by itself).
func (h *harness) checkBreaksCaught(golden, home string, breaks ...goldenBreak) {
	t := h.t
	t.Helper()
	show := func(ass string) {
		if err := h.player.Command("osd-overlay", "1", "ass-events", ass,
			strconv.Itoa(screens.Width), strconv.Itoa(screens.Height), "0", "no"); err != nil {
			t.Fatalf("osd-overlay: %v", err)
		}
	}
	defer show(home)
	for _, b := range breaks {
		broken, n := b.remove(home)
		if n == 0 {
			t.Fatalf("%s shows nothing to remove as %s: the break would test nothing", golden, b.what)
		}
		show(broken)
		d, err := diffPNG(filepath.Join("testdata", "golden", golden), h.screenshot("broken-"+golden))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s without %s (%d events changed): %v", golden, b.what, n, d)
		if d.ok() {
			t.Errorf("%s without %s passes the golden comparison: %v", golden, b.what, d)
		}
	}
}
