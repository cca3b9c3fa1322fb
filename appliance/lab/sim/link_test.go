package sim

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestWaterFill(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		reason   string
		capacity float64
		caps     []float64
		want     []float64
	}{
		{"equal shares when nobody is capped below them", 12, []float64{inf, inf, inf}, []float64{4, 4, 4}},
		{"a flow capped below its share leaves the rest to the others", 12, []float64{1, inf, inf}, []float64{1, 5.5, 5.5}},
		{"every flow capped: the capacity is not all used", 12, []float64{1, 2, 3}, []float64{1, 2, 3}},
		{"two levels of caps", 10, []float64{1, 3, inf, inf}, []float64{1, 3, 3, 3}},
		{"no capacity, nothing flows", 0, []float64{5, 5}, []float64{0, 0}},
	} {
		got := make([]float64, len(tc.caps))
		waterFill(tc.capacity, tc.caps, got)
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Errorf("%s: waterFill(%v, %v) (-want +got):\n%s", tc.reason, tc.capacity, tc.caps, diff)
		}
	}
}

func TestWindowRate(t *testing.T) {
	for _, tc := range []struct {
		reason      string
		active, rtt float64
		want        float64 // bytes/s
	}{
		{"nothing before the first round trip ends", -0.01, 0.05, 0},
		{"one chunk per round trip at first", 0, 0.05, 16384 / 0.05},
		{"still one chunk just before the first doubling", 0.049, 0.05, 16384 / 0.05},
		{"two round trips in: four chunks", 0.1, 0.05, 4 * 16384 / 0.05},
		{"the window stops at 963 chunks", 10, 0.05, 963 * 16384 / 0.05},
	} {
		if got := windowRate(tc.active, tc.rtt); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%s: windowRate(%v, %v) = %v, want %v", tc.reason, tc.active, tc.rtt, got, tc.want)
		}
	}
}

// lone is a world of viewers that all join at 0 on lines with no
// latency, a seed box of seedUp bytes/s and no origin unless origin > 0:
// small enough to compute by hand.
func lone(viewers int, seedUp, origin, boxUp float64, httpOnly bool) Config {
	return Config{Viewers: viewers, EpisodeBytes: 64 << 20, BitsPerSec: 8e6, PieceLength: 256 << 10, // the hand computations' piece
		Mix:    Mix{Name: "lab", Links: []LinkClass{{1, 100e6, boxUp}}, EarlyShare: 1},
		SeedUp: seedUp, Origin: origin, OriginBox: origin, Step: 0.01, Seed: 1, HTTPOnly: httpOnly}
}

// preConnected is cfg with the boxes connected at boot.
func preConnected(cfg Config) Config {
	cfg.PreConnected = true
	return cfg
}

// slowRoundTrips is one viewer on an unlimited seed box with 50 ms of
// processing per round trip (55 ms with the seed box's 5 ms), in steps
// of one round trip, so that the request window limits the transfer.
func slowRoundTrips(pre bool) Config {
	cfg := lone(1, 1e12, 0, 0, false)
	cfg.ProcDelay, cfg.Step, cfg.PreConnected = 0.050, 0.055, pre
	cfg.ProcFixed = true // the hand computations' 50 ms, not a draw around it
	return cfg
}

// fineSteps is slowRoundTrips in steps of 5 ms, which divide both its
// round trip (55 ms) and a connection's set-up (sim.go's setupRTTs: 3
// network round trips of 5 ms and one processing delay of 50 ms, 65 ms).
func fineSteps(pre bool) Config {
	cfg := slowRoundTrips(pre)
	cfg.Step = 0.005
	return cfg
}

