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
	kv := KeyValues(got, Summary{TTFFP95: 30, RebufferRatio: 0.9}, "seek_p50_s=0.30")
	wantKV := "boxes=3 ttff_p50_s=3.00 ttff_p95_s=20.00 rebuffer_ratio=0.0500 rebuffers=2 origin_share=0.100 http_ttff_p95_s=30.00 http_rebuffer_ratio=0.9000 seek_p50_s=0.30"
	if kv != wantKV {
		t.Errorf("KeyValues:\n got %s\nwant %s", kv, wantKV)
	}
	var b strings.Builder
	if err := WriteTable(&b, []Summary{got}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "swarm") || strings.Count(b.String(), "\n") != 2 {
		t.Errorf("table: want a header and one row, got:\n%s", b.String())
	}
}
