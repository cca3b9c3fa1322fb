package bench

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	tests := []struct {
		reason string
		p      float64
		want   float64
	}{
		{"median by nearest rank is the 5th of 10", 50, 5},
		{"p95 of 10 values is the largest", 95, 10},
		{"p0 is the smallest", 0, 1},
		{"p90 is the 9th", 90, 9},
	}
	for _, tt := range tests {
		if got := Percentile(xs, tt.p); got != tt.want {
			t.Errorf("%s: Percentile(%v) = %v, want %v", tt.reason, tt.p, got, tt.want)
		}
	}
	if got := Percentile(nil, 50); !math.IsNaN(got) {
		t.Errorf("no values: Percentile = %v, want NaN", got)
	}
}

func TestSummarize(t *testing.T) {
	s := time.Second
	results := []PlayResult{
		{Started: true, TTFF: s, Played: 9 * s, Stalled: s, Stalls: 2, Bytes: 100, Complete: true},
		{Started: true, TTFF: 3 * s, Played: 10 * s, Bytes: 100, Complete: true},
		{TTFF: 20 * s, Bytes: 10, Err: "context deadline exceeded"},
	}
	got := Summarize("swarm", results)
	got.OriginBytes = 21
	want := Summary{
		Name: "swarm", Boxes: 3, Started: 2, Completed: 2, TTFFP50: 3, TTFFP95: 20,
		RebufferRatio: 0.05, Rebuffers: 2, OriginBytes: 21, Delivered: 210,
		Errors: []string{"context deadline exceeded"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
	if got, want := got.OriginShare(), 0.1; got != want {
		t.Errorf("OriginShare() = %v, want %v", got, want)
	}
	fig := Figures{Scenario: "crowd3", SupplyRatio: 1.4234, CPUIdleMin: 0.4, Swarm: got, HTTP: Summary{TTFFP95: 30, RebufferRatio: 0.9},
		OriginUseful: 14, Uploaded: 30, UploadAllowed: 40, BoxCPU: 3 * time.Second}
	fig.Swarm.Delivered = 1 << 30
	kv := fig.KeyValues("seek_p50_s=0.30")
	wantKV := "scenario=crowd3 boxes=3 valid=1 supply_ratio=1.42 cpu_idle_min=0.40 ttff_p50_s=3.00 ttff_p95_s=20.00 rebuffer_ratio=0.0500 origin_share=0.000 origin_useful_share=0.667 upload_utilisation=0.750 http_ttff_p95_s=30.00 http_rebuffer_ratio=0.9000 cpu_s_per_gib=3.00 seek_p50_s=0.30"
	if kv != wantKV {
		t.Errorf("KeyValues:\n got %s\nwant %s", kv, wantKV)
	}
	fig.Invalid = "CPU idle fell to 3%"
	if kv := fig.KeyValues(); !strings.Contains(kv, " valid=0 ") {
		t.Errorf("an invalid run's line %q does not say valid=0", kv)
	}
	var b strings.Builder
	if err := WriteTable(&b, []Summary{got}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "swarm") || strings.Count(b.String(), "\n") != 2 {
		t.Errorf("table: want a header and one row, got:\n%s", b.String())
	}
}

func TestSupplyRatio(t *testing.T) {
	for _, tc := range []struct {
		f      FlashCrowd
		want   float64
		reason string
	}{
		{FlashCrowd{Boxes: 30, BitsPerSec: 8e6, OriginFactor: 2, Seeder: true, SeederLink: Link{Up: 100e6}, BoxLink: Link{Up: 10e6}},
			(16e6 + 100e6 + 30*7.5e6) / (30 * 8e6), "today's crowd30: origin, seed box and 3/4 of every uplink"},
		{FlashCrowd{Boxes: 10, BitsPerSec: 8e6, OriginFactor: 1, BoxLink: Link{Up: 2e6}},
			(8e6 + 10*1.5e6) / (10 * 8e6), "no seed box, thin uplinks: under 1"},
		{FlashCrowd{Boxes: 4, BitsPerSec: 8e6, OriginFactor: 2, BoxLink: Link{Up: 99e6}, BoxLinks: []Link{{Up: 2e6}, {Up: 20e6}}},
			(16e6 + 0.75*(2e6+20e6+2e6+20e6)) / (4 * 8e6), "per-box links replace BoxLink, in turn"},
	} {
		if got := tc.f.SupplyRatio(); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: SupplyRatio = %v, want %v", tc.reason, got, tc.want)
		}
	}
}

func TestUploadAllowed(t *testing.T) {
	s := time.Second
	results := []PlayResult{
		{Joined: 0, FinishedAt: 10 * s},      // watches 10 s of a 20 s phase
		{Joined: 15 * s, FinishedAt: 30 * s}, // cut by the phase's end after 5 s
	}
	// up 1000 B/s: box 1 0.75*10 + 10 = 17.5 s, box 2 0.75*5 + 15 = 18.75 s.
	if got, want := uploadAllowed(results, 20*s, func(int) int64 { return 1000 }), int64(36250); got != want {
		t.Errorf("uploadAllowed = %d, want %d", got, want)
	}
}
