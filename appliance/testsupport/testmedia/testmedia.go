// Package testmedia makes real video files for tests with ffmpeg (test
// sources, title drawn in, H.264 + AAC in MP4). Files are cached by their
// parameters under the user cache dir so a test run pays for each clip once;
// the cache is safe to delete at any time.
package testmedia

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Clip describes a generated video.
type Clip struct {
	Title     string  // drawn in the middle of the picture
	Seconds   float64 // duration
	Width     int     // default 1280
	Height    int     // default 720
	FPS       int     // default 25
	Bitrate   string  // ffmpeg -b:v, default "1500k"
	FastStart bool    // moov at the front (what the publisher wants); false puts it at the end
	Pattern   string  // lavfi source: testsrc2 (default), smptebars, mandelbrot...

	// Extra tracks and chapters; the zero values add nothing (and leave
	// the cache key of older clips as it was).
	AudioLangs []string `json:",omitempty"` // one tone per tag (ISO 639-2, "eng"), in this order, instead of the single untagged one
	SubLangs   []string `json:",omitempty"` // one mov_text subtitle track per tag, each line naming its tag
	Chapters   int      `json:",omitempty"` // that many chapters of equal length, titled "Chapter N"
}

// Poster describes a generated still image.
type Poster struct {
	Title  string
	Width  int    // default 480
	Height int    // default 270
	Color  string // ffmpeg colour, default "0x204080"
}

// Video returns the path of an MP4 for c, generating it if needed. It fails
// the test when ffmpeg is missing or fails.
func Video(t testing.TB, c Clip) string {
	t.Helper()
	path, err := MakeVideo(context.Background(), CacheDir(), c)
	if err != nil {
		t.Fatalf("testmedia: %v", err)
	}
	return path
}

// PosterImage returns the path of a PNG for p, generating it if needed.
func PosterImage(t testing.TB, p Poster) string {
	t.Helper()
	path, err := MakePoster(context.Background(), CacheDir(), p)
	if err != nil {
		t.Fatalf("testmedia: %v", err)
	}
	return path
}

// CacheDir is where generated media is kept between runs.
func CacheDir() string {
	if d := os.Getenv("ATOMICBOX_MEDIA_CACHE"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "atomicbox-testmedia")
}

// MakeVideo writes the clip into dir (named by a hash of its parameters) and
// returns its path. Concurrent callers (parallel test binaries) are safe:
// each renders to a temp name and renames.
func MakeVideo(ctx context.Context, dir string, c Clip) (string, error) {
	if c.Width == 0 {
		c.Width = 1280
	}
	if c.Height == 0 {
		c.Height = 720
	}
	if c.FPS == 0 {
		c.FPS = 25
	}
	if c.Bitrate == "" {
		c.Bitrate = "1500k"
	}
	if c.Pattern == "" {
		c.Pattern = "testsrc2"
	}
	if c.Seconds <= 0 {
		c.Seconds = 10
	}
	src := fmt.Sprintf("%s=size=%dx%d:rate=%d:duration=%g", c.Pattern, c.Width, c.Height, c.FPS, c.Seconds)
	fontSize := c.Height / 10
	titleFile, err := textFile(dir, c.Title)
	if err != nil {
		return "", err
	}
	draw := fmt.Sprintf("drawtext=textfile=%s:fontcolor=white:fontsize=%d:box=1:boxcolor=black@0.6:x=(w-text_w)/2:y=(h-text_h)/2,"+
		"drawtext=text='%%{pts\\:hms}':fontcolor=white:fontsize=%d:box=1:boxcolor=black@0.6:x=(w-text_w)/2:y=h-2*text_h",
		titleFile, fontSize, fontSize/2)
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", src,
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%g", c.Seconds)}
	extra, err := extraTracks(dir, c)
	if err != nil {
		return "", err
	}
	args = append(args, extra...)
	args = append(args,
		"-vf", draw,
		// One encoder thread: threaded x264 with a bit rate cap gave
		// different frames from the same input run to run (two clips of
		// the same parameters, 2026-12-07: 1,486 of 1,500 frames differed
		// after the fifth), and the player goldens show a frame.
		"-c:v", "libx264", "-threads:v", "1", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
		"-b:v", c.Bitrate, "-maxrate", c.Bitrate, "-bufsize", c.Bitrate,
		"-g", fmt.Sprint(c.FPS*2), "-keyint_min", fmt.Sprint(c.FPS*2),
		"-c:a", "aac", "-b:a", "128k", "-shortest")
	if c.FastStart {
		args = append(args, "-movflags", "+faststart")
	}
	return render(ctx, dir, c, ".mp4", args)
}

