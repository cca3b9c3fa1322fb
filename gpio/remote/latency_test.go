package remote

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/edge"
	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/irtest"
	"github.com/atomicnetwork/atomicbox/gpio/keymap"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	pir "periph.io/x/conn/v3/ir"
)

// latencyCases are the protocols measured end to end, each with two codes
// pressed alternately (so every frame is a new press) and the wait the
// decoder needs after the frame's last edge before it can decide.
var latencyCases = []struct {
	reason string
	proto  ir.Protocol
	a, b   uint32
	decide time.Duration // the decoder's own wait after the last edge
}{
	{"NEC: decided on the stop mark", ir.NEC, 0x0043, 0x0044, 0},
	{"NECX: decided on the stop mark", ir.NECX, 0x7b8012, 0x7b8013, 0},
	{"NEC32: decided on the stop mark", ir.NEC32, 0x87ee0a05, 0x87ee0a06, 0},
	{"Samsung32: decided on the stop mark", ir.Samsung32, 0x0768, 0x0760, 0},
	{"RC-5: decided on the last mark", ir.RC5, 0x0010, 0x0011, 0},
	{"RC-6 mode 0: decided on the last mark", ir.RC6_0, 0x800f, 0x8010, 0},
	{"RC-6 MCE: decided on the last mark", ir.RC6_MCE, 0x800f0422, 0x800f041e, 0},
	{"Sony 12: decided 950 us into the gap, on the confirming copy", ir.SIRC12, 0x010015, 0x010016, 950 * time.Microsecond},
	{"Sony 15: decided 950 us into the gap, on the confirming copy", ir.SIRC15, 0x970034, 0x970035, 950 * time.Microsecond},
	{"Sony 20: decided 950 us into the gap of the first copy", ir.SIRC20, 0x1a4b2c, 0x1a4b2d, 950 * time.Microsecond},
}

// latencyRig is the daemon's IR path on a fake GPIO character device: a
// pipe fed gpio_v2_line_event records → gpio/edge source (live, with read
// deadlines) → gpio/ir → gpio/tracker → keymap → a channel sink (the daemon's key bus is a channel send too).
type latencyRig struct {
	wr     *os.File
	r      *Remote
	sub    <-chan keys.Event
	base   time.Time
	skew   atomic.Int64 // virtual time added to the clock between presses
	seq    uint32
	end    time.Duration // the previous train's last edge
	cancel context.CancelFunc
	done   chan error
}

// now is the fake CLOCK_MONOTONIC: real time since base, plus skew. Both
// the event timestamps and the source's clock read it, so "now" for the
// kernel is now for the source.
func (g *latencyRig) now() time.Duration {
	return time.Since(g.base) + time.Duration(g.skew.Load())
}

func newLatencyRig(tb testing.TB) *latencyRig {
	tb.Helper()
	rd, wr, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	g := &latencyRig{wr: wr, base: time.Now(), done: make(chan error, 1)}
	sink := make(chanSink, 64)
	r, err := New(Config{
		IR:     &IRConfig{Line: edge.DefaultLine},
		OpenIR: func(IRConfig) (IRSource, error) { return EdgeIRFile(rd, edge.Options{Now: g.now}), nil },
		Sink:   sink,
	})
	if err != nil {
		tb.Fatal(err)
	}
	g.r = r
	var entries []keymap.Entry
	for _, c := range latencyCases {
		entries = append(entries,
			keymap.Entry{Protocol: c.proto, Scancode: keymap.Scancode(c.a), Key: pir.KEY_OK},
			keymap.Entry{Protocol: c.proto, Scancode: keymap.Scancode(c.b), Key: pir.KEY_UP})
	}
	if err := r.Keymap().SetMap(keymap.Map{Name: "latency", Entries: entries}); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	g.sub = sink
	go func() { g.done <- r.Run(ctx) }()
	return g
}

func (g *latencyRig) close(tb testing.TB) {
	g.cancel()
	if err := <-g.done; err != nil {
		tb.Errorf("Run: %v", err)
	}
	g.wr.Close()
}

