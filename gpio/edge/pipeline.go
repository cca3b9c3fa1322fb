package edge

import (
	"context"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/tracker"
)

// Pipeline is the Sink that decodes pulses and tracks keys: Source →
// ir.Decoder → tracker.Tracker → Emit. If the decoder is an ir.Early one,
// the pipeline asks the source (through Deadline and Tick) to wake it while
// the space after a frame's last mark is still going on, so such a frame is
// decided then, not when the space ends. Not safe for concurrent use (a
// Source calls it from Run's goroutine).
type Pipeline struct {
	Decoder ir.Decoder
	Tracker *tracker.Tracker
	// OnFrame, if set, sees every decoded frame (learning a remote).
	OnFrame func(ir.Frame)
	// Emit receives key events; it must not block for long.
	Emit func(tracker.Event)

	markEnd time.Duration // end of the last mark fed
	inSpace bool          // the line has been a space since markEnd
	asked   time.Duration // the last space length Quiet was told of
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

func (p *Pipeline) frame(f ir.Frame) {
	if p.OnFrame != nil {
		p.OnFrame(f)
	}
	p.emit(p.Tracker.Frame(f))
}

// quiet tells an Early decoder that the space after the last mark has
// lasted d, at each of its Wait points up to d.
func (p *Pipeline) quiet(d time.Duration) {
	e, ok := p.Decoder.(ir.Early)
	if !ok || !p.inSpace {
		return
	}
	for {
		w, ok := e.Wait()
		if !ok || w > d || w <= p.asked {
			return
		}
		p.asked = w
		if f, ok := e.Quiet(w); ok {
			p.frame(f)
		}
	}
}

// Pulse implements Sink.
func (p *Pipeline) Pulse(pl ir.Pulse, end time.Duration) {
	if !pl.Level {
		// What a live source saw as the space went on, if it did not
		// wake in time (or replays).
		p.quiet(pl.Duration)
	}
	if f, ok := p.Decoder.Feed(pl); ok {
		p.frame(f)
	}
	p.inSpace, p.asked = pl.Level, -1
	if pl.Level {
		p.markEnd = end
	}
	p.Tick(end)
}

// Lost implements Sink: the frame in progress is dropped.
func (p *Pipeline) Lost(time.Duration) {
	p.Decoder.Reset()
	p.inSpace = false
}

// Tick implements Sink.
func (p *Pipeline) Tick(now time.Duration) {
	if p.inSpace && now > p.markEnd {
		p.quiet(now - p.markEnd)
	}
	p.emit(p.Tracker.Advance(now))
}

// Deadline implements Sink: the tracker's next deadline, or sooner the
// moment the space after the last mark reaches the decoder's Wait.
func (p *Pipeline) Deadline() (time.Duration, bool) {
	d, ok := p.Tracker.Deadline()
	if e, isEarly := p.Decoder.(ir.Early); isEarly && p.inSpace {
		if w, wok := e.Wait(); wok && w > p.asked && (!ok || p.markEnd+w < d) {
			d, ok = p.markEnd+w, true
		}
	}
	return d, ok
}

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
