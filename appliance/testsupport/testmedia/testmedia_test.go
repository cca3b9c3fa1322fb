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
