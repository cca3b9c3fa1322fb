package edge

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/irtest"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/atomicnetwork/atomicbox/gpio/tracker"
)

var update = flag.Bool("update", false, "regenerate testdata/captures (pulse files and golden event lists)")

// press is one key press in a synthesised capture.
type press struct {
	proto    ir.Protocol
	scancode uint32
	toggle   bool
	hold     time.Duration
	after    time.Duration // silence before it
}

// capture is a synthesised recording and what a user did to make it.
type capture struct {
	name    string
	reason  string
	presses []press
	jitter  float64       // uniform per-pulse jitter
	bias    time.Duration // marks longer, spaces shorter by this
	glitch  int           // damage the glitch-th frame (1-based), 0 for none
	noise   int           // pulses of noise before the presses
	want    []string      // the presses a user expects: "code"
}

var captures = []capture{
	{name: "nec-tap", reason: "a short NEC tap: one press, one release",
		presses: []press{{ir.NEC, 0x0408, false, 50 * time.Millisecond, 0}}, jitter: 0.10, bias: 80 * time.Microsecond,
		want: []string{"nec:0x0408"}},
	{name: "nec-hold", reason: "NEC held 2 s with repeat codes: autorepeat with acceleration, long press, one release",
		presses: []press{{ir.NEC, 0x0408, false, 2 * time.Second, 0}}, jitter: 0.10, bias: 120 * time.Microsecond,
		want: []string{"nec:0x0408"}},
	{name: "necx-two-keys", reason: "two NECX keys in a row",
		presses: []press{{ir.NECX, 0x7b8012, false, 100 * time.Millisecond, 0}, {ir.NECX, 0x7b8013, false, 100 * time.Millisecond, 300 * time.Millisecond}},
		jitter:  0.15, want: []string{"necx:0x7b8012", "necx:0x7b8013"}},
	{name: "samsung-hold", reason: "Samsung32 held 600 ms (whole frames repeated)",
		presses: []press{{ir.Samsung32, 0x0702, false, 600 * time.Millisecond, 0}}, jitter: 0.10, bias: -100 * time.Microsecond,
		want: []string{"samsung32:0x0702"}},
	{name: "rc5-double-tap", reason: "RC-5 tapped twice: the toggle flips, two presses",
		presses: []press{{ir.RC5, 0x0010, false, 100 * time.Millisecond, 0}, {ir.RC5, 0x0010, true, 100 * time.Millisecond, 200 * time.Millisecond}},
		jitter:  0.10, bias: 100 * time.Microsecond, want: []string{"rc-5:0x0010", "rc-5:0x0010"}},
	{name: "rc6-0-hold", reason: "RC-6 mode 0 held 700 ms",
		presses: []press{{ir.RC6_0, 0x800f, true, 700 * time.Millisecond, 0}}, jitter: 0.12, bias: 60 * time.Microsecond,
		want: []string{"rc-6-0:0x800f"}},
	{name: "rc6-mce-remote", reason: "a Windows MCE remote (RC-6 mode 6A, 32 bits): OK held 500 ms, then Up tapped, its toggle (bit 15) flipped",
		presses: []press{{ir.RC6_MCE, 0x800f0422, false, 500 * time.Millisecond, 0}, {ir.RC6_MCE, 0x800f041e, true, 100 * time.Millisecond, 300 * time.Millisecond}},
		jitter:  0.10, bias: 80 * time.Microsecond, want: []string{"rc-6-mce:0x800f0422", "rc-6-mce:0x800f041e"}},
	{name: "sony-tap", reason: "a Sony tap sends three copies: one press",
		presses: []press{{ir.SIRC12, 0x010015, false, 0, 0}}, jitter: 0.10, bias: 150 * time.Microsecond,
		want: []string{"sony-12:0x10015"}},
	{name: "sony-lost-copy", reason: "a Sony hold whose second copy is damaged: still one press",
		presses: []press{{ir.SIRC15, 0x970034, false, 400 * time.Millisecond, 0}}, jitter: 0.10, glitch: 2,
		want: []string{"sony-15:0x970034"}},
	{name: "noise-then-nec", reason: "a burst of lamp noise, then a NEC tap: only the tap",
		presses: []press{{ir.NEC, 0x0428, false, 0, 0}}, jitter: 0.10, noise: 400,
		want: []string{"nec:0x0428"}},
}

