// Package bench measures what a viewer of an atomicbox sees: simulated players
// that read a stream as mpv would, the flash-crowd scenario around them
// (network namespaces with shaped links, one daemon process per box) and the
// figures the benchmark prints.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// PlayerConfig is the player model. It follows mpv as the TV runs it
// (ui/mpv.Options: cache on, cache-pause-initial left at its default, no):
// the demuxer cache reads ahead as fast as the data comes up to MaxAhead
// bytes, playback starts with the first frame, once StartBuffer of media
// has arrived, and after the buffer runs dry it pauses until ResumeBuffer
// is buffered again (mpv's cache-pause-wait is 1 s). Media is consumed at a
// constant bit rate.
type PlayerConfig struct {
	BytesPerSecond float64       // playback rate in bytes of the stream per second of media
	StartBuffer    time.Duration // media buffered before the first frame
	ResumeBuffer   time.Duration // media buffered before playback resumes after a stall
	MaxAhead       int64         // bytes read ahead of the playhead at most; 0 means unlimited
}

// DefaultPlayer returns the player model for a stream of bitsPerSecond.
//
// StartBuffer was measured (2026-11-25) with mpv 0.35 and the TV's cache
// options reading a 30 s 1920x1080 H.264 + AAC file at 7.9 Mbit/s (2 s GOP,
// faststart) from an HTTP server paced at 0.5, 1 and 6 MB/s: the first
// frame was shown after 360 to 410 KB had arrived, 0.36 to 0.41 s of media,
// whatever the pace; mpv does not wait for a buffer before it starts
// (cache-pause-initial=no). Until then the model started at 2 s buffered,
// which no part of the product does.
func DefaultPlayer(bitsPerSecond float64) PlayerConfig {
	return PlayerConfig{
		BytesPerSecond: bitsPerSecond / 8,
		StartBuffer:    400 * time.Millisecond,
		ResumeBuffer:   1 * time.Second,
		MaxAhead:       64 << 20, // demuxer-max-bytes as the TV sets it
	}
}

// PlayResult is what one viewer experienced.
type PlayResult struct {
	Started    bool          // the first frame was shown
	TTFF       time.Duration // request to first frame; the elapsed time when !Started
	Stalls     int           // rebuffering events after the first frame
	Stalled    time.Duration // time spent rebuffering after the first frame
	Played     time.Duration // media time played
	Bytes      int64         // bytes received
	Complete   bool          // every byte of the stream arrived
	Err        string        // why the read ended early, if it did
	FinishedAt time.Duration // when the player stopped reading, from the request
	Joined     time.Duration // when the viewer started, from the crowd's start (Watch)
	LastStall  time.Duration // when the last stall began, from the request (0: none)
	// Seconds holds, for each whole second from the request until the
	// player stopped reading, the bytes that arrived in it and the bytes
	// the picture consumed in it (Flow compares them across a crowd).
	Seconds []SecondFlow
}

// SecondFlow is one second of a playback: bytes received, bytes played,
// and the media buffered at its end (received and not yet played).
type SecondFlow struct {
	Received, Consumed int64
	Buffered           time.Duration
}

// RebufferRatio is stalled time over stalled plus played time.
func (r PlayResult) RebufferRatio() float64 {
	total := r.Stalled + r.Played
	if total <= 0 {
		return 0
	}
	return r.Stalled.Seconds() / total.Seconds()
}

// Playback is the player's clock-driven state, fed with arrival events. It
// is a pure state machine (no clock of its own) so that it can be tested
// with exact times. Not safe for concurrent use.
type Playback struct {
	cfg   PlayerConfig
	size  int64
	start time.Time

	have      int64     // bytes arrived
	playing   bool      // the playhead moves
	posAt     time.Time // when pos was last set
	pos       float64   // playhead in bytes at posAt
	stalledAt time.Time // when the current stall began
	res       PlayResult

	// Per-second accounting (sampleUntil): the bytes held and the playhead
	// at the last whole second recorded.
	flowHave int64
	flowPos  float64
}

// NewPlayback starts a playback of a stream of size bytes, requested at start.
func NewPlayback(cfg PlayerConfig, size int64, start time.Time) *Playback {
	return &Playback{cfg: cfg, size: size, start: start}
}

// Position returns the playhead in bytes at t (not before the last event).
func (p *Playback) Position(t time.Time) float64 {
	if !p.playing {
		return p.pos
	}
	pos := p.pos + p.cfg.BytesPerSecond*t.Sub(p.posAt).Seconds()
	if pos > float64(p.have) {
		pos = float64(p.have)
	}
	return pos
}

// Arrive records that the stream holds total bytes at time t. Calls must
// have non-decreasing t and total.
func (p *Playback) Arrive(t time.Time, total int64) {
	p.sampleUntil(t)
	p.advance(t)
	p.have = total
	if !p.playing {
		p.maybeStart(t)
	}
}

