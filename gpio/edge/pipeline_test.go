package edge

import (
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/irtest"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/atomicnetwork/atomicbox/gpio/tracker"
)

// TestPipelineDecidesEarly drives a Pipeline the way a live Source does
// (Pulse for each edge, Tick at the Deadline it asks for) and checks when a
// key press comes out after the frame's last edge: on the edge itself for
// protocols whose last mark completes the frame, at the decoder's Wait into
// the gap for Sony; never at the source's idle timeout (10 ms).
func TestPipelineDecidesEarly(t *testing.T) {
	tests := []struct {
		reason   string
		proto    ir.Protocol
		scancode uint32
		copies   int           // Sony 12 and 15 are confirmed by a copy
		after    time.Duration // press time after the last edge
	}{
		{"NEC: the stop mark completes the frame", ir.NEC, 0x0408, 1, 0},
		{"NECX: the stop mark completes the frame", ir.NECX, 0x7b8012, 1, 0},
		{"Samsung32: the stop mark completes the frame", ir.Samsung32, 0x0702, 1, 0},
		{"RC-5: the last mark completes the 14 bits", ir.RC5, 0x0510, 1, 0},
		{"RC-6 mode 0: the last mark completes the 16 bits", ir.RC6_0, 0x800f, 1, 0},
		{"RC-6 MCE: the last mark completes the 32 bits", ir.RC6_MCE, 0x800f0422, 1, 0},
		{"Sony 12: 950 us into the gap after the confirming copy", ir.SIRC12, 0x010015, 2, 950 * time.Microsecond},
		{"Sony 20: 950 us into the gap after the first copy", ir.SIRC20, 0x1a4b2c, 1, 950 * time.Microsecond},
	}
	for _, tt := range tests {
		frame := ir.MustEncode(tt.proto, tt.scancode, false)
		ps := []ir.Pulse{{Duration: irtest.Gap}}
		for c := 0; c < tt.copies; c++ {
			if c > 0 {
				ps = append(ps, ir.Pulse{Duration: ir.Period(tt.proto) - irtest.Length(frame)})
			}
			ps = append(ps, frame...)
		}
		var got []tracker.Event
		p := NewPipeline(tracker.Config{}, func(e tracker.Event) { got = append(got, e) })
		var now time.Duration
		for _, q := range ps {
			now += q.Duration
			p.Pulse(q, now)
		}
		last := now
		// What the source does next: sleep until the sink's deadline (or
		// its idle timeout, whichever comes first) and Tick.
		for len(got) == 0 {
			d, ok := p.Deadline()
			if !ok || d >= last+DefaultIdle {
				break
			}
			now = d
			p.Tick(now)
		}
		if len(got) != 1 || got[0].Action != keys.Press || got[0].Code != (ir.Code{Protocol: tt.proto, Scancode: tt.scancode}) {
			t.Errorf("%s: events before the idle timeout %+v, want one press of %s:%#x", tt.reason, got, tt.proto, tt.scancode)
			continue
		}
		if got[0].At != last {
			t.Errorf("%s: press at %v, want at the last edge %v", tt.reason, got[0].At, last)
		}
		if now-last != tt.after {
			t.Errorf("%s: press came out %v after the last edge, want %v", tt.reason, now-last, tt.after)
		}
	}
}
