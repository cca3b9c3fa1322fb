package box_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/box"
	"github.com/atomicnetwork/atomicbox/appliance/collector"
	"github.com/atomicnetwork/atomicbox/appliance/ledger"
)

// TestContributorReportsAndFetchesConfirmed: a box's contributor sends its
// ledger's signed report to a collector on loopback and brings back what
// the two boxes it gave to confirmed (less than it claims: one of them got
// less than the box says it gave).
func TestContributorReportsAndFetchesConfirmed(t *testing.T) {
	dir := t.TempDir()
	now := func() time.Time { return time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) }
	c, err := collector.Open(filepath.Join(dir, "collector.log"), collector.Options{Now: now, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()

	keys := make([]ed25519.PrivateKey, 3)
	pubs := make([]ledger.BoxKey, 3)
	ledgers := make([]*ledger.Ledger, 3)
	for i := range keys {
		keys[i] = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(i + 10)}, 32))
		pubs[i] = ledger.BoxKey(keys[i].Public().(ed25519.PublicKey))
		if ledgers[i], err = ledger.Open(filepath.Join(dir, "ledger", string(rune('a'+i))+".json"), ledger.Options{Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	// Box 0 says it gave 1 and 2 5000 bytes each; 1 says it got 5000, 2
	// says 3000. 1 and 2 also swapped a little, so each is seen by a
	// box other than 0.
	ledgers[0].RecordBox([20]byte{1}, [20]byte{1}, pubs[1], 5000, 0)
	ledgers[0].RecordBox([20]byte{1}, [20]byte{2}, pubs[2], 5000, 0)
	ledgers[1].RecordBox([20]byte{1}, [20]byte{0}, pubs[0], 0, 5000)
	ledgers[1].RecordBox([20]byte{1}, [20]byte{2}, pubs[2], 10, 10)
	ledgers[2].RecordBox([20]byte{1}, [20]byte{0}, pubs[0], 0, 3000)
	ledgers[2].RecordBox([20]byte{1}, [20]byte{1}, pubs[1], 10, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var contribs []*box.Contributor
	for i := range keys {
		ct, err := box.NewContributor(srv.URL+"/", nil, ledgers[i], keys[i], now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := ct.Round(ctx); err != nil {
			t.Fatalf("box %d round: %v", i, err)
		}
		contribs = append(contribs, ct)
	}
	if err := contribs[0].Round(ctx); err != nil { // again, now that the others reported
		t.Fatal(err)
	}
	got := contribs[0].Confirmed()
	if got == nil || got.Month != "2026-12" || got.Claimed != 10000 || got.Confirmed != 8000 || got.Boxes != 2 {
		t.Errorf("confirmed %+v, want December: claimed 10000, confirmed 8000 by 2 boxes", got)
	}
	if _, err := box.NewContributor("ftp://x", nil, ledgers[0], keys[0], now, nil); err == nil {
		t.Error("a collector URL that is not http(s) was taken")
	}
}
