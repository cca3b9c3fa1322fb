package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
)

// EventFile is a requested line's file descriptor: reads return whole
// gpio_v2_line_event records. *os.File from Open is one; tests use the read
// end of an os.Pipe as a fake character device.
type EventFile interface {
	Read(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
	Close() error
}

// DefaultIdle is how long the line must stay quiet before the space that
// ends a frame is passed on: longer than any space inside a frame (NEC's
// 4.5 ms header space), long enough for every decoder's trailer rule. Key
// presses do not wait for it: decoders decide on a frame's last mark, or
// (ir.Early, through Pipeline's Deadline) part way into the gap after it.
const DefaultIdle = 10 * time.Millisecond

// Options configure a Source.
type Options struct {
	// ActiveHigh says the receiver drives the line high during a mark.
	// Demodulating receivers (TSOP38238 and kin) are active low: false.
	ActiveHigh bool
	// Idle is the quiet time after which the trailing space is reported
	// (DefaultIdle if zero).
	Idle time.Duration
	// Now reads the events' clock (CLOCK_MONOTONIC, as a Duration since
	// boot). nil means the real clock; Replay ignores it.
	Now func() time.Duration
	// Replay drives time by event timestamps alone: reads never time out,
	// and at end of file every pending timeout fires. For captures.
	Replay bool
	// Record, if set, receives every pulse (see PulseWriter).
	Record *PulseWriter
}

// Stats counts what a Source saw.
type Stats struct {
	Events  uint64 // edges read
	Dropped uint64 // edges the kernel dropped (sequence number gaps)
	Resets  uint64 // decoder resets after drops
	Pulses  uint64
}

// Source turns a line's edge events into pulses. Not safe for concurrent
// use, except Stats.
type Source struct {
	f   EventFile
	opt Options

	buf     []byte
	started bool
	epoch   time.Duration // timestamp of the first edge: the pulses' time 0
	last    time.Duration // time of the last edge, since epoch
	level   bool          // level since the last edge (true = mark)
	idled   bool          // the trailing space was reported already
	seq     uint32        // last line sequence number

	mu    sync.Mutex
	stats Stats
}

// NewSource reads events from f (which it owns and closes in Run).
func NewSource(f EventFile, opt Options) *Source {
	if opt.Idle <= 0 {
		opt.Idle = DefaultIdle
	}
	if opt.Now == nil {
		opt.Now = monotonic
	}
	return &Source{f: f, opt: opt, buf: make([]byte, 256*lineEventSize)}
}

// Stats returns the counters so far. Safe for concurrent use.
func (s *Source) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Sink receives what a Source produces, in time order. Times are on the
// source's clock: since the first edge.
type Sink interface {
	// Pulse is a completed pulse ending at end.
	Pulse(p ir.Pulse, end time.Duration)
	// Lost says edges were dropped before the edge at t: reset decoders.
	Lost(t time.Duration)
	// Tick says time reached now with nothing else to report.
	Tick(now time.Duration)
	// Deadline is the next time the sink wants a Tick, if any.
	Deadline() (time.Duration, bool)
}

// Run reads until ctx ends (returning ctx.Err()), the file ends (returning
// nil after flushing every timeout) or a read fails. It blocks; it closes
// the file when it returns.
func (s *Source) Run(ctx context.Context, sink Sink) error {
	var mu sync.Mutex
	done := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		done = true
		mu.Unlock()
		s.f.SetReadDeadline(time.Unix(1, 0)) // wake a blocked read
	})
	defer stop()
	defer s.f.Close()
	have := 0 // bytes of a partial record carried over
	for {
		mu.Lock()
		if done {
			mu.Unlock()
			return ctx.Err()
		}
		wake, timed := s.wake(sink)
		var dl time.Time
		if timed && !s.opt.Replay {
			dl = time.Now().Add(wake - (s.opt.Now() - s.epoch))
		}
		err := s.f.SetReadDeadline(dl)
		mu.Unlock()
		if err != nil && !errors.Is(err, os.ErrNoDeadline) {
			return fmt.Errorf("set read deadline: %w", err)
		}
		n, err := s.f.Read(s.buf[have:])
		n += have
		whole := n - n%lineEventSize
		for off := 0; off < whole; off += lineEventSize {
			e, perr := parseEvent(s.buf[off : off+lineEventSize])
			if perr != nil {
				return perr
			}
			s.event(e, sink)
		}
		have = copy(s.buf, s.buf[whole:n])
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if s.started {
				s.advance(s.opt.Now()-s.epoch, sink)
			}
		case errors.Is(err, io.EOF):
			if have != 0 {
				return fmt.Errorf("gpio line: %d bytes of a partial event at end of file", have)
			}
			s.flush(sink)
			return nil
		default:
			return fmt.Errorf("read gpio line events: %w", err)
		}
	}
}

