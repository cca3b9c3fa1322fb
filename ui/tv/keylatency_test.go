package tv

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
	"github.com/atomicnetwork/atomicbox/ui/mpv"
	"github.com/atomicnetwork/atomicbox/ui/screens"
)

// BenchmarkKeyToPixels measures the time from a key pressed in the mpv
// window (the keypress command, the way a remote's key reaches the UI
// through input.conf) to the first moment the X server's framebuffer
// shows its effect, read back pixel by pixel (xPixels):
//   - idle: Right and Left move the focus between two cards of the home
//     screen; the effect is the white focus frame on the new card;
//   - video720p: Info shows and hides the player OSD over a 1280x720
//     clip playing full screen; the effect is the seek bar appearing or
//     going. mpv's decoder and output frame drops over the run are
//     reported too.
//
// Each iteration is one key; the figures are the median, 95th percentile
// and worst latency in ms. Run it alone (it wants the machine's cores):
//
//	CGO_ENABLED=0 go test -tags nocgo ./ui/tv -run '^$' -bench KeyToPixels -benchtime 40x
//
// Targets on a 2-core machine: under 100 ms idle, under 150 ms with video.
func BenchmarkKeyToPixels(b *testing.B) {
	startXvfb(b)
	cv := fixedCatalog()
	for si := range cv.Shows {
		for ei := range cv.Shows[si].Episodes {
			cv.Shows[si].Episodes[ei].ResumeSeconds = 0 // no Continue row: the first row is Orbit's
		}
	}
	d := newFakeDaemon(cv)
	testPosters(b, d, cv)
	clip := testmedia.Video(b, testmedia.Clip{Title: "Key latency 720p", Seconds: 90, FastStart: true, Width: 1280, Height: 720})
	d.streams["/api/stream/orbit-s1e1"] = clip
	srv := startServer(b, d.Handler())
	h := startUI(b, mpv.Desktop, srv.URL, nil)
	h.waitState(30*time.Second, "home with its posters", func(st probeState) bool {
		return st.settled && st.model.Screen == screens.Home && st.model.Row == 0 && st.model.Col == 1
	})
	x, err := dialX()
	if err != nil {
		b.Fatalf("X server: %v", err)
	}
	defer x.Close()

	// The sub-benchmarks run more than once (b.N = 1 first): what is on
	// screen carries over between runs.
	col := 1 // the focused card of the first row
	// Columns 1 and 2 of the first row; the frame's left edge, mid-card.
	frameAt := func(col int) (int, int) {
		cx, cy, _, ch, fr := screens.CardRect(0, col)
		return cx - fr/2, cy + ch/2
	}
	white := func(r, g, bl uint8) bool { return r > 235 && g > 235 && bl > 235 }
	b.Run("idle", func(b *testing.B) {
		px, py := frameAt(col)
		waitPixel(b, x, px, py, time.Second, white)
		var lat []time.Duration
		b.ResetTimer()
		for range b.N {
			key, next := "RIGHT", 2
			if col == 2 {
				key, next = "LEFT", 1
			}
			px, py := frameAt(next)
			start := time.Now()
			h.key(key)
			lat = append(lat, waitPixel(b, x, px, py, 2*time.Second, white).Sub(start))
			col = next
			b.StopTimer()
			time.Sleep(40 * time.Millisecond) // a person's pace, and the old frame's removal
			b.StartTimer()
		}
		report(b, lat)
	})

	playing, shown := false, false
	b.Run("video720p", func(b *testing.B) {
		if !playing {
			if col == 2 {
				h.key("LEFT")
			}
			h.key("ENTER") // plays orbit-s1e1 from its start
			h.waitState(30*time.Second, "playing, OSD gone", func(st probeState) bool {
				return st.model.Play.Started && !st.model.Play.Paused && !st.frame.OSDVisible() && st.model.Play.Position > 1
			})
			playing = true
		}
		bx, by, bw, bh := screens.SeekBar()
		// Three points at the bar's far end, past what has played: the
		// track's or the read-ahead colour, both opaque.
		pts := [][2]int{{bx + bw*80/100, by + bh/2}, {bx + bw*90/100, by + bh/2}, {bx + bw - 8, by + bh/2}}
		near := func(r, g, bl uint8, want [3]int) bool {
			return math.Abs(float64(int(r)-want[0])) < 10 && math.Abs(float64(int(g)-want[1])) < 10 && math.Abs(float64(int(bl)-want[2])) < 10
		}
		isBar := func(r, g, bl uint8) bool {
			return near(r, g, bl, [3]int{0x38, 0x3f, 0x4a}) || near(r, g, bl, [3]int{0x8a, 0x91, 0x9a})
		}
		barShown := func() bool {
			for _, p := range pts {
				r, g, bl, err := x.At(p[0], p[1])
				if err != nil || !isBar(r, g, bl) {
					return false
				}
			}
			return true
		}
		drops := func() (dec, vo int) {
			dec, _ = strconv.Atoi(h.player.GetString("decoder-frame-drop-count"))
			vo, _ = strconv.Atoi(h.player.GetString("frame-drop-count")) // dropped by the video output
			return dec, vo
		}
		dec0, vo0 := drops()
		began := time.Now()
		var lat []time.Duration
		b.ResetTimer()
		for range b.N {
			want := !shown
			b.StopTimer()
			for end := time.Now().Add(time.Second); barShown() != shown && time.Now().Before(end); {
				time.Sleep(time.Millisecond) // the screen shows the state before the key
			}
			b.StartTimer()
			start := time.Now()
			h.key("i")
			deadline := start.Add(2 * time.Second)
			for barShown() != want {
				if time.Now().After(deadline) {
					b.Fatalf("Info: the OSD did not %s within 2 s", map[bool]string{true: "appear", false: "go"}[want])
				}
				time.Sleep(time.Millisecond)
			}
			lat = append(lat, time.Since(start))
			shown = want
			b.StopTimer()
			time.Sleep(40 * time.Millisecond)
			b.StartTimer()
		}
		b.StopTimer()
		dec1, vo1 := drops()
		report(b, lat)
		b.ReportMetric(float64(dec1-dec0), "decoder-drops")
		b.ReportMetric(float64(vo1-vo0), "vo-drops")
		b.Logf("frames dropped in %.1f s of 25 fps video: %d by the decoder, %d by the output", time.Since(began).Seconds(), dec1-dec0, vo1-vo0)
	})
}

// waitPixel polls (px, py) every millisecond until ok holds and returns
// when it first did; it fails the benchmark after d.
func waitPixel(b *testing.B, x *xPixels, px, py int, d time.Duration, ok func(r, g, b uint8) bool) time.Time {
	b.Helper()
	deadline := time.Now().Add(d)
	for {
		r, g, bl, err := x.At(px, py)
		if err != nil {
			b.Fatalf("read pixel: %v", err)
		}
		if ok(r, g, bl) {
			return time.Now()
		}
		if time.Now().After(deadline) {
			b.Fatalf("pixel (%d,%d) stayed #%02x%02x%02x for %v", px, py, r, g, bl, d)
		}
		time.Sleep(time.Millisecond)
	}
}

// report adds the latency percentiles in ms.
func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(s[len(s)/2]), "p50-ms")
	b.ReportMetric(ms(s[min(len(s)-1, len(s)*95/100)]), "p95-ms")
	b.ReportMetric(ms(s[len(s)-1]), "max-ms")
	b.Log(fmt.Sprintf("%d keys: p50 %v, p95 %v, max %v", len(s), s[len(s)/2], s[min(len(s)-1, len(s)*95/100)], s[len(s)-1]))
}
