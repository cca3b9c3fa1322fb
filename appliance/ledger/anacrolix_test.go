package ledger

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/anacrolix/torrent"
	"github.com/atomicnetwork/atomicbox/appliance/testsupport/testswarm"
	"golang.org/x/time/rate"
)

// slowUploads makes the seeder slow enough (about 0.75 s for the test
// file) that a poll lands mid-transfer.
func slowUploads(cfg *torrent.ClientConfig) {
	cfg.UploadRateLimiter = rate.NewLimiter(4<<20, 1<<20)
	// v1.61 can lose the wake-up of a rate-limited writer until the next
	// keepalive (see bandwidth.KeepAliveTimeout); keep that short.
	cfg.KeepAliveTimeout = 500 * time.Millisecond
}

// TestMeterCountsRealUploads seeds a file from one anacrolix client to
// another on loopback with the seeder's uploads metered into a ledger, closes
// the connection, and checks the ledger against the client's own counters.
func TestMeterCountsRealUploads(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := Open(filepath.Join(t.TempDir(), "ledger.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMeter(l)
	tr := testswarm.NewTransfer(t, ctx, 3<<20, func(cfg *torrent.ClientConfig) {
		slowUploads(cfg)
		cfg.Callbacks.PeerConnClosed = m.PeerConnClosed
	}, slowUploads)
	seeder, leecher, st, lt := tr.Seeder, tr.Leecher, tr.Seed, tr.Leech
	lt.DownloadAll()
	// One poll mid-transfer, then none: the rest must come through the
	// close callback.
	for lt.BytesCompleted() < 1<<20 {
		select {
		case <-ctx.Done():
			t.Fatalf("download stalled: %v", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	m.Poll(seeder.Torrents())
	polled := l.uploadedToday()
	select {
	case <-lt.Complete().On():
	case <-ctx.Done():
		t.Fatalf("download did not complete: %v", ctx.Err())
	}
	leecher.Close() // the seeder's connection closes; its last bytes come through the callback
	var sent int64
	for {
		s := st.Stats()
		sent = s.BytesWrittenData.Int64()
		if len(st.PeerConns()) == 0 && l.uploadedToday() == sent {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("ledger has %d bytes, seeder sent %d, %d conns open: %v", l.uploadedToday(), sent, len(st.PeerConns()), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Logf("recorded by the mid-transfer poll: %d bytes; by the close callback: %d bytes", polled, sent-polled)
	if polled == 0 || polled == sent {
		t.Errorf("the test did not exercise both paths (poll %d of %d bytes)", polled, sent)
	}
	m.Poll(seeder.Torrents()) // a poll after the close adds nothing

	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	doc, err := l.Report(time.Now(), time.Now(), key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := VerifyReport(doc)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seeder sent %d payload bytes; ledger: %+v", sent, r.Totals)
	if sent < tr.Size {
		t.Errorf("seeder counted %d bytes sent, less than the %d-byte file", sent, tr.Size)
	}
	ih := st.InfoHash()
	want := []ReportTorrent{{InfoHash: hex.EncodeToString(ih[:]), BytesUploaded: sent, Peers: 1}}
	if len(r.Days) != 1 || len(r.Days[0].Torrents) != 1 || r.Days[0].Torrents[0] != want[0] {
		t.Errorf("ledger days = %+v, want one day with %+v", r.Days, want)
	}
}

// uploadedToday sums today's bytes (test helper).
func (l *Ledger) uploadedToday() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d := l.days[l.now().UTC().Format(DateFormat)]; d != nil {
		return d.all.bytes
	}
	return 0
}
