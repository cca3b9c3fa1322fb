package ir_test

import (
	"testing"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/irtest"
)

// BenchmarkDecode feeds one frame (and its trailing gap) per iteration to
// the multi-protocol decoder, as the edge source does (irtest.Feed, with
// Quiet part way into the gap): ns/op is ns per frame.
// Sony frames are confirmed by their copy, so every frame after the first
// decodes.
func BenchmarkDecode(b *testing.B) {
	for _, p := range ir.Protocols {
		b.Run(string(p), func(b *testing.B) {
			sc := uint32(0x0010)
			if p == ir.RC6_MCE {
				sc = 0x800f0410
			}
			frame := ir.MustEncode(p, sc, false)
			ps := append(frame, ir.Pulse{Duration: ir.Period(p) - irtest.Length(frame)})
			d := ir.NewDecoder()
			frames := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				frames += len(irtest.Feed(d, ps))
			}
			b.StopTimer()
			if b.N > 1 && frames < b.N-1 {
				b.Fatalf("decoded %d frames of %d", frames, b.N)
			}
			b.ReportMetric(float64(len(ps)), "pulses/frame")
		})
	}
}
