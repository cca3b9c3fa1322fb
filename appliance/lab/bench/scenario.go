package bench

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenario is a named premiere-night setup for atomicbench: the flags it
// sets (explicit flags on the command line still win) and what it stands
// for.
type Scenario struct {
	Flags map[string]string
	Why   string
}

// Scenarios are the setups a network would face. Each keeps the supply
// ratio (FlashCrowd.SupplyRatio) at 1.15 or more: a crowd that cannot be
// served says nothing about the swarm.
var Scenarios = map[string]Scenario{
	"crowd30": {Flags: map[string]string{"boxes": "30"},
		Why: "30 boxes on 50/10 Mbit/s lines, the seed box at 100 Mbit/s, the origin at twice the bit rate"},
	"crowd60": {Flags: map[string]string{"boxes": "60"},
		Why: "today's 60 boxes: supply 1.18x demand"},
	"thin": {Flags: map[string]string{"boxes": "30", "seeder-mbit": "44"},
		Why: "the network's own capacity (seed box 44 + origin 16 Mbit/s) is a quarter of the crowd's 240 Mbit/s"},
	"dsl": {Flags: map[string]string{"boxes": "30", "box-links": "16/2,50/5,100/20"},
		Why: "uplinks of 2, 5 and 20 Mbit/s in equal thirds (downlinks 16, 50, 100)"},
	"nat": {Flags: map[string]string{"boxes": "30", "nat-every": "3"},
		Why: "a third of the boxes sit behind a NAT without a port mapping: they refuse incoming connections and only dial out"},
	"premiere": {Flags: map[string]string{"boxes": "30", "premiere": "0.8"},
		Why: "the episode is published embargoed a day ahead; 80% of the boxes pre-fetch it under their overnight window, the rest are cold; at release the key comes in a new catalog and each viewer presses play within 5 s of its box having it"},
	"4k": {Flags: map[string]string{"boxes": "10", "bitrate-mbit": "25", "episode-mib": "160", "down-mbit": "200", "up-mbit": "40"},
		Why: "a 25 Mbit/s episode on 200/40 Mbit/s lines, the households 4K is sold to; 10 boxes (the crowd moves 250 Mbit/s through this machine)"},
}

// ParseLinks reads box link classes as "down/up" pairs in Mbit/s,
// separated by commas ("16/2,50/5,100/20"); each rate is above 0 and at
// most 10000.
func ParseLinks(s string) ([]Link, error) {
	var out []Link
	for _, pair := range strings.Split(s, ",") {
		d, u, ok := strings.Cut(strings.TrimSpace(pair), "/")
		if !ok {
			return nil, fmt.Errorf("link %q: want down/up in Mbit/s, e.g. 50/10", pair)
		}
		var l Link
		for _, r := range []struct {
			text string
			dst  *int64
		}{{d, &l.Down}, {u, &l.Up}} {
			v, err := strconv.ParseFloat(strings.TrimSpace(r.text), 64)
			if err != nil || !(v > 0 && v <= 10000) {
				return nil, fmt.Errorf("link %q: %q is not a rate in Mbit/s (0 < rate <= 10000)", pair, r.text)
			}
			*r.dst = int64(v * 1e6)
		}
		out = append(out, l)
	}
	return out, nil
}

