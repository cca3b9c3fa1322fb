// Package sim simulates a premiere with thousands of boxes: each box runs
// the daemon's own piece choice (appliance/swarm/piecechoice) against
// modelled links, so the network can see what 100,000 viewers would do to
// its origin and to start-up times. It is a model, calibrated against the
// real crowd benchmark (appliance/lab/bench); Model lists what it leaves
// out.
package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/bandwidth"
	"github.com/atomicnetwork/atomicbox/appliance/lab/bench"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/swarm/piecechoice"
)

// Model states what the simulation models and what it leaves out; the
// command prints it with every table.
const Model = `model: time steps of Config.Step; inside a step each box's transfers are piece-level events (piece completions,
  flow and fetch starts, the pace timer), so times to first frame are not rounded to the step; rates are re-shared each step.
  Per box: downlink and uplink (upload at the watching share while a stream is open, all of it otherwise), a half round trip
  (a pair's RTT is the sum of both halves plus the mean of both boxes' processing delays, each drawn per box from an
  exponential distribution around the calibrated mean), a connection limit (tripled once the box holds the
  episode), NAT (accepts no incoming connection). Uploaders share their uplink alike between connections that want something
  they hold; downlinks are shared max-min between incoming flows (what a flow from a slow uploader leaves goes to the others); request windows start at one 16 KiB chunk and double per RTT.
  Streams: anacrolix's reader window (start-up and steady readahead), the daemon's pace, the file's tail at high priority,
  origin fetches as piecechoice.Decide plans them every piecechoice.PlanEvery with the box's origin budget; the player is bench's model.
  A connection fills the reader's piece first, then the rarest wanted piece among the box's peers (ties at random: uploaders
  serve requests in random order); a box at its connection limit takes a new one only by dropping a bad one (anacrolix's rule).
  The planner is fed each box's measured origin fetch time (Config.OriginFetchTime), as the daemon does.
  In a premiere a box dials when its viewer presses play and pays the set-up before its first frame; in the calibration
  (Config.PreConnected) every box connects at boot, as the benchmark's boxes do: a box's peers are whoever it reached at
  boot, and an early viewer whose box is not among the seed box's 24 connections finds no peer holding the first pieces.
  Known flaw: pieces fill as fluid, one piece per connection, and the swarm can fall into lock-step (every box at the same
  piece, which only the seed box and the origin hold). Without the origin fetch time the calibration run at 256 KiB did in
  8 of 21 seeds, rebuffer 0.027-0.089 (9 of 9 with the boxes connected at boot, 0.027-0.163 at 50 ms); with it none of
  21 did (0.0060-0.0109, against 0.0037-0.0075 in the 9 real runs of 2026-12-07). At 1 MiB pieces the calibrated model still does: 0.186 (5 seeds),
  where one real run measured 0.068. Against 2026-12-07 afternoon's real runs (sim.AfternoonReference) it holds for
  crowd30, dsl and nat but not for thin, where the network is a quarter of demand and the model locks step: rebuffer 0.39
  against 0.08 (pessimistic), nor for 4k's start-up (ttff p95 1.22 s against 0.35: the processing delay is fitted to 30
  daemons on 2 cores, and 4k's 10 wait less).
left out: TCP dynamics beyond the request window, packet loss, choking and optimistic unchoke (anacrolix v1.61 has none),
  chunk-level requests (pieces fill as fluid), the push extension (off by default), DHT/PEX (peers come from a tracker's
  random list, the seed box first), CPU limits of the boxes (but for the calibrated processing delay), hash checks, seeks,
  viewers who stop early, disk, the origin failing.`

// LinkClass is a share of the households with one kind of line. Rates
// in bytes/s.
type LinkClass struct {
	Share    float64
	Down, Up float64
}

// Mix is the households of a premiere.
type Mix struct {
	Name           string
	Links          []LinkClass
	NATShare       float64 // boxes that accept no incoming connection
	RTTMin, RTTMax float64 // seconds, a pair's round trip (uniform)
	// Joins: EarlyShare of the viewers press play uniformly within
	// EarlyWindow of the release, the rest uniformly within LateWindow.
	EarlyShare, EarlyWindow, LateWindow float64
	PrefetchShare                       float64 // boxes holding the episode at the release
}

func mbit(m float64) float64 { return m * 1e6 / 8 }

// DefaultMix is the household mix.
func DefaultMix() Mix {
	return Mix{Name: "default",
		Links:    []LinkClass{{0.3, mbit(16), mbit(1)}, {0.5, mbit(50), mbit(10)}, {0.2, mbit(250), mbit(50)}},
		NATShare: 0.3, RTTMin: 0.010, RTTMax: 0.150,
		EarlyShare: 0.8, EarlyWindow: 60, LateWindow: 30 * 60, PrefetchShare: 0.2}
}

// HarshMix is DefaultMix with half the boxes at 1 Mbit/s uplink and half
// not connectable.
func HarshMix() Mix {
	m := DefaultMix()
	m.Name = "harsh"
	m.Links = []LinkClass{{0.5, mbit(16), mbit(1)}, {0.3, mbit(50), mbit(10)}, {0.2, mbit(250), mbit(50)}}
	m.NATShare = 0.5
	return m
}

// String states the mix in one line.
func (m Mix) String() string {
	s := m.Name + ":"
	for _, l := range m.Links {
		s += fmt.Sprintf(" %.0f%% %.0f/%.0f Mbit/s", l.Share*100, l.Down*8/1e6, l.Up*8/1e6)
	}
	return s + fmt.Sprintf("; %.0f%% not connectable; RTT %.0f-%.0f ms; %.0f%% join within %.0f s, the rest within %.0f min; %.0f%% pre-fetched",
		m.NATShare*100, m.RTTMin*1e3, m.RTTMax*1e3, m.EarlyShare*100, m.EarlyWindow, m.LateWindow/60, m.PrefetchShare*100)
}

