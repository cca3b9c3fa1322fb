package tv

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/api"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/screens"
)

// chapterClip writes a copy of a 60 s clip with chapters starting at
// starts (seconds, the first 0), set with ffmpeg's ffmetadata format, and
// returns its path.
func chapterClip(t *testing.T, starts []float64) string {
	t.Helper()
	base := testmedia.Video(t, testmedia.Clip{Title: "Orbit S1E3", Seconds: 60, FastStart: true, Width: 640, Height: 360})
	dir := t.TempDir()
	var meta strings.Builder
	meta.WriteString(";FFMETADATA1\n")
	for i, s := range starts {
		end := 60.0
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		fmt.Fprintf(&meta, "[CHAPTER]\nTIMEBASE=1/1000\nSTART=%d\nEND=%d\ntitle=Part %d\n", int64(s*1000), int64(end*1000), i+1)
	}
	metaPath := filepath.Join(dir, "chapters.txt")
	if err := os.WriteFile(metaPath, []byte(meta.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "chapters.mp4")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-nostdin", "-y", "-i", base, "-f", "ffmetadata", "-i", metaPath,
		"-map", "0", "-map_metadata", "1", "-map_chapters", "1", "-c", "copy", "-movflags", "+faststart", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg (chapters): %v\n%s", err, b)
	}
	return out
}

// TestChapterMarksOnSeekBar plays a file whose chapters ffmpeg set at
// uneven times and reads the window back: a white mark crosses the seek
// bar exactly where each chapter starts (above and below the bar's
// track), and nowhere between them.
func TestChapterMarksOnSeekBar(t *testing.T) {
	startXvfb(t)
	starts := []float64{0, 13.5, 41}
	cv := fixedCatalog()
	d := newFakeDaemon(cv)
	d.streams["/api/stream/orbit-s1e3"] = chapterClip(t, starts)
	url := playerDaemon(t, d, api.Stats{})
	h := startUI(t, mpv.Desktop, url, func(c *Config) { c.Now = func() time.Time { return playerNow } })
	h.waitState(20*time.Second, "catalog", func(st probeState) bool { return st.model.Loaded })
	h.focusOn("orbit-s1e3", "DOWN", "RIGHT", "RIGHT")
	h.key("ENTER")
	h.waitState(20*time.Second, "first frame and chapters", func(st probeState) bool {
		return st.model.Play.Started && len(st.model.Play.Chapters) == len(starts)
	})
	h.key("SPACE")
	h.key("LEFT") // to 0: the accent part of the bar is one pixel wide
	st := h.waitState(10*time.Second, "paused at 0 with the OSD", func(st probeState) bool {
		p := st.model.Play
		return p.Paused && p.Position == 0 && p.Duration > 59 && st.frame.OSDVisible()
	})
	for i, c := range st.model.Play.Chapters {
		if math.Abs(c.Time-starts[i]) > 0.05 {
			t.Errorf("chapter %d at %.3f s, want %.3f s (mpv's chapter-list)", i, c.Time, starts[i])
		}
	}
	dur := st.model.Play.Duration
	shot := h.screenshot("chapters.png")
	img, err := readPNG(shot)
	if err != nil {
		t.Fatal(err)
	}
	bx, by, bw, bh := screens.SeekBar()
	white := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return r>>8 > 200 && g>>8 > 200 && b>>8 > 200
	}
	markAt := func(x int) bool { return white(x, by-3) && white(x, by+bh/2) && white(x, by+bh+2) }
	for _, s := range starts[1:] {
		x := bx + int(math.Round(s/dur*float64(bw)))
		if !markAt(x) {
			t.Errorf("no chapter mark at x=%d for the chapter at %.1f s (pixels %v %v %v)", x, s, rgb(img.At(x, by-3)), rgb(img.At(x, by+bh/2)), rgb(img.At(x, by+bh+2)))
		}
	}
	// Between the marks the bar is not white.
	for x := bx + 10; x < bx+bw-10; x++ {
		near := false
		for _, s := range starts[1:] {
			if math.Abs(float64(x)-(float64(bx)+s/dur*float64(bw))) <= screens.ChapterMarkW {
				near = true
			}
		}
		if !near && markAt(x) {
			t.Fatalf("a mark at x=%d, where no chapter starts", x)
		}
	}
}

func rgb(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}
