package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/bandwidth"
	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testmedia"
)

// FlashCrowd is the flash-crowd benchmark: one atomicboxd process per box,
// each in its own network namespace with a shaped access link, a
// rate-limited origin, the network's seed box, and a player per box that
// starts the same episode within Join. Then the same crowd reads straight
// from the origin over plain HTTP (what a server-farm network does).
//
// Decisions, stated in the output as well:
//   - The network runs its own seed box: it holds the episode from the start
//     (the file is placed in its data dir and verified) and has a faster
//     link (SeederLink). Without it the first viewers wait on the origin.
//   - No tracker or DHT: every box gets every other box and the seed box as
//     -peer, the list a tracker would hand out.
//   - All daemons boot and sync the catalog before the crowd starts; the
//     time to first frame runs from each player's request.
//   - Links are shaped with tbf but carry no added latency: this kernel has
//     no netem, and the daemons' peer connections cannot be proxied without
//     changing the daemon.
//   - Each box is told its line's upload speed (PUT /api/settings, as a
//     household does in Settings), so while it plays it uploads the
//     watching share of it rather than the 2 Mbit/s a box that knows
//     nothing about its line keeps to.
//   - Origin bytes are everything the origin served during the scenario
//     (catalog refreshes included; they are a few KiB).
//   - A player still going after twice the episode's duration is cut and
//     counted as it stands (a stall counts up to the cut).
//   - Every daemon runs with GOMAXPROCS=1 (a Pi's daemon shares its cores
//     with the TV; here 30 daemons share 2), unless DaemonEnv says otherwise.
//   - The machine's CPU idle is sampled every second of the crowd phase; a
//     second under MinCPUIdle makes the run invalid (Figures.Invalid).
type FlashCrowd struct {
	Scenario     string  // name in the figures; "" = crowd<Boxes>
	Bin          string  // directory holding atomicboxd
	Work         string  // scratch directory (data dirs, origin, logs)
	Boxes        int     // viewers
	Size         int64   // episode bytes
	BitsPerSec   float64 // episode bit rate
	PieceLength  int64   // 0: the publisher's default
	Join         time.Duration
	OriginFactor float64 // origin rate limit as a multiple of the bit rate
	// OriginBoxShare is the share of the origin's capacity each box may
	// fetch (the catalog's originBoxRate); 0: the boxes' default budget.
	OriginBoxShare float64
	BoxLink        Link
	// NATEvery, when above 0, puts every NATEvery-th viewing box behind a
	// NAT without a port mapping: it refuses incoming BitTorrent
	// connections (Lab.RefuseIncoming) and only dials out.
	NATEvery int
	// BoxLinks, when set, replaces BoxLink: box i (from 0) has
	// BoxLinks[i % len(BoxLinks)] (households on different lines).
	BoxLinks   []Link
	SeederLink Link
	Seeder     bool // run the network's seed box (holds the episode from the start)
	// Premiere, when above 0, makes the run a premiere: the episode is
	// published embargoed a day ahead; this share of the boxes (spread
	// evenly) pre-fetches it under an overnight window that covers the
	// whole day, the rest stay cold; then the network releases it (a new
	// catalog with the key) and each box's player presses play within
	// Join of the moment its own box has the key. TTFF runs from the press.
	Premiere  float64
	Seeks     int // seek benchmark on an extra box after the crowd; 0 = none
	Seed      uint64
	Progress  io.Writer // one line per step; nil = none
	DaemonEnv []string  // added to every daemon's environment
	// DaemonArgs are added to every daemon's flags (e.g. -push for a
	// side-by-side run).
	DaemonArgs []string
	// StartBuffer and ResumeBuffer replace DefaultPlayer's when non-zero
	// (what if the TV waited longer before it starts or resumes).
	StartBuffer, ResumeBuffer time.Duration
	// NoBaseline skips the HTTP-only scenario (for quick experiments; the
	// benchmark's figures always include it).
	NoBaseline bool
	// CPUProfile, when set, is where the first viewing box writes a CPU
	// profile of its daemon (pprof, from its start to its stop).
	CPUProfile string
	// Trace, when set, receives one CSV line per box every 500 ms of the
	// swarm scenario (see traceBoxes) and each player's result at the end.
	Trace io.Writer
}