// Config is one simulated premiere. Rates in bytes/s, times in seconds.
type Config struct {
	Viewers      int
	EpisodeBytes int64
	BitsPerSec   float64
	PieceLength  int64 // 0: the publisher's default for the size and bit rate
	Mix          Mix
	Origin       float64 // the origin's capacity
	OriginBox    float64 // each box's origin budget (the catalog's originBoxRate)
	SeedUp       float64 // the network's seed box uplink; 0: no seed box
	Conns        int     // connections per torrent; 0: the daemon's default
	// DownlinkAlike shares each downlink alike between its flows (the
	// model until 2026-12-07), not max-min: a flow from a slow uploader
	// then leaves its share unused. For comparisons.
	DownlinkAlike bool
	// ProcFixed gives every box ProcDelay (the model until 2026-12-07).
	// Otherwise each box's processing delay is drawn from an exponential
	// distribution with mean ProcDelay, fixed per box for the run: on the
	// benchmark's 2 cores, 30 daemons starting streams at once do not all
	// wait alike, and the real crowd's start-up times spread so (ttff p50
	// 0.42 s, p95 0.90 s; the model with fixed delays 0.51 / 0.69).
	ProcFixed bool
	// SeedConns is the network's seed box's connection limit (atomicboxd
	// -seed-conns), never below a box's once it holds the episode (Conns x
	// piecechoice.SeedConnsFactor, also what 0 gives).
	SeedConns int
	ProcDelay float64 // added to every round trip: the boxes' processing
	Step      float64 // time step; 0: 0.1
	Seed      uint64
	HTTPOnly  bool // the baseline: every viewer reads the file from the origin over HTTP
	Diagnose  bool // swarm runs: fill Result.Diagnosis (costs a pass over the stalled boxes per step)
	// OriginFetchTime feeds Decide each box's measured origin fetch time
	// (piecechoice.Input.OriginFetchTime), as the daemon does. On in the
	// calibration (ScenarioConfig) and atomicsim's default. Without it
	// the planner rescues and supplements as if the shared origin answered
	// at once, and the modelled swarm falls into lock-step (see Model).
	OriginFetchTime bool
	// PreConnected: every box has added the episode and connected to its
	// peers before the first viewer presses play, as in the benchmark
	// (bench.FlashCrowd boots every daemon and lets it sync the catalog
	// before the crowd starts; swarm.Add hands anacrolix the peer list
	// then). Pressing play dials nobody: the box streams over the
	// connections it made at boot, to boxes whose viewers may not have
	// pressed play yet. Without it a box dials when its viewer presses
	// play, as a box that hears of the episode at the release would.
	PreConnected bool
}

// Result is what a run measured.
type Result struct {
	Viewers, Started           int
	TTFFP50, TTFFP95, Rebuffer float64 // seconds, seconds, stalled/(stalled+played)
	OriginBytes, Delivered     int64   // origin egress, bytes the players received
	// SeedBytes is the network's seed box's egress to the viewers: with
	// OriginBytes, what the network itself served.
	SeedBytes  int64
	SimSeconds float64
	Diagnosis  *Diagnosis // with Config.Diagnose
}

// OriginShare is origin egress over delivered bytes.
func (r Result) OriginShare() float64 {
	if r.Delivered == 0 {
		return 0
	}
	return float64(r.OriginBytes) / float64(r.Delivered)
}

// OriginKbitPerViewer is the origin's egress over the premiere per viewer,
// in kbit.
func (r Result) OriginKbitPerViewer() float64 {
	if r.Viewers == 0 {
		return 0
	}
	return float64(r.OriginBytes) * 8 / 1e3 / float64(r.Viewers)
}

// NetworkKbitPerViewer is what the network served itself over the
// premiere, origin and seed box together, per viewer, in kbit.
func (r Result) NetworkKbitPerViewer() float64 {
	if r.Viewers == 0 {
		return 0
	}
	return float64(r.OriginBytes+r.SeedBytes) * 8 / 1e3 / float64(r.Viewers)
}

// The model's own figures; the daemon's come from piecechoice (PlanEvery,
// PeerRate, ConnsPerTorrent, SeedConnsFactor, Readahead, MinReadahead,
// MinOriginBurst), the same constants appliance/swarm runs.
const (
	// setupRTTs network round trips set up a peer connection (TCP,
	// handshakes, bitfield) and the peer's process answers once (its
	// handshake and bitfield go together): the processing delay is
	// charged once, not per round trip. Charged per round trip (3 x 90 ms
	// in the lab), the boxes dialling at play started 0.71 s at the median
	// against 0.49 s measured (2026-12-07, the daemon with dormant
	// episodes); the real median had not moved when the boxes stopped
	// connecting at boot (0.42-0.48 s before, 0.45-0.54 after).
	setupRTTs     = 3
	originHalfRTT = 0.005
	joinDials     = 50 // peers a box tries when it joins (a tracker's reply)
	maxAhead      = 64 << 20
	minEvent      = 1e-6 // s, the shortest time between two events in a box's step
	// bootLead: with Config.PreConnected the boxes connect this long
	// before the crowd starts (the benchmark logs "starting 30 boxes" and
	// "players start" within the same second or one apart).
	bootLead = 1.0
)

var epoch = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return epoch.Add(dur(s)) }

func dur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

type conn struct {
	peer     int32
	readyAt  float64 // handshakes done
	flowFrom float64 // when the current flow's requests were sent; <0 none
	target   int     // the piece the flow fills; -1 none
	outgoing bool    // this box dialled
	useful   float64 // when data last came in on it (anacrolix's "worst conn" is the one idle longest)
}

type fetch struct {
	piece      int
	supplement bool
	reqAt      float64 // request sent (budget waited)
	startAt    float64 // first byte (a round trip after reqAt)
	got, rate  float64
}

