package boottest

import (
	"fmt"
	"image"
	"math"
	"strings"
)

// A Region is a part of the TV picture that carries meaning, compared on
// its own so that losing it cannot hide in the PSNR of the whole screen (a
// missing hero title costs the whole 1920x1080 picture only about 2 dB).
type Region struct {
	Name string
	R    image.Rectangle // in the golden's pixels (1920x1080)
}

// HomeRegions are the meaningful parts of the home screen of the image
// test's demo channel at 1920x1080, from the grid of ui/screens (render.go:
// marginX 96, rowsY 340, rowPitch 316, cards 320x180 at a 360 px pitch,
// hero poster 384x216 at x 1472, y 112, focus frame 6 px) and the heights
// of its text lines (home_render.go). Each one holds text or a picture and
// little background, so that losing it moves its PSNR far.
var HomeRegions = []Region{
	{"channel name", image.Rect(90, 50, 600, 104)},
	{"settings button", image.Rect(1610, 28, 1866, 100)},
	{"hero show name", image.Rect(90, 110, 420, 142)},
	{"hero title", image.Rect(90, 142, 420, 206)},
	{"hero episode line", image.Rect(90, 208, 420, 246)},
	{"hero synopsis", image.Rect(90, 252, 420, 292)},
	{"hero poster", image.Rect(1472, 112, 1856, 328)},
	{"row 1 label", image.Rect(90, 340, 1866, 384)},
	{"row 1 cards", image.Rect(90, 384, 1866, 564)},
	{"row 1 captions", image.Rect(90, 578, 1866, 646)},
	{"focus", image.Rect(450, 378, 782, 570)},
	{"row 2 label", image.Rect(90, 656, 1866, 700)},
	{"row 2 cards", image.Rect(90, 700, 1866, 880)},
	{"row 2 captions", image.Rect(90, 894, 1866, 962)},
	{"more below", image.Rect(90, 996, 800, 1032)},
}

// HomeChrome are the parts of the home screen that stay when its rows
// change (a Continue watching row after playback, the focus on the next
// episode): they tell the home screen from the player, the settings page
// and the console.
var HomeChrome = []Region{HomeRegions[0], HomeRegions[1]}

// RegionSets names the region sets for the command line.
var RegionSets = map[string][]Region{"home": HomeRegions, "chrome": HomeChrome}

// RegionPSNR is PSNR (see there) over rectangle r only, r in a's and b's
// own coordinates relative to their Min: 0 when the sizes differ or r is
// not inside them.
func RegionPSNR(a, b image.Image, r image.Rectangle) float64 {
	if a.Bounds().Size() != b.Bounds().Size() || r.Empty() || !r.In(image.Rectangle{Max: a.Bounds().Size()}) {
		return 0
	}
	oa, ob := a.Bounds().Min, b.Bounds().Min
	var sum float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(oa.X+x, oa.Y+y).RGBA()
			r2, g2, b2, _ := b.At(ob.X+x, ob.Y+y).RGBA()
			for _, d := range [3]float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				sum += d * d
			}
		}
	}
	if sum == 0 {
		return 99
	}
	mse := sum / float64(3*r.Dx()*r.Dy())
	return 10 * math.Log10(255*255/mse)
}

// CompareRegions checks every region of got against golden at minPSNR dB
// or more. It returns the lowest region PSNR and its region's name; the
// error names every region below minPSNR with its PSNR, or says that the
// sizes differ.
func CompareRegions(golden, got image.Image, regions []Region, minPSNR float64) (worst float64, name string, err error) {
	if g, s := golden.Bounds().Size(), got.Bounds().Size(); g != s {
		return 0, "", fmt.Errorf("picture is %dx%d, the golden %dx%d", s.X, s.Y, g.X, g.Y)
	}
	if len(regions) == 0 {
		return 0, "", fmt.Errorf("no regions to compare")
	}
	worst = math.Inf(1)
	var bad []string
	for _, r := range regions {
		p := RegionPSNR(golden, got, r.R)
		if p < worst {
			worst, name = p, r.Name
		}
		if p < minPSNR {
			bad = append(bad, fmt.Sprintf("%s %.2f dB", r.Name, p))
		}
	}
	if len(bad) > 0 {
		return worst, name, fmt.Errorf("regions below %g dB against the golden: %s", minPSNR, strings.Join(bad, ", "))
	}
	return worst, name, nil
}