// FlashCrowdReport is what Run measured.
type FlashCrowdReport struct {
	// Figures holds the two scenarios' summaries (Swarm, HTTP) and the
	// swarm's byte counts; OriginUseful is what the boxes kept of the
	// origin's bytes (web seed payload that passed the hash check).
	Figures       Figures
	CPU           CPUReport       // the machine's CPU idle through the crowd phase
	Seeks         []time.Duration // seek to first 64 KiB, swarm up
	SeekErr       string
	SwarmDuration time.Duration
	HTTPDuration  time.Duration
	Prefetch      PrefetchReport // the premiere's overnight phase; zero otherwise
}

// PrefetchReport is the premiere's pre-fetch phase: how many boxes
// pre-fetched the embargoed episode, how long until all held it, and what
// the origin served meanwhile.
type PrefetchReport struct {
	Boxes       int
	Took        time.Duration
	OriginBytes int64
}

// Lab addresses and ports (inside the namespaces, so fixed).
const (
	originPort = 8000
	apiAddr    = "127.0.0.1:8080"
	btPort     = 6881
	episodeID  = "crowd"
)

// SupplyRatio is what may be uploaded while the crowd watches (the
// origin's cap, the seed box's uplink, and every box's uplink at the share
// it uploads while playing) over what the crowd plays (boxes x bit rate).
func (f *FlashCrowd) SupplyRatio() float64 {
	supply := f.BitsPerSec * f.OriginFactor
	if f.Seeder {
		supply += float64(f.SeederLink.Up)
	}
	for i := range f.Boxes {
		supply += float64(f.boxLink(i).Up) * bandwidth.DefaultWatchingUploadShare
	}
	return supply / (float64(f.Boxes) * f.BitsPerSec)
}

// boxLink is viewing box i's link (i from 0).
func (f *FlashCrowd) boxLink(i int) Link {
	if len(f.BoxLinks) > 0 {
		return f.BoxLinks[i%len(f.BoxLinks)]
	}
	return f.BoxLink
}

// ScenarioName is Scenario, or crowd<Boxes>.
func (f *FlashCrowd) ScenarioName() string {
	if f.Scenario != "" {
		return f.Scenario
	}
	return fmt.Sprintf("crowd%d", f.Boxes)
}

// daemonEnv is DaemonEnv with GOMAXPROCS=1 unless DaemonEnv sets it.
func (f *FlashCrowd) daemonEnv() []string {
	for _, kv := range f.DaemonEnv {
		if strings.HasPrefix(kv, "GOMAXPROCS=") {
			return f.DaemonEnv
		}
	}
	return append([]string{"GOMAXPROCS=1"}, f.DaemonEnv...)
}

// Duration is the episode's media duration.
func (f *FlashCrowd) Duration() time.Duration {
	return secs(float64(f.Size) * 8 / f.BitsPerSec)
}