type part struct {
	piece int
	bytes float64
}

type box struct {
	down, up   float64
	nat        bool
	half       float64
	proc       float64 // this box's processing delay; a pair's round trip adds the mean of both
	join       float64
	prefetched bool
	active     bool // holds or wants the episode: dials and accepts
	have       []uint64
	nhave      int
	conns      []conn

	streaming   bool
	done        bool
	pos         int64
	parkedUntil float64
	checked     int // piece whose pace check the reader passed; -1 none
	pl          *player
	parts       []part
	high        []int
	wanted      []int

	urgentSince map[int]time.Time
	fetches     []*fetch
	tokens      float64
	tokensAt    float64
	peerBytes   float64
	peerRate    piecechoice.PeerRate
	originTime  time.Duration // piecechoice.NoteOriginTime's average
}

func (b *box) has(i int) bool { return b.have[i>>6]&(1<<(i&63)) != 0 }

type world struct {
	cfg        Config
	rng        *rand.Rand
	n, pieces  int
	pl         int64
	size       int64
	bps        float64
	boxes      []box // 0 is the seed box
	act        []int32
	conns      int
	origin     float64 // bytes the origin sent
	seedOut    float64 // bytes the network's seed box sent the viewers
	sums       []part  // scratch: rate per piece in transfer
	links      linkScratch
	done       []int // scratch: pieces completed at an event
	res        []result
	startupRA  int64
	steadyRA   int64
	cap        float64
	upShare    float64
	startBuf   float64
	resumeBuf  float64
	maxPending int
	diag       *Diagnosis
}

// Run simulates cfg. Deterministic: the same cfg gives the same Result.
func Run(cfg Config) (Result, error) {
	if cfg.Viewers < 1 || cfg.EpisodeBytes <= 0 || cfg.BitsPerSec <= 0 || len(cfg.Mix.Links) == 0 {
		return Result{}, fmt.Errorf("sim: need viewers, an episode, a bit rate and link classes")
	}
	w := newWorld(cfg)
	if cfg.HTTPOnly {
		w.runHTTP()
	} else {
		w.runSwarm()
	}
	return w.result(), nil
}

func newWorld(cfg Config) *world {
	if cfg.Step <= 0 {
		cfg.Step = 0.1
	}
	if cfg.Conns <= 0 {
		cfg.Conns = piecechoice.ConnsPerTorrent
	}
	pl := cfg.PieceLength
	if pl <= 0 {
		pl = publish.PieceLengthFor(cfg.EpisodeBytes, float64(cfg.EpisodeBytes)/(cfg.BitsPerSec/8))
	}
	pc := bench.DefaultPlayer(cfg.BitsPerSec)
	w := &world{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 19)), n: cfg.Viewers, pl: pl, size: cfg.EpisodeBytes,
		bps: cfg.BitsPerSec / 8, conns: cfg.Conns, upShare: bandwidth.DefaultWatchingUploadShare,
		startBuf: pc.StartBuffer.Seconds(), resumeBuf: pc.ResumeBuffer.Seconds()}
	w.pieces = int((w.size + pl - 1) / pl)
	if cfg.Diagnose && !cfg.HTTPOnly {
		w.diag = &Diagnosis{Causes: map[string]float64{}, Sources: map[string]float64{}}
	}
	// The daemon's readaheads (swarm.Open with the default readahead).
	w.steadyRA = piecechoice.ReadaheadBytes(piecechoice.Readahead.Seconds(), w.bps)
	w.startupRA = min(w.steadyRA, piecechoice.ReadaheadBytes(piecechoice.StartupReadahead.Seconds(), w.bps))
	w.cap = 2 * float64(w.size) / w.bps // bench cuts a player after twice the episode
	words := (w.pieces + 63) / 64
	w.boxes = make([]box, w.n+1)
	w.res = make([]result, w.n+1)
	m := cfg.Mix
	procRNG := rand.New(rand.NewPCG(cfg.Seed, 23)) // its own stream: the other draws stay as they were
	for i := range w.boxes {
		b := &w.boxes[i]
		b.have = make([]uint64, words)
		b.checked = -1
		if i == 0 {
			b.up, b.down, b.join, b.active = cfg.SeedUp, cfg.SeedUp, -1, cfg.SeedUp > 0
			b.half, b.proc = originHalfRTT, cfg.ProcDelay
			w.fill(b)
			continue
		}
		r := w.rng.Float64()
		for k, l := range m.Links {
			if r < l.Share || k == len(m.Links)-1 {
				b.down, b.up = l.Down, l.Up
				break
			}
			r -= l.Share
		}
		b.nat = w.rng.Float64() < m.NATShare
		b.half = (m.RTTMin + w.rng.Float64()*(m.RTTMax-m.RTTMin)) / 2
		b.proc = cfg.ProcDelay
		if !cfg.ProcFixed {
			b.proc = cfg.ProcDelay * procRNG.ExpFloat64()
		}
		if w.rng.Float64() < m.EarlyShare {
			b.join = w.rng.Float64() * m.EarlyWindow
		} else {
			b.join = w.rng.Float64() * m.LateWindow
		}
		if w.rng.Float64() < m.PrefetchShare {
			b.prefetched, b.active = true, true
			w.fill(b)
		}
		b.tokens = max(cfg.OriginBox, piecechoice.MinOriginBurst) // a full burst
	}
	for i := range w.boxes {
		if w.boxes[i].active {
			w.act = append(w.act, int32(i))
		}
	}
	return w
}

func (w *world) fill(b *box) {
	for i := range w.pieces {
		b.have[i>>6] |= 1 << (i & 63)
	}
	b.nhave = w.pieces
}

func (w *world) complete(b *box) bool { return b.nhave == w.pieces }

