package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/publish"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbin"
)

// The small crowd: 16 MiB at 8 Mbit/s (16.8 s of media) on loopback, one
// daemon process per box, no shaping. Bounds come from runs on a loaded
// 2-core machine with a wide margin (figures in the comments).
const (
	smallSize    = 16 << 20
	smallBitrate = 8e6
)

func TestMain(m *testing.M) { testbin.Main(m) }

// loopbackNet is a channel on a loopback origin and boxes on loopback ports.
type loopbackNet struct {
	t      *testing.T
	ctx    context.Context
	bin    string
	ch     *Channel
	origin *publish.Origin
	url    string
}

func newLoopbackNet(t *testing.T, ctx context.Context, bin string, originRate int64) *loopbackNet {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &loopbackNet{t: t, ctx: ctx, bin: bin, url: "http://" + ln.Addr().String() + "/"}
	var mu sync.Mutex
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		o := n.origin
		mu.Unlock()
		o.ServeHTTP(w, r)
	})}
	// 256 KiB pieces, the publisher's for this bit rate, stated because
	// the bounds below were measured with them: with 128 KiB (2026-12-07,
	// 4 runs, the 2 cores loaded) TestCrowdSlowSeed's origin share read
	// 0.508 to 0.547, against 0.49 to 0.50 for the daemon without the
	// supplement that bound is there to catch.
	n.ch, err = PublishChannel(ctx, t.TempDir(), n.url, ChannelOptions{
		Size: smallSize, DurationSeconds: smallSize * 8 / smallBitrate, Seed: 3, PieceLength: 256 << 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	n.origin = publish.NewOrigin(n.ch.Dir, publish.OriginOptions{RateLimit: originRate})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return n
}

type loopbackBox struct {
	d      *Daemon
	btAddr string
}

// boxes starts n daemons that know each other (and extra peers) and waits
// until each lists the episode. seeded boxes hold the file from the start.
func (n *loopbackNet) boxes(count int, seeded bool, extra []string) []loopbackBox {
	t := n.t
	addrs := make([]string, count)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	}
	out := make([]loopbackBox, count)
	for i := range out {
		data := t.TempDir()
		if seeded {
			if err := os.MkdirAll(filepath.Join(data, "media"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := linkOrCopy(n.ch.MediaPath, filepath.Join(data, "media", filepath.Base(n.ch.MediaPath))); err != nil {
				t.Fatal(err)
			}
		}
		peers := append([]string(nil), extra...)
		for j, a := range addrs {
			if j != i {
				peers = append(peers, a)
			}
		}
		_, port, _ := net.SplitHostPort(addrs[i])
		var bt int
		fmt.Sscan(port, &bt)
		d, err := StartDaemon(n.ctx, DaemonConfig{
			Bin: n.bin, DataDir: data, APIAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), BTPort: bt,
			Channel: n.url, NetworkKey: n.ch.PublicKey(), Peers: peers,
			LogPath: filepath.Join(t.TempDir(), "atomicboxd.log"),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			d.Stop(10 * time.Second)
			if t.Failed() {
				t.Logf("atomicboxd %s log:\n%s", addrs[i], tailFile(d.Config().LogPath))
			}
		})
		out[i] = loopbackBox{d: d, btAddr: addrs[i]}
	}
	want := 0.0
	if seeded {
		want = 1
	}
	for _, b := range out {
		wctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
		err := b.d.WaitEpisode(wctx, episodeID, want)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (n *loopbackNet) watch(boxes []loopbackBox) []PlayResult {
	viewers := make([]Viewer, len(boxes))
	for i, b := range boxes {
		viewers[i] = Viewer{Client: b.d.Client, URL: b.d.URL("/api/stream/" + episodeID)}
	}
	crowd := Crowd{
		Player: DefaultPlayer(smallBitrate), Size: smallSize, Join: time.Second,
		Cap: 3 * secs(smallSize*8/smallBitrate), Seed: 1,
	}
	return Watch(n.ctx, RealClock{}, crowd, viewers)
}

// TestCrowdFallback: the peers hold nothing, so the origin (capped at 8
// MiB/s) is the only source: every player must start and receive the
// whole episode. Measured (2026-11, 2 busy cores): with anacrolix's web
// seed ttff p50 4.3-4.5 s, p95 5.1-5.3 s; with the swarm's deadline-driven
// origin fetches (2026-11-25) p50 0.23-1.35 s, p95 1.0-1.5 s (2.1-3.5 s
// with a longer peer grace); 2026-12-06, 8 runs with other tests loading
// the 2 cores (load average 2 to 15): p95 0.37-0.51 s. Bound 3 s: the web
// seed's 5.1 s fails by 2 s, today's worst has 6 times the room (the bound
// was 6 s, which the web seed passed; the longer peer grace's 3.5 s fails
// too: with no peer holding anything, waiting for them only delays the
// one source). The four boxes run in lockstep and fetch most pieces from
// the origin each (61 of 64 MiB delivered).
// Rebuffering with the player starting at its first frame (2026-11-25):
// 0.08 (0.018 before streams were paced; 0.31 when the origin never raced
// peers that hold a piece but upload 2 Mbit/s); bound 0.25.
func TestCrowdFallback(t *testing.T) {
	bin := testbin.Daemon(t) // before the clock starts: the build may take a while
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := newLoopbackNet(t, ctx, bin, 8<<20)
	boxes := n.boxes(4, false, nil)
	o0 := n.origin.ServedBytes()
	start := time.Now()
	s := Summarize("fallback", n.watch(boxes))
	s.OriginBytes = n.origin.ServedBytes() - o0
	t.Logf("fallback: %+v in %v", s, time.Since(start))
	if s.Started != 4 || s.Completed != 4 {
		t.Errorf("%d of 4 players started and %d completed with only the origin holding the episode; want all (errors: %v)", s.Started, s.Completed, s.Errors)
	}
	if bound := 3.0; s.TTFFP95 > bound {
		t.Errorf("ttff p95 %.2f s with the origin as the only source, want <= %.1f s", s.TTFFP95, bound)
	}
	if bound := 0.25; s.RebufferRatio > bound {
		t.Errorf("rebuffer ratio %.3f with the origin as the only source, want <= %.2f", s.RebufferRatio, bound)
	}
}

// TestCrowdSeeded: a seed box holds the episode and four boxes play it; the
// origin (capped at twice the bit rate) must not carry much of it.
// Measured: origin share 0.000-0.021, no rebuffering, ttff p95 0.31-0.78 s
// (2026-11-26: 0.010; 0.385 while the start-up window still supplemented
// from the origin whenever a stream was less than 6 s ahead);
// bounds 0.1 and 0.05.
func TestCrowdSeeded(t *testing.T) {
	bin := testbin.Daemon(t) // before the clock starts: the build may take a while
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := newLoopbackNet(t, ctx, bin, 2*smallBitrate/8)
	seed := n.boxes(1, true, nil)
	boxes := n.boxes(4, false, []string{seed[0].btAddr})
	o0 := n.origin.ServedBytes()
	start := time.Now()
	s := Summarize("seeded", n.watch(boxes))
	s.OriginBytes = n.origin.ServedBytes() - o0
	t.Logf("seeded: %+v origin share %.3f in %v", s, s.OriginShare(), time.Since(start))
	if s.Completed != 4 {
		t.Errorf("%d of 4 players completed, want 4 (errors: %v)", s.Completed, s.Errors)
	}
	if bound := 0.1; s.OriginShare() > bound {
		t.Errorf("origin share %.3f with a seed box on loopback, want <= %.2f", s.OriginShare(), bound)
	}
	if bound := 0.05; s.RebufferRatio > bound {
		t.Errorf("rebuffer ratio %.3f with a seed box on loopback, want <= %.2f", s.RebufferRatio, bound)
	}
}

// TestCrowdSlowSeed: the seed box uploads half the bit rate and the boxes
// do not know their uplink (2 Mbit/s each while they play), so peers alone
// are too slow for three boxes; the origin (twice the bit rate) must carry
// the rest: pieces past the readahead of a stream behind its schedule
// (the supplement) and overdue pieces while peers deliver less than half
// the bit rate. Measured (2026-11-25, 2 busy cores): origin share 0.66 to
// 0.84, rebuffering 0.13 to 0.21 (the daemon before the supplement: share
// 0.89, rebuffering 0.28; never racing peers: share 0.45 to 0.50,
// rebuffering 0.31 to 0.37); with the start-up window (2026-11-26) share
// 0.65, rebuffering 0.047; 2026-12-06, 8 runs with other tests loading the
// 2 cores (load average 2 to 15): share 0.57 to 0.63, rebuffering 0.018 to
// 0.16. Taking the race out of today's daemon (piecechoice's rescue of
// overdue pieces peers hold) measured share 0.58 to 0.60 and rebuffering
// 0.15 to 0.22 in 3 runs: the supplement and the start-up window now
// carry most of what the race did, and these bounds do not catch that.
// Taking the supplement out instead: share 0.49 and 0.50 (rebuffering
// 0.09 and 0.14). The share bound of 0.53 that was to catch it failed the
// daemon as it is in 1 of 8 runs on 2026-12-07 (share 0.525 in CI; 0.525
// to 0.607 over the 8 on a fresh machine). So the test asks the boxes how many
// origin bytes came as supplements (api.TransferStats
// .BytesFromOriginSupplements): 0.40 to 0.47 of what the players received
// in 4 runs, none without the supplement. Bounds: supplements >= 0.2,
// share >= 0.45, rebuffering <= 0.25.
func TestCrowdSlowSeed(t *testing.T) {
	bin := testbin.Daemon(t) // before the clock starts: the build may take a while
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := newLoopbackNet(t, ctx, bin, 2*smallBitrate/8)
	seed := n.boxes(1, true, nil)
	if err := seed[0].d.SetUploadCap(ctx, smallBitrate/8/2); err != nil {
		t.Fatal(err)
	}
	boxes := n.boxes(3, false, []string{seed[0].btAddr})
	daemons := make([]*Daemon, len(boxes))
	for i, b := range boxes {
		daemons[i] = b.d
	}
	o0, before := n.origin.ServedBytes(), sumStats(ctx, daemons)
	s := Summarize("slow seed", n.watch(boxes))
	s.OriginBytes = n.origin.ServedBytes() - o0
	supplements := sumStats(ctx, daemons).BytesFromOriginSupplements - before.BytesFromOriginSupplements
	supplementShare := float64(supplements) / float64(max(s.Delivered, 1))
	t.Logf("slow seed: %+v origin share %.3f, supplements %.3f of what the players received", s, s.OriginShare(), supplementShare)
	if s.Completed != 3 {
		t.Errorf("%d of 3 players completed, want 3 (errors: %v)", s.Completed, s.Errors)
	}
	if bound := 0.45; s.OriginShare() < bound {
		t.Errorf("origin share %.3f with a seed box at half the bit rate, want >= %.2f: the origin does not help streams that fall behind", s.OriginShare(), bound)
	}
	if bound := 0.2; supplementShare < bound {
		t.Errorf("supplements %.3f of what the players received, want >= %.2f: streams behind their schedule get no piece past their readahead from the origin", supplementShare, bound)
	}
	if bound := 0.25; s.RebufferRatio > bound {
		t.Errorf("rebuffer ratio %.3f, want <= %.2f", s.RebufferRatio, bound)
	}
}

// TestSeekPriority: one box streams from the start while the origin (capped
// at the bit rate, so the whole file takes ~17 s) is the only source; a seek
// to 80% must get its first 64 KiB soon, not after the bytes before it.
// Bound 3 s (a 256 KiB piece takes 0.25 s at that rate). Measured with
// anacrolix's web seed: 16.5-17.2 s (it fetched the file in order); with
// the swarm's deadline-driven origin fetches (2026-11-25): 0.63-0.81 s.
func TestSeekPriority(t *testing.T) {
	bin := testbin.Daemon(t) // before the clock starts: the build may take a while
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := newLoopbackNet(t, ctx, bin, smallBitrate/8)
	box := n.boxes(1, false, nil)[0]
	v := Viewer{Client: box.d.Client, URL: box.d.URL("/api/stream/" + episodeID)}
	played := make(chan PlayResult, 1)
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		played <- watchOne(pctx, RealClock{}, Crowd{Player: DefaultPlayer(smallBitrate), Size: smallSize, Cap: time.Minute}, v)
	}()
	time.Sleep(2 * time.Second)
	st, err := box.d.EpisodeStats(ctx, episodeID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Completion > 0.5 {
		t.Fatalf("the box held %.2f of the episode before the seek: the test needs it still downloading", st.Completion)
	}
	off := int64(smallSize) * 8 / 10
	took, err := seekOnce(ctx, RealClock{}, SeekConfig{Probe: 64 << 10, Size: smallSize, Timeout: 30 * time.Second, BytesPerSecond: smallBitrate / 8}, v, off)
	stop()
	<-played
	t.Logf("seek to 80%% took %v; the box held %.2f of the episode before it", took, st.Completion)
	if err != nil {
		t.Fatalf("seek to 80%%: %v", err)
	}
	if bound := 3 * time.Second; took > bound {
		t.Errorf("seek to 80%% got its first 64 KiB after %v, want <= %v", took, bound)
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func tailFile(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(data) > 4<<10 {
		data = data[len(data)-4<<10:]
	}
	return string(data)
}