// synthesise makes the capture's pulses, deterministically.
func synthesise(t *testing.T, c capture) []ir.Pulse {
	r := rand.New(rand.NewPCG(uint64(len(c.name)), uint64(c.name[0])))
	ps := []ir.Pulse{{Duration: irtest.Gap}}
	if c.noise > 0 {
		ps = append(ps, irtest.Noise(r, c.noise)...)
		ps = append(ps, ir.Pulse{Duration: irtest.Gap})
	}
	frameNo := 0
	for _, p := range c.presses {
		if p.after > 0 {
			ps = append(ps, ir.Pulse{Duration: p.after})
		}
		train, err := irtest.Hold(p.proto, p.scancode, p.toggle, p.hold)
		if err != nil {
			t.Fatal(err)
		}
		// Split the train into frames (at spaces longer than 5 ms) to
		// damage one and distort each.
		var frame []ir.Pulse
		flush := func() {
			if len(frame) == 0 {
				return
			}
			frameNo++
			if frameNo == c.glitch {
				frame, _ = irtest.Glitch(r, frame)
			}
			frame = irtest.Jitter(r, frame, c.jitter)
			ps = append(ps, irtest.Bias(frame, c.bias)...)
			frame = nil
		}
		for _, q := range train {
			if !q.Level && q.Duration > 5*time.Millisecond {
				flush()
				ps = append(ps, q)
				continue
			}
			frame = append(frame, q)
		}
		flush()
		ps = append(ps, ir.Pulse{Duration: irtest.Gap})
	}
	return ps
}

func formatEvents(evs []tracker.Event) string {
	var b strings.Builder
	for _, e := range evs {
		long := ""
		if e.LongPress {
			long = " long"
		}
		fmt.Fprintf(&b, "%9.3fms %-18s %s%s\n", float64(e.At)/float64(time.Millisecond), e.Code, e.Action, long)
	}
	return b.String()
}

// TestCaptures replays each capture under testdata/captures through the
// whole path (fake character device → Source → decoders → tracker) and
// compares the key events with the golden list. -update regenerates both
// files from the synthesiser.
func TestCaptures(t *testing.T) {
	dir := filepath.Join("testdata", "captures")
	for _, c := range captures {
		pulsePath := filepath.Join(dir, c.name+".pulses")
		goldenPath := filepath.Join(dir, c.name+".golden")
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			w := NewPulseWriter(&buf,
				[2]string{"source", "synthesised by TestCaptures -update (gpio/irtest encoders), not captured from hardware"},
				[2]string{"scenario", c.reason},
				[2]string{"distortion", fmt.Sprintf("jitter +-%.0f%%, bias %v, glitched frame %d, noise pulses %d", c.jitter*100, c.bias, c.glitch, c.noise)})
			for _, p := range synthesise(t, c) {
				w.Write(p)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(pulsePath, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		f, err := os.Open(pulsePath)
		if err != nil {
			t.Fatalf("%s: %v (run with -update to generate)", c.name, err)
		}
		pf, err := ReadPulses(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		res := replay(t, EventsFromPulses(pf.Pulses, 5*time.Second, 100, DefaultLine, false), tracker.Config{})
		if res.err != nil {
			t.Errorf("%s: Run: %v", c.name, res.err)
			continue
		}
		got := formatEvents(res.events)
		if *update {
			if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		golden, err := os.ReadFile(goldenPath)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff := cmp.Diff(string(golden), got); diff != "" {
			t.Errorf("%s (%s): events (-want +got):\n%s", c.name, c.reason, diff)
		}
		// Whatever the golden file says, the user's presses must be there,
		// each released, and nothing else pressed.
		var presses []string
		held := 0
		for _, e := range res.events {
			switch e.Action {
			case keys.Press:
				presses = append(presses, e.Code.String())
				held++
			case keys.Release:
				held--
			}
		}
		if diff := cmp.Diff(c.want, presses); diff != "" {
			t.Errorf("%s (%s): presses (-want +got):\n%s", c.name, c.reason, diff)
		}
		if held != 0 {
			t.Errorf("%s: %d presses without a release", c.name, held)
		}
	}
}
