package edge

import (
	"context"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/tracker"
)

// Pipeline is the Sink that decodes pulses and tracks keys: Source →
// ir.Decoder → tracker.Tracker → Emit. Not safe for concurrent use (a
// Source calls it from Run's goroutine).
type Pipeline struct {
	Decoder ir.Decoder
	Tracker *tracker.Tracker
	// OnFrame, if set, sees every decoded frame (learning a remote).
	OnFrame func(ir.Frame)
	// Emit receives key events; it must not block for long.
	Emit func(tracker.Event)
}

// NewPipeline returns a pipeline with every decoder and a tracker with cfg.
func NewPipeline(cfg tracker.Config, emit func(tracker.Event)) *Pipeline {
	return &Pipeline{Decoder: ir.NewDecoder(), Tracker: tracker.New(cfg), Emit: emit}
}

func (p *Pipeline) emit(evs []tracker.Event) {
	for _, e := range evs {
		p.Emit(e)
	}
}

// Pulse implements Sink.
func (p *Pipeline) Pulse(pl ir.Pulse, end time.Duration) {
	if f, ok := p.Decoder.Feed(pl); ok {
		if p.OnFrame != nil {
			p.OnFrame(f)
		}
		p.emit(p.Tracker.Frame(f))
	}
	p.Tick(end)
}

// Lost implements Sink: the frame in progress is dropped.
func (p *Pipeline) Lost(time.Duration) { p.Decoder.Reset() }

// Tick implements Sink.
func (p *Pipeline) Tick(now time.Duration) { p.emit(p.Tracker.Advance(now)) }

// Deadline implements Sink.
func (p *Pipeline) Deadline() (time.Duration, bool) { return p.Tracker.Deadline() }

// Wall converts a time on the source's clock (since its first edge) to wall
// time, for key events. It is the zero time before the first edge and for
// replays. Call it from the Emit callback (the same goroutine as Run).
func (s *Source) Wall(at time.Duration) time.Time {
	if !s.started || s.opt.Replay {
		return time.Time{}
	}
	return time.Now().Add(s.epoch + at - s.opt.Now())
}

// Run reads IR edges from f and calls emit with every key event and its
// wall time (zero for replays), until ctx ends, f ends or a read fails (see
// Source.Run). It owns and closes f. This is the whole IR path: the daemon
// maps ev.Code to a key and sends it on.
func Run(ctx context.Context, f EventFile, opt Options, cfg tracker.Config, emit func(ev tracker.Event, wall time.Time)) (Stats, error) {
	src := NewSource(f, opt)
	p := NewPipeline(cfg, func(ev tracker.Event) { emit(ev, src.Wall(ev.At)) })
	err := src.Run(ctx, p)
	return src.Stats(), err
}
