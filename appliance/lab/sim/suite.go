package sim

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/swarm/piecechoice"
)

// cpuSeconds is the process's user and system CPU time so far: on a
// machine shared with other work a run's wall time says more about the
// others than about the run.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// Suite is what `make sim` runs: the calibration against the real
// crowd30, then every crowd size under every mix, swarm and HTTP-only
// at the same origin capacity, a table, a plot and a key=value line.
type Suite struct {
	Sizes []int
	Mixes []Mix
	Base  Config // everything but Viewers, Mix, Step and HTTPOnly
	// OriginBoxRule: each crowd size's per-box origin budget is
	// OriginBoxFor(Base.Origin, Base.BitsPerSec, viewers), what the
	// README advises the network to sign into a premiere's catalog, not
	// Base.OriginBox.
	OriginBoxRule bool
	// Steps maps a crowd size to its time step (seconds); sizes not in it
	// use the step of the largest size below them, or 0.05.
	Steps map[int]float64
	// Reference is the real run to calibrate against.
	Reference        Reference
	CalibrationSeeds int
	Calibration      Setup // the real run's flags beyond its preset; the model's options
	PlotPath         string
	Log              io.Writer // progress lines; nil = none
}

// OriginBoxShares is how many equal shares of the origin's capacity a box
// may fetch at most under OriginBoxFor.
const OriginBoxShares = 2

// OriginBoxFor is the per-box origin budget (bytes/s) for a premiere the
// network expects viewers at: OriginBoxShares equal shares of the origin
// (capacity bytes/s), at most the bit rate (bits/s). Boxes fetch from the
// origin only now and then (a few percent of the bytes), so two shares
// leave room for the few that need it at once; with a budget that stays
// at the bit rate however many watch, the origin's egress per viewer rose
// from 100 viewers to 1,000 in the simulation (12,014 to 13,858 kbit on
// 2026-12-07: the boxes fetch whenever they fall behind, and more of them
// do once the seed box reaches fewer), and fell only where the origin's
// own capacity ran out.
func OriginBoxFor(origin, bitsPerSec float64, viewers int) float64 {
	if viewers < 1 {
		return bitsPerSec / 8
	}
	return min(bitsPerSec/8, OriginBoxShares*origin/float64(viewers))
}

// Config is the configuration of one row: the suite's base with the
// mix, the crowd size, its time step, the mode and the origin budget.
func (s Suite) Config(m Mix, viewers int, httpOnly bool) Config {
	cfg := s.Base
	cfg.Viewers, cfg.Mix, cfg.Step, cfg.HTTPOnly = viewers, m, s.StepFor(viewers), httpOnly
	if s.OriginBoxRule {
		cfg.OriginBox = OriginBoxFor(s.Base.Origin, s.Base.BitsPerSec, viewers)
	}
	return cfg
}

// StepFor is the time step for a crowd of n.
func (s Suite) StepFor(n int) float64 {
	best, at := 0.05, 0
	for size, st := range s.Steps {
		if size <= n && size >= at {
			best, at = st, size
		}
	}
	return best
}