func (w *world) connLimit(b *box) int {
	if b == &w.boxes[0] {
		return max(w.cfg.SeedConns, w.conns*piecechoice.SeedConnsFactor)
	}
	if w.complete(b) {
		return w.conns * piecechoice.SeedConnsFactor
	}
	return w.conns
}

func (w *world) rtt(a, b *box) float64 { return a.half + b.half + (a.proc+b.proc)/2 }

// joinOrder is the viewers by join time.
func (w *world) joinOrder() []int32 {
	order := make([]int32, w.n)
	for i := range order {
		order[i] = int32(i + 1)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		ja, jb := w.boxes[a].join, w.boxes[b].join
		switch {
		case ja < jb:
			return -1
		case ja > jb:
			return 1
		}
		return 0
	})
	return order
}

// dial has box i try to connect to box j at t. The callee must accept
// incoming connections, and two boxes holding the whole episode have
// nothing to say to each other. A box at its connection limit takes the
// new connection only by dropping a bad one, as anacrolix v1.61 does
// (Torrent.addPeerConn, worstBadConn): one of the kind it has too many
// of (incoming or outgoing, by more than one), or one in the worse half
// older than a minute; worse means idle longer.
func (w *world) dial(i, j int32, t float64) bool {
	if i == j {
		return false
	}
	a, b := &w.boxes[i], &w.boxes[j]
	if !b.active || b.nat || (w.complete(a) && w.complete(b)) {
		return false
	}
	for _, c := range a.conns {
		if c.peer == j {
			return false
		}
	}
	da, ok := w.admit(a, true, t)
	if !ok {
		return false
	}
	db, ok := w.admit(b, false, t)
	if !ok {
		return false
	}
	if da >= 0 {
		w.hangUp(i, a.conns[da].peer)
	}
	if db >= 0 {
		w.hangUp(j, b.conns[db].peer)
	}
	ready := t + setupRTTs*(a.half+b.half) + (a.proc+b.proc)/2 // see setupRTTs
	a.conns = append(a.conns, conn{peer: j, readyAt: ready, flowFrom: -1, target: -1, outgoing: true, useful: ready})
	b.conns = append(b.conns, conn{peer: i, readyAt: ready, flowFrom: -1, target: -1, useful: ready})
	return true
}

// admit reports whether box b takes a new connection (outgoing: b
// dials) and which of its connections it drops for it (-1: none).
func (w *world) admit(b *box, outgoing bool, t float64) (drop int, ok bool) {
	limit := w.connLimit(b)
	if len(b.conns) < limit {
		return -1, true
	}
	in, out := 0, 0
	for _, c := range b.conns {
		if c.outgoing {
			out++
		} else {
			in++
		}
	}
	inBad := outgoing && in-out > 1
	outBad := !outgoing && out-in > 1
	if !inBad && !outBad {
		old := false
		for _, c := range b.conns {
			old = old || t-c.readyAt > 60
		}
		if !old {
			return -1, false
		}
	}
	idx := make([]int, len(b.conns))
	for k := range idx {
		idx[k] = k
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		switch ux, uy := b.conns[x].useful, b.conns[y].useful; {
		case ux < uy:
			return -1
		case ux > uy:
			return 1
		}
		return 0
	})
	for k, x := range idx {
		c := b.conns[x]
		if inBad && !c.outgoing || outBad && c.outgoing {
			return x, true
		}
		if len(idx)-k-1 >= (limit+1)/2 && t-c.readyAt > 60 {
			return x, true
		}
	}
	return -1, false
}

// hangUp closes the connection between boxes i and j.
func (w *world) hangUp(i, j int32) {
	a, b := &w.boxes[i], &w.boxes[j]
	a.conns = slices.DeleteFunc(a.conns, func(c conn) bool { return c.peer == j })
	b.conns = slices.DeleteFunc(b.conns, func(c conn) bool { return c.peer == i })
}

func (w *world) dialRandom(i int32, t float64, tries int) {
	for k := 0; k < tries && len(w.boxes[i].conns) < w.connLimit(&w.boxes[i]); k++ {
		w.dial(i, w.act[w.rng.IntN(len(w.act))], t)
	}
}

// becameComplete drops box i's connections to boxes that hold the
// episode too.
func (w *world) becameComplete(i int32) {
	b := &w.boxes[i]
	b.conns = slices.DeleteFunc(b.conns, func(c conn) bool {
		if !w.complete(&w.boxes[c.peer]) {
			return false
		}
		o := &w.boxes[c.peer]
		o.conns = slices.DeleteFunc(o.conns, func(oc conn) bool { return oc.peer == i })
		return true
	})
}

// connect has box i dial at t as it does when it adds the episode: the
// seed box first (the network hands it out first), then a tracker's
// reply of random boxes until its connection limit.
func (w *world) connect(i int32, t float64) {
	if w.cfg.SeedUp > 0 {
		w.dial(i, 0, t)
	}
	w.dialRandom(i, t, joinDials)
}

// boot is Config.PreConnected: every viewer's box comes up bootLead
// before the crowd starts, in a random order (the benchmark starts its
// daemons together; which reaches which first is a race), and connects.
func (w *world) boot() {
	order := w.rng.Perm(w.n)
	for _, k := range order {
		if b := &w.boxes[k+1]; !b.active {
			b.active = true
			w.act = append(w.act, int32(k+1))
		}
	}
	for _, k := range order {
		w.connect(int32(k+1), -bootLead)
	}
}

func (w *world) start(i int32, t float64) {
	b := &w.boxes[i]
	b.streaming = true
	b.pl = newPlayer(w.bps, w.startBuf, w.resumeBuf, w.size, t)
	b.tokensAt = t
	b.urgentSince = map[int]time.Time{}
	if !b.active {
		b.active = true
		w.act = append(w.act, i)
	}
	if !w.cfg.PreConnected {
		w.connect(i, t)
	}
	w.advanceReader(i, t)
	w.plan(i, t)
}

