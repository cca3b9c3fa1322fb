package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/atomicnetwork/atomicbox/appliance/lab/bench"
)

// A 1 MB/s stream of 4 MB with bench's buffers: 0.4 s to start, 1 s to
// resume.
func newTestPlayer() *player { return newPlayer(1e6, 0.4, 1, 4e6, 0) }

func TestPlayerByHand(t *testing.T) {
	type arrival struct {
		t     float64
		total int64
	}
	for _, tc := range []struct {
		reason   string
		arrivals []arrival
		end      float64
		want     result
	}{
		{"starts the moment 0.4 s of media is in; the rest arrives at once and plays without a stall",
			[]arrival{{0.3, 300e3}, {0.5, 400e3}, {0.6, 4e6}}, 1,
			result{started: true, ttff: 0.5, played: 4, bytes: 4e6}},
		{"1 MB played from 0.5 s runs dry at 1.5 s; 1 s buffered again at 3 s resumes it",
			[]arrival{{0.5, 400e3}, {0.6, 1e6}, {3, 2e6}}, 3,
			result{started: true, ttff: 0.5, stalled: 1.5, played: 1, stalls: 1, bytes: 2e6}},
		{"dry at 0.9 s; half a second of media is not enough to resume, so the stall lasts to the end",
			[]arrival{{0.5, 400e3}, {2, 900e3}}, 4,
			result{started: true, ttff: 0.5, stalled: 4 - 0.9, played: 0.4, stalls: 1, bytes: 900e3}},
		{"never started: ttff is the time waited",
			[]arrival{{1, 100e3}}, 7,
			result{ttff: 7, bytes: 100e3}},
	} {
		p := newTestPlayer()
		for _, a := range tc.arrivals {
			p.arrive(a.t, a.total)
		}
		got := p.finish(tc.end)
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(result{}), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
		}
	}
}

func TestArriveLinearStartsWhenTheBufferFills(t *testing.T) {
	p := newTestPlayer()
	p.arriveLinear(1, 2, 0, 1e6) // 400 KB is in at 1.4 s
	if got := p.finish(2).ttff; math.Abs(got-1.4) > 1e-6 {
		t.Errorf("ttff %v, want 1.4", got)
	}
}

// The simulator's player must be the benchmark's: same arrivals, same
// figures.
func TestPlayerMatchesBench(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	cfg := bench.DefaultPlayer(8e6)
	const size = 8 << 20
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for run := range 200 {
		b := bench.NewPlayback(cfg, size, t0)
		p := newPlayer(cfg.BytesPerSecond, cfg.StartBuffer.Seconds(), cfg.ResumeBuffer.Seconds(), size, 0)
		var now float64
		var total int64
		for total < size && now < 30 {
			now += rng.Float64() * 0.5
			total = min(size, total+rng.Int64N(700e3))
			b.Arrive(t0.Add(time.Duration(now*1e9)), total)
			p.arrive(float64(time.Duration(now*1e9))/1e9, total)
		}
		end := now + rng.Float64()*3
		want := b.Finish(t0.Add(time.Duration(end*1e9)), nil)
		got := p.finish(float64(time.Duration(end*1e9)) / 1e9)
		if want.Started != got.started || want.Stalls != got.stalls || want.Bytes != got.bytes ||
			math.Abs(want.TTFF.Seconds()-got.ttff) > 1e-6 || math.Abs(want.Stalled.Seconds()-got.stalled) > 1e-6 ||
			math.Abs(want.Played.Seconds()-got.played) > 1e-6 {
			t.Fatalf("run %d: bench %+v, sim %+v", run, want, got)
		}
	}
}
