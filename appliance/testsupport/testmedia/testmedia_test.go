package testmedia

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestVideoIsRealH264AAC(t *testing.T) {
	t.Setenv("ATOMICBOX_MEDIA_CACHE", t.TempDir())
	path := Video(t, Clip{Title: "Test: it's 100%", Seconds: 2, Width: 320, Height: 180, FastStart: true})
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	got := strings.Fields(string(out))
	if strings.Join(got, ",") != "h264,aac" {
		t.Errorf("streams = %v, want h264,aac", got)
	}
	data, _ := os.ReadFile(path)
	if moov, mdat := bytes.Index(data, []byte("moov")), bytes.Index(data, []byte("mdat")); moov < 0 || moov > mdat {
		t.Errorf("faststart clip: moov at %d, mdat at %d; want moov first", moov, mdat)
	}
	if again := Video(t, Clip{Title: "Test: it's 100%", Seconds: 2, Width: 320, Height: 180, FastStart: true}); again != path {
		t.Errorf("second call rendered again: %s != %s", again, path)
	}
	if p := PosterImage(t, Poster{Title: "Poster"}); !strings.HasSuffix(p, ".png") {
		t.Errorf("poster path %s", p)
	}
}

// TestVideoTracksAndChapters: tagged audio and mov_text subtitle tracks
// and chapters, as the player's track menus and chapter keys need.
func TestVideoTracksAndChapters(t *testing.T) {
	t.Setenv("ATOMICBOX_MEDIA_CACHE", t.TempDir())
	path := Video(t, Clip{Title: "Tracks", Seconds: 3, Width: 320, Height: 180, FastStart: true,
		AudioLangs: []string{"eng", "deu"}, SubLangs: []string{"eng", "deu"}, Chapters: 3})
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name:stream_tags=language", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	got := strings.Join(strings.Fields(string(out)), " ")
	// bin_data is the QuickTime chapter track the mov muxer adds.
	if want := "h264,und aac,eng aac,deu mov_text,eng mov_text,deu bin_data,eng"; got != want {
		t.Errorf("streams = %q, want %q", got, want)
	}
	out, err = exec.Command("ffprobe", "-v", "error", "-show_entries", "chapter=start_time:chapter_tags=title", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	if got, want := strings.Join(strings.Fields(string(out)), " "), "0.000000,Chapter 1 1.000000,Chapter 2 2.000000,Chapter 3"; got != want {
		t.Errorf("chapters = %q, want %q", got, want)
	}
}

// TestVideoIsTheSameEveryTime: the same clip rendered into two caches
// decodes to the same frames (framemd5), so a golden screenshot of a
// paused frame does not depend on which run rendered the clip.
func TestVideoIsTheSameEveryTime(t *testing.T) {
	clip := Clip{Title: "Orbit S1E3", Seconds: 12, Width: 640, Height: 360}
	frames := func() string {
		path, err := MakeVideo(t.Context(), t.TempDir(), clip)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-map", "0:v", "-f", "framemd5", "-").Output()
		if err != nil {
			t.Fatalf("ffmpeg framemd5: %v", err)
		}
		var lines []string
		for _, l := range strings.Split(string(out), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		if len(lines) != 12*25 {
			t.Fatalf("%d frames, want %d", len(lines), 12*25)
		}
		return strings.Join(lines, "\n")
	}
	a, b := frames(), frames()
	if a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		n := 0
		for i := range al {
			if al[i] != bl[i] {
				n++
			}
		}
		t.Errorf("two renders of the same clip differ in %d of %d frames", n, len(al))
	}
}
