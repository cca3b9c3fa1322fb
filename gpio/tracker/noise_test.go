package tracker_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/irtest"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/atomicnetwork/atomicbox/gpio/tracker"
)

// TestNoise feeds a million pulses of random noise through the decoders and
// the tracker: no key may be pressed. Noise does make NEC repeat codes; the
// tracker ignores them because no key is held.
func TestNoise(t *testing.T) {
	const n = 1_000_000
	r := rand.New(rand.NewPCG(1, 2))
	d := ir.NewDecoder()
	tr := tracker.New(tracker.Config{})
	frames, repeats, presses := 0, 0, 0
	ps := irtest.Noise(r, n)
	now := irtest.Length(ps)
	// Fed as a live edge source feeds them: Sony frames and held RC-5
	// frames are decided part way into the space after them.
	for _, f := range irtest.Feed(d, ps) {
		frames++
		if f.Repeat {
			repeats++
		} else {
			t.Logf("noise decoded as %+v", f)
		}
		for _, e := range tr.Frame(f) {
			if e.Action == keys.Press {
				presses++
			}
		}
	}
	for _, e := range tr.Advance(now) {
		if e.Action == keys.Press {
			presses++
		}
	}
	t.Logf("noise: %d pulses (%v of signal), %d frames decoded (%d NEC repeat codes), %d presses, tracker %+v",
		n, now.Round(time.Second), frames, repeats, presses, tr.Stats())
	if presses != 0 {
		t.Errorf("noise pressed %d keys", presses)
	}
}