// readahead is the stream's window at t: the start-up window for
// piecechoice.StartupFor after its first read, the steady one after.
func (w *world) readahead(b *box, t float64) int64 {
	if t-b.join < piecechoice.StartupFor.Seconds() {
		return w.startupRA
	}
	return w.steadyRA
}

func (w *world) head(b *box, t float64) piecechoice.Head {
	return piecechoice.Head{Pos: b.pos, Since: at(b.join), SinceOff: 0, Readahead: w.readahead(b, t)}
}

// advanceReader moves box i's stream read position at t as the daemon's
// stream does: it reads through pieces it holds without waiting; at a
// missing piece it first waits while it is more than its pace lead ahead
// of its schedule (swarm's stream.pace, one timer), then blocks until the
// piece arrives. It reports whether the position moved.
func (w *world) advanceReader(i int32, t float64) bool {
	b := &w.boxes[i]
	if !b.streaming || t < b.parkedUntil {
		return false
	}
	moved := false
	for b.pos < w.size {
		p := int(b.pos / w.pl)
		if b.has(p) {
			b.pos = min(w.size, int64(p+1)*w.pl)
			moved = true
			continue
		}
		if b.checked != p {
			b.checked = p
			h := w.head(b, t)
			if wait := h.Lead(at(t), w.bps) - h.PaceLead(at(t)); wait > 0 {
				b.parkedUntil = t + wait.Seconds()
			}
		}
		break
	}
	if moved {
		b.pl.arrive(t, b.pos)
		w.setWanted(b, t)
	}
	return moved
}

// setWanted lists the pieces the box's anacrolix requests from peers:
// the reader's window from its position, then the file's tail (Plan.High).
func (w *world) setWanted(b *box, t float64) {
	b.wanted = b.wanted[:0]
	if !b.streaming || w.complete(b) {
		return
	}
	end := min(w.size, b.pos+w.readahead(b, t))
	for p := int(b.pos / w.pl); int64(p)*w.pl < end; p++ {
		if !b.has(p) {
			b.wanted = append(b.wanted, p)
		}
	}
	for _, p := range b.high {
		if !b.has(p) && !slices.Contains(b.wanted, p) {
			b.wanted = append(b.wanted, p)
		}
	}
}

// plan runs one planning round of box i at t: piecechoice.Decide as
// the daemon calls it, and the fetches and cancels it asks for.
func (w *world) plan(i int32, t float64) {
	b := &w.boxes[i]
	if !b.streaming {
		return
	}
	now := at(t)
	keepUp := b.peerRate.KeepUp(now, true, b.peerBytes, w.bps) // swarm's planner.peersKeepUp
	fetching := make(map[int]bool, len(b.fetches))
	var oldest time.Time // swarm's planner.originFetchTime
	for _, f := range b.fetches {
		fetching[f.piece] = f.supplement
		if f.reqAt <= t && (oldest.IsZero() || at(f.reqAt).Before(oldest)) {
			oldest = at(f.reqAt)
		}
	}
	var originTime time.Duration
	if w.cfg.OriginFetchTime {
		originTime = piecechoice.OriginFetchTime(b.originTime, now, oldest)
	}
	plan := piecechoice.Decide(piecechoice.DefaultPolicy, piecechoice.Input{
		Now:     now,
		Episode: piecechoice.Episode{Pieces: w.pieces, PieceLength: w.pl, Size: w.size, BytesPerSecond: w.bps},
		Heads:   []piecechoice.Head{w.head(b, t)},
		Piece: func(p int) piecechoice.Piece {
			c := b.has(p)
			return piecechoice.Piece{Complete: c, Wanted: !c, Partial: b.partial(p) > 0}
		},
		PeerHas: func(p int) bool {
			for _, c := range b.conns {
				if c.readyAt <= t && w.boxes[c.peer].has(p) {
					return true
				}
			}
			return false
		},
		Fetching:        fetching,
		UrgentSince:     b.urgentSince,
		PeersKeepUp:     keepUp,
		Origin:          w.cfg.Origin > 0,
		OriginFetchTime: originTime,
	})
	b.urgentSince = plan.UrgentSince
	b.high = plan.High
	for _, p := range plan.Cancel {
		b.fetches = slices.DeleteFunc(b.fetches, func(f *fetch) bool {
			if f.piece != p {
				return false
			}
			if f.reqAt <= t {
				b.originTime = piecechoice.NoteOriginTime(b.originTime, dur(t-f.reqAt), false, false, int64(f.got), w.pl)
			}
			return true
		})
	}
	burst := max(w.cfg.OriginBox, piecechoice.MinOriginBurst)
	for _, f := range plan.Fetch {
		// The budget is taken before the request (swarm.fetchPiece): a
		// token bucket that may go into debt, then one round trip.
		b.tokens = min(burst, b.tokens+w.cfg.OriginBox*(t-b.tokensAt))
		b.tokensAt = t
		b.tokens -= float64(w.pl)
		wait := 0.0
		if b.tokens < 0 && w.cfg.OriginBox > 0 {
			wait = -b.tokens / w.cfg.OriginBox
		}
		b.fetches = append(b.fetches, &fetch{piece: f.Piece, supplement: f.Supplement, reqAt: t + wait,
			startAt: t + wait + 2*(b.half+originHalfRTT) + b.proc})
	}
	w.setWanted(b, t)
}

func (b *box) partial(p int) float64 {
	for _, x := range b.parts {
		if x.piece == p {
			return x.bytes
		}
	}
	return 0
}

func (b *box) addPartial(p int, by float64) float64 {
	for k := range b.parts {
		if b.parts[k].piece == p {
			b.parts[k].bytes += by
			return b.parts[k].bytes
		}
	}
	b.parts = append(b.parts, part{p, by})
	return by
}

