package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/collector"
	"github.com/atomicnetwork/atomicbox/appliance/ledger"
)

// TestCollect runs the collect subcommand on loopback: three boxes'
// ledgers (real ledgers, each naming the others) post their reports; the
// table confirms what each gave; a stop and a restart keep it.
func TestCollect(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "collector.log")
	keys := make([]ed25519.PrivateKey, 3)
	pubs := make([]ledger.BoxKey, 3)
	docs := make([][]byte, 3)
	for i := range keys {
		seed := bytes.Repeat([]byte{byte(i + 1)}, 32)
		keys[i] = ed25519.NewKeyFromSeed(seed)
		pubs[i] = ledger.BoxKey(keys[i].Public().(ed25519.PublicKey))
	}
	for i := range keys {
		l, err := ledger.Open(filepath.Join(dir, fmt.Sprintf("ledger%d.json", i)), ledger.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for j := range keys {
			if j != i {
				// box i gave box j (i+1)*1000 bytes and got (j+1)*1000 from it
				l.RecordBox([20]byte{1}, [20]byte{byte(j)}, pubs[j], int64(i+1)*1000, int64(j+1)*1000)
			}
		}
		if docs[i], err = l.Report(time.Now(), time.Now(), keys[i]); err != nil {
			t.Fatal(err)
		}
	}
	start := func() (string, func()) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- runCollect(ctx, ln, state, collector.Options{Log: slog.New(slog.DiscardHandler)}) }()
		return "http://" + ln.Addr().String(), func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("runCollect: %v", err)
			}
		}
	}
	table := func(base string) collector.Table {
		resp, err := http.Get(base + collector.ConfirmedPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tb collector.Table
		if err := json.NewDecoder(resp.Body).Decode(&tb); err != nil {
			t.Fatal(err)
		}
		return tb
	}
	base, stop := start()
	for _, d := range docs {
		resp, err := http.Post(base+collector.ReportsPath, "application/json", bytes.NewReader(d))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST: %s %s", resp.Status, body)
		}
	}
	before := table(base)
	stop()
	base, stop = start()
	defer stop()
	after := table(base)
	if len(after.Rows) != 3 {
		t.Fatalf("after restart: %+v", after)
	}
	for i, r := range after.Rows {
		// box k gave each of the two others (k+1)*1000; the others confirm it.
		if r != before.Rows[i] {
			t.Errorf("row %d changed across the restart: %+v then %+v", i, before.Rows[i], r)
		}
	}
	if want := int64(2 * 3000); after.Rows[0].Confirmed != want || after.Rows[0].BoxKey != pubs[2].String() {
		t.Errorf("top row %+v, want box 3 with %d confirmed", after.Rows[0], want)
	}
}
