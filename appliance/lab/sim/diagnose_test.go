package sim

import (
	"math"
	"strings"
	"testing"
)

// The diagnosis accounts for the run's rebuffering: its per-kind stall
// time is the result's ratio, its step samples see nearly all of it
// (a player that ran dry with nothing arriving is stalled too, though it
// records the stall only at the next arrival), and the causes split what
// the samples saw.
func TestDiagnosisAccountsForTheStalls(t *testing.T) {
	cfg := smallPremiere(5)
	cfg.Mix.LateWindow = 120
	cfg.Mix.Links = []LinkClass{{1, mbit(12), mbit(1)}} // slow lines: the run stalls
	cfg.SeedUp = mbit(20)
	cfg.Diagnose = true
	r, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Diagnosis
	if d == nil {
		t.Fatal("no diagnosis with Config.Diagnose")
	}
	if d.StallSeconds < 10 {
		t.Fatalf("the run stalled %.1f s in all: too little to test with", d.StallSeconds)
	}
	if got := d.StallSeconds / (d.StallSeconds + d.PlaySeconds); math.Abs(got-r.Rebuffer) > 1e-9 {
		t.Errorf("diagnosis rebuffer %.6f, result %.6f", got, r.Rebuffer)
	}
	var classes, causes float64
	for _, c := range d.Classes {
		classes += c.StallSeconds
	}
	for _, s := range d.Causes {
		causes += s
	}
	if math.Abs(classes-d.StallSeconds) > 1e-6 || math.Abs(causes-d.Sampled) > 1e-6 {
		t.Errorf("classes sum to %.3f s of %.3f, causes to %.3f of %.3f sampled", classes, d.StallSeconds, causes, d.Sampled)
	}
	if d.Sampled < 0.85*d.StallSeconds || d.Sampled > 1.01*d.StallSeconds {
		t.Errorf("the step samples saw %.1f s of %.1f s stalled", d.Sampled, d.StallSeconds)
	}
	var sb strings.Builder
	d.Write(&sb)
	if !strings.Contains(sb.String(), causeSaturated) {
		t.Errorf("the written diagnosis names no causes:\n%s", sb.String())
	}
	cfg.Diagnose = false
	plain, _ := Run(cfg)
	r.Diagnosis = nil
	if plain != r {
		t.Errorf("diagnosing changed the run: %+v, without %+v", r, plain)
	}
}

// Late in a premiere a piece's last fraction of a byte on a fast line
// takes less time than the clock's float64 can add; a box's step must
// still move on. Before the shortest event time (minEvent) late joiners
// on 250 Mbit/s lines stalled until their cut.
func TestLateJoinersDoNotFreeze(t *testing.T) {
	cfg := Config{Viewers: 300, EpisodeBytes: 32 << 20, BitsPerSec: 8e6,
		Mix: Mix{Name: "late", Links: []LinkClass{{1, mbit(250), mbit(50)}}, NATShare: 0.3, RTTMin: 0.01, RTTMax: 0.15,
			EarlyShare: 0.5, EarlyWindow: 30, LateWindow: 3600, PrefetchShare: 0.2},
		Origin: mbit(1000), OriginBox: mbit(8), SeedUp: mbit(1000), ProcDelay: LabProcDelay, Step: 0.1, Seed: 2, Diagnose: true}
	r, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if w := r.Diagnosis.Worst[0]; w.Stalled > 10 {
		t.Errorf("a viewer on a 250/50 Mbit/s line stalled %.1f s (%+v); rebuffer %.4f", w.Stalled, w, r.Rebuffer)
	}
}