func (f *FlashCrowd) logf(format string, args ...any) {
	if f.Progress != nil {
		fmt.Fprintf(f.Progress, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
}

// Run runs both scenarios. Blocks for a few minutes; cancelling ctx stops
// it early and still cleans up (processes first, then namespaces), which is
// bounded to about a minute.
func (f *FlashCrowd) Run(ctx context.Context) (*FlashCrowdReport, error) {
	lab, err := NewLab(ctx)
	if err != nil {
		return nil, fmt.Errorf("network namespaces: %w", err)
	}
	defer lab.Close()

	var daemons []*Daemon
	var dmu sync.Mutex
	defer func() { stopAll(&dmu, &daemons) }()

	// The origin, served from the hub namespace.
	ln, err := ListenIn(lab.HubNS(), "tcp", fmt.Sprintf("%s:%d", lab.HubIP(), originPort))
	if err != nil {
		return nil, err
	}
	var handler atomic.Pointer[publish.Origin]
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	baseURL := fmt.Sprintf("http://%s:%d/", lab.HubIP(), originPort)
	f.logf("publishing a %d MiB episode at %.1f Mbit/s", f.Size>>20, f.BitsPerSec/1e6)
	chOpt := ChannelOptions{Size: f.Size, DurationSeconds: f.Duration().Seconds(), PieceLength: f.PieceLength, Seed: f.Seed,
		OriginBoxRate: int64(f.BitsPerSec / 8 * f.OriginFactor * f.OriginBoxShare)}
	if f.Premiere > 0 {
		chOpt.ReleaseAt = time.Now().Add(24 * time.Hour).Truncate(time.Second)
		f.logf("premiere: the episode is published embargoed until %s", chOpt.ReleaseAt.UTC().Format(time.RFC3339))
	}
	ch, err := PublishChannel(ctx, f.Work, baseURL, chOpt)
	if err != nil {
		return nil, err
	}
	rate := int64(f.BitsPerSec / 8 * f.OriginFactor)
	handler.Store(publish.NewOrigin(ch.Dir, publish.OriginOptions{RateLimit: rate}))

	// Hosts: 0 is the seed box, 1..Boxes the viewers, Boxes+1 the seeker.
	f.logf("creating %d network namespaces", f.Boxes+3)
	hosts := make([]Host, f.Boxes+2)
	if err := parallel(ctx, len(hosts), 8, func(i int) error {
		link := f.boxLink(max(i-1, 0)) // host i is viewing box i-1; the seeker gets box 0's
		if i == 0 {
			link = f.SeederLink
		}
		var err error
		if hosts[i], err = lab.AddHost(ctx, i, link); err != nil {
			return err
		}
		if f.NATEvery > 0 && i >= 1 && i <= f.Boxes && i%f.NATEvery == 0 {
			return lab.RefuseIncoming(ctx, hosts[i], btPort)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := lab.PinNeighbours(ctx, hosts); err != nil {
		return nil, err
	}
	btAddr := func(i int) string { return fmt.Sprintf("%s:%d", hosts[i].IP, btPort) }
	start := func(i int, name string, peers []string) (*Daemon, error) {
		var args []string
		if i == 1 && name == "box01" && f.CPUProfile != "" {
			args = []string{"-cpuprofile", f.CPUProfile}
		}
		args = append(args, f.DaemonArgs...)
		if f.Premiere > 0 {
			// Boxes hear of the release within 2 s and pre-fetch within
			// 2 s of their window opening (the product's defaults are
			// 5 min and 1 min; issue 18 makes refreshes near a release
			// short by themselves).
			args = append(args, "-refresh", "2s", "-policy-every", "2s")
		}
		d, err := StartDaemon(ctx, DaemonConfig{
			Bin: filepath.Join(f.Bin, "atomicboxd"), NS: hosts[i].NS,
			DataDir: filepath.Join(f.Work, "boxes", name), APIAddr: apiAddr, BTPort: btPort,
			Channel: baseURL, NetworkKey: ch.PublicKey(), Peers: peers,
			LogPath: filepath.Join(f.Work, "logs", name+".log"), Env: f.daemonEnv(), Args: args,
		})
		if err == nil {
			dmu.Lock()
			daemons = append(daemons, d)
			dmu.Unlock()
		}
		return d, err
	}
	if err := os.MkdirAll(filepath.Join(f.Work, "logs"), 0o755); err != nil {
		return nil, err
	}

	var peers []string
	var seedBox *Daemon
	if f.Seeder {
		f.logf("starting the seed box")
		media := filepath.Join(f.Work, "boxes", "seed", "media")
		if err := os.MkdirAll(media, 0o755); err != nil {
			return nil, err
		}
		if err := linkOrCopy(ch.MediaPath, filepath.Join(media, filepath.Base(ch.MediaPath))); err != nil {
			return nil, err
		}
		seed, err := start(0, "seed", nil)
		if err != nil {
			return nil, err
		}
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err = seed.WaitEpisode(wctx, episodeID, 1)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("seed box: %w", err)
		}
		peers = append(peers, btAddr(0))
		seedBox = seed
	}
	for i := 1; i <= f.Boxes+1; i++ {
		peers = append(peers, btAddr(i))
	}

	f.logf("starting %d boxes", f.Boxes)
	boxes := make([]*Daemon, f.Boxes)
	for i := range boxes {
		var others []string
		for _, p := range peers {
			if p != btAddr(i+1) && p != btAddr(f.Boxes+1) {
				others = append(others, p)
			}
		}
		if boxes[i], err = start(i+1, fmt.Sprintf("box%02d", i+1), others); err != nil {
			return nil, err
		}
	}
	if err := parallel(ctx, len(boxes), 8, func(i int) error {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := boxes[i].WaitEpisode(wctx, episodeID, 0); err != nil {
			return err
		}
		if up := f.boxLink(i).Up; up > 0 {
			return boxes[i].SetUplink(wctx, up/8)
		}
		return nil
	}); err != nil {
		return nil, err
	}

	rep := &FlashCrowdReport{}
	crowd := Crowd{Player: f.Player(), Size: f.Size, Join: f.Join, Cap: 2 * f.Duration(), Seed: f.Seed}
	if f.Premiere > 0 {
		served := handler.Load().ServedBytes()
		if rep.Prefetch, err = f.prefetch(ctx, boxes); err != nil {
			return nil, err
		}
		rep.Prefetch.OriginBytes = handler.Load().ServedBytes() - served
		f.logf("premiere: %d boxes hold the episode after %v; releasing it", rep.Prefetch.Boxes, rep.Prefetch.Took.Round(time.Second))
		crowd.Ready = func(ctx context.Context, i int) error {
			wctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			return boxes[i].WaitPlayable(wctx, episodeID)
		}
	}
	before := sumStats(ctx, boxes)
	var seedBefore byteSums
	if seedBox != nil {
		seedBefore = sumStats(ctx, []*Daemon{seedBox})
	}
	origin0 := handler.Load().ServedBytes()
	viewers := make([]Viewer, len(boxes))
	for i, d := range boxes {
		viewers[i] = Viewer{Client: d.Client, URL: d.URL("/api/stream/" + episodeID)}
	}
	f.logf("swarm: %d players start within %v (cut after %v)", len(viewers), f.Join, crowd.Cap)
	if f.Premiere > 0 {
		if err := ch.Release(ctx); err != nil {
			return nil, err
		}
	}
	cpu0 := boxCPU(boxes)
	t0 := time.Now()
	cpuWatch := WatchCPU("/proc/stat", time.Second)
	stopTrace := f.traceBoxes(ctx, t0, seedBox, boxes)
	results := Watch(ctx, RealClock{}, crowd, viewers)
	rep.SwarmDuration = time.Since(t0)
	rep.CPU = cpuWatch.Stop()
	cpuIdle := rep.CPU
	cpu1 := boxCPU(boxes)
	stopTrace()
	if f.Trace != nil {
		for i, r := range results {
			fmt.Fprintf(f.Trace, "result,%d,%v,%.3f,%d,%.3f,%.3f,%.3f,%.3f\n", i+1, r.Started, r.TTFF.Seconds(), r.Stalls, r.Stalled.Seconds(), r.FinishedAt.Seconds(), r.Joined.Seconds(), r.LastStall.Seconds())
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	after := sumStats(ctx, boxes)
	var seedUploaded int64
	if seedBox != nil {
		seedUploaded = sumStats(ctx, []*Daemon{seedBox}).BytesUploaded - seedBefore.BytesUploaded
	}
	swarmSum := Summarize("swarm", results)
	swarmSum.OriginBytes = handler.Load().ServedBytes() - origin0
	swarmSum.PeerBytes = after.BytesFromPeers - before.BytesFromPeers
	rep.Figures = Figures{
		Scenario: f.ScenarioName(), Invalid: cpuIdle.Invalid(), SupplyRatio: f.SupplyRatio(), CPUIdleMin: cpuIdle.Min,
		Swarm: swarmSum, OriginUseful: after.BytesFromWebSeed - before.BytesFromWebSeed, Uploaded: after.BytesUploaded - before.BytesUploaded,
		UploadAllowed: uploadAllowed(results, rep.SwarmDuration, func(i int) int64 { return f.boxLink(i).Up / 8 }), BoxCPU: cpu1 - cpu0,
		Flow: CrowdFlow(results), SeedUploaded: seedUploaded, PeersWasted: after.BytesFromPeersWasted - before.BytesFromPeersWasted,
		PeersAfterOrigin: after.BytesFromPeersAfterOrigin - before.BytesFromPeersAfterOrigin,
	}

	if f.Seeks > 0 {
		f.logf("seeks: %d fresh boxes each start the episode and seek once after 2 s", f.Seeks)
		var others []string
		for _, p := range peers {
			if p != btAddr(f.Boxes+1) {
				others = append(others, p)
			}
		}
		rep.Seeks, err = f.seeks(ctx, func(name string) (*Daemon, error) {
			return start(f.Boxes+1, name, others)
		})
		if err != nil {
			rep.SeekErr = err.Error()
		}
	}

	f.logf("stopping the boxes")
	stopAll(&dmu, &daemons)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.NoBaseline {
		return rep, nil
	}

	// Baseline: the same crowd reads the file from the origin over plain HTTP
	// (for a premiere: every viewer presses play within Join of the release).
	crowd.Ready = nil
	handler.Store(publish.NewOrigin(ch.Dir, publish.OriginOptions{RateLimit: rate}))
	for i := range viewers {
		viewers[i] = Viewer{
			Client: &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: DialerIn(hosts[i+1].NS), DisableCompression: true}},
			URL:    ch.MediaURL(),
		}
	}
	f.logf("http: %d players start within %v (cut after %v)", len(viewers), f.Join, crowd.Cap)
	t0 = time.Now()
	results = Watch(ctx, RealClock{}, crowd, viewers)
	rep.HTTPDuration = time.Since(t0)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Figures.HTTP = Summarize("http", results)
	rep.Figures.HTTP.OriginBytes = handler.Load().ServedBytes()
	return rep, nil
}

// prefetches reports whether viewing box i (from 0) pre-fetches the
// premiere: Premiere of the boxes, spread evenly.
func (f *FlashCrowd) prefetches(i int) bool {
	return math.Floor(float64(i+1)*f.Premiere) > math.Floor(float64(i)*f.Premiere)
}

// prefetch opens the overnight window of the boxes that pre-fetch (all
// day, as if it were night), closes the others', and waits until the
// pre-fetching boxes hold the whole episode (at most 10 minutes).
func (f *FlashCrowd) prefetch(ctx context.Context, boxes []*Daemon) (PrefetchReport, error) {
	var rep PrefetchReport
	start := time.Now()
	for i := range boxes {
		if f.prefetches(i) {
			rep.Boxes++
		}
	}
	f.logf("premiere: %d of %d boxes pre-fetch the embargoed episode under their overnight window", rep.Boxes, len(boxes))
	err := parallel(ctx, len(boxes), 8, func(i int) error {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		if err := boxes[i].SetNightWindow(wctx, f.prefetches(i), time.Now()); err != nil {
			return err
		}
		if !f.prefetches(i) {
			return nil
		}
		return boxes[i].WaitEpisode(wctx, episodeID, 1)
	})
	rep.Took = time.Since(start)
	if err != nil {
		return rep, fmt.Errorf("premiere pre-fetch: %w", err)
	}
	return rep, nil
}

// seeks measures f.Seeks seeks, each on a fresh box (a new data dir in the
// seeker's namespace): the viewer starts the episode, watches for 2 s, then
// seeks to a uniformly random position: the old request is closed and a
// Range request made, as mpv does. The figure is the time from that
// request to the first 64 KiB at the new position; the box then plays on
// for a second and is stopped.
func (f *FlashCrowd) seeks(ctx context.Context, start func(name string) (*Daemon, error)) ([]time.Duration, error) {
	rng := rand.New(rand.NewPCG(f.Seed, 3))
	cfg := SeekConfig{Probe: 64 << 10, Hold: time.Second, BytesPerSecond: f.BitsPerSec / 8, Size: f.Size, Timeout: 30 * time.Second}
	var out []time.Duration
	for i := 0; i < f.Seeks; i++ {
		d, err := start(fmt.Sprintf("seeker%02d", i+1))
		if err != nil {
			return out, err
		}
		took, err := func() (time.Duration, error) {
			defer d.Stop(10 * time.Second)
			wctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			if err := d.WaitEpisode(wctx, episodeID, 0); err != nil {
				return 0, err
			}
			v := Viewer{Client: d.Client, URL: d.URL("/api/stream/" + episodeID)}
			pctx, stopPlaying := context.WithCancel(ctx)
			played := make(chan PlayResult, 1)
			go func() {
				played <- watchOne(pctx, RealClock{}, Crowd{Player: f.Player(), Size: f.Size, Cap: time.Minute}, v)
			}()
			err := RealClock{}.Sleep(ctx, 2*time.Second)
			stopPlaying()
			<-played
			if err != nil {
				return 0, err
			}
			off := rng.Int64N(f.Size - cfg.Probe)
			took, err := seekOnce(ctx, RealClock{}, cfg, v, off)
			if err != nil {
				return 0, fmt.Errorf("seek to byte %d: %w", off, err)
			}
			return took, nil
		}()
		if err != nil {
			return out, fmt.Errorf("seek %d: %w", i+1, err)
		}
		out = append(out, took)
	}
	return out, nil
}

// traceBoxes samples every box's episode figures every 500 ms until the
// returned stop is called, writing "box,<s since t0>,<box>,<peers>,
// <bytes from peers>,<bytes from origin>,<bytes uploaded>,<completion>"
// lines to f.Trace; box 0 is the seed box (nil: none). A no-op without
// Trace.
func (f *FlashCrowd) traceBoxes(ctx context.Context, t0 time.Time, seed *Daemon, viewers []*Daemon) (stop func()) {
	if f.Trace == nil {
		return func() {}
	}
	boxes := append([]*Daemon{seed}, viewers...)
	tctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tctx.Done():
				return
			case <-tick.C:
			}
			at := time.Since(t0).Seconds()
			lines := make([]string, len(boxes))
			var wg sync.WaitGroup
			for i, d := range boxes {
				if d == nil {
					continue
				}
				wg.Go(func() {
					sctx, c := context.WithTimeout(tctx, time.Second)
					t, err := d.EpisodeStats(sctx, episodeID)
					c()
					if err == nil {
						lines[i] = fmt.Sprintf("box,%.2f,%d,%d,%d,%d,%d,%.4f\n", at, i, t.Peers,
							t.BytesFromPeers, t.BytesFromWebSeed, t.BytesUploaded, t.Completion)
					}
				})
			}
			wg.Wait()
			for _, l := range lines {
				io.WriteString(f.Trace, l)
			}
		}
	}()
	return func() { cancel(); <-done }
}

type byteSums struct {
	BytesFromPeers, BytesFromWebSeed, BytesUploaded, BytesFromPeersWasted, BytesFromPeersAfterOrigin int64
	BytesFromOriginSupplements                                                                       int64
}

// sumStats adds up the boxes' episode figures; a box that does not answer
// counts as zero.
func sumStats(ctx context.Context, boxes []*Daemon) byteSums {
	var s byteSums
	for _, d := range boxes {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		t, err := d.EpisodeStats(sctx, episodeID)
		cancel()
		if err == nil {
			s.BytesFromPeers += t.BytesFromPeers
			s.BytesFromWebSeed += t.BytesFromWebSeed
			s.BytesUploaded += t.BytesUploaded
			s.BytesFromPeersWasted += t.BytesFromPeersWasted
			s.BytesFromPeersAfterOrigin += t.BytesFromPeersAfterOrigin
			s.BytesFromOriginSupplements += t.BytesFromOriginSupplements
		}
	}
	return s
}

// boxCPU is the daemons' CPU time so far; a daemon that cannot be read
// (it exited) counts as zero.
func boxCPU(boxes []*Daemon) time.Duration {
	var sum time.Duration
	for _, d := range boxes {
		if c, err := d.CPUTime(); err == nil {
			sum += c
		}
	}
	return sum
}

// uploadAllowed is what the boxes may upload in a phase of length phase,
// box i with an uplink of up(i) bytes/s: the watching share of the uplink
// while the box's player reads (from its join to its finish), the whole
// uplink before and after.
func uploadAllowed(results []PlayResult, phase time.Duration, up func(i int) int64) int64 {
	var allowed float64
	for i, r := range results {
		watching := min(max(r.FinishedAt, 0), max(phase-r.Joined, 0))
		idle := phase - watching
		allowed += float64(up(i)) * (bandwidth.DefaultWatchingUploadShare*watching.Seconds() + idle.Seconds())
	}
	return int64(allowed)
}

// stopAll stops the daemons in parallel (10 s grace each) and forgets them.
func stopAll(mu *sync.Mutex, ds *[]*Daemon) {
	mu.Lock()
	list := *ds
	*ds = nil
	mu.Unlock()
	var wg sync.WaitGroup
	for _, d := range list {
		wg.Go(func() { d.Stop(10 * time.Second) })
	}
	wg.Wait()
}

// parallel runs fn(0..n-1) with at most width at once and returns the
// first error.
func parallel(ctx context.Context, n, width int, fn func(i int) error) error {
	sem := make(chan struct{}, width)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = fn(i)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// linkOrCopy places src at dst as a hard link, or a copy across file
// systems.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	return testmedia.CopyFile(src, dst)
}

// Player is the player model of the run: DefaultPlayer with the buffers
// f sets.
func (f *FlashCrowd) Player() PlayerConfig {
	pc := DefaultPlayer(f.BitsPerSec)
	if f.StartBuffer > 0 {
		pc.StartBuffer = f.StartBuffer
	}
	if f.ResumeBuffer > 0 {
		pc.ResumeBuffer = f.ResumeBuffer
	}
	return pc
}
