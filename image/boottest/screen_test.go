package boottest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ffmpeg makes a real picture with ffmpeg (the tool the script used).
func ffmpeg(t *testing.T, args ...string) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("no ffmpeg")
	}
	if out, err := exec.Command("ffmpeg", append([]string{"-v", "error", "-y"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
	}
}

// TestReadPPMAgainstFFmpeg: the same picture as PPM (what QEMU's
// screendump writes, here written by ffmpeg) and as PNG decodes to the same
// pixels, and PSNR agrees with ffmpeg's psnr filter, which the script used.
func TestReadPPMAgainstFFmpeg(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc2=s=320x180:d=1", "-frames:v", "1", a+".ppm")
	ffmpeg(t, "-i", a+".ppm", a+".png")
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc2=s=320x180:d=1", "-vf", "noise=alls=20:allf=t", "-frames:v", "1", b+".png")
	ppm, err := ReadImage(a + ".ppm")
	if err != nil {
		t.Fatal(err)
	}
	png, err := ReadImage(a + ".png")
	if err != nil {
		t.Fatal(err)
	}
	if p := PSNR(png, ppm); p != 99 {
		t.Errorf("PPM and PNG of one picture: PSNR %v, want 99 (identical)", p)
	}
	noisy, err := ReadImage(b + ".png")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffmpeg", "-v", "info", "-i", a+".png", "-i", b+".png", "-lavfi", "psnr", "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg psnr: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`PSNR.* average:([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no PSNR in ffmpeg's output:\n%s", out)
	}
	want, _ := strconv.ParseFloat(string(m[1]), 64)
	if got := PSNR(png, noisy); math.Abs(got-want) > 0.01 {
		t.Errorf("PSNR = %.4f dB, ffmpeg says %.4f", got, want)
	}
	small := image.NewRGBA(image.Rect(0, 0, 10, 10))
	if p := PSNR(png, small); p != 0 {
		t.Errorf("PSNR of different sizes = %v, want 0", p)
	}
}

func TestReadPPMErrors(t *testing.T) {
	for _, tc := range []struct{ in, reason string }{
		{"P3\n1 1\n255\n000", "ASCII PPM is not what QEMU writes"},
		{"P6\n2 1\n255\n\x00\x00\x00", "short pixel data"},
		{"P6\n1 1\n65535\n\x00\x00\x00\x00\x00\x00", "16-bit samples"},
		{"P6\n-1 1\n255\n", "negative width"},
		{"P6\n100000 100000\n255\n", "absurd size"},
		{"P6 # comment without end", "header cut off in a comment"},
	} {
		if _, err := ReadPPM(strings.NewReader(tc.in)); err == nil {
			t.Errorf("ReadPPM(%q) = nil error (%s)", tc.in, tc.reason)
		}
	}
	img, err := ReadPPM(strings.NewReader("P6 # QEMU\n2 1 255\n\xff\x00\x00\x00\x00\x7f"))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.RGBAAt(0, 0); got != (color.RGBA{255, 0, 0, 255}) {
		t.Errorf("pixel 0 = %v", got)
	}
	if got := img.RGBAAt(1, 0); got != (color.RGBA{0, 0, 127, 255}) {
		t.Errorf("pixel 1 = %v", got)
	}
	img, err = ReadPPM(strings.NewReader("P6\n1 1\n15\n\x0f\x00\x08"))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.RGBAAt(0, 0); got != (color.RGBA{255, 0, 136, 255}) {
		t.Errorf("maxval 15 pixel = %v, want samples scaled to 255", got)
	}
}

// monitor is a stand-in for QEMU's monitor socket: for "screendump FILE"
// it writes the picture pic returns as PPM to FILE.
func monitor(t *testing.T, pic func() image.Image) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "monitor.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			if f, ok := strings.CutPrefix(strings.TrimSpace(line), "screendump "); ok {
				img := pic()
				var b bytes.Buffer
				fmt.Fprintf(&b, "P6\n%d %d\n255\n", img.Bounds().Dx(), img.Bounds().Dy())
				for y := range img.Bounds().Dy() {
					for x := range img.Bounds().Dx() {
						r, g, bl, _ := img.At(x, y).RGBA()
						b.Write([]byte{byte(r >> 8), byte(g >> 8), byte(bl >> 8)})
					}
				}
				os.WriteFile(f, b.Bytes(), 0o644)
			}
			c.Close()
		}
	}()
	return sock
}

func solid(c color.RGBA) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 64, 36))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return img
}

func TestScreenShows(t *testing.T) {
	golden := solid(color.RGBA{20, 40, 60, 255})
	shown := golden
	sock := monitor(t, func() image.Image { return shown })
	dir := t.TempDir()
	s := Screen{Monitor: sock, Dir: dir, Settle: 50 * time.Millisecond}
	out := filepath.Join(dir, "home.png")
	whole := []Region{{"all", image.Rect(0, 0, 64, 36)}}
	d, err := s.Shows(golden, whole, 28, out)(context.Background())
	if err != nil || d != "99.00 dB (all)" {
		t.Errorf("the golden on screen: %q, %v", d, err)
	}
	if img, err := ReadImage(out); err != nil || PSNR(golden, img) != 99 {
		t.Errorf("home.png not the picture: %v", err)
	}
	shown = solid(color.RGBA{0, 0, 0, 255}) // the console
	if _, err := s.Shows(golden, whole, 28, out)(context.Background()); err == nil {
		t.Error("a black screen passed as the home screen")
	}
}

func TestScreenSettled(t *testing.T) {
	console := solid(color.RGBA{0, 0, 0, 255})
	n := 0
	var pics []image.Image
	sock := monitor(t, func() image.Image { p := pics[min(n, len(pics)-1)]; n++; return p })
	dir := t.TempDir()
	s := Screen{Monitor: sock, Dir: dir, Settle: 20 * time.Millisecond}
	home := solid(color.RGBA{200, 100, 50, 255})
	for _, tc := range []struct {
		pics   []image.Image
		ok     bool
		reason string
	}{
		{[]image.Image{console, console}, false, "still the console"},
		{[]image.Image{home, solid(color.RGBA{100, 200, 50, 255})}, false, "the UI is still drawing"},
		{[]image.Image{home, home}, true, "the UI took the screen and held still"},
	} {
		pics, n = tc.pics, 0
		_, err := s.Settled(console, 10*time.Millisecond, filepath.Join(dir, "b.png"))(context.Background())
		if (err == nil) != tc.ok {
			t.Errorf("Settled: %v, want ok=%v (%s)", err, tc.ok, tc.reason)
		}
	}
}

func TestScreenPlaying(t *testing.T) {
	n := 0
	var pics []image.Image
	sock := monitor(t, func() image.Image { p := pics[min(n, len(pics)-1)]; n++; return p })
	dir := t.TempDir()
	s := Screen{Monitor: sock, Dir: dir, Settle: 20 * time.Millisecond}
	home := solid(color.RGBA{200, 100, 50, 255})
	frame1, frame2 := solid(color.RGBA{20, 20, 200, 255}), solid(color.RGBA{20, 60, 180, 255})
	for _, tc := range []struct {
		pics   []image.Image
		ok     bool
		reason string
	}{
		{[]image.Image{home, home}, false, "Enter did nothing: still the home screen"},
		{[]image.Image{frame1, frame1}, false, "a still picture (paused, stuck, an error screen) is not playback"},
		{[]image.Image{frame1, home}, false, "the episode ended (or failed) between the pictures"},
		{[]image.Image{frame1, frame2}, true, "the player has the screen and the picture moves"},
	} {
		pics, n = tc.pics, 0
		_, err := s.Playing(home, 10*time.Millisecond, filepath.Join(dir, "playing.png"))(context.Background())
		if (err == nil) != tc.ok {
			t.Errorf("Playing: %v, want ok=%v (%s)", err, tc.ok, tc.reason)
		}
	}
}

func FuzzReadPPM(f *testing.F) {
	f.Add([]byte("P6\n2 1\n255\n\xff\x00\x00\x00\x00\x7f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := ReadPPM(bytes.NewReader(b))
		if err != nil {
			return
		}
		if n := img.Bounds().Dx() * img.Bounds().Dy(); n <= 0 || 3*n > len(b) {
			t.Fatalf("%d pixels from %d bytes", n, len(b))
		}
	})
}
