package swarm

import (
	"context"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
	"golang.org/x/time/rate"
)

// TestHeldConnsPerTorrent: a box that holds an episode completely takes as
// many connections for it as HeldConnsPerTorrent says, beyond
// EstablishedConnsPerTorrent x SeedConnsFactor (the network's seed box,
// atomicboxd -seed-conns). The seed box allows 1 connection per episode it
// does not hold (3 once held) and 5 for a held one; five leechers that
// dial it must all get in. Its upload is throttled so that no leecher
// completes (two complete boxes hang up on each other).
func TestHeldConnsPerTorrent(t *testing.T) {
	const leechers, held = 5, 5
	f := newFixture(t, 8<<20, false)
	dir := placedMedia(t, f, f.data)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seed, err := New(ctx, Config{DataDir: dir, ListenHost: "127.0.0.1", DisableDHT: true, DisableTrackers: true, Log: testLog(t),
		EstablishedConnsPerTorrent: 1, HeldConnsPerTorrent: held,
		ConfigureClient: func(tc *torrent.ClientConfig) {
			tc.UploadRateLimiter = rate.NewLimiter(64<<10, int(MaxReadAheadPerConn))
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seed.Close(context.Background()) })
	add(t, seed, f)
	for range leechers {
		l := newSwarm(t, t.TempDir(), seed.Addr())
		add(t, l, f)
		if err := l.Prefetch(f.id); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	most := 0
	for time.Now().Before(deadline) {
		for _, ts := range seed.Stats().Torrents {
			if ts.Episode == f.id {
				most = max(most, ts.Peers)
			}
		}
		if most >= leechers {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the seed box held at most %d connections for its episode, want %d (HeldConnsPerTorrent %d)", most, leechers, held)
}
