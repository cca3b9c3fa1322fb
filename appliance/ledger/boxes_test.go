package ledger

import (
	"bytes"
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func boxKeyOf(seed byte) (ed25519.PrivateKey, BoxKey) {
	k := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	return k, BoxKey(k.Public().(ed25519.PublicKey))
}

// TestNamedBoxesInTheReport: uploads to and downloads from peers that
// proved a box key are listed per day by key, survive a reopen of the
// ledger (the day closed in between), and still count as uploads.
func TestNamedBoxesInTheReport(t *testing.T) {
	clock := &fakeNow{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "ledger.json")
	l, err := Open(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	self, _ := boxKeyOf(1)
	_, b2 := boxKeyOf(2)
	_, b3 := boxKeyOf(3)
	l.RecordBox(torrentX, peerA, b2, 1000, 50)
	l.RecordBox(torrentX, peerA, b2, 500, 0)
	l.RecordBox(torrentY, peerB, b3, 0, 7000) // only downloaded from it
	l.Record(torrentY, id(9), 300)            // a peer that is not a box
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(24 * time.Hour) // the day closes
	l, err = Open(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := report(t, l, self, clock.Now().AddDate(0, 0, -1), clock.Now())
	if len(r.Days) != 1 {
		t.Fatalf("days %+v", r.Days)
	}
	want := []ReportBox{{BoxKey: b2.String(), Gave: 1500, Got: 50}, {BoxKey: b3.String(), Gave: 0, Got: 7000}}
	if b3.String() < b2.String() {
		want[0], want[1] = want[1], want[0]
	}
	if diff := cmp.Diff(want, r.Days[0].Boxes); diff != "" {
		t.Errorf("named boxes (-want +got):\n%s", diff)
	}
	if r.Days[0].BytesUploaded != 1800 || r.Days[0].Peers != 2 {
		t.Errorf("day %+v: want 1800 bytes to 2 peers", r.Days[0])
	}
}

// TestReportBoxRules: a signed report whose named boxes break the rules is
// refused even with a good signature.
func TestReportBoxRules(t *testing.T) {
	self, selfKey := boxKeyOf(1)
	_, b2 := boxKeyOf(2)
	_, b3 := boxKeyOf(3)
	lo, hi := b2.String(), b3.String()
	if hi < lo {
		lo, hi = hi, lo
	}
	tests := []struct {
		reason  string
		boxes   []ReportBox
		wantErr string
	}{
		{reason: "valid", boxes: []ReportBox{{BoxKey: lo, Gave: 10}, {BoxKey: hi, Gave: 90, Got: 5}}},
		{reason: "named boxes given more than the day's upload", boxes: []ReportBox{{BoxKey: lo, Gave: 101}}, wantErr: "more than the 100 uploaded"},
		{reason: "a box named twice", boxes: []ReportBox{{BoxKey: lo, Gave: 1}, {BoxKey: lo, Gave: 1}}, wantErr: "out of order or repeated"},
		{reason: "out of order", boxes: []ReportBox{{BoxKey: hi}, {BoxKey: lo}}, wantErr: "out of order"},
		{reason: "negative", boxes: []ReportBox{{BoxKey: lo, Got: -1}}, wantErr: "bad counts"},
		{reason: "not a key", boxes: []ReportBox{{BoxKey: "AAAA"}}, wantErr: "not an ed25519 public key"},
		{reason: "the box names itself", boxes: []ReportBox{{BoxKey: selfKey.String(), Gave: 1}}, wantErr: "names itself"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			day := ReportDay{Date: "2026-12-03", BytesUploaded: 100, Peers: 2,
				Torrents: []ReportTorrent{{InfoHash: strings.Repeat("ab", 20), BytesUploaded: 100, Peers: 2}}, Boxes: tt.boxes}
			doc := SignReport(Report{Sequence: 1, From: "2026-12-03", To: "2026-12-03", Days: []ReportDay{day}}, self)
			_, err := VerifyReport(doc)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("VerifyReport error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
