package bandwidth

import (
	"context"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testswarm"
	"golang.org/x/time/rate"
)

// TestUploadCapHoldsOnRealSwarm moves a file between two anacrolix clients
// on loopback with the seeder's upload limiter driven by a Scheduler: first at
// a 2 MiB/s daytime cap, then, mid-transfer, at the share allowed while the
// family is watching (1 MiB/s).
func TestUploadCapHoldsOnRealSwarm(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const size = 48 << 20 // room for re-measuring on a busy machine

	up, down := rate.NewLimiter(rate.Inf, 0), rate.NewLimiter(rate.Inf, 0)
	sched, err := New(up, down, "", Options{Clock: SystemClock(), Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	const capBytes = 2 << 20
	if err := sched.SetSettings(Settings{Day: Caps{Upload: capBytes}, WatchingUploadShare: 0.5}); err != nil {
		t.Fatal(err)
	}

	tr := testswarm.NewTransfer(t, ctx, size, sched.Configure, nil)
	st, lt := tr.Seed, tr.Leech
	lt.DownloadAll()

	uploaded := func() int64 { s := st.Stats(); return s.BytesWrittenData.Int64() }
	sleep := func(d time.Duration) {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out: %v", ctx.Err())
		case <-time.After(d):
		}
	}
	for uploaded() == 0 {
		sleep(20 * time.Millisecond)
	}
	// Skip the first second: it includes the limiter's initial burst.
	sleep(time.Second)
	measure := func(d time.Duration) float64 {
		t0, b0 := time.Now(), uploaded()
		sleep(d)
		return float64(uploaded()-b0) / time.Since(t0).Seconds()
	}
	// check measures the upload rate over windows of d. Above the cap by
	// more than 10% fails at once. Below it by more than 10% is measured
	// again (up to three windows): on a busy 2-core machine the leecher can
	// be starved of CPU, which says nothing about the cap.
	check := func(phase string, d time.Duration, want float64) {
		for attempt := 1; ; attempt++ {
			got := measure(d)
			t.Logf("%s: measured %.0f bytes/s (%.3f MiB/s) against a cap of %.2f MiB/s: %+.1f%%", phase, got, got/(1<<20), want/(1<<20), 100*(got-want)/want)
			ls := lt.Stats()
			if got > want*1.10 {
				t.Errorf("%s: upload %.0f bytes/s is more than 10%% over the cap %.0f", phase, got, want)
				return
			}
			if got >= want*0.90 {
				return
			}
			if attempt == 3 {
				t.Errorf("%s: upload %.0f bytes/s stayed more than 10%% under the cap %.0f for three windows (leecher has %d of %d bytes, %d active peers; seeder %d conns)",
					phase, got, want, lt.BytesCompleted(), size, ls.ActivePeers, len(st.PeerConns()))
				return
			}
		}
	}
	check("daytime cap", 4*time.Second, capBytes)

	sched.Watching(true)
	sleep(500 * time.Millisecond) // chunks already granted by the limiter drain
	check("while watching (cap changed mid-transfer)", 3*time.Second, capBytes/2)
	if lt.BytesCompleted() == size {
		t.Errorf("the transfer finished before the measurement ended; the measurement is not of a capped transfer")
	}
}
