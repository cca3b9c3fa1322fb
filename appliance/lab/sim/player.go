package sim

// player is the benchmark's player model (bench.Playback, configured by
// bench.DefaultPlayer) without its per-second record, which at 100,000
// viewers would cost hundreds of MiB: playback starts once StartBuffer of
// media has arrived, pauses when the buffer runs dry and resumes once
// ResumeBuffer is buffered again; media is consumed at a constant rate.
// TestPlayerMatchesBench holds it to bench.Playback. Times are seconds of
// simulated time, sizes bytes. Not safe for concurrent use.
type player struct {
	bps                   float64 // bytes of the stream per second of media
	startBuf, resumeBuf   float64 // seconds of media
	size                  int64
	start                 float64 // when the viewer pressed play
	have                  int64   // bytes arrived
	playing, started      bool
	posAt, pos, stalledAt float64 // playhead pos (bytes) at posAt; current stall's start
	ttff, stalled, played float64 // seconds
	stalls                int
}

func newPlayer(bps, startBuf, resumeBuf float64, size int64, start float64) *player {
	return &player{bps: bps, startBuf: startBuf, resumeBuf: resumeBuf, size: size, start: start}
}

// position is the playhead in bytes at t (not before the last arrival).
func (p *player) position(t float64) float64 {
	if !p.playing {
		return p.pos
	}
	return min(p.pos+p.bps*(t-p.posAt), float64(p.have))
}

// arrive records that total bytes have arrived by t. Calls have
// non-decreasing t and total.
func (p *player) arrive(t float64, total int64) {
	p.advance(t)
	p.have = total
	if !p.playing {
		p.maybeStart(t)
	}
}

func (p *player) advance(t float64) {
	if !p.playing || p.have >= p.size {
		return
	}
	pos := p.pos + p.bps*(t-p.posAt)
	if pos <= float64(p.have) {
		return
	}
	dry := p.posAt + (float64(p.have)-p.pos)/p.bps
	p.played += dry - p.posAt
	p.pos, p.posAt = float64(p.have), dry
	p.playing = false
	p.stalledAt = dry
	p.stalls++
}

func (p *player) maybeStart(t float64) {
	need := p.startBuf
	if p.started {
		need = p.resumeBuf
	}
	if float64(p.have)-p.pos < p.bps*need && p.have < p.size {
		return
	}
	if !p.started {
		p.started = true
		p.ttff = t - p.start
	} else {
		p.stalled += t - p.stalledAt
	}
	p.playing = true
	p.posAt = t
}

// stalledSince reports whether the player is rebuffering at t (started,
// its buffer ran dry) and since when; the player records a stall only at
// the next arrival, this says it before.
func (p *player) stalledSince(t float64) (float64, bool) {
	switch {
	case !p.started || p.have >= p.size:
		return 0, false
	case !p.playing:
		return p.stalledAt, true
	}
	dry := p.posAt + (float64(p.have)-p.pos)/p.bps
	return dry, dry < t
}

// needFor is the byte count at which the player would start (or resume)
// now; -1 while it plays.
func (p *player) needFor() float64 {
	if p.playing {
		return -1
	}
	need := p.startBuf
	if p.started {
		need = p.resumeBuf
	}
	return min(p.pos+p.bps*need, float64(p.size))
}

// arriveLinear records bytes arriving at a constant rate from b0 at t0 to
// b1 at t1 (an HTTP body): the start or resume inside the interval is
// placed at the moment its buffer filled, not at t1.
func (p *player) arriveLinear(t0, t1 float64, b0, b1 int64) {
	if need := p.needFor(); need >= 0 && float64(b0) < need && need <= float64(b1) && b1 > b0 {
		tc := t0 + (need-float64(b0))/float64(b1-b0)*(t1-t0)
		p.arrive(tc, int64(need+0.999))
	}
	p.arrive(t1, b1)
}

// result is one viewer's figures.
type result struct {
	started         bool
	ttff            float64 // seconds; the elapsed time when never started
	stalled, played float64 // seconds
	stalls          int
	bytes           int64
}

// finish ends the playback at t, as bench.Playback.Finish does: a stream
// that arrived whole plays its rest without stalls; otherwise an ongoing
// stall or start-up counts up to t.
func (p *player) finish(t float64) result {
	p.advance(t)
	r := result{started: p.started, ttff: p.ttff, stalled: p.stalled, played: p.played, stalls: p.stalls, bytes: p.have}
	switch {
	case !p.started:
		r.ttff = t - p.start
	case p.playing && p.have >= p.size:
		r.played += (float64(p.size) - p.pos) / p.bps
	case p.playing:
		r.played += t - p.posAt
	default:
		r.stalled += t - p.stalledAt
	}
	return r
}
