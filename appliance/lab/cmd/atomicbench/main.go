// Command atomicbench runs the flash-crowd benchmark: N atomicboxd
// processes (from -bin), each in its own network namespace with a shaped
// link, play one episode at once from a rate-limited origin and the
// network's seed box; then the same crowd reads the episode from the origin
// over plain HTTP. It prints a table and a last line of key=value figures.
// It needs root (network namespaces) and writes only under -work.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/bandwidth"
	"github.com/atomicnetwork/atomicbox/appliance/lab/bench"
	"github.com/atomicnetwork/atomicbox/appliance/swarm"
)

func main() {
	f := bench.FlashCrowd{Progress: os.Stderr}
	finish := f.Flags(flag.CommandLine)
	work := flag.String("work", "", "scratch directory (default: a new temporary directory, removed afterwards)")
	flag.StringVar(&f.CPUProfile, "cpuprofile-box", "", "write a CPU profile of the first viewing box's daemon to this file (read it with go tool pprof -top bin/atomicboxd FILE)")
	trace := flag.String("trace", "", "write a CSV trace of every box (every 500 ms) and every player's result to this file")
	var env stringList
	flag.Var(&env, "daemon-env", "KEY=VALUE added to every daemon's environment (repeatable)")
	if err := bench.ApplyScenario(flag.CommandLine, os.Args[1:]); err != nil {
		log.Fatalf("atomicbench: %v", err)
	}
	flag.Parse()
	if err := finish(); err != nil {
		log.Fatalf("atomicbench: %v", err)
	}
	f.DaemonEnv = env
	if f.CPUProfile != "" {
		abs, err := filepath.Abs(f.CPUProfile) // the daemon runs elsewhere
		if err != nil {
			log.Fatalf("atomicbench: %v", err)
		}
		f.CPUProfile = abs
	}
	if *trace != "" {
		tf, err := os.Create(*trace)
		if err != nil {
			log.Fatalf("atomicbench: %v", err)
		}
		defer tf.Close()
		f.Trace = tf
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, &f, *work, os.Stdout); err != nil {
		log.Fatalf("atomicbench: %v", err)
	}
}