// The first frame needs 400 KB (0.4 s at 1 MB/s): pieces 0 and 1 of
// 256 KiB, which a connection fills in order (the reader's piece first).
// The seed box sits 5 ms (originHalfRTT) from a lab box with no latency
// of its own: 3 round trips to connect, one to request.
func TestLinkAndPlayerByHand(t *testing.T) {
	const piece = 256 << 10
	const rtt = 0.055 // slowRoundTrips
	for _, tc := range []struct {
		reason string
		cfg    Config
		want   float64 // ttff, s
	}{
		{"one viewer, the seed box's 1 MB/s all its own: two pieces at 1 MB/s",
			lone(1, 1e6, 0, 0, false), 4*originHalfRTT + 2*piece/1e6},
		{"two viewers that cannot upload share the seed box alike: two pieces at 0.5 MB/s each",
			lone(2, 1e6, 0, 0, false), 4*originHalfRTT + 2*piece/0.5e6},
		{"one viewer whose box connected at boot (Config.PreConnected): no set-up, one round trip to request",
			preConnected(lone(1, 1e6, 0, 0, false)), originHalfRTT + 2*piece/1e6},
		{"connected at boot, 55 ms round trips, an unlimited seed box: the request window of 1, 2, 4, 8, 16 chunks in the " +
			"round trips after the request's (31 chunks), then the 32nd at 32 chunks a round trip",
			slowRoundTrips(true), rtt + 5*rtt + rtt/32},
		{"the same in steps of 5 ms", fineSteps(true), rtt + 5*rtt + rtt/32},
		{"the same box dialling when its viewer presses play: a set-up of 3 network round trips of 5 ms and one 50 ms processing delay more",
			fineSteps(false), 3*originHalfRTT + 0.050 + rtt + 5*rtt + rtt/32},
		{"HTTP-only: two round trips of 10 ms to the origin, then 400 KB at its 1 MB/s",
			lone(1, 0, 1e6, 0, true), 4*originHalfRTT + 400e3/1e6},
		{"HTTP-only, four viewers share the origin's 4 MB/s",
			lone(4, 0, 4e6, 0, true), 4*originHalfRTT + 400e3/1e6},
	} {
		r, err := Run(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.TTFFP50-tc.want) > 1e-6 || math.Abs(r.TTFFP95-tc.want) > 1e-6 {
			t.Errorf("%s: ttff p50 %.6f s, p95 %.6f s, want %.6f s", tc.reason, r.TTFFP50, r.TTFFP95, tc.want)
		}
	}
}

// One viewer and the network's seed box, no origin: every byte the player
// receives is the seed box's, and the network's egress per viewer is the
// episode. With the origin alone, the seed box sends nothing.
func TestSeedBoxEgress(t *testing.T) {
	r, err := Run(lone(1, 1e9, 0, 0, false))
	if err != nil {
		t.Fatal(err)
	}
	if r.Delivered != 64<<20 || r.SeedBytes < r.Delivered-1 || r.SeedBytes > r.Delivered || r.OriginBytes != 0 {
		t.Errorf("seed box only: delivered %d, seed box sent %d, origin %d; want the episode's %d all from the seed box",
			r.Delivered, r.SeedBytes, r.OriginBytes, 64<<20)
	}
	// 64 MiB in kbit, for one viewer.
	if got, want := r.NetworkKbitPerViewer(), float64(64<<20)*8/1e3; got < want-0.01 || got > want+0.01 {
		t.Errorf("network egress %.2f kbit per viewer, want %.2f", got, want)
	}
	r, err = Run(lone(1, 0, 1e9, 0, false))
	if err != nil {
		t.Fatal(err)
	}
	if r.SeedBytes != 0 || r.OriginBytes < r.Delivered-1 {
		t.Errorf("origin only: seed box sent %d, origin %d of %d delivered", r.SeedBytes, r.OriginBytes, r.Delivered)
	}
}

// TestDownlinkMaxMin, by hand: box 1's 16 Mbit/s downlink takes a flow
// from box 2 (1 Mbit/s uplink) and one from box 3 (100 Mbit/s); no
// request window limits them. Shared alike, each may use 8 Mbit/s: box 2
// sends 1, box 3 8, and 7 Mbit/s of the downlink stay unused. Shared
// max-min, box 3 takes what box 2 leaves: 15.
func TestDownlinkMaxMin(t *testing.T) {
	mbit := 1e6 / 8
	for _, tc := range []struct {
		alike      bool
		slow, fast float64 // Mbit/s
	}{
		{true, 1, 8},
		{false, 1, 15},
	} {
		cfg := lone(3, 0, 0, 0, false)
		cfg.DownlinkAlike = tc.alike
		w := newWorld(cfg)
		w.boxes[1].down, w.boxes[2].up, w.boxes[3].up = 16*mbit, 1*mbit, 100*mbit
		flows := []flow{{d: 1, u: 2, capRate: 1e12}, {d: 1, u: 3, capRate: 1e12}}
		w.shareLinks(flows, []int32{1}, 1)
		if math.Abs(flows[0].rate-tc.slow*mbit) > 1 || math.Abs(flows[1].rate-tc.fast*mbit) > 1 {
			t.Errorf("shared alike %v: slow uploader %.2f, fast %.2f Mbit/s, want %.0f and %.0f",
				tc.alike, flows[0].rate/mbit, flows[1].rate/mbit, tc.slow, tc.fast)
		}
	}
}
