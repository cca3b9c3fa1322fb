package sim

import (
	"math"
	"slices"
)

// The link model. Rates are bytes per second, times seconds.
//
//   - A sender's capacity (a box's uplink, the origin) is shared alike
//     between the flows it serves that want data (anacrolix v1.61 serves
//     each connection's requests in random order and chokes nobody; the
//     origin is plain HTTP over TCP), each flow also bounded by the
//     receiver's share of its downlink: waterFill.
//   - A peer connection's request window starts at one 16 KiB chunk when
//     the connection has nothing outstanding and doubles every round trip
//     while it keeps something outstanding, up to 963 chunks (anacrolix's
//     max(1, min(reqq, 2*peakRequests, 963))): windowRate.

// chunk is a BitTorrent request's size in bytes.
const chunk = 16 << 10

// maxWindow is anacrolix's largest request window, in chunks.
const maxWindow = 963

// windowRate is the most a connection can carry (bytes/s) when its flow
// has been going for active seconds over a round trip of rtt seconds:
// 2^floor(active/rtt) chunks per round trip, at most maxWindow. Before
// the first round trip ends nothing has arrived yet (active < 0 gives 0).
func windowRate(active, rtt float64) float64 {
	if active < 0 {
		return 0
	}
	if rtt <= 0 {
		return math.Inf(1)
	}
	w := math.Min(math.Exp2(math.Floor(active/rtt)), maxWindow)
	return w * chunk / rtt
}

// waterFill shares capacity between flows with the given caps (max-min
// fairness): every flow gets the same rate except those capped lower,
// whose unused share goes to the others. It writes each flow's rate to
// out (len(caps)) and returns the total allocated. caps may be +Inf.
func waterFill(capacity float64, caps, out []float64) float64 {
	n := len(caps)
	if n == 0 || capacity <= 0 {
		for i := range out {
			out[i] = 0
		}
		return 0
	}
	// Fast path: the equal share fits under every cap (the common case
	// for a crowded origin).
	share := capacity / float64(n)
	if slices.Min(caps) >= share {
		for i := range out {
			out[i] = share
		}
		return capacity
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case caps[a] < caps[b]:
			return -1
		case caps[a] > caps[b]:
			return 1
		}
		return a - b
	})
	left, total := capacity, 0.0
	for k, i := range idx {
		share := left / float64(n-k)
		r := math.Min(caps[i], share)
		out[i] = r
		left -= r
		total += r
	}
	return total
}
