package boottest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net"
	"os"
	"strconv"
	"time"
)

// Screendump asks QEMU's monitor (a unix socket) for a picture of the
// display as a PPM file at ppm, then waits settle for QEMU to write it
// (the monitor gives no completion signal). Blocks for about settle.
func Screendump(ctx context.Context, monitor, ppm string, settle time.Duration) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", monitor)
	if err != nil {
		return fmt.Errorf("QEMU monitor: %w", err)
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "screendump %s\n", ppm); err != nil {
		return fmt.Errorf("QEMU monitor: %w", err)
	}
	t := time.NewTimer(settle)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	return nil
}

// maxPixels bounds a PPM's size (a 8K display is 33 M pixels).
const maxPixels = 64 << 20

// ReadPPM decodes a binary PPM (P6, maxval 1..255) as QEMU's screendump
// writes it.
func ReadPPM(r io.Reader) (*image.RGBA, error) {
	br := bufio.NewReader(r)
	var hdr [4]int // magic as 6, width, height, maxval
	for i := range hdr {
		tok, err := ppmToken(br)
		if err != nil {
			return nil, fmt.Errorf("PPM header: %w", err)
		}
		if i == 0 {
			if tok != "P6" {
				return nil, fmt.Errorf("PPM header: magic %q, want P6", tok)
			}
			continue
		}
		n, err := strconv.Atoi(tok)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("PPM header: bad number %q", tok)
		}
		hdr[i] = n
	}
	w, h, maxval := hdr[1], hdr[2], hdr[3]
	if maxval > 255 {
		return nil, fmt.Errorf("PPM maxval %d: only 8-bit samples", maxval)
	}
	if w > maxPixels || h > maxPixels || w*h > maxPixels {
		return nil, fmt.Errorf("PPM %dx%d too large", w, h)
	}
	// One whitespace byte ends the header (ppmToken consumed it).
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	row := make([]byte, 3*w)
	for y := range h {
		if _, err := io.ReadFull(br, row); err != nil {
			return nil, fmt.Errorf("PPM row %d: %w", y, err)
		}
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{scale(row[3*x], maxval), scale(row[3*x+1], maxval), scale(row[3*x+2], maxval), 255})
		}
	}
	return img, nil
}

func scale(v byte, maxval int) uint8 {
	if maxval == 255 {
		return v
	}
	return uint8(min(int(v)*255/maxval, 255))
}

