package remote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/edge"
	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/tracker"
	"github.com/jonboulle/clockwork"
)

// ErrNoIRChip wraps the error of a GPIO chip or line that does not exist
// (a desktop, or a box without the receiver): IR is then off, not retried.
var ErrNoIRChip = errors.New("no such GPIO chip or line")

// EdgeIR is the IR receiver on a GPIO line: gpio/edge's source (kernel
// timestamped edges) → every gpio/ir decoder → gpio/tracker.
type EdgeIR struct {
	conf IRConfig
	file edge.EventFile // set: read this instead of requesting the line
	opt  edge.Options
}

// EdgeIRFile is the same IR path reading an already open event file: a
// requested line, or a fake or capture (with opt.Replay) in tests.
func EdgeIRFile(f edge.EventFile, opt edge.Options) IRSource {
	return EdgeIR{file: f, opt: opt}
}

// OpenEdgeIR checks that conf's chip exists and returns its IR source; the
// line itself is requested by Run (and released when Run returns).
func OpenEdgeIR(conf IRConfig) (IRSource, error) {
	chips, err := edge.Chips("")
	if err != nil {
		return nil, err
	}
	if len(chips) == 0 {
		return nil, fmt.Errorf("%w: no /dev/gpiochip*", ErrNoIRChip)
	}
	return EdgeIR{conf: conf}, nil
}

// Run implements IRSource.
func (e EdgeIR) Run(ctx context.Context, frame func(ir.Frame, time.Time), key func(tracker.Event, time.Time)) error {
	f, opt := e.file, e.opt
	if f == nil {
		lf, chip, err := edge.Open(edge.Line{Chip: e.conf.Chip, Offset: e.conf.Line, Consumer: "atomicbox-ir"})
		if err != nil {
			if chip.Path == "" {
				return fmt.Errorf("%w: %v", ErrNoIRChip, err)
			}
			return err
		}
		f, opt = lf, edge.Options{ActiveHigh: e.conf.ActiveHigh}
	}
	src := edge.NewSource(f, opt)
	p := edge.NewPipeline(tracker.Config{}, func(ev tracker.Event) { key(ev, src.Wall(ev.At)) })
	p.OnFrame = func(fr ir.Frame) { frame(fr, src.Wall(fr.At)) }
	err := src.Run(ctx, p)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// FramesIR adapts a source of bare decoded frames (a replay, a test, a
// receiver that decodes in hardware) to IRSource: it times each frame on
// arrival with Clock and runs a tracker with the default timings.
type FramesIR struct {
	// Frames delivers frames in order, from one goroutine, until ctx ends.
	Frames func(ctx context.Context, emit func(ir.Frame)) error
	Clock  clockwork.Clock // nil: real clock
}

// Run implements IRSource.
func (s FramesIR) Run(ctx context.Context, frame func(ir.Frame, time.Time), key func(tracker.Event, time.Time)) error {
	clock := s.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	frames := make(chan ir.Frame, 64)
	srcErr := make(chan error, 1)
	go func() {
		srcErr <- s.Frames(ctx, func(f ir.Frame) {
			select {
			case frames <- f:
			case <-ctx.Done():
			}
		})
	}()
	epoch := clock.Now()
	tr := tracker.New(tracker.Config{})
	emit := func(evs []tracker.Event) {
		for _, e := range evs {
			key(e, epoch.Add(e.At))
		}
	}
	timer := clock.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-srcErr:
			if ctx.Err() != nil {
				return nil
			}
			if err == nil {
				err = errors.New("frame source ended")
			}
			return err
		case f := <-frames:
			now := clock.Now()
			f.At = now.Sub(epoch)
			frame(f, now)
			emit(tr.Frame(f))
		case <-timer.Chan():
			emit(tr.Advance(clock.Since(epoch)))
		}
		timer.Stop()
		if d, ok := tr.Deadline(); ok {
			timer.Reset(max(d-clock.Since(epoch), 0))
		}
	}
}
