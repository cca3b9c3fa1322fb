package sim

import (
	"math"
	"testing"
)

// The network's rule for a premiere's per-box origin budget, by hand: a
// 1 Gbit/s origin (125e6 B/s) and an 8 Mbit/s episode (1e6 B/s).
func TestOriginBoxFor(t *testing.T) {
	for _, tc := range []struct {
		viewers int
		want    float64 // bytes/s
	}{
		{0, 1e6},        // no audience given: the bit rate
		{100, 1e6},      // 2 x 125e6/100 = 2.5e6, capped at the bit rate
		{250, 1e6},      // exactly two shares
		{1000, 250e3},   // 2 x 125e6/1000: 2 Mbit/s
		{100000, 2.5e3}, // 20 kbit/s
	} {
		if got := OriginBoxFor(125e6, 8e6, tc.viewers); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("OriginBoxFor(1 Gbit/s, 8 Mbit/s, %d viewers) = %.0f B/s, want %.0f", tc.viewers, got, tc.want)
		}
	}
}

// Each row of the suite runs with the budget for its own crowd size when
// the rule is on, and with the base's fixed budget when it is off; the
// baseline keeps the rest of the base.
func TestSuiteConfigOriginBudget(t *testing.T) {
	s := Suite{Base: Config{EpisodeBytes: 64 << 20, BitsPerSec: 8e6, Origin: 125e6, OriginBox: 1e6, SeedUp: 125e6},
		Steps: map[int]float64{1: 0.05, 1000: 0.1}, OriginBoxRule: true}
	m := DefaultMix()
	if got := s.Config(m, 1000, false); got.OriginBox != 250e3 || got.Viewers != 1000 || got.Step != 0.1 || got.SeedUp != 125e6 {
		t.Errorf("1000 viewers under the rule: budget %.0f B/s, %d viewers, step %.2f, seed %.0f; want 250000, 1000, 0.10, 125000000",
			got.OriginBox, got.Viewers, got.Step, got.SeedUp)
	}
	if got := s.Config(m, 100, true); got.OriginBox != 1e6 || !got.HTTPOnly || got.Step != 0.05 {
		t.Errorf("100 viewers HTTP-only: budget %.0f, HTTPOnly %v, step %.2f; want 1000000, true, 0.05", got.OriginBox, got.HTTPOnly, got.Step)
	}
	s.OriginBoxRule = false
	if got := s.Config(m, 1000, false); got.OriginBox != 1e6 {
		t.Errorf("without the rule 1000 viewers get %.0f B/s, want the base's 1000000", got.OriginBox)
	}
}