func (b *box) dropPartial(p int) {
	b.parts = slices.DeleteFunc(b.parts, func(x part) bool { return x.piece == p })
}

// flow is one uploader-to-downloader transfer in a step.
type flow struct {
	d, u     int32
	ci       int // index in d's conns
	dataFrom float64
	capRate  float64
	rate     float64
	target   int
	useful   float64
}

// linkScratch is shareLinks' reused memory.
type linkScratch struct {
	inflows       []int32   // per box: flows and origin fetches into it
	upStart, fill []int32   // per box: where its flows start in perUp
	perUp         []int32   // flow indices grouped by uploader
	downCap       []float64 // per flow: its share of its downlink
	caps, rates   []float64
	ofetch        []*fetch
	ocaps, orates []float64
}

// maxMinRounds: unless Config.DownlinkAlike, how often shareLinks shares
// the uplinks, re-sharing each downlink's unused part in between.
const maxMinRounds = 2

// shareLinks sets the rate of every flow and origin fetch for the step
// ending at tend. flows are grouped by downloader, in streaming's order.
// An origin fetch gets an equal share of its box's downlink, all of them
// then share the origin (max-min). A flow is capped by its request window
// (capRate) and its share of the downlink, and each uploader shares its
// uplink max-min among its flows. A downlink's equal share leaves part of
// it unused when some of its flows come from slow uploaders; TCP would
// give that part to the flows that could go faster. Unless
// Config.DownlinkAlike it is re-shared among the flows the downlink held
// back and the uplinks shared again (maxMinRounds: an approximation of
// max-min over both ends).
func (w *world) shareLinks(flows []flow, streaming []int32, tend float64) {
	ls := &w.links
	if len(ls.inflows) != len(w.boxes) {
		ls.inflows = make([]int32, len(w.boxes))
		ls.upStart = make([]int32, len(w.boxes)+1)
		ls.fill = make([]int32, len(w.boxes)+1)
	}
	inflows := ls.inflows
	for _, di := range streaming {
		inflows[di] = 0
	}
	for _, f := range flows {
		inflows[f.d]++
	}
	ls.ofetch, ls.ocaps = ls.ofetch[:0], ls.ocaps[:0]
	for _, di := range streaming {
		d := &w.boxes[di]
		for _, f := range d.fetches {
			if f.startAt < tend {
				inflows[di]++
			}
		}
	}
	for _, di := range streaming {
		d := &w.boxes[di]
		for _, f := range d.fetches {
			if f.startAt < tend {
				ls.ofetch = append(ls.ofetch, f)
				ls.ocaps = append(ls.ocaps, d.down/float64(inflows[di]))
			}
		}
	}
	ls.orates = slices.Grow(ls.orates[:0], len(ls.ofetch))[:len(ls.ofetch)]
	waterFill(w.cfg.Origin, ls.ocaps, ls.orates)
	for k, f := range ls.ofetch {
		f.rate = ls.orates[k]
	}
	upStart := ls.upStart
	clear(upStart)
	for _, f := range flows {
		upStart[f.u+1]++
	}
	for k := 1; k < len(upStart); k++ {
		upStart[k] += upStart[k-1]
	}
	ls.perUp = slices.Grow(ls.perUp[:0], len(flows))[:len(flows)]
	copy(ls.fill, upStart)
	for k, f := range flows {
		ls.perUp[ls.fill[f.u]] = int32(k)
		ls.fill[f.u]++
	}
	ls.downCap = slices.Grow(ls.downCap[:0], len(flows))[:len(flows)]
	for k, f := range flows {
		ls.downCap[k] = w.boxes[f.d].down / float64(inflows[f.d])
	}
	for round := 0; ; round++ {
		for u := range w.boxes {
			lo, hi := upStart[u], upStart[u+1]
			if lo == hi {
				continue
			}
			ls.caps, ls.rates = ls.caps[:0], ls.rates[:0]
			for _, k := range ls.perUp[lo:hi] {
				ls.caps = append(ls.caps, min(flows[k].capRate, ls.downCap[k]))
				ls.rates = append(ls.rates, 0)
			}
			waterFill(w.uploadCap(&w.boxes[u]), ls.caps, ls.rates)
			for x, k := range ls.perUp[lo:hi] {
				flows[k].rate = ls.rates[x]
			}
		}
		if w.cfg.DownlinkAlike || round == maxMinRounds-1 || !w.reshareDownlinks(flows, streaming, tend) {
			return
		}
	}
}

// reshareDownlinks raises the downlink cap of every flow its downlink held
// back (its rate at the cap, its request window allowing more) by an equal
// part of what the downlink left unused; false if no cap rose.
func (w *world) reshareDownlinks(flows []flow, streaming []int32, tend float64) bool {
	ls := &w.links
	raised := false
	fk := 0
	for _, di := range streaming {
		lo := fk
		for fk < len(flows) && flows[fk].d == di {
			fk++
		}
		d := &w.boxes[di]
		heldBack := func(k int) bool { return flows[k].rate >= ls.downCap[k]*(1-1e-9) && flows[k].capRate > ls.downCap[k] }
		used, held := 0.0, 0
		for _, f := range d.fetches {
			if f.startAt < tend {
				used += f.rate
			}
		}
		for k := lo; k < fk; k++ {
			used += flows[k].rate
			if heldBack(k) {
				held++
			}
		}
		spare := d.down - used
		if held == 0 || spare <= d.down*1e-9 {
			continue
		}
		for k := lo; k < fk; k++ {
			if heldBack(k) {
				ls.downCap[k] += spare / float64(held)
				raised = true
			}
		}
	}
	return raised
}

func (w *world) uploadCap(b *box) float64 {
	if b.streaming {
		return b.up * w.upShare
	}
	return b.up
}

func (w *world) wants(d, u *box) bool {
	for _, p := range d.wanted {
		if u.has(p) {
			return true
		}
	}
	return false
}

