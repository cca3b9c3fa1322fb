package mpv

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
)

// TestPlayToEnd plays a real H.264 + AAC clip to its end with libmpv (the
// image's runtime self-test) and refuses a file that is not a video.
func TestPlayToEnd(t *testing.T) {
	clip := testmedia.Video(t, testmedia.Clip{Title: "selftest", Seconds: 3, Width: 320, Height: 180, FastStart: true})
	tests := []struct {
		reason  string
		file    string
		wantErr bool
	}{
		{reason: "a real clip plays to the end", file: clip},
		{reason: "a missing file is an error, not a pass", file: filepath.Join(t.TempDir(), "missing.mp4"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			opts, err := Options(Env{Profile: Headless, ConfigDir: filepath.Join(t.TempDir(), "mpv")})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			p, err := Open(ctx, append(opts, Option{"keep-open", "no"}), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close(context.Background())
			r, err := PlayToEnd(ctx, p, tt.file)
			if (err != nil) != tt.wantErr {
				t.Fatalf("PlayToEnd = %+v, %v; want error %v", r, err, tt.wantErr)
			}
			if !tt.wantErr && (r.LastPos < 2 || r.FirstFrame <= 0) {
				t.Errorf("played %+v: want a first frame and a position past 2 s of the 3 s clip", r)
			}
		})
	}
}