// press sends one key press of proto and returns the time from writing the
// record of the train's last edge to the key arriving on the subscriber.
// The train (a frame; for Sony 12 and 15 two copies, as the decoder waits
// for the confirming copy) is written as the kernel queues it: every edge
// but the last at once, timestamped so the one before the last is "now";
// then, when the last mark has lasted its length, the last edge.
func (g *latencyRig) press(proto ir.Protocol, code uint32, toggle bool, key pir.Key) (time.Duration, error) {
	frame, err := ir.Encode(proto, code, toggle)
	if err != nil {
		return 0, err
	}
	train := frame
	if proto == ir.SIRC12 || proto == ir.SIRC15 {
		train = append(append(append([]ir.Pulse(nil), frame...), ir.Pulse{Duration: ir.Period(proto) - irtest.Length(frame)}), frame...)
	}
	lastMark := train[len(train)-1].Duration
	length := irtest.Length(train)
	// 20 ms of quiet line since the previous train: jump the clock rather
	// than wait for it.
	if ahead := g.end + 20*time.Millisecond + length - lastMark - g.now(); ahead > 0 {
		g.skew.Add(int64(ahead))
	}
	start := g.now() - (length - lastMark)
	evs := edge.EventsFromPulses(train, start, g.seq, edge.DefaultLine, false)
	g.seq += uint32(len(evs))
	if err := edge.WriteEvents(g.wr, evs[:len(evs)-1]); err != nil {
		return 0, err
	}
	// Spin (a sleep would overshoot) until the last mark has lasted its
	// length; the kernel stamps the edge then, and it is read at once.
	last := evs[len(evs)-1]
	g.end = time.Duration(last.TimestampNs)
	for g.now() < g.end {
	}
	t0 := time.Now()
	if err := edge.WriteEvents(g.wr, []edge.LineEvent{last}); err != nil {
		return 0, err
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-g.sub:
			if ev.Action != keys.Press {
				continue // the previous key's release
			}
			lat := time.Since(t0)
			if ev.Key != key || ev.Source != keys.SourceIR {
				return lat, fmt.Errorf("%s %#x: got %+v, want %s press", proto, code, ev, key)
			}
			return lat, nil
		case <-timeout:
			return 0, fmt.Errorf("%s %#x: no key within 5 s", proto, code)
		}
	}
}

// measure presses n keys of case c and returns the latencies.
func (g *latencyRig) measure(c int, n int) ([]time.Duration, error) {
	lc := latencyCases[c]
	lat := make([]time.Duration, 0, n)
	for i := range n {
		code, key := lc.a, pir.KEY_OK
		if i%2 == 1 {
			code, key = lc.b, pir.KEY_UP
		}
		d, err := g.press(lc.proto, code, ir.HasToggle(lc.proto) && i%4 >= 2, key)
		if err != nil {
			return lat, err
		}
		lat = append(lat, d)
	}
	return lat, nil
}

// TestEndToEndLatency measures, per protocol, the time from the kernel
// record of a frame's last edge being written to the GPIO character device
// (a pipe here) to the key arriving on the daemon's key stream (a channel sink here), through the real IR path of gpio/remote. Issue 5's target is
// under 5 ms. Only Sony waits, 950 us into the gap (a read deadline; Go's
// netpoller sleeps at least a millisecond, so it fires at about 1.05 ms); the
// rest is the pipe, goroutine wake-ups and the path's work, tens of
// microseconds on an idle machine. The assertions: p50 under 5 ms (the
// target; a frame waiting for the idle line or for another copy would be
// 10 or 45 ms) and p95 under 50 ms. p99 is logged, not asserted: on this
// shared 2-core machine, at load averages of 15 to 50 from other work, a
// timer wake-up was seen to stall for 190 ms.
func TestEndToEndLatency(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 40
	}
	g := newLatencyRig(t)
	defer g.close(t)
	t.Logf("%-10s %5s %9s %9s %9s %9s  %s", "protocol", "n", "p50", "p95", "p99", "max", "decision")
	for i, c := range latencyCases {
		lat, err := g.measure(i, n)
		if err != nil {
			t.Errorf("%s: %v", c.reason, err)
			continue
		}
		p50, p95, p99 := percentile(lat, 50), percentile(lat, 95), percentile(lat, 99)
		t.Logf("%-10s %5d %9v %9v %9v %9v  %s", c.proto, len(lat), p50.Round(time.Microsecond), p95.Round(time.Microsecond),
			p99.Round(time.Microsecond), percentile(lat, 100).Round(time.Microsecond), c.reason)
		if c.proto == ir.SIRC12 || c.proto == ir.SIRC15 {
			t.Logf("%-10s       from the first copy's last edge, one period (%v) more: p50 %v", c.proto, ir.Period(c.proto), (p50 + ir.Period(c.proto)).Round(time.Microsecond))
		}
		if p50 < c.decide {
			t.Errorf("%s: p50 %v is shorter than the decoder's wait %v: the key came before the frame was decidable", c.proto, p50, c.decide)
		}
		if p50 >= 5*time.Millisecond {
			t.Errorf("%s: p50 %v, want under 5 ms", c.proto, p50)
		}
		if p95 >= 50*time.Millisecond {
			t.Errorf("%s: p95 %v, want under 50 ms (the 5 ms target plus a margin for a loaded machine)", c.proto, p95)
		}
	}
}

// BenchmarkEndToEnd reports the same latency as TestEndToEndLatency, b.N
// presses per protocol, as p50/p95/p99 metrics (ns/op is the wall time of
// a press, mostly the last mark and the latency).
func BenchmarkEndToEnd(b *testing.B) {
	for i, c := range latencyCases {
		b.Run(string(c.proto), func(b *testing.B) {
			g := newLatencyRig(b)
			defer g.close(b)
			b.ResetTimer()
			lat, err := g.measure(i, b.N)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(percentile(lat, 50).Microseconds()), "p50-us")
			b.ReportMetric(float64(percentile(lat, 95).Microseconds()), "p95-us")
			b.ReportMetric(float64(percentile(lat, 99).Microseconds()), "p99-us")
		})
	}
}