func (w *world) runSwarm() {
	if w.cfg.PreConnected {
		w.boot()
	}
	order := w.joinOrder()
	next := 0
	dt := w.cfg.Step
	lastPlan := -1.0
	var flows []flow
	var streaming []int32
	doneViewers := 0
	for step := 0; doneViewers < w.n; step++ {
		t := float64(step) * dt
		tend := t + dt
		// Joins inside the step happen at their own time.
		for next < len(order) && w.boxes[order[next]].join < tend {
			i := order[next]
			w.start(i, max(w.boxes[i].join, t))
			streaming = append(streaming, i)
			next++
		}
		// Peers keep looking for connections (a tracker's re-announce).
		for _, i := range w.act {
			b := &w.boxes[i]
			if len(b.conns) < w.connLimit(b) && (!w.complete(b) || step%10 == 0) {
				w.dialRandom(i, t, 1)
			}
		}
		if t-lastPlan >= piecechoice.PlanEvery.Seconds()-1e-9 {
			lastPlan = t
			for _, i := range streaming {
				w.plan(i, t)
			}
		}
		// Flows: every connection whose far end holds something the
		// near end wants.
		flows = flows[:0]
		for _, di := range streaming {
			d := &w.boxes[di]
			w.setWanted(d, t)
			for ci := range d.conns {
				c := &d.conns[ci]
				u := &w.boxes[c.peer]
				if c.readyAt >= tend || len(d.wanted) == 0 || !w.wants(d, u) {
					c.flowFrom = -1
					continue
				}
				if c.flowFrom < 0 {
					c.flowFrom = max(t, c.readyAt)
				}
				rtt := w.rtt(d, u)
				mid := t + dt/2 - (c.flowFrom + rtt)
				flows = append(flows, flow{d: di, u: c.peer, ci: ci, dataFrom: c.flowFrom + rtt,
					capRate: windowRate(max(mid, 0), rtt)})
			}
		}
		w.shareLinks(flows, streaming, tend)
		// Per downloader: piece-level events inside the step.
		fk := 0
		for _, di := range streaming {
			lo := fk
			for fk < len(flows) && flows[fk].d == di {
				fk++
			}
			w.transfer(di, flows[lo:fk], t, tend)
		}
		if w.diag != nil {
			used := make([]float64, len(w.boxes))
			for _, f := range flows {
				used[f.u] += f.rate
			}
			w.diagnoseStep(streaming, flows, used, tend, dt)
		}
		// Streams that read everything close; cut players stop.
		streaming = slices.DeleteFunc(streaming, func(i int32) bool {
			b := &w.boxes[i]
			cut := tend-b.join >= w.cap
			readAll := b.pos >= w.size && b.pl.position(tend) >= float64(w.size-maxAhead)
			if !cut && !readAll {
				return false
			}
			end := tend
			if cut {
				end = b.join + w.cap
			}
			w.res[i] = b.pl.finish(end)
			b.streaming, b.done, b.fetches = false, true, nil
			doneViewers++
			return true
		})
		if t > 48*3600 {
			break // a safety net; no premiere runs two days
		}
	}
}

