package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Summary is one scenario's figures.
type Summary struct {
	Name          string
	Boxes         int
	Started       int     // players that showed a first frame
	Completed     int     // players that received the whole stream
	TTFFP50       float64 // seconds; a player that never started counts with its elapsed time
	TTFFP95       float64
	RebufferRatio float64 // stalled / (stalled + played), over all players
	Rebuffers     int     // stalls over all players
	OriginBytes   int64   // body bytes the origin served
	Delivered     int64   // bytes the players received
	PeerBytes     int64   // bytes boxes received from BitTorrent peers
	Errors        []string
}

// OriginShare is origin bytes over delivered bytes.
func (s Summary) OriginShare() float64 {
	if s.Delivered == 0 {
		return 0
	}
	return float64(s.OriginBytes) / float64(s.Delivered)
}

// Summarize computes a scenario's player figures; the caller fills in the
// byte counts of the origin and the peers.
func Summarize(name string, results []PlayResult) Summary {
	s := Summary{Name: name, Boxes: len(results)}
	var ttff []float64
	var stalled, played time.Duration
	for _, r := range results {
		if r.Started {
			s.Started++
		}
		if r.Complete {
			s.Completed++
		}
		ttff = append(ttff, r.TTFF.Seconds())
		stalled += r.Stalled
		played += r.Played
		s.Rebuffers += r.Stalls
		s.Delivered += r.Bytes
		if r.Err != "" {
			s.Errors = append(s.Errors, r.Err)
		}
	}
	s.TTFFP50 = Percentile(ttff, 50)
	s.TTFFP95 = Percentile(ttff, 95)
	if stalled+played > 0 {
		s.RebufferRatio = stalled.Seconds() / (stalled + played).Seconds()
	}
	return s
}

// Percentile is the p-th percentile (0..100) of xs by the nearest-rank
// method; NaN for no values.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1]
}

// DurationsSeconds converts ds to seconds.
func DurationsSeconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// WriteTable prints the scenarios as an aligned table.
func WriteTable(w io.Writer, sums []Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tboxes\tstarted\tcomplete\tttff p50 s\tttff p95 s\trebuffer ratio\trebuffers\torigin MiB\torigin share\tpeers MiB\t")
	for _, s := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f\t%.2f\t%.4f\t%d\t%.1f\t%.3f\t%.1f\t\n",
			s.Name, s.Boxes, s.Started, s.Completed, s.TTFFP50, s.TTFFP95, s.RebufferRatio, s.Rebuffers,
			mib(s.OriginBytes), s.OriginShare(), mib(s.PeerBytes))
	}
	return tw.Flush()
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// Figures is one scenario's line of the benchmark: the swarm run, its
// HTTP-only baseline at the same origin capacity, and whether the run can
// be trusted.
type Figures struct {
	Scenario    string  // e.g. crowd30
	Invalid     string  // why the run cannot be trusted; "" = valid
	SupplyRatio float64 // what the network and the boxes may upload, over what the crowd plays
	CPUIdleMin  float64 // the machine's least CPU idle share in a second of the crowd phase
	Swarm, HTTP Summary
	// OriginUseful is what the boxes kept of the origin's bytes (web seed
	// payload that passed the hash check).
	OriginUseful int64
	// Uploaded is what the viewing boxes uploaded during the crowd phase;
	// UploadAllowed what their upload limits allowed them in that time.
	Uploaded, UploadAllowed int64
	// SeedUploaded is what the network's seed box uploaded in the crowd
	// phase; PeersWasted what the viewing boxes received from peers and
	// threw away (duplicates, chunks of pieces completed meanwhile).
	SeedUploaded, PeersWasted int64
	// PeersAfterOrigin is the part of PeersWasted that came for pieces
	// the origin fallback had completed; the rest are chunks two peers
	// both sent.
	PeersAfterOrigin int64
	// BoxCPU is the CPU time of the viewing boxes' daemons during the
	// crowd phase.
	BoxCPU time.Duration
	// Flow is the swarm players' received-versus-played, second by second.
	Flow Flow
}

// OriginUsefulShare is origin bytes kept over origin bytes served.
func (f Figures) OriginUsefulShare() float64 { return ratio(f.OriginUseful, f.Swarm.OriginBytes) }

// UploadUtilisation is uploaded bytes over allowed bytes.
func (f Figures) UploadUtilisation() float64 { return ratio(f.Uploaded, f.UploadAllowed) }

// CPUSecondsPerGiB is the boxes' daemon CPU time per GiB their players
// received.
func (f Figures) CPUSecondsPerGiB() float64 {
	if f.Swarm.Delivered == 0 {
		return 0
	}
	return f.BoxCPU.Seconds() / (float64(f.Swarm.Delivered) / (1 << 30))
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// KeyValues is the scenario's key=value line, extra pairs appended.
func (f Figures) KeyValues(extra ...string) string {
	valid := 1
	if f.Invalid != "" {
		valid = 0
	}
	kv := []string{
		"scenario=" + f.Scenario,
		fmt.Sprintf("boxes=%d", f.Swarm.Boxes),
		fmt.Sprintf("valid=%d", valid),
		fmt.Sprintf("supply_ratio=%.2f", f.SupplyRatio),
		fmt.Sprintf("cpu_idle_min=%.2f", f.CPUIdleMin),
		fmt.Sprintf("ttff_p50_s=%.2f", f.Swarm.TTFFP50),
		fmt.Sprintf("ttff_p95_s=%.2f", f.Swarm.TTFFP95),
		fmt.Sprintf("rebuffer_ratio=%.4f", f.Swarm.RebufferRatio),
		fmt.Sprintf("origin_share=%.3f", f.Swarm.OriginShare()),
		fmt.Sprintf("origin_useful_share=%.3f", f.OriginUsefulShare()),
		fmt.Sprintf("upload_utilisation=%.3f", f.UploadUtilisation()),
		fmt.Sprintf("http_ttff_p95_s=%.2f", f.HTTP.TTFFP95),
		fmt.Sprintf("http_rebuffer_ratio=%.4f", f.HTTP.RebufferRatio),
		fmt.Sprintf("cpu_s_per_gib=%.2f", f.CPUSecondsPerGiB()),
	}
	return strings.Join(append(kv, extra...), " ")
}

// LowBuffer: a player that ends a second with less media than this
// buffered is running low.
const LowBuffer = 2 * time.Second

// Flow compares, second by second of a crowd phase, what the players
// received with what their pictures consumed (PlayResult.Seconds).
type Flow struct {
	Received int64 // bytes the players received, all seconds
	Consumed int64 // bytes their pictures played, all seconds
	// BoxSeconds counts the whole seconds in which a player played
	// something; ShortSeconds those of them in which it received less than
	// it played and ended with under LowBuffer buffered: its buffer drained
	// towards a stall. A player that holds the episode (read from disk at
	// once) and plays it down is not short.
	BoxSeconds, ShortSeconds int
}

// ShortShare is ShortSeconds over BoxSeconds.
func (f Flow) ShortShare() float64 { return ratio(int64(f.ShortSeconds), int64(f.BoxSeconds)) }

// CrowdFlow sums the players' per-second flows.
func CrowdFlow(results []PlayResult) Flow {
	var f Flow
	for _, r := range results {
		for _, s := range r.Seconds {
			f.Received += s.Received
			f.Consumed += s.Consumed
			if s.Consumed <= 0 {
				continue
			}
			f.BoxSeconds++
			if s.Received < s.Consumed && s.Buffered < LowBuffer {
				f.ShortSeconds++
			}
		}
	}
	return f
}
