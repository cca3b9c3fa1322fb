package sim

import (
	"cmp"
	"fmt"
	"io"
	"slices"
)

// Diagnosis says where a swarm run's rebuffering comes from (issue 19:
// why it grows with the crowd). Stall time is split two ways: exactly,
// by the kind of box that stalled (Classes, from every viewer's result);
// and by sampling every stalled box at the end of every step, by what it
// saw then (Causes): whether the piece it waits for was on its way from
// the origin, held by none of its connected peers, or held only by peers
// whose uplinks were in full use.
type Diagnosis struct {
	StallSeconds, PlaySeconds float64 // exact, all viewers (rebuffering only, not start-up)
	Classes                   []ClassStalls
	Sampled                   float64            // stall seconds seen by the per-step samples
	Causes                    map[string]float64 // sampled stall seconds by cause
	ByPosition                [10]float64        // sampled stall seconds by tenth of the episode the playhead was in
	BySinceJoin               [4]float64         // sampled stall seconds 0-25 s, 25-50, 50-100, 100+ s after pressing play
	Worst                     []BoxStalls        // the viewers that stalled longest
	SaturatedUploaders        float64            // mean share of uploading boxes (viewers) whose uplink was in full use, per step with flows
	Sources                   map[string]float64 // bytes received by source (pieces cut short by a complete one counted too)
	upSamples                 int
	fetchRate, fetchSince     float64
	fetchN, fetchSlowLine     float64
}

// BoxStalls is one viewer's stall time.
type BoxStalls struct {
	Class                       string
	Join, Stalled, TTFF         float64
	Stalls, Conns, ReadyHolders int
}

// ClassStalls is one kind of box's viewers and their stall time.
type ClassStalls struct {
	Name                 string
	Viewers              int
	StallSeconds, Played float64
	Stalls               int
}

// The causes, checked in this order.
const (
	causeFetching      = "origin fetch of the piece on the wire"
	causeBudget        = "origin fetch of the piece waiting for the box's origin budget"
	causeNoHolder      = "no connected peer holds the piece"
	causeSaturated     = "holders' uplinks all in full use"
	causeSlowFlow      = "a holder has spare uplink (window ramp, round trips, downlink share)"
	causeNotTransfered = "a holder with spare uplink sends it nothing (flow on another piece)"
)

func (w *world) classOf(i int) string {
	b := &w.boxes[i]
	nat := "connectable"
	if b.nat {
		nat = "NAT"
	}
	join := "early"
	if b.join > w.cfg.Mix.EarlyWindow {
		join = "late"
	}
	return fmt.Sprintf("%s %.0f Mbit/s up, %s join", nat, b.up*8/1e6, join)
}

// diagnoseStep samples the stalled boxes at tend, given the step's flows
// and how much of each uploader's capacity they used.
func (w *world) diagnoseStep(streaming []int32, flows []flow, used []float64, tend, dt float64) {
	d := w.diag
	satUp, ups := 0, 0
	for u := 1; u < len(w.boxes); u++ {
		if used[u] > 0 {
			ups++
			if used[u] >= 0.99*w.uploadCap(&w.boxes[u]) {
				satUp++
			}
		}
	}
	if ups > 0 {
		d.SaturatedUploaders += float64(satUp) / float64(ups)
		d.upSamples++
	}
	for _, i := range streaming {
		b := &w.boxes[i]
		p := b.pl
		since, ok := p.stalledSince(tend)
		if !ok || b.pos >= w.size {
			continue
		}
		s := min(dt, tend-since)
		if s <= 0 {
			continue
		}
		d.Sampled += s
		d.ByPosition[min(9, int(10*p.pos/float64(w.size)))] += s
		d.BySinceJoin[sinceJoinBucket(tend-b.join)] += s
		piece := int(b.pos / w.pl)
		cause := causeNoHolder
		if k := slices.IndexFunc(b.fetches, func(f *fetch) bool { return f.piece == piece }); k >= 0 {
			cause = causeFetching
			if f := b.fetches[k]; f.startAt > tend {
				cause = causeBudget
			} else {
				d.fetchRate += f.rate / w.bps * s
				d.fetchSince += (tend - f.reqAt) * s
				d.fetchN += s
				if b.down < 3*w.bps {
					d.fetchSlowLine += s
				}
			}
		} else {
			spare, sending := false, false
			holders := 0
			for _, c := range b.conns {
				u := &w.boxes[c.peer]
				if c.readyAt > tend || !u.has(piece) {
					continue
				}
				holders++
				if c.peer == 0 || used[c.peer] < 0.99*w.uploadCap(u) {
					spare = true
					for _, f := range flows {
						if f.d == i && f.u == c.peer && f.target == piece && f.rate > 0 {
							sending = true
						}
					}
				}
			}
			switch {
			case holders == 0:
			case !spare:
				cause = causeSaturated
			case sending:
				cause = causeSlowFlow
			default:
				cause = causeNotTransfered
			}
		}
		d.Causes[cause] += s
	}
}

const (
	srcOrigin     = "origin"
	srcSeed       = "the network's seed box"
	srcPrefetched = "boxes that pre-fetched the episode"
)