// transfer moves box di's data from t to tend: flows from its peers fill
// the wanted pieces in order (each flow the first one its peer holds;
// several peers share a piece's chunks), origin fetches fill their
// pieces, and the reader and the player follow every completion.
func (w *world) transfer(di int32, flows []flow, t, tend float64) {
	d := &w.boxes[di]
	w.advanceReader(di, t)
	// Which piece each flow fills: anacrolix orders a connection's
	// requests by priority (the reader's piece first), then availability
	// among the box's peers (rarest first), and spreads a piece's chunks
	// over peers; ties here fall randomly (an uploader serves requests in
	// random order). A flow keeps its piece until it completes or leaves
	// the window; another flow's piece only when its peer has no other.
	avail := func(p int) int {
		n := 0
		for _, c := range d.conns {
			if c.readyAt <= t && w.boxes[c.peer].has(p) {
				n++
			}
		}
		return n
	}
	taken := func(p, self int) bool {
		for x := range flows {
			if x != self && flows[x].target == p {
				return true
			}
		}
		return false
	}
	retarget := func() {
		for k := range flows {
			f := &flows[k]
			if f.target >= 0 && !d.has(f.target) && slices.Contains(d.wanted, f.target) {
				continue
			}
			f.target = -1
			u := &w.boxes[f.u]
			best, bestAvail, ties, fallback := -1, 0, 0, -1
			for _, p := range d.wanted {
				if !u.has(p) {
					continue
				}
				if int64(p) == d.pos/w.pl {
					best = p // the reader's piece: every peer takes chunks of it
					break
				}
				if taken(p, k) {
					if fallback < 0 {
						fallback = p
					}
					continue
				}
				a := avail(p)
				switch {
				case best < 0 || a < bestAvail:
					best, bestAvail, ties = p, a, 1
				case a == bestAvail:
					ties++
					if w.rng.IntN(ties) == 0 {
						best = p
					}
				}
			}
			if best < 0 {
				best = fallback
			}
			f.target = best
		}
	}
	for k := range flows {
		flows[k].target = d.conns[flows[k].ci].target
	}
	retarget()
	tcur := t
	for guard := 0; tcur < tend-1e-12 && guard < 10000; guard++ {
		next := tend
		if d.parkedUntil > tcur && d.parkedUntil < next {
			next = d.parkedUntil
		}
		// Rates per target piece.
		sums := w.sums[:0]
		for k := range flows {
			f := &flows[k]
			if f.dataFrom > tcur && f.dataFrom < next {
				next = f.dataFrom
			}
			if f.target < 0 || f.dataFrom > tcur || f.rate <= 0 {
				continue
			}
			found := false
			for x := range sums {
				if sums[x].piece == f.target {
					sums[x].bytes += f.rate
					found = true
					break
				}
			}
			if !found {
				sums = append(sums, part{f.target, f.rate})
			}
		}
		w.sums = sums
		for _, x := range sums {
			left := float64(w.pl) - d.partial(x.piece)
			if e := tcur + max(left, 0)/x.bytes; e < next {
				next = e
			}
		}
		for _, f := range d.fetches {
			if f.startAt > tcur && f.startAt < next {
				next = f.startAt
			}
			if f.startAt <= tcur && f.rate > 0 {
				if e := tcur + max(float64(w.pl)-f.got, 0)/f.rate; e < next {
					next = e
				}
			}
		}
		// At least a microsecond per event: hours into a premiere a piece's
		// last fraction of a byte takes less time than a float64 of the
		// clock can add, and the step would never move on (late joiners
		// on fast lines stalled until their cut, 2 minutes).
		next = min(tend, max(next, tcur+minEvent))
		span := next - tcur
		done := w.done[:0]
		for k := range flows {
			if f := &flows[k]; f.target >= 0 && f.dataFrom <= tcur && f.rate > 0 {
				f.useful = next
				if f.u == 0 {
					w.seedOut += f.rate * span
				}
				if w.diag != nil {
					w.diag.bySource(w, f.u, f.rate*span)
				}
			}
		}
		for _, x := range sums {
			by := x.bytes * span
			d.peerBytes += by
			if d.addPartial(x.piece, by) >= float64(w.pl)-1e-6 {
				done = append(done, x.piece)
			}
		}
		d.fetches = slices.DeleteFunc(d.fetches, func(f *fetch) bool {
			if f.startAt > tcur || f.rate <= 0 {
				return false
			}
			by := min(f.rate*span, float64(w.pl)-f.got)
			f.got += by
			w.origin += by
			if w.diag != nil {
				w.diag.Sources[srcOrigin] += by
			}
			if f.got >= float64(w.pl)-1e-6 {
				d.originTime = piecechoice.NoteOriginTime(d.originTime, dur(next-f.reqAt), true, false, w.pl, w.pl)
				if !d.has(f.piece) && !slices.Contains(done, f.piece) {
					done = append(done, f.piece)
				}
				return true
			}
			return false
		})
		w.done = done
		tcur = next
		for _, p := range done {
			if !d.has(p) {
				d.have[p>>6] |= 1 << (p & 63)
				d.nhave++
			}
			d.dropPartial(p)
		}
		if len(done) > 0 {
			w.setWanted(d, tcur)
			if w.complete(d) {
				w.becameComplete(di)
			}
		}
		if w.advanceReader(di, tcur) || len(done) > 0 {
			retarget()
		}
	}
	// Completing the episode may have dropped connections: find them again.
	for _, f := range flows {
		for k := range d.conns {
			if d.conns[k].peer == f.u {
				d.conns[k].target = f.target
				d.conns[k].useful = max(d.conns[k].useful, f.useful)
			}
		}
	}
}

// runHTTP is the baseline: every viewer reads the file from the origin
// over plain HTTP (a TCP connection and the request, then the body at its
// share of the origin and its downlink), with the player's 64 MiB cache.
func (w *world) runHTTP() {
	order := w.joinOrder()
	next := 0
	dt := w.cfg.Step
	var active []int32
	got := make([]float64, len(w.boxes))
	startAt := make([]float64, len(w.boxes))
	var caps, rates []float64
	doneViewers := 0
	for step := 0; doneViewers < w.n; step++ {
		t := float64(step) * dt
		tend := t + dt
		for next < len(order) && w.boxes[order[next]].join < tend {
			i := order[next]
			b := &w.boxes[i]
			b.pl = newPlayer(w.bps, w.startBuf, w.resumeBuf, w.size, b.join)
			startAt[i] = b.join + 2*2*(b.half+originHalfRTT) + b.proc
			active = append(active, i)
			next++
		}
		caps, rates = caps[:0], rates[:0]
		for _, i := range active {
			b := &w.boxes[i]
			c := b.down
			if startAt[i] >= tend || got[i]-b.pl.position(t) >= maxAhead {
				c = 0
			}
			caps = append(caps, c)
			rates = append(rates, 0)
		}
		waterFill(w.cfg.Origin, caps, rates)
		kept := active[:0]
		for k, i := range active {
			b := &w.boxes[i]
			from := max(t, startAt[i])
			if r := rates[k]; r > 0 && from < tend {
				by := min(r*(tend-from), float64(w.size)-got[i])
				b0 := int64(got[i])
				got[i] += by
				w.origin += by
				b.pl.arriveLinear(from, from+by/r, b0, int64(got[i]))
			}
			cut := tend-b.join >= w.cap
			if got[i] >= float64(w.size) || cut {
				end := tend
				if cut {
					end = b.join + w.cap
				}
				w.res[i] = b.pl.finish(end)
				doneViewers++
				continue
			}
			kept = append(kept, i)
		}
		active = kept
	}
}

func (w *world) result() Result {
	r := Result{Viewers: w.n, OriginBytes: int64(w.origin), SeedBytes: int64(w.seedOut)}
	if w.diag != nil {
		w.finishDiagnosis()
		r.Diagnosis = w.diag
	}
	var ttff []float64
	var stalled, played float64
	for i := 1; i <= w.n; i++ {
		x := w.res[i]
		if x.started {
			r.Started++
		}
		ttff = append(ttff, x.ttff)
		stalled += x.stalled
		played += x.played
		r.Delivered += x.bytes
	}
	r.TTFFP50 = bench.Percentile(ttff, 50)
	r.TTFFP95 = bench.Percentile(ttff, 95)
	if stalled+played > 0 {
		r.Rebuffer = stalled / (stalled + played)
	}
	if math.IsNaN(r.TTFFP50) {
		r.TTFFP50, r.TTFFP95 = 0, 0
	}
	return r
}