// Flags registers the crowd's flags on fs, bound to f, with today's
// crowd30 as the defaults. After fs is parsed, call the returned finish:
// it turns the Mbit/s and MiB flags into f's fields, and fails on a bad
// -box-links.
func (f *FlashCrowd) Flags(fs *flag.FlagSet) (finish func() error) {
	fs.StringVar(&f.Bin, "bin", "bin", "directory holding atomicboxd")
	fs.IntVar(&f.Boxes, "boxes", 30, "boxes in the crowd (1..200)")
	fs.StringVar(&f.Scenario, "scenario", "", "a preset ("+strings.Join(ScenarioNames(), ", ")+") or just the name in the figures (default crowd<boxes>); explicit flags win over a preset's")
	mib := fs.Int64("episode-mib", 64, "episode size in MiB (random bytes)")
	mbit := fs.Float64("bitrate-mbit", 8, "episode bit rate in Mbit/s")
	fs.Int64Var(&f.PieceLength, "piece-length", 0, "torrent piece length in bytes (0: the publisher's default)")
	fs.DurationVar(&f.Join, "join", 5*time.Second, "players start at random times within this")
	fs.Float64Var(&f.OriginFactor, "origin-factor", 2, "origin rate limit as a multiple of the bit rate")
	fs.Float64Var(&f.OriginBoxShare, "origin-box-share", 0.5, "share of the origin's capacity each box may fetch (the catalog's originBoxRate); 0: the boxes' default, 4 MB/s")
	down := fs.Float64("down-mbit", 50, "box link downstream, Mbit/s")
	up := fs.Float64("up-mbit", 10, "box link upstream, Mbit/s")
	links := fs.String("box-links", "", "box links as down/up Mbit/s pairs, given to the boxes in turn (e.g. 16/2,50/5,100/20); replaces -down-mbit and -up-mbit")
	seedLink := fs.Float64("seeder-mbit", 100, "seed box link, both directions, Mbit/s")
	fs.IntVar(&f.NATEvery, "nat-every", 0, "every N-th box refuses incoming BitTorrent connections (behind NAT, no port mapping); 0 = none (needs nft)")
	fs.Float64Var(&f.Premiere, "premiere", 0, "run a premiere: this share of the boxes pre-fetches the embargoed episode before its release (0: a plain flash crowd)")
	fs.BoolVar(&f.Seeder, "seeder", true, "run the network's seed box, holding the episode from the start")
	fs.IntVar(&f.Seeks, "seeks", 20, "seeks after the crowd, each on a fresh box 2 s into playback (0: none)")
	fs.Uint64Var(&f.Seed, "seed", 1, "seed of the content, join times and seek positions")
	fs.DurationVar(&f.StartBuffer, "start-buffer", 0, "media the player has before its first frame (0: mpv as the TV runs it)")
	fs.DurationVar(&f.ResumeBuffer, "resume-buffer", 0, "media the player waits for after a stall (0: mpv as the TV runs it)")
	fs.Func("daemon-flag", "a flag for every atomicboxd, e.g. -push (repeatable; side-by-side runs)", func(v string) error {
		f.DaemonArgs = append(f.DaemonArgs, v)
		return nil
	})
	fs.BoolVar(&f.NoBaseline, "no-baseline", false, "skip the HTTP-only scenario (quick experiments only: the benchmark's figures need it)")
	return func() error {
		f.Size = *mib << 20
		f.BitsPerSec = *mbit * 1e6
		f.BoxLink = Link{Down: int64(*down * 1e6), Up: int64(*up * 1e6)}
		f.SeederLink = Link{Down: int64(*seedLink * 1e6), Up: int64(*seedLink * 1e6)}
		f.BoxLinks = nil
		if *links != "" {
			var err error
			if f.BoxLinks, err = ParseLinks(*links); err != nil {
				return fmt.Errorf("-box-links: %w", err)
			}
		}
		return nil
	}
}

// ApplyScenario sets the flags of the preset named in args (-scenario NAME
// or -scenario=NAME) on fs, before fs parses args, so that explicit flags
// still win. A name that is no preset only names the figures.
func ApplyScenario(fs *flag.FlagSet, args []string) error {
	name := ""
	for i, a := range args {
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if v, ok := strings.CutPrefix(a, "scenario="); ok {
			name = v
		} else if a == "scenario" && i+1 < len(args) {
			name = args[i+1]
		}
	}
	sc, ok := Scenarios[name]
	if !ok {
		return nil
	}
	for k, v := range sc.Flags {
		if err := fs.Set(k, v); err != nil {
			return fmt.Errorf("scenario %s: -%s=%s: %w", name, k, v, err)
		}
	}
	return nil
}

// ScenarioNames are the presets' names, sorted.
func ScenarioNames() []string {
	names := make([]string, 0, len(Scenarios))
	for n := range Scenarios {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