// advance moves the playhead to t with the bytes held before t, entering a
// stall if the playhead caught up with them.
func (p *Playback) advance(t time.Time) {
	if !p.playing {
		return
	}
	if p.have >= p.size {
		return // nothing more can stall; Finish accounts the rest
	}
	pos := p.pos + p.cfg.BytesPerSecond*t.Sub(p.posAt).Seconds()
	if pos <= float64(p.have) {
		return // the data came in time
	}
	// Ran dry at the moment the playhead reached p.have.
	dry := p.posAt.Add(secs((float64(p.have) - p.pos) / p.cfg.BytesPerSecond))
	p.res.Played += dry.Sub(p.posAt)
	p.pos = float64(p.have)
	p.posAt = dry
	p.playing = false
	p.stalledAt = dry
	p.res.Stalls++
	p.res.LastStall = dry.Sub(p.start)
}

func (p *Playback) maybeStart(t time.Time) {
	need := p.cfg.StartBuffer
	if p.res.Started {
		need = p.cfg.ResumeBuffer
	}
	buffered := float64(p.have) - p.pos
	if buffered < p.cfg.BytesPerSecond*need.Seconds() && p.have < p.size {
		return
	}
	if !p.res.Started {
		p.res.Started = true
		p.res.TTFF = t.Sub(p.start)
	} else {
		p.res.Stalled += t.Sub(p.stalledAt)
	}
	p.playing = true
	p.posAt = t
}

// Finish ends the playback at t: when the whole stream has arrived the rest
// plays without stalls (it is accounted without waiting for it); otherwise
// an ongoing stall or startup is counted up to t.
func (p *Playback) Finish(t time.Time, err error) PlayResult {
	p.sampleUntil(t)
	p.advance(t)
	res := p.res
	res.Bytes = p.have
	res.Complete = p.have >= p.size
	res.FinishedAt = t.Sub(p.start)
	if err != nil {
		res.Err = err.Error()
	}
	switch {
	case !res.Started:
		res.TTFF = t.Sub(p.start)
	case p.playing && res.Complete:
		res.Played += secs((float64(p.size) - p.pos) / p.cfg.BytesPerSecond)
	case p.playing:
		res.Played += t.Sub(p.posAt)
	default:
		res.Stalled += t.Sub(p.stalledAt)
	}
	return res
}

// sampleUntil records every whole second since the request that ended at
// or before t and is not recorded yet, with the state of before t's event
// (bytes held; the playhead, which moves linearly and stops at what is
// held, so Position is exact at any time since the last event).
func (p *Playback) sampleUntil(t time.Time) {
	for {
		end := p.start.Add(time.Duration(len(p.res.Seconds)+1) * time.Second)
		if end.After(t) {
			return
		}
		pos := p.Position(end)
		p.res.Seconds = append(p.res.Seconds, SecondFlow{
			Received: p.have - p.flowHave,
			Consumed: int64(pos) - int64(p.flowPos),
			Buffered: secs((float64(p.have) - pos) / p.cfg.BytesPerSecond),
		})
		p.flowHave, p.flowPos = p.have, pos
	}
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Clock is the time source of Play. Sleep returns early with ctx's error.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Play reads body (a stream of size bytes, requested at start) as the
// player model would until it ends, ctx is done, or the stream fails, and
// returns what the viewer experienced. A stream that ends before size bytes
// is reported in PlayResult.Err. Blocks; the caller closes body.
func Play(ctx context.Context, clock Clock, cfg PlayerConfig, body io.Reader, size int64, start time.Time) PlayResult {
	pb := NewPlayback(cfg, size, start)
	buf := make([]byte, 64<<10)
	var total int64
	for total < size {
		if cfg.MaxAhead > 0 {
			// The demuxer cache is full: wait for the playhead to make room.
			for {
				now := clock.Now()
				ahead := float64(total) - pb.Position(now)
				if ahead < float64(cfg.MaxAhead) {
					break
				}
				wait := secs((ahead-float64(cfg.MaxAhead))/cfg.BytesPerSecond) + 10*time.Millisecond
				if err := clock.Sleep(ctx, wait); err != nil {
					return pb.Finish(clock.Now(), err)
				}
			}
		}
		n, err := body.Read(buf)
		if n > 0 {
			total += int64(n)
			pb.Arrive(clock.Now(), total)
		}
		if err != nil {
			if errors.Is(err, io.EOF) && total < size {
				err = fmt.Errorf("stream ended at %d of %d bytes", total, size)
			} else if errors.Is(err, io.EOF) {
				err = nil
			}
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return pb.Finish(clock.Now(), err)
		}
	}
	return pb.Finish(clock.Now(), nil)
}
