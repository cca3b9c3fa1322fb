// Command atomicsim simulates a premiere with 100 to 100,000 boxes running
// the daemon's piece choice (package sim), calibrated against the real
// crowd benchmark. It reads a bench output (-calibrate, the file
// scripts/bench.sh wrote) or the checked-in reference runs, prints the
// model, the calibration, a table per mix and size (swarm and HTTP-only
// at the same origin capacity) and a last key=value line, and writes a
// PNG plot (-plot). It serves nothing and writes nothing else.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/atomicnetwork/atomicbox/appliance/lab/sim"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "atomicsim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("atomicsim", flag.ContinueOnError)
	sizes := fs.String("sizes", "100,1000,10000,100000", "crowd sizes, comma-separated")
	steps := fs.String("steps", "1:0.05,1000:0.1,10000:0.25,100000:0.5", "time step per crowd size from that size up, size:seconds")
	mib := fs.Int64("episode-mib", 64, "episode size in MiB (the benchmark's episode)")
	rate := fs.Float64("bitrate-mbit", 8, "episode bit rate, Mbit/s")
	origin := fs.Float64("origin-mbit", 1000, "origin capacity, Mbit/s")
	originBox := fs.Float64("origin-box-mbit", -1, "each box's origin budget (the catalog's originBoxRate), Mbit/s (-1: for each crowd size, two equal shares of the origin among the viewers, at most the bit rate, as the README advises the network; sim.OriginBoxFor)")
	seed := fs.Float64("seed-mbit", 1000, "the network's seed box uplink, Mbit/s (0: none)")
	conns := fs.Int("conns", 0, "connections per box (0: the daemon's default)")
	alike := fs.Bool("downlink-alike", false, "share each downlink alike between its flows, not max-min (the model until 2026-12-07; sim.Config.DownlinkAlike)")
	procFixed := fs.Bool("proc-fixed", false, "give every box the processing delay -proc-ms, not one drawn per box (the model until 2026-12-07; sim.Config.ProcFixed)")
	seedConns := fs.Int("seed-conns", -1, "the network's seed box's connection limit (atomicboxd -seed-conns; -1: its uplink over half the bit rate, as the README advises the network, at least a box's; 0: a box's, once it holds the episode)")
	proc := fs.Float64("proc-ms", sim.LabProcDelay*1e3, "processing delay added to every round trip, ms, in the calibration too (default: the calibrated lab figure)")
	links := fs.String("links", "0.3:16/1,0.5:50/10,0.2:250/50", "default mix: share:down/up Mbit/s classes")
	nat := fs.Float64("nat", 0.3, "default mix: share of boxes not connectable")
	harshLinks := fs.String("harsh-links", "0.5:16/1,0.3:50/10,0.2:250/50", "harsh mix: share:down/up Mbit/s classes")
	harshNAT := fs.Float64("harsh-nat", 0.5, "harsh mix: share of boxes not connectable")
	rtt := fs.String("rtt-ms", "10-150", "round trips between boxes, ms (uniform)")
	early := fs.Float64("early", 0.8, "share of viewers joining within -early-s")
	earlyS := fs.Float64("early-s", 60, "the early joiners' window, s")
	lateMin := fs.Float64("late-min", 30, "the other viewers join within this, minutes")
	prefetch := fs.Float64("prefetch", 0.2, "share of boxes that pre-fetched the episode overnight")
	calibrate := fs.String("calibrate", "", "a bench output with a valid scenario=crowd30 line (default: the checked-in runs)")
	calSeeds := fs.Int("calibration-seeds", 5, "calibration runs (the median is compared)")
	calArgs := fs.String("calibrate-args", "", "atomicbench flags the -calibrate run had besides -scenario, e.g. \"-piece-length 131072\"")
	plotPath := fs.String("plot", "bin/sim.png", "PNG plot to write (empty: none)")
	simSeed := fs.Uint64("seed", 1, "seed of the households and their joins")
	originTime := fs.Bool("origin-fetch-time", true, "feed the planner each box's measured origin fetch time as the daemon does (sim.Config.OriginFetchTime; the calibration always does)")
	diagnose := fs.Bool("diagnose", false, "print where each swarm run's stall time comes from (sim.Diagnosis)")
	mixNames := fs.String("mixes", "default,harsh", "the mixes to run, in order (default, harsh)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *originBox != -1 && *originBox <= 0 {
		return fmt.Errorf("-origin-box-mbit %v: want a rate above 0, or -1 for the rule", *originBox)
	}
	base := sim.DefaultMix()
	mk := func(name, linkSpec string, natShare float64) (sim.Mix, error) {
		m := base
		m.Name, m.NATShare = name, natShare
		var err error
		if m.Links, err = parseLinks(linkSpec); err != nil {
			return m, err
		}
		lo, hi, ok := strings.Cut(*rtt, "-")
		a, err1 := strconv.ParseFloat(lo, 64)
		b, err2 := strconv.ParseFloat(hi, 64)
		if !ok || err1 != nil || err2 != nil || a < 0 || b < a {
			return m, fmt.Errorf("-rtt-ms %q: want min-max", *rtt)
		}
		m.RTTMin, m.RTTMax = a/1e3, b/1e3
		m.EarlyShare, m.EarlyWindow, m.LateWindow, m.PrefetchShare = *early, *earlyS, *lateMin*60, *prefetch
		return m, nil
	}
	def, err := mk("default", *links, *nat)
	if err != nil {
		return err
	}
	harsh, err := mk("harsh", *harshLinks, *harshNAT)
	if err != nil {
		return err
	}
	var mixes []sim.Mix
	for _, name := range strings.Split(*mixNames, ",") {
		switch strings.TrimSpace(name) {
		case "default":
			mixes = append(mixes, def)
		case "harsh":
			mixes = append(mixes, harsh)
		default:
			return fmt.Errorf("-mixes: no mix %q", name)
		}
	}
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("-sizes: %q is not a crowd size", f)
		}
		ns = append(ns, n)
	}
	stepMap := map[int]float64{}
	for _, f := range strings.Split(*steps, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), ":")
		n, err1 := strconv.Atoi(k)
		st, err2 := strconv.ParseFloat(v, 64)
		if !ok || err1 != nil || err2 != nil || st <= 0 {
			return fmt.Errorf("-steps: %q: want size:seconds", f)
		}
		stepMap[n] = st
	}
	ref, err := sim.LoadReference(*calibrate)
	if err != nil {
		return err
	}
	mbit := func(m float64) float64 { return m * 1e6 / 8 }
	if *seedConns < 0 {
		*seedConns = int(*seed / (*rate / 2))
	}
	s := sim.Suite{
		Sizes: ns, Mixes: mixes, Steps: stepMap, OriginBoxRule: *originBox < 0,
		Base: sim.Config{EpisodeBytes: *mib << 20, BitsPerSec: *rate * 1e6, Origin: mbit(*origin), OriginBox: mbit(max(*originBox, 0)),
			SeedUp: mbit(*seed), Conns: *conns, SeedConns: *seedConns, DownlinkAlike: *alike, ProcFixed: *procFixed, ProcDelay: *proc / 1e3, Seed: *simSeed, Diagnose: *diagnose, OriginFetchTime: *originTime},
		Reference: ref, CalibrationSeeds: *calSeeds, Calibration: sim.Setup{Args: strings.Fields(*calArgs), ProcDelay: *proc / 1e3, DownlinkAlike: *alike, ProcFixed: *procFixed},
		PlotPath: *plotPath, Log: os.Stderr,
	}
	return s.Run(os.Stdout)
}

// parseLinks reads "share:down/up" classes in Mbit/s.
func parseLinks(spec string) ([]sim.LinkClass, error) {
	var out []sim.LinkClass
	for _, f := range strings.Split(spec, ",") {
		sh, du, ok1 := strings.Cut(strings.TrimSpace(f), ":")
		d, u, ok2 := strings.Cut(du, "/")
		share, e1 := strconv.ParseFloat(sh, 64)
		down, e2 := strconv.ParseFloat(d, 64)
		up, e3 := strconv.ParseFloat(u, 64)
		if !ok1 || !ok2 || e1 != nil || e2 != nil || e3 != nil || share <= 0 || down <= 0 || up <= 0 {
			return nil, fmt.Errorf("link class %q: want share:down/up in Mbit/s, e.g. 0.5:50/10", f)
		}
		out = append(out, sim.LinkClass{Share: share, Down: down * 1e6 / 8, Up: up * 1e6 / 8})
	}
	return out, nil
}
