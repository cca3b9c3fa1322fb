package rssbench

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
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
	// 4 leechers at 256 KiB/s or more for 13 s receive well over 8 MiB.
	if r.Wrong != 0 || r.Checked < 8<<20 {
		t.Errorf("leechers got %d chunks that were not the episode's content and %d MiB that were; want none and at least 8 MiB", r.Wrong, r.Checked>>20)
	}
}

// TestEpisodeBytes: the content at an offset does not depend on how it is
// read (chunks start anywhere), and differs between episodes and offsets.
func TestEpisodeBytes(t *testing.T) {
	whole := make([]byte, 4096)
	episodeBytes(whole, 3, 1000)
	for _, cut := range []int{1, 7, 8, 9, 4095} {
		parts := make([]byte, 4096)
		episodeBytes(parts[:cut], 3, 1000)
		episodeBytes(parts[cut:], 3, 1000+int64(cut))
		if !bytes.Equal(parts, whole) {
			t.Errorf("read in two parts cut at %d: differs from one read", cut)
		}
	}
	other := make([]byte, 4096)
	episodeBytes(other, 4, 1000)
	moved := make([]byte, 4096)
	episodeBytes(moved, 3, 1000+16<<10)
	if bytes.Equal(other, whole) || bytes.Equal(moved, whole) || bytes.Equal(whole, make([]byte, 4096)) {
		t.Error("another episode, another offset or zeros hold the same bytes")
	}
}

// TestCheckStorage: a chunk with the content counts as checked; any other
// bytes (zeros, another episode's, the right ones a chunk off) count as
// wrong and make the piece read back so that its hash check fails.
func TestCheckStorage(t *testing.T) {
	const pieceLen = 256 << 10
	info := &metainfo.Info{Name: "z001.mp4", Length: 4 * pieceLen, PieceLength: pieceLen, Pieces: make([]byte, 4*20)}
	chunk := func(ep int, off int64) []byte {
		b := make([]byte, 16<<10)
		episodeBytes(b, ep, off)
		return b
	}
	tests := []struct {
		reason string
		data   []byte
		ok     bool
	}{
		{"the content of episode 1 at piece 2, chunk 1", chunk(1, 2*pieceLen+16<<10), true},
		{"zeros", make([]byte, 16<<10), false},
		{"episode 2's content at that offset", chunk(2, 2*pieceLen+16<<10), false},
		{"episode 1's content a chunk early", chunk(1, 2*pieceLen), false},
	}
	for _, tt := range tests {
		var checked, wrong atomic.Int64
		ih := metainfo.Hash{1}
		s := checkStorage{episodes: map[metainfo.Hash]int{ih: 1}, checked: &checked, wrong: &wrong}
		ti, err := s.OpenTorrent(context.Background(), info, ih)
		if err != nil {
			t.Fatal(err)
		}
		p := ti.Piece(info.Piece(2))
		if _, err := p.WriteAt(tt.data, 16<<10); err != nil {
			t.Fatal(err)
		}
		back := make([]byte, 16<<10)
		p.ReadAt(back, 16<<10)
		readsContent := bytes.Equal(back, chunk(1, 2*pieceLen+16<<10))
		if got := wrong.Load() == 0 && checked.Load() == 16<<10 && readsContent; got != tt.ok {
			t.Errorf("%s: checked %d bytes, %d wrong, reads back the content %v; want accepted = %v", tt.reason, checked.Load(), wrong.Load(), readsContent, tt.ok)
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