// wake is the next time something is due: the idle timeout or the sink's.
func (s *Source) wake(sink Sink) (time.Duration, bool) {
	w, ok := sink.Deadline()
	if s.started && !s.level && !s.idled {
		if t := s.last + s.opt.Idle; !ok || t < w {
			w, ok = t, true
		}
	}
	return w, ok
}

// advance fires the idle timeout and the sink's deadlines up to now.
func (s *Source) advance(now time.Duration, sink Sink) {
	s.idle(now, sink)
	sink.Tick(now)
}

// idle reports the trailing space if the line has been quiet for Idle by now.
func (s *Source) idle(now time.Duration, sink Sink) {
	if !s.level && !s.idled && now >= s.last+s.opt.Idle {
		s.idled = true
		s.emit(ir.Pulse{Level: false, Duration: s.opt.Idle}, s.last+s.opt.Idle, sink)
	}
}

// flush fires every pending timeout (end of a capture).
func (s *Source) flush(sink Sink) {
	if !s.started {
		return
	}
	s.advance(s.last+s.opt.Idle, sink)
	for {
		d, ok := sink.Deadline()
		if !ok {
			return
		}
		sink.Tick(d)
	}
}

func (s *Source) emit(p ir.Pulse, end time.Duration, sink Sink) {
	s.mu.Lock()
	s.stats.Pulses++
	s.mu.Unlock()
	if s.opt.Record != nil {
		s.opt.Record.Write(p) // errors surface from PulseWriter.Flush
	}
	sink.Pulse(p, end)
}

// event handles one edge.
func (s *Source) event(e LineEvent, sink Sink) {
	mark := e.ID == EventFalling
	if s.opt.ActiveHigh {
		mark = !mark
	}
	s.mu.Lock()
	s.stats.Events++
	lost := s.started && e.LineSeqno != s.seq+1
	if lost && e.LineSeqno > s.seq {
		s.stats.Dropped += uint64(e.LineSeqno - s.seq - 1)
	}
	if lost {
		s.stats.Resets++
	}
	s.mu.Unlock()
	s.seq = e.LineSeqno
	ts := time.Duration(e.TimestampNs)
	if !s.started {
		s.started, s.epoch, s.last, s.level, s.idled = true, ts, 0, mark, false
		return
	}
	t := ts - s.epoch
	if t < s.last { // the clock went backwards: never, but do not emit negatives
		t = s.last
	}
	// Only the idle timeout first: the sink's deadlines up to t wait until
	// the pulse ending at t is decoded, since a frame it completes ends
	// before them.
	s.idle(t, sink)
	from := s.last
	if s.idled {
		from += s.opt.Idle
	}
	if lost {
		// What happened between is unknown: keep the clock, drop the frame.
		if t > from {
			s.emit(ir.Pulse{Level: false, Duration: t - from}, t, sink)
		}
		sink.Lost(t)
	} else if t > from {
		s.emit(ir.Pulse{Level: s.level, Duration: t - from}, t, sink)
	}
	sink.Tick(t)
	s.last, s.level, s.idled = t, mark, false
}
