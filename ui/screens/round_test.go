package screens

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestRoundPathCorners: every corner of roundPath is a quarter circle: the
// midpoint of each Bézier lies within a pixel of radius r from the
// corner's centre (a curve whose control points both sit on the corner
// passes 1.24 r from the centre: a nearly square pill).
func TestRoundPathCorners(t *testing.T) {
	for _, c := range []struct{ w, h, r int }{{232, 56, 28}, {1120, 300, 24}, {560, 64, 32}} {
		f := strings.Fields(roundPath(c.w, c.h, c.r))
		var px, py float64
		corners := 0
		for i := 0; i < len(f); {
			num := func(j int) float64 { v, _ := strconv.ParseFloat(f[j], 64); return v }
			switch f[i] {
			case "m", "l":
				px, py = num(i+1), num(i+2)
				i += 3
			case "b":
				x1, y1, x2, y2, x3, y3 := num(i+1), num(i+2), num(i+3), num(i+4), num(i+5), num(i+6)
				mx := (px + 3*x1 + 3*x2 + x3) / 8
				my := (py + 3*y1 + 3*y2 + y3) / 8
				// The arc's centre is r in from both ends, towards the inside.
				cx := min(max(px, x3), float64(c.w)-float64(c.r))
				cx = max(cx, float64(c.r))
				cy := min(max(py, y3), float64(c.h)-float64(c.r))
				cy = max(cy, float64(c.r))
				if d := math.Hypot(mx-cx, my-cy); math.Abs(d-float64(c.r)) > 1 {
					t.Errorf("%dx%d r%d: corner %d midpoint (%.1f,%.1f) is %.1f from its centre, want %d", c.w, c.h, c.r, corners, mx, my, d, c.r)
				}
				corners++
				px, py = x3, y3
				i += 7
			default:
				t.Fatalf("unexpected token %q in %q", f[i], roundPath(c.w, c.h, c.r))
			}
		}
		if corners != 4 {
			t.Errorf("%dx%d: %d corners, want 4", c.w, c.h, corners)
		}
	}
}
