package rssbench

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testbin"
)

// Budget is the daemon's RSS budget from issue 6 (a 1 GiB Pi shared with
// the UI).
const Budget = 150 << 20

// TestSeedingRSS is the small version of the benchmark: a real daemon
// seeds 10 torrents to 4 leechers; its peak RSS must stay under Budget and
// the leechers must actually receive data from it.
func TestSeedingRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real daemon for about 30 s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	work := t.TempDir()
	bin, err := testbin.Build(ctx, work, testbin.DaemonPackage)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(ctx, Config{
		Bin: bin, Work: work, Torrents: 10, Size: 16 << 20, Leechers: 4,
		Warmup: 3 * time.Second, Duration: 10 * time.Second,
		Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	WriteTable(&b, r, Budget)
	t.Log("\n" + b.String())
	if r.PeakRSS > Budget {
		t.Errorf("peak RSS %d MiB, budget %d MiB", r.PeakRSS>>20, Budget>>20)
	}
	if r.Samples == 0 || r.SteadyRSSMean == 0 {
		t.Errorf("no RSS samples taken: %+v", r)
	}
	if r.UploadRate < 256<<10 {
		t.Errorf("leechers received %.0f B/s from the daemon; the benchmark did not load it", r.UploadRate)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