func run(ctx context.Context, f *bench.FlashCrowd, work string, out io.Writer) error {
	if f.Boxes < 1 || f.Boxes > 200 {
		return fmt.Errorf("-boxes %d: want 1..200", f.Boxes)
	}
	if work == "" {
		dir, err := os.MkdirTemp(scratchRoot(int64(f.Boxes+3)*f.Size), "atomicbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		work = dir
	}
	f.Work = work
	started := time.Now()
	rep, err := f.Run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nflash crowd: %d boxes join within %v; episode %d MiB at %.1f Mbit/s (%.0f s, random bytes);\n",
		f.Boxes, f.Join, f.Size>>20, f.BitsPerSec/1e6, f.Duration().Seconds())
	links := []bench.Link{f.BoxLink}
	if len(f.BoxLinks) > 0 {
		links = f.BoxLinks
	}
	var ls []string
	for _, l := range links {
		ls = append(ls, fmt.Sprintf("%.0f/%.0f", float64(l.Down)/1e6, float64(l.Up)/1e6))
	}
	if sc, ok := bench.Scenarios[f.ScenarioName()]; ok {
		fmt.Fprintf(out, "scenario %s: %s\n", f.ScenarioName(), sc.Why)
	}
	fmt.Fprintf(out, "box links %s Mbit/s down/up (tbf; several: given to the boxes in turn), no added latency (no netem in this kernel); origin capped at %.1f Mbit/s; seed box: %v (%.0f Mbit/s)\n",
		strings.Join(ls, ", "), f.BitsPerSec*f.OriginFactor/1e6, f.Seeder, float64(f.SeederLink.Up)/1e6)
	if len(f.DaemonArgs) > 0 {
		fmt.Fprintf(out, "every daemon also runs with %s\n", strings.Join(f.DaemonArgs, " "))
	}
	if f.OriginBoxShare > 0 {
		fmt.Fprintf(out, "each box may fetch at most %.0f%% of the origin's capacity (%.1f Mbit/s, the catalog's originBoxRate)\n",
			100*f.OriginBoxShare, f.BitsPerSec*f.OriginFactor*f.OriginBoxShare/1e6)
	} else {
		fmt.Fprintf(out, "each box fetches from the origin within its default budget (32 Mbit/s)\n")
	}
	pc := f.Player()
	fmt.Fprintf(out, "player (mpv as the TV runs it): first frame with %v of media, resumes with %v after a stall, reads ahead up to %d MiB; players are cut after %v\n",
		pc.StartBuffer, pc.ResumeBuffer, pc.MaxAhead>>20, 2*f.Duration())
	fmt.Fprintf(out, "scratch (data dirs, origin): %s\n", work)
	fmt.Fprintf(out, "each box is told its uplink (Settings) and uploads at most %.0f%% of it while it plays; %d peer connections per box and episode (x3 once complete)\n\n",
		100*bandwidth.DefaultWatchingUploadShare, swarm.DefaultConnsPerTorrent)
	sums := []bench.Summary{rep.Figures.Swarm, rep.Figures.HTTP}
	if f.NoBaseline {
		sums = sums[:1]
		fmt.Fprintf(out, "(-no-baseline: the HTTP-only scenario was skipped; its figures below are zero)\n")
	}
	if err := bench.WriteTable(out, sums); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nswarm: boxes got %.1f MiB from the origin as web seed (useful), %.1f MiB from peers; scenario took %v, http %v\n",
		float64(rep.Figures.OriginUseful)/(1<<20), float64(rep.Figures.Swarm.PeerBytes)/(1<<20), rep.SwarmDuration.Round(time.Second), rep.HTTPDuration.Round(time.Second))
	for _, s := range []bench.Summary{rep.Figures.Swarm, rep.Figures.HTTP} {
		if n := len(s.Errors); n > 0 {
			fmt.Fprintf(out, "%s: %d players did not get the whole episode (cut at the limit, or failed), e.g. %s\n", s.Name, n, s.Errors[0])
		}
	}
	var extra []string
	if f.Seeks > 0 {
		secs := bench.DurationsSeconds(rep.Seeks)
		fmt.Fprintf(out, "seeks (fresh box, 2 s into playback, to a random position; time to its first 64 KiB): %d done, p50 %.2f s, p95 %.2f s",
			len(secs), bench.Percentile(secs, 50), bench.Percentile(secs, 95))
		if rep.SeekErr != "" {
			fmt.Fprintf(out, "; stopped: %s", rep.SeekErr)
		}
		fmt.Fprintln(out)
		extra = append(extra, fmt.Sprintf("seek_p50_s=%.2f", bench.Percentile(secs, 50)), fmt.Sprintf("seek_p95_s=%.2f", bench.Percentile(secs, 95)))
	}
	fig := rep.Figures
	if f.Premiere > 0 {
		fmt.Fprintf(out, "premiere: %d boxes pre-fetched the embargoed episode in %v (origin served %.1f MiB meanwhile); the crowd's figures count from the release\n",
			rep.Prefetch.Boxes, rep.Prefetch.Took.Round(time.Second), mib(rep.Prefetch.OriginBytes))
	}
	fmt.Fprintf(out, "supply: %.2fx what the crowd plays (origin, seed box and every box's watching upload share, over boxes x bit rate)\n", fig.SupplyRatio)
	fmt.Fprintf(out, "boxes uploaded %.1f MiB in the crowd phase, %.0f%% of what their limits allowed; their daemons used %.1f CPU-s (GOMAXPROCS=1 each), %.2f CPU-s per GiB the players received\n",
		float64(fig.Uploaded)/(1<<20), 100*fig.UploadUtilisation(), fig.BoxCPU.Seconds(), fig.CPUSecondsPerGiB())
	fmt.Fprintf(out, "the seed box uploaded %.1f MiB in the crowd phase (%.1f Mbit/s on average); the boxes threw away %.1f MiB that peers sent them (had it already): %.1f MiB for pieces the origin had completed, %.1f MiB chunks two peers both sent\n",
		mib(fig.SeedUploaded), float64(fig.SeedUploaded)*8/1e6/rep.SwarmDuration.Seconds(), mib(fig.PeersWasted), mib(fig.PeersAfterOrigin), mib(fig.PeersWasted-fig.PeersAfterOrigin))
	fmt.Fprintf(out, "players received %.1f MiB and played %.1f MiB; in %d of %d player-seconds with play (%.1f%%) a player received less than it played and ended the second with under %v buffered\n",
		mib(fig.Flow.Received), mib(fig.Flow.Consumed), fig.Flow.ShortSeconds, fig.Flow.BoxSeconds, 100*fig.Flow.ShortShare(), bench.LowBuffer)
	fmt.Fprintf(out, "machine CPU idle through the crowd phase: min %.0f%%, mean %.0f%% (%d one-second samples; a run needs %.0f%% in every second)\n",
		100*rep.CPU.Min, 100*rep.CPU.Mean, len(rep.CPU.Samples), 100*bench.MinCPUIdle)
	if fig.Invalid != "" {
		fmt.Fprintf(out, "INVALID RUN (valid=0): %s\n", fig.Invalid)
	}
	fmt.Fprintf(out, "total run time %v\n", time.Since(started).Round(time.Second))
	fmt.Fprintln(out, fig.KeyValues(extra...))
	return nil
}

type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// scratchRoot is where the boxes' data dirs go: /dev/shm when it is a
// memory file system with room for need bytes (31 boxes writing 2 GiB at
// once to one disk measure the disk and the page cache's writeback, not the
// swarm: rebuffering 0.019 to 0.028 on ext4, 0.016 to 0.018 in memory,
// 2026-11-25), else the default temporary directory.
func scratchRoot(need int64) string {
	var st syscall.Statfs_t
	const tmpfsMagic = 0x01021994
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Type != tmpfsMagic {
		return ""
	}
	if int64(st.Bavail)*st.Bsize < need+need/4 {
		return ""
	}
	return "/dev/shm"
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
