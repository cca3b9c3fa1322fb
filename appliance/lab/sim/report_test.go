package sim

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTableAndPlot(t *testing.T) {
	rows := []Row{
		{Mix: "default", Result: Result{Viewers: 100, TTFFP95: 1, OriginBytes: 1 << 20, Delivered: 100 << 20}},
		{Mix: "default", Result: Result{Viewers: 1000, TTFFP95: 1.5, OriginBytes: 2 << 20, SeedBytes: 2 << 20, Delivered: 1000 << 20}},
		{Mix: "default", HTTPOnly: true, Result: Result{Viewers: 100, TTFFP95: 0.5, OriginBytes: 100 << 20, Delivered: 100 << 20}},
		{Mix: "default", HTTPOnly: true, Result: Result{Viewers: 1000, TTFFP95: 9, Rebuffer: 0.7, OriginBytes: 500 << 20, Delivered: 500 << 20}},
	}
	var b strings.Builder
	if err := WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	// 1000 viewers, 2 MiB from the origin: 2*2^20*8/1000/1000 kbit each.
	if !strings.Contains(b.String(), " 17 ") || !strings.Contains(b.String(), "http-only") {
		t.Errorf("table lacks the 1000-viewer swarm's 17 kbit per viewer or the HTTP-only rows:\n%s", b.String())
	}
	// With the seed box's 2 MiB, the network served 4 MiB: 34 kbit each.
	if !strings.Contains(b.String(), " 34 ") {
		t.Errorf("table lacks the 1000-viewer swarm's 34 kbit per viewer from origin and seed box:\n%s", b.String())
	}
	path := filepath.Join(t.TempDir(), "sim.png")
	if err := WritePlot(path, rows); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the plot is no PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() < 1000 || r.Dy() < 300 {
		t.Errorf("plot is %v, want at least 1000x300", r)
	}
}
