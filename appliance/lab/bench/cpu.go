package bench

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/lab/procstat"
)

// MinCPUIdle is the least machine-wide CPU idle share, in any one second of
// the crowd phase, for a run's figures to count. Below it the boxes, the
// players and the kernel's link shaping wait for the CPU, and the figures
// measure the machine rather than the swarm: a 30-box crowd read ttff p95
// 18.7 s while builds loaded the machine (load 68) and 0.79 s alone.
const MinCPUIdle = 0.15

// CPUWatch samples the machine's CPU idle share at a fixed interval from
// a /proc/stat file until Stop. Create it with WatchCPU.
type CPUWatch struct {
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	samples []float64
	err     error
}

// WatchCPU starts sampling path (normally /proc/stat) every interval, in
// a goroutine of its own, until Stop.
func WatchCPU(path string, every time.Duration) *CPUWatch {
	w := &CPUWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go w.run(path, every)
	return w
}

func (w *CPUWatch) run(path string, every time.Duration) {
	defer close(w.done)
	prev, err := procstat.ReadMachineCPU(path)
	if err != nil {
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		cur, err := procstat.ReadMachineCPU(path)
		w.mu.Lock()
		if err != nil {
			w.err = err
		} else if idle := procstat.IdleShare(prev, cur); !math.IsNaN(idle) {
			w.samples = append(w.samples, idle)
		}
		w.mu.Unlock()
		if err == nil {
			prev = cur
		}
	}
}

// Stop ends sampling and returns what was seen. Call it once.
func (w *CPUWatch) Stop() CPUReport {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	r := CPUReport{Samples: w.samples, Min: math.NaN(), Mean: math.NaN()}
	if w.err != nil {
		r.Err = w.err.Error()
	}
	if len(w.samples) > 0 {
		r.Min, r.Mean = 1, 0
		for _, s := range w.samples {
			r.Min = min(r.Min, s)
			r.Mean += s / float64(len(w.samples))
		}
	}
	return r
}

// CPUReport is the machine's CPU idle share through a phase.
type CPUReport struct {
	Samples   []float64 // idle share (0..1) of each interval
	Min, Mean float64   // NaN without samples
	Err       string    // a reading that failed, if any
}

// Invalid says why a phase's figures cannot be trusted ("" when they can):
// the machine was short of CPU in some interval, or it was not measured.
func (r CPUReport) Invalid() string {
	switch {
	case r.Err != "":
		return "CPU idle not measured: " + r.Err
	case len(r.Samples) == 0:
		return "CPU idle not measured: no sample"
	case r.Min < MinCPUIdle:
		return fmt.Sprintf("CPU idle fell to %.0f%% (under %.0f%%) in the crowd phase: the machine, not the swarm, was measured", 100*r.Min, 100*MinCPUIdle)
	}
	return ""
}
