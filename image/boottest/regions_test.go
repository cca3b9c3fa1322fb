package boottest

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"strings"
	"testing"
)

// goldenHome is the image test's golden home screen (scripts/image-test.sh).
const goldenHome = "../testdata/home.png"

func loadGolden(t *testing.T) image.Image {
	t.Helper()
	g, err := ReadImage(goldenHome)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func copyRGBA(m image.Image) *image.RGBA {
	c := image.NewRGBA(image.Rectangle{Max: m.Bounds().Size()})
	draw.Draw(c, c.Bounds(), m, m.Bounds().Min, draw.Src)
	return c
}

// blank paints r with the background just left of it, row by row (the
// screen's background is a gradient), as a screen that lost that text.
func blank(m *image.RGBA, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		bg := m.At(r.Min.X-4, y)
		for x := r.Min.X; x < r.Max.X; x++ {
			m.Set(x, y, bg)
		}
	}
}

// moveFocus erases the 6 px focus frame around the first row's card at
// fromX (with the background beside it) and draws one around the card at
// toX, as the home screen draws it.
func moveFocus(m *image.RGBA, fromX, toX int) {
	const y, w, h, f = 384, 320, 180, 6
	for _, side := range []image.Rectangle{
		image.Rect(fromX-f, y-f, fromX+w+f, y), image.Rect(fromX-f, y+h, fromX+w+f, y+h+f),
		image.Rect(fromX-f, y, fromX, y+h), image.Rect(fromX+w, y, fromX+w+f, y+h),
	} {
		blank(m, side)
	}
	white := image.NewUniform(color.White)
	for _, side := range []image.Rectangle{
		image.Rect(toX-f, y-f, toX+w+f, y), image.Rect(toX-f, y+h, toX+w+f, y+h+f),
		image.Rect(toX-f, y, toX, y+h), image.Rect(toX+w, y, toX+w+f, y+h),
	} {
		draw.Draw(m, side, white, image.Point{}, draw.Src)
	}
}

// TestHomeRegionsCatchMissingMeaning: the region compare fails a home
// screen that lost its hero title, its episode line or moved its focus,
// each of which the old check (PSNR of the whole screen >= 28 dB) passed;
// it passes the golden itself and the golden with sensor-like noise.
func TestHomeRegionsCatchMissingMeaning(t *testing.T) {
	const minDB = 35 // scripts/image-test.sh's default
	golden := loadGolden(t)
	if s := golden.Bounds().Size(); s != image.Pt(1920, 1080) {
		t.Fatalf("golden is %v, the regions are for 1920x1080", s)
	}
	for _, tc := range []struct {
		reason  string
		change  func(*image.RGBA)
		badSets []string // region names that must fail; none: must pass
		oldMiss bool     // the old whole-screen check (>= 28 dB) passes it
	}{
		{"the golden itself", func(*image.RGBA) {}, nil, false},
		{"noise of +-2 levels everywhere (scaler or dithering jitter)", func(m *image.RGBA) {
			r := rand.New(rand.NewPCG(1, 2))
			for i := range m.Pix {
				if i%4 != 3 {
					m.Pix[i] = uint8(min(max(int(m.Pix[i])+r.IntN(5)-2, 0), 255))
				}
			}
		}, nil, false},
		{"hero title gone", func(m *image.RGBA) { blank(m, image.Rect(94, 146, 420, 204)) }, []string{"hero title"}, true},
		{"episode line gone", func(m *image.RGBA) { blank(m, image.Rect(94, 210, 420, 244)) }, []string{"hero episode line"}, true},
		{"hero title and episode line gone", func(m *image.RGBA) {
			blank(m, image.Rect(94, 146, 420, 204))
			blank(m, image.Rect(94, 210, 420, 244))
		}, []string{"hero title", "hero episode line"}, true},
		{"focus on the show card instead of Pilot", func(m *image.RGBA) { moveFocus(m, 456, 96) }, []string{"focus"}, false},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			got := copyRGBA(golden)
			tc.change(got)
			global := PSNR(golden, got)
			worst, name, err := CompareRegions(golden, got, HomeRegions, minDB)
			t.Logf("whole screen %.2f dB; worst region %s %.2f dB", global, name, worst)
			if len(tc.badSets) == 0 {
				if err != nil {
					t.Fatalf("CompareRegions: %v, want a pass", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CompareRegions passed (worst region %s %.2f dB), want it to fail on %v", name, worst, tc.badSets)
			}
			for _, n := range tc.badSets {
				if !strings.Contains(err.Error(), n+" ") {
					t.Errorf("error %q does not name region %q", err, n)
				}
			}
			// The old check: one PSNR over the whole screen, 28 dB.
			if tc.oldMiss && global < 28 {
				t.Errorf("whole-screen PSNR %.2f dB: the old check would have caught this too; the case shows nothing", global)
			}
		})
	}
}

// TestHomeChromeTellsScreensApart: the chrome regions (channel name,
// settings button) pass the home screen with other rows and fail a screen
// without them.
func TestHomeChromeTellsScreensApart(t *testing.T) {
	golden := loadGolden(t)
	rows := copyRGBA(golden)
	blank(rows, image.Rect(94, 340, 1866, 1032)) // rows changed (e.g. Continue watching)
	if _, _, err := CompareRegions(golden, rows, HomeChrome, 35); err != nil {
		t.Errorf("home screen with other rows: %v, want a pass", err)
	}
	other := copyRGBA(golden)
	blank(other, image.Rect(94, 52, 600, 104)) // another page's title
	if _, _, err := CompareRegions(golden, other, HomeChrome, 35); err == nil || !strings.Contains(err.Error(), "channel name") {
		t.Errorf("screen without the channel name: %v, want a failure naming it", err)
	}
	small := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	if _, _, err := CompareRegions(golden, small, HomeChrome, 35); err == nil {
		t.Error("a 1280x720 picture passed against the 1920x1080 golden")
	}
}

func TestRegionPSNRMatchesPSNR(t *testing.T) {
	golden := loadGolden(t)
	got := copyRGBA(golden)
	blank(got, image.Rect(94, 146, 420, 204))
	if a, b := RegionPSNR(golden, got, image.Rectangle{Max: golden.Bounds().Size()}), PSNR(golden, got); a != b {
		t.Errorf("RegionPSNR over the whole picture %v, PSNR %v", a, b)
	}
	if p := RegionPSNR(golden, got, image.Rect(0, 0, 4000, 10)); p != 0 {
		t.Errorf("RegionPSNR outside the picture = %v, want 0", p)
	}
}