// extraTracks returns the inputs, maps and metadata for c's tagged audio,
// subtitle tracks and chapters (inputs 2 and up; input 1 is the plain
// tone, used only when AudioLangs is empty). Nil when c has none.
func extraTracks(dir string, c Clip) ([]string, error) {
	if len(c.AudioLangs) == 0 && len(c.SubLangs) == 0 && c.Chapters == 0 {
		return nil, nil
	}
	var in, maps []string
	n := 2
	maps = append(maps, "-map", "0:v")
	if len(c.AudioLangs) == 0 {
		maps = append(maps, "-map", "1:a")
	}
	for i, l := range c.AudioLangs {
		in = append(in, "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=%d:sample_rate=48000:duration=%g", 330+110*i, c.Seconds))
		maps = append(maps, "-map", fmt.Sprintf("%d:a", n), fmt.Sprintf("-metadata:s:a:%d", i), "language="+l)
		n++
	}
	end := time.Duration(c.Seconds * float64(time.Second))
	stamp := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d:%02d,%03d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60, d.Milliseconds()%1000)
	}
	for i, l := range c.SubLangs {
		srt, err := textFile(dir, fmt.Sprintf("1\n%s --> %s\nSubtitle (%s)\n", stamp(0), stamp(end), l))
		if err != nil {
			return nil, err
		}
		in = append(in, "-f", "srt", "-i", srt)
		maps = append(maps, "-map", fmt.Sprintf("%d:s", n), fmt.Sprintf("-metadata:s:s:%d", i), "language="+l)
		n++
	}
	if len(c.SubLangs) > 0 {
		maps = append(maps, "-c:s", "mov_text")
	}
	if c.Chapters > 0 {
		var b strings.Builder
		b.WriteString(";FFMETADATA1\n")
		ms := int64(c.Seconds * 1000)
		for i := 0; i < c.Chapters; i++ {
			fmt.Fprintf(&b, "[CHAPTER]\nTIMEBASE=1/1000\nSTART=%d\nEND=%d\ntitle=Chapter %d\n", ms*int64(i)/int64(c.Chapters), ms*int64(i+1)/int64(c.Chapters), i+1)
		}
		meta, err := textFile(dir, b.String())
		if err != nil {
			return nil, err
		}
		in = append(in, "-f", "ffmetadata", "-i", meta)
		maps = append(maps, "-map_chapters", fmt.Sprint(n))
		n++
	}
	return append(in, maps...), nil
}

// MakePoster writes a PNG poster into dir and returns its path.
func MakePoster(ctx context.Context, dir string, p Poster) (string, error) {
	if p.Width == 0 {
		p.Width = 480
	}
	if p.Height == 0 {
		p.Height = 270
	}
	if p.Color == "" {
		p.Color = "0x204080"
	}
	fontSize := p.Height / 7
	titleFile, err := textFile(dir, p.Title)
	if err != nil {
		return "", err
	}
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("color=c=%s:size=%dx%d:duration=1", p.Color, p.Width, p.Height),
		"-vf", fmt.Sprintf("drawtext=textfile=%s:fontcolor=white:fontsize=%d:x=(w-text_w)/2:y=(h-text_h)/2", titleFile, fontSize),
		"-frames:v", "1"}
	return render(ctx, dir, p, ".png", args)
}

func render(ctx context.Context, dir string, params any, ext string, args []string) (string, error) {
	key, _ := json.Marshal(params)
	sum := sha256.Sum256(append(key, strings.Join(args, "\x00")...))
	path := filepath.Join(dir, hex.EncodeToString(sum[:8])+ext)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%d%s", path, os.Getpid(), time.Now().UnixNano(), ext)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", append(args, tmp)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("ffmpeg %v: %w: %s", params, err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return path, nil
}

// textFile stores s in dir under a name derived from its content, so ffmpeg
// reads titles verbatim (drawtext's inline escaping rules are a trap).
func textFile(dir, s string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(s))
	path := filepath.Join(dir, "text-"+hex.EncodeToString(sum[:8])+".txt")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tmp := fmt.Sprintf("%s.tmp-%d-%d", path, os.Getpid(), time.Now().UnixNano())
	if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// CopyFile copies src to dst (created, or truncated), creating dst's
// directory. It is for placing test data, such as an episode a box should
// already hold; it does not fsync.
func CopyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