// ppmToken reads one header token: whitespace and # comments skipped; the
// one whitespace byte after it is consumed.
func ppmToken(br *bufio.Reader) (string, error) {
	var tok []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			if err == io.EOF && len(tok) > 0 {
				return string(tok), nil
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		switch {
		case c == '#' && len(tok) == 0:
			if _, err := br.ReadString('\n'); err != nil {
				return "", io.ErrUnexpectedEOF
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			if len(tok) > 0 {
				return string(tok), nil
			}
		default:
			if len(tok) >= 16 {
				return "", errors.New("token too long")
			}
			tok = append(tok, c)
		}
	}
}

// PSNR returns the peak signal-to-noise ratio in dB of b against a over
// their R, G and B samples (as ffmpeg's psnr filter averages rgb24 planes):
// 0 when the sizes differ, 99 when the pictures are identical.
func PSNR(a, b image.Image) float64 {
	if a.Bounds().Size() != b.Bounds().Size() {
		return 0
	}
	ra, rb := a.Bounds(), b.Bounds()
	var sum float64
	for y := 0; y < ra.Dy(); y++ {
		for x := 0; x < ra.Dx(); x++ {
			r1, g1, b1, _ := a.At(ra.Min.X+x, ra.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(rb.Min.X+x, rb.Min.Y+y).RGBA()
			for _, d := range [3]float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				sum += d * d
			}
		}
	}
	if sum == 0 {
		return 99
	}
	mse := sum / float64(3*ra.Dx()*ra.Dy())
	return 10 * math.Log10(255*255/mse)
}

// ReadImage decodes a PNG or a PPM file.
func ReadImage(name string) (image.Image, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if m, _ := br.Peek(2); string(m) == "P6" {
		img, err := ReadPPM(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return img, nil
	}
	img, err := png.Decode(br)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return img, nil
}

// WritePNG writes img to name (through a temporary file, so a reader never
// sees half a picture).
func WritePNG(name string, img image.Image) error {
	tmp := name + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

// Screen takes pictures of a QEMU display through its monitor socket; the
// PPM files land in Dir.
type Screen struct {
	Monitor string
	Dir     string
	Settle  time.Duration // wait after asking for a picture; 0 means 1.5 s
}

// Shot takes one picture and also writes it as PNG to png (for people and
// for goldens).
func (s Screen) Shot(ctx context.Context, pngName string) (image.Image, error) {
	settle := s.Settle
	if settle == 0 {
		settle = 1500 * time.Millisecond
	}
	ppm := s.Dir + "/shot.ppm"
	os.Remove(ppm)
	if err := Screendump(ctx, s.Monitor, ppm, settle); err != nil {
		return nil, err
	}
	img, err := ReadImage(ppm)
	if err != nil {
		return nil, fmt.Errorf("screendump: %w", err)
	}
	if pngName != "" {
		if err := WritePNG(pngName, img); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// Shows checks that every region of the display matches golden to at least
// minPSNR dB (CompareRegions); each picture is written to pngName. The
// detail is the lowest region PSNR and its region.
func (s Screen) Shows(golden image.Image, regions []Region, minPSNR float64, pngName string) Check {
	return func(ctx context.Context) (string, error) {
		img, err := s.Shot(ctx, pngName)
		if err != nil {
			return "", err
		}
		worst, name, err := CompareRegions(golden, img, regions, minPSNR)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%.2f dB (%s)", worst, name), nil
	}
}

// Thresholds between two pictures of the TV, in dB of PSNR.
const (
	otherDB = 25 // below: a different screen (the UI took the console, the player the home screen)
	stillDB = 40 // at or above: the same picture (small noise aside); below: it moved
)

// twoShots takes a picture that must differ from ref (below otherDB, else
// the error says the screen is still ref's, named refName), waits gap, and
// takes a second, written to pngName. Blocks for gap; ctx ends the wait.
func (s Screen) twoShots(ctx context.Context, ref image.Image, refName string, gap time.Duration, pngName string) (a, b image.Image, err error) {
	a, err = s.Shot(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	if p := PSNR(ref, a); p >= otherDB {
		return nil, nil, fmt.Errorf("still %s (PSNR %.2f dB)", refName, p)
	}
	t := time.NewTimer(gap)
	select {
	case <-ctx.Done():
		t.Stop()
		return nil, nil, ctx.Err()
	case <-t.C:
	}
	b, err = s.Shot(ctx, pngName)
	return a, b, err
}

// Settled checks that the display differs from console (below otherDB: the
// UI took the screen) and then holds still for hold (at least stillDB between
// two pictures: posters arrived). The last picture is written to pngName.
func (s Screen) Settled(console image.Image, hold time.Duration, pngName string) Check {
	return func(ctx context.Context) (string, error) {
		a, b, err := s.twoShots(ctx, console, "the console", hold, pngName)
		if err != nil {
			return "", err
		}
		if p := PSNR(a, b); p < stillDB {
			return "", fmt.Errorf("still changing (PSNR %.2f dB over %v)", p, hold)
		}
		return "", nil
	}
}

// Playing checks that the TV plays video: two pictures gap apart both
// differ from home (below otherDB: the player has the screen) and from each
// other (below stillDB: the picture moves, as a paused or stuck player's
// does not). The second picture is written to pngName; the detail is the
// PSNR between the two.
func (s Screen) Playing(home image.Image, gap time.Duration, pngName string) Check {
	return func(ctx context.Context) (string, error) {
		a, b, err := s.twoShots(ctx, home, "the home screen", gap, pngName)
		if err != nil {
			return "", err
		}
		if p := PSNR(home, b); p >= otherDB {
			return "", fmt.Errorf("back on the home screen (PSNR %.2f dB)", p)
		}
		p := PSNR(a, b)
		if p >= stillDB {
			return "", fmt.Errorf("the picture does not move (PSNR %.2f dB over %v)", p, gap)
		}
		return strconv.FormatFloat(p, 'f', 2, 64), nil
	}
}