func (s Suite) logf(format string, args ...any) {
	if s.Log != nil {
		fmt.Fprintf(s.Log, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
	}
}

// Run runs the suite and writes its report to w; the last line is the
// key=value figures. Blocks for minutes at 100,000 viewers.
func (s Suite) Run(w io.Writer) error {
	fmt.Fprintln(w, Model)
	budget := fmt.Sprintf("%.1f Mbit/s", s.Base.OriginBox*8/1e6)
	if s.OriginBoxRule {
		budget = fmt.Sprintf("%d shares of the origin among the viewers, at most the bit rate (the table's origin box column)", OriginBoxShares)
	}
	fmt.Fprintf(w, "episode: %d MiB at %.1f Mbit/s; origin %.0f Mbit/s, each box's origin budget %s; seed box %.0f Mbit/s with %d connections; %d connections per box (x%d once it holds the episode); processing delay %.0f ms per round trip\n",
		s.Base.EpisodeBytes>>20, s.Base.BitsPerSec/1e6, s.Base.Origin*8/1e6, budget, s.Base.SeedUp*8/1e6,
		max(s.Base.SeedConns, cmp.Or(s.Base.Conns, piecechoice.ConnsPerTorrent)*piecechoice.SeedConnsFactor),
		cmp.Or(s.Base.Conns, piecechoice.ConnsPerTorrent), piecechoice.SeedConnsFactor, s.Base.ProcDelay*1e3)
	for _, m := range s.Mixes {
		fmt.Fprintln(w, "mix", m)
	}

	s.logf("calibration: crowd30, %d seeds", s.CalibrationSeeds)
	t0 := time.Now()
	cal, runs, err := Calibrate(s.Reference, s.CalibrationSeeds, s.Calibration)
	if err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	var setup []string
	if len(s.Calibration.Args) > 0 {
		setup = append(setup, "bench flags "+strings.Join(s.Calibration.Args, " "))
	}
	if d := s.Calibration.ProcDelay; d > 0 && d != LabProcDelay {
		setup = append(setup, fmt.Sprintf("processing delay %.0f ms", d*1e3))
	}
	if s.Calibration.DownlinkAlike {
		setup = append(setup, "downlinks shared alike")
	}
	if s.Calibration.ProcFixed {
		setup = append(setup, "the same processing delay for every box")
	}
	model := ""
	if len(setup) > 0 {
		model = "; model: " + strings.Join(setup, ", ")
	}
	fmt.Fprintf(w, "\ncalibration against %s (real: ttff p50 %.2f s, p95 %.2f s, rebuffer %.4f, origin share %.3f)%s, %.1f s:\n",
		cal.Ref.Source, cal.Ref.TTFFP50, cal.Ref.TTFFP95, cal.Ref.Rebuffer, cal.Ref.OriginShare, model, time.Since(t0).Seconds())
	for i, r := range runs {
		fmt.Fprintf(w, "  seed %d: ttff p50 %.2f s, p95 %.2f s, rebuffer %.4f, origin share %.3f\n", i+1, r.TTFFP50, r.TTFFP95, r.Rebuffer, r.OriginShare())
	}
	holds := "holds"
	if !cal.Holds() {
		holds = "DOES NOT HOLD"
	}
	fmt.Fprintf(w, "  median: ttff p50 %.2f s (err %.0f%%), p95 %.2f s (err %.0f%%), rebuffer %.4f (err %.4f), origin share %.3f (err %.0f%%): %s (bounds 25%%, 0.01)\n\n",
		cal.Sim.TTFFP50, cal.P50Err*100, cal.Sim.TTFFP95, cal.P95Err*100, cal.Sim.Rebuffer, cal.RebufferErr,
		cal.Sim.OriginShare(), cal.OriginErr*100, holds)

	var rows []Row
	for _, m := range s.Mixes {
		for _, n := range s.Sizes {
			for _, httpOnly := range []bool{false, true} {
				cfg := s.Config(m, n, httpOnly)
				t, cpu := time.Now(), cpuSeconds()
				r, err := Run(cfg)
				if err != nil {
					return err
				}
				row := Row{Mix: m.Name, HTTPOnly: httpOnly, Result: r, OriginBox: cfg.OriginBox, Wall: time.Since(t).Seconds(), CPU: cpuSeconds() - cpu}
				rows = append(rows, row)
				if r.Diagnosis != nil {
					fmt.Fprintf(w, "diagnosis, %s %d %s:\n", m.Name, n, row.Mode())
					r.Diagnosis.Write(w)
				}
				s.logf("%s %d %s (step %.2f s): ttff p50 %.2f s, p95 %.2f s, rebuffer %.4f, origin %.0f kbit/viewer, share %.3f, origin and seed box %.0f kbit/viewer; wall %.1f s, cpu %.1f s",
					m.Name, n, row.Mode(), cfg.Step, r.TTFFP50, r.TTFFP95, r.Rebuffer, r.OriginKbitPerViewer(), r.OriginShare(), r.NetworkKbitPerViewer(), row.Wall, row.CPU)
			}
		}
	}
	if err := WriteTable(w, rows); err != nil {
		return err
	}
	if s.PlotPath != "" {
		if err := WritePlot(s.PlotPath, rows); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		fmt.Fprintln(w, "plot:", s.PlotPath)
	}
	var top Row
	for _, r := range rows {
		if !r.HTTPOnly && r.Mix == s.Mixes[0].Name && r.Result.Viewers >= top.Result.Viewers {
			top = r
		}
	}
	fmt.Fprintf(w, "viewers_max=%d origin_per_viewer_kbit_at_max=%.0f ttff_p95_at_max_s=%.2f rebuffer_at_max=%.4f calibration_ttff_err=%.3f calibration_origin_err=%.3f\n",
		top.Result.Viewers, top.Result.OriginKbitPerViewer(), top.Result.TTFFP95, top.Result.Rebuffer, cal.TTFFErr(), cal.OriginErr)
	return nil
}

// LoadReference reads the crowd30 reference: the bench output at path
// (its valid scenario=crowd30 lines), or the checked-in runs when path
// is "".
func LoadReference(path string) (Reference, error) {
	if path == "" {
		refs, err := ParseReferences(strings.NewReader(CheckedInReference), CheckedInSource)
		if err != nil {
			return Reference{}, err
		}
		return MeanReference(refs, "crowd30")
	}
	f, err := os.Open(path)
	if err != nil {
		return Reference{}, fmt.Errorf("calibration reference: %w", err)
	}
	defer f.Close()
	refs, err := ParseReferences(f, path)
	if err != nil {
		return Reference{}, err
	}
	return MeanReference(refs, "crowd30")
}