func (d *Diagnosis) bySource(w *world, u int32, by float64) {
	b := &w.boxes[u]
	switch {
	case u == 0:
		d.Sources[srcSeed] += by
	case b.prefetched:
		d.Sources[srcPrefetched] += by
	default:
		d.Sources[fmt.Sprintf("viewers with %.0f Mbit/s up", b.up*8/1e6)] += by
	}
}

func sinceJoinBucket(s float64) int {
	switch {
	case s < 25:
		return 0
	case s < 50:
		return 1
	case s < 100:
		return 2
	}
	return 3
}

// finishDiagnosis fills the exact per-class figures from the results.
func (w *world) finishDiagnosis() {
	d := w.diag
	idx := map[string]int{}
	for i := 1; i <= w.n; i++ {
		r := w.res[i]
		name := w.classOf(i)
		k, ok := idx[name]
		if !ok {
			k = len(d.Classes)
			idx[name] = k
			d.Classes = append(d.Classes, ClassStalls{Name: name})
		}
		c := &d.Classes[k]
		c.Viewers++
		c.StallSeconds += r.stalled
		c.Played += r.played
		c.Stalls += r.stalls
		d.StallSeconds += r.stalled
		d.PlaySeconds += r.played
	}
	for i := 1; i <= w.n; i++ {
		d.Worst = append(d.Worst, BoxStalls{Class: w.classOf(i), Join: w.boxes[i].join, Stalled: w.res[i].stalled,
			TTFF: w.res[i].ttff, Stalls: w.res[i].stalls})
	}
	slices.SortFunc(d.Worst, func(a, b BoxStalls) int { return cmp.Compare(b.Stalled, a.Stalled) })
	d.Worst = d.Worst[:min(len(d.Worst), 8)]
	slices.SortFunc(d.Classes, func(a, b ClassStalls) int { return cmp.Compare(b.StallSeconds, a.StallSeconds) })
	if d.upSamples > 0 {
		d.SaturatedUploaders /= float64(d.upSamples)
	}
}

// Write prints the diagnosis.
func (d *Diagnosis) Write(w io.Writer) {
	pct := func(x, of float64) float64 {
		if of == 0 {
			return 0
		}
		return 100 * x / of
	}
	fmt.Fprintf(w, "  stalls: %.0f s stalled, %.0f s played (rebuffer %.4f); by kind of box (share of stall time, the kind's own rebuffer ratio):\n",
		d.StallSeconds, d.PlaySeconds, d.StallSeconds/max(d.StallSeconds+d.PlaySeconds, 1e-9))
	for _, c := range d.Classes {
		fmt.Fprintf(w, "    %-40s %6d viewers  %5.1f%% of stall time  rebuffer %.4f  %.2f stalls/viewer\n",
			c.Name, c.Viewers, pct(c.StallSeconds, d.StallSeconds), c.StallSeconds/max(c.StallSeconds+c.Played, 1e-9), float64(c.Stalls)/float64(c.Viewers))
	}
	fmt.Fprintf(w, "  sampled at step ends: %.0f s (%.0f%% of the exact figure); by what the stalled box saw:\n", d.Sampled, pct(d.Sampled, d.StallSeconds))
	for _, c := range []string{causeBudget, causeFetching, causeNoHolder, causeSaturated, causeSlowFlow, causeNotTransfered} {
		fmt.Fprintf(w, "    %-70s %5.1f%%\n", c, pct(d.Causes[c], d.Sampled))
	}
	if d.fetchN > 0 {
		fmt.Fprintf(w, "  stalled on an origin fetch: its rate %.2f times the bit rate, in flight for %.2f s (means); %.0f%% of that time on lines under 3 times the bit rate\n",
			d.fetchRate/d.fetchN, d.fetchSince/d.fetchN, pct(d.fetchSlowLine, d.fetchN))
	}
	fmt.Fprintf(w, "  by tenth of the episode:")
	for _, x := range d.ByPosition {
		fmt.Fprintf(w, " %.0f%%", pct(x, d.Sampled))
	}
	fmt.Fprintf(w, "\n  by time since pressing play (0-25 s, 25-50, 50-100, 100+):")
	for _, x := range d.BySinceJoin {
		fmt.Fprintf(w, " %.0f%%", pct(x, d.Sampled))
	}
	var total float64
	var srcs []string
	for k, v := range d.Sources {
		total += v
		srcs = append(srcs, k)
	}
	slices.SortFunc(srcs, func(a, b string) int { return cmp.Compare(d.Sources[b], d.Sources[a]) })
	fmt.Fprintf(w, "\n  bytes received by source:")
	for _, k := range srcs {
		fmt.Fprintf(w, " %s %.1f%%,", k, pct(d.Sources[k], total))
	}
	fmt.Fprintf(w, "\n  longest stalled viewers:")
	for _, x := range d.Worst {
		fmt.Fprintf(w, "\n    %s: joined at %.0f s, ttff %.2f s, %d stalls, %.1f s stalled", x.Class, x.Join, x.TTFF, x.Stalls, x.Stalled)
	}
	fmt.Fprintf(w, "\n  uploading viewers with their uplink in full use: %.0f%% (mean over steps)\n", 100*d.SaturatedUploaders)
}
