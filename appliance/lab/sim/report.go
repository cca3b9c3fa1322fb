package sim

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Row is one run of the table: a mix, a crowd size, swarm or HTTP-only.
type Row struct {
	Mix      string
	HTTPOnly bool
	Result   Result
	// OriginBox is each box's origin budget in the run, bytes/s.
	OriginBox float64
	Wall      float64 // seconds the run took on this machine
	CPU       float64 // CPU seconds the run used
}

// Mode names the row's delivery.
func (r Row) Mode() string {
	if r.HTTPOnly {
		return "http-only"
	}
	return "swarm"
}

// WriteTable prints the rows as an aligned table.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mix\tviewers\tmode\torigin box Mbit/s\tstarted\tttff p50 s\tttff p95 s\trebuffer\torigin GiB\torigin kbit/viewer\torigin share\tnetwork kbit/viewer\twall s\tcpu s\t")
	for _, r := range rows {
		x := r.Result
		box := "-" // HTTP-only players have no budget
		if !r.HTTPOnly {
			box = fmt.Sprintf("%.2f", r.OriginBox*8/1e6)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%.2f\t%.2f\t%.4f\t%.2f\t%.0f\t%.3f\t%.0f\t%.1f\t%.1f\t\n", r.Mix, x.Viewers, r.Mode(), box, x.Started,
			x.TTFFP50, x.TTFFP95, x.Rebuffer, float64(x.OriginBytes)/(1<<30), x.OriginKbitPerViewer(), x.OriginShare(), x.NetworkKbitPerViewer(), r.Wall, r.CPU)
	}
	return tw.Flush()
}

// WritePlot draws origin egress per viewer (and, dotted, the origin's and
// the seed box's together for the swarm), ttff p95 and the rebuffer ratio
// against viewers (log scale), one line per mix and mode, as a PNG at
// path.
func WritePlot(path string, rows []Row) error {
	type series struct {
		name string
		pts  plotter.XYs
	}
	var keys []string
	byKey := map[string]*series{}
	for _, r := range rows {
		k := r.Mix + " " + r.Mode()
		if byKey[k] == nil {
			byKey[k] = &series{name: k}
			keys = append(keys, k)
		}
	}
	metrics := []struct {
		title, unit string
		value       func(Result) float64
	}{
		{"origin egress per viewer", "kbit per viewer", Result.OriginKbitPerViewer},
		{"time to first frame, p95", "seconds", func(r Result) float64 { return r.TTFFP95 }},
		{"rebuffer ratio", "stalled / (stalled + played)", func(r Result) float64 { return r.Rebuffer }},
	}
	colors := []color.Color{
		color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xd6, 0x27, 0x28, 0xff},
		color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	}
	plots := make([][]*plot.Plot, 1)
	for _, m := range metrics {
		p := plot.New()
		p.Title.Text = m.title
		p.X.Label.Text = "viewers"
		p.Y.Label.Text = m.unit
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		if m.title == "origin egress per viewer" {
			p.Y.Scale = plot.LogScale{}
			p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		}
		for i, k := range keys {
			var pts plotter.XYs
			for _, r := range rows {
				if r.Mix+" "+r.Mode() != k {
					continue
				}
				v := m.value(r.Result)
				if _, isLog := p.Y.Scale.(plot.LogScale); isLog {
					v = math.Max(v, 1)
				}
				pts = append(pts, plotter.XY{X: float64(r.Result.Viewers), Y: v})
			}
			slices.SortFunc(pts, func(a, b plotter.XY) int { return int(a.X - b.X) })
			l, s, err := plotter.NewLinePoints(pts)
			if err != nil {
				return err
			}
			c := colors[i%len(colors)]
			l.Color, s.Color = c, c
			if strings.HasSuffix(k, "http-only") {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(l, s)
			p.Legend.Add(k, l, s)
			if m.title == "origin egress per viewer" && !strings.HasSuffix(k, "http-only") {
				// What the network served itself: the origin and its seed
				// box, which covers most shortfalls of a small crowd.
				var net plotter.XYs
				for _, r := range rows {
					if r.Mix+" "+r.Mode() == k {
						net = append(net, plotter.XY{X: float64(r.Result.Viewers), Y: math.Max(r.Result.NetworkKbitPerViewer(), 1)})
					}
				}
				slices.SortFunc(net, func(a, b plotter.XY) int { return int(a.X - b.X) })
				nl, err := plotter.NewLine(net)
				if err != nil {
					return err
				}
				nl.Color, nl.Dashes = c, []vg.Length{vg.Points(1), vg.Points(2)}
				p.Add(nl)
				p.Legend.Add(k+", origin + seed box", nl)
			}
		}
		p.Legend.Top = true
		// The HTTP-only lines climb to the right: keep the legend left of them.
		p.Legend.Left = m.title != "origin egress per viewer"
		plots[0] = append(plots[0], p)
	}
	img := vgimg.New(vg.Points(1350), vg.Points(420))
	dc := draw.New(img)
	t := draw.Tiles{Rows: 1, Cols: len(plots[0]), PadX: vg.Points(20), PadY: vg.Points(10),
		PadTop: vg.Points(10), PadBottom: vg.Points(10), PadLeft: vg.Points(10), PadRight: vg.Points(10)}
	canvases := plot.Align(plots, t, dc)
	for j, p := range plots[0] {
		p.Draw(canvases[0][j])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
