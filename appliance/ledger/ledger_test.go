package ledger

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "time/tzdata" // Europe/Berlin whatever the machine has

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus under testdata/")

type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) Now() time.Time          { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeNow) Advance(d time.Duration) { f.mu.Lock(); f.t = f.t.Add(d); f.mu.Unlock() }

func id(b byte) [20]byte { var h [20]byte; h[0], h[19] = b, b; return h }

var (
	torrentX, torrentY = id(0xa1), id(0xb2)
	peerA, peerB       = id(0x01), id(0x02)
)

func TestRecordFlushReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.json")
	clock := &fakeNow{t: time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC)}
	l, err := Open(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	// Day one: 100 concurrent records from two peers on two torrents.
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 4 {
			case 0:
				l.Record(torrentX, peerA, 1000)
			case 1:
				l.Record(torrentX, peerB, 1000)
			case 2:
				l.Record(torrentY, peerA, 500)
			case 3:
				l.Record(torrentY, peerA, 0) // nothing sent: not a peer served
			}
		}()
	}
	wg.Wait()
	// Day two (UTC midnight passes): one peer, one torrent.
	clock.Advance(2 * time.Hour)
	l.Record(torrentY, peerB, 4096)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][20]byte{peerA, peerB} {
		if bytes.Contains(raw, []byte(hex.EncodeToString(p[:]))) {
			t.Errorf("ledger file holds a raw peer ID:\n%s", raw)
		}
	}
	var f fileV1
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Days) != 2 || f.Days[0].PeerHashes != nil || f.Days[0].Torrents[0].PeerHashes != nil {
		t.Errorf("the closed day still holds peer hashes: %+v", f.Days)
	}
	if len(f.Days) == 2 && len(f.Days[1].PeerHashes) != 1 {
		t.Errorf("the open day should keep its one peer hash to count distinct peers: %+v", f.Days[1])
	}

	// Reopen (as after a restart) and keep counting on day two: peerB again is not a new peer.
	l2, err := Open(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	l2.Record(torrentY, peerB, 4)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	data, err := l2.Report(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), clock.Now(), key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := VerifyReport(data)
	if err != nil {
		t.Fatal(err)
	}
	hx := func(h [20]byte) string { return hex.EncodeToString(h[:]) }
	want := []ReportDay{
		{Date: "2026-11-24", BytesUploaded: 25*1000 + 25*1000 + 25*500, Peers: 2, Torrents: []ReportTorrent{
			{InfoHash: hx(torrentX), BytesUploaded: 50000, Peers: 2},
			{InfoHash: hx(torrentY), BytesUploaded: 12500, Peers: 1},
		}},
		{Date: "2026-11-25", BytesUploaded: 4100, Peers: 1, Torrents: []ReportTorrent{
			{InfoHash: hx(torrentY), BytesUploaded: 4100, Peers: 1},
		}},
	}
	if diff := cmp.Diff(want, r.Days); diff != "" {
		t.Errorf("report days (-want +got)\n%s", diff)
	}
	wantTotals := Totals{BytesUploaded: 62500 + 4100, PeerDays: 3, Torrents: 2, Days: 2}
	if diff := cmp.Diff(wantTotals, r.Totals); diff != "" {
		t.Errorf("report totals (-want +got)\n%s", diff)
	}
	if r.Sequence != 1 || r.BoxKey != base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)) {
		t.Errorf("sequence %d, key %s", r.Sequence, r.BoxKey)
	}
	data2, err := l2.Report(clock.Now(), clock.Now(), key)
	if err != nil {
		t.Fatal(err)
	}
	l3, err := Open(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	data3, err := l3.Report(clock.Now(), clock.Now(), key)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := VerifyReport(data2)
	r3, _ := VerifyReport(data3)
	if r2.Sequence != 2 || r3.Sequence != 3 {
		t.Errorf("sequences %d, %d after a reopen; want 2, 3", r2.Sequence, r3.Sequence)
	}
}

func TestKeepsBoundedDays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	clock := &fakeNow{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	l, err := Open(path, Options{Now: clock.Now, Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		l.Record(torrentX, peerA, 10)
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		clock.Advance(24 * time.Hour)
	}
	clock.Advance(-24 * time.Hour)
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	var f fileV1
	raw, _ := os.ReadFile(path)
	json.Unmarshal(raw, &f)
	var dates []string
	for _, d := range f.Days {
		dates = append(dates, d.Date)
	}
	if diff := cmp.Diff([]string{"2026-01-03", "2026-01-04", "2026-01-05"}, dates); diff != "" {
		t.Errorf("days kept with Keep=3 (-want +got)\n%s", diff)
	}
}

func TestCorruptLedgerStartsFresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	if err := os.WriteFile(path, []byte(`{"format":1,"salt":`), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("corrupt ledger must start fresh, got %v", err)
	}
	l.Record(torrentX, peerA, 1)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(path + ".corrupt-*")
	if len(matches) != 1 {
		t.Errorf("corrupt file not kept aside: %v", matches)
	}
}

func TestBoxKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "box.key")
	k1, err := LoadOrCreateBoxKey(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := LoadOrCreateBoxKey(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !k1.Equal(k2) {
		t.Error("the key changed between loads")
	}
	os.Chmod(path, 0o644)
	if _, err := LoadOrCreateBoxKey(path, nil); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("a key file readable by others was not restricted: %v", fi.Mode().Perm())
	}
	os.WriteFile(path, []byte("not a key\n"), 0o600)
	k3, err := LoadOrCreateBoxKey(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k3.Equal(k1) {
		t.Error("a corrupt key file gave back the old key")
	}
	if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 1 {
		t.Errorf("corrupt key file not kept aside: %v", m)
	}
}

// signedReport returns a report exported by a fresh ledger with a fixed key.
func signedReport(t testing.TB) []byte {
	clock := &fakeNow{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	l, err := Open(filepath.Join(t.TempDir(), "ledger.json"), Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	l.Record(torrentX, peerA, 1<<20)
	l.Record(torrentY, peerB, 3<<20)
	data, err := l.Report(clock.Now().AddDate(0, 0, -7), clock.Now(), ed25519.NewKeyFromSeed(bytes.Repeat([]byte{5}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestVerifyReportRejectsTampering(t *testing.T) {
	good := signedReport(t)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{6}, 32))
	otherPub := base64.StdEncoding.EncodeToString(other.Public().(ed25519.PublicKey))

	// editReport decodes the signed body, changes it, and re-encodes it
	// keeping the original signature (or re-signing with resign).
	editReport := func(edit func(*Report), resign ed25519.PrivateKey) []byte {
		var env envelope
		if err := json.Unmarshal(good, &env); err != nil {
			t.Fatal(err)
		}
		var r Report
		if err := json.Unmarshal(env.Report, &r); err != nil {
			t.Fatal(err)
		}
		edit(&r)
		body, _ := json.Marshal(r)
		env.Report = body
		if resign != nil {
			env.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(resign, append([]byte(signContext), body...)))
		}
		out, _ := json.Marshal(env)
		return out
	}
	editEnvelope := func(edit func(*envelope)) []byte {
		var env envelope
		json.Unmarshal(good, &env)
		edit(&env)
		out, _ := json.Marshal(env)
		return out
	}
	tests := []struct {
		reason  string
		data    []byte
		wantErr string // substring; "" means valid
	}{
		{reason: "the exported report verifies", data: good},
		{reason: "re-encoding the envelope without touching the report bytes still verifies", data: editEnvelope(func(*envelope) {})},
		{reason: "tampered totals", data: editReport(func(r *Report) { r.Totals.BytesUploaded *= 10 }, nil), wantErr: "signature does not match"},
		{reason: "tampered day bytes", data: editReport(func(r *Report) { r.Days[0].BytesUploaded++ }, nil), wantErr: "signature does not match"},
		{reason: "box key swapped for another box's", data: editReport(func(r *Report) { r.BoxKey = otherPub }, nil), wantErr: "signature does not match"},
		{reason: "another box re-signs a copy of this box's figures with its own key: verifies, but as that box", data: editReport(func(r *Report) { r.BoxKey = otherPub }, other)},
		{reason: "inflated totals signed by the box itself are still refused (inconsistent)", data: editReport(func(r *Report) { r.Totals.BytesUploaded++; r.BoxKey = otherPub }, other), wantErr: "inconsistent"},
		{reason: "truncated signature", data: editEnvelope(func(e *envelope) { e.Signature = e.Signature[:40] }), wantErr: "signature is not 64 bytes"},
		{reason: "signature of zeros", data: editEnvelope(func(e *envelope) { e.Signature = base64.StdEncoding.EncodeToString(make([]byte, 64)) }), wantErr: "signature does not match"},
		{reason: "truncated document", data: good[:len(good)/2], wantErr: "not a signed report"},
		{reason: "empty input", data: nil, wantErr: "not a signed report"},
		{reason: "wrong kind", data: editReport(func(r *Report) { r.Kind = "something-else" }, other), wantErr: "not a contribution report"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			r, err := VerifyReport(tt.data)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("VerifyReport: %v", err)
				}
				if r.Totals.BytesUploaded != 4<<20 {
					t.Errorf("totals %+v", r.Totals)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("VerifyReport error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzVerifyReport(f *testing.F) {
	good := signedReport(f)
	f.Add(good)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := VerifyReport(data)
		if err != nil {
			return
		}
		if err := r.check(); err != nil {
			t.Fatalf("accepted an inconsistent report: %v", err)
		}
		if _, err := base64.StdEncoding.DecodeString(r.BoxKey); err != nil {
			t.Fatalf("accepted a report with a bad key: %v", err)
		}
	})
}

// TestWriteFuzzSeeds regenerates the checked-in seed corpus with -update.
func TestWriteFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzVerifyReport")
	good := signedReport(t)
	seeds := map[string][]byte{
		"signed":        good,
		"truncated":     good[:len(good)*2/3],
		"empty-object":  []byte(`{}`),
		"bad-signature": bytes.Replace(good, []byte(`"signature": "`), []byte(`"signature": "AAAA`), 1),
		"not-json":      []byte("report\x00\xff"),
	}
	for name, data := range seeds {
		path := filepath.Join(dir, name)
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("seed %s missing (run with -update): %v", name, err)
		}
	}
}

// BenchmarkRecord measures the per-call cost of Record from parallel goroutines.
func BenchmarkRecord(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "ledger.json"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		i := byte(0)
		for pb.Next() {
			i++
			l.Record(torrentX, id(i%50), 16<<10)
		}
	})
}

// A household in Berlin (UTC+1 in winter) sees its day roll over at its own
// midnight: 23:30 UTC on the 24th is already the 25th there, so an upload at
// 22:30 UTC and one at 23:30 UTC land on two dates, and the report says
// which calendar its dates are in. SetLocation moves the boundary later.
func TestDaysRollOverAtTheHouseholdsMidnight(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	clock := &fakeNow{t: time.Date(2026, 11, 24, 22, 30, 0, 0, time.UTC)}
	l, err := Open(filepath.Join(t.TempDir(), "ledger.json"), Options{Now: clock.Now, Location: berlin})
	if err != nil {
		t.Fatal(err)
	}
	l.Record(torrentX, peerA, 100) // 23:30 in Berlin: the 24th
	clock.Advance(time.Hour)
	l.Record(torrentX, peerB, 200) // 00:30 in Berlin: the 25th
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	r := report(t, l, key, clock.Now().Add(-48*time.Hour), clock.Now())
	got := map[string]int64{}
	for _, d := range r.Days {
		got[d.Date] = d.BytesUploaded
	}
	want := map[string]int64{"2026-11-24": 100, "2026-11-25": 200}
	if diff := cmp.Diff(want, got); diff != "" || r.TimeZone != "Europe/Berlin" || r.To != "2026-11-25" {
		t.Fatalf("days (-want +got):\n%s\ntimeZone %q to %q", diff, r.TimeZone, r.To)
	}

	// Back to UTC: 23:30 UTC is still the 24th, so the next upload joins
	// it, and the report's period ends on the 24th.
	l.SetLocation(nil)
	l.Record(torrentX, peerA, 1)
	r = report(t, l, key, clock.Now().Add(-48*time.Hour), clock.Now())
	if len(r.Days) != 1 || r.Days[0].Date != "2026-11-24" || r.Days[0].BytesUploaded != 101 || r.TimeZone != "UTC" || r.To != "2026-11-24" {
		t.Fatalf("after SetLocation(UTC): %+v timeZone %q", r.Days, r.TimeZone)
	}
}

func report(t *testing.T, l *Ledger, key ed25519.PrivateKey, from, to time.Time) Report {
	t.Helper()
	data, err := l.Report(from, to, key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := VerifyReport(data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRotatingPeerIDsAreBounded: a peer that takes a new ID for every
// request cannot grow the ledger without bound: a day remembers at most
// MaxPeersPerDay peers (then reads "at least" that many) and the file that
// is rewritten every minute stays small.
func TestRotatingPeerIDsAreBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	clock := &fakeNow{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	l, err := Open(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	const ids = 50_000
	for i := range ids {
		var p [20]byte
		p[0], p[1], p[2] = byte(i), byte(i>>8), byte(i>>16)
		l.Record(torrentX, p, 10)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Two sets (the day's, the torrent's) of 32 hex digits, indented: under 50
	// bytes a peer.
	if limit := int64(2*MaxPeersPerDay*50 + 8192); fi.Size() > limit {
		t.Errorf("after %d rotating peer IDs the ledger file is %d bytes, want at most %d", ids, fi.Size(), limit)
	}
	r := report(t, l, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)), clock.Now(), clock.Now())
	if len(r.Days) != 1 || r.Days[0].Peers != MaxPeersPerDay || r.Days[0].BytesUploaded != 10*ids {
		t.Errorf("report %+v, want %d peers (the bound) and all %d bytes", r.Days, MaxPeersPerDay, 10*ids)
	}
}

// TestSequenceSurvivesACorruptLedger: after three reports the ledger file is
// damaged (power cut, card): the box starts a fresh ledger, but its next
// report is number 4, never 1 again, so a verifier sees no duplicates.
func TestSequenceSurvivesACorruptLedger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.json")
	clock := &fakeNow{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	l, err := Open(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for want := uint64(1); want <= 3; want++ {
		if r := report(t, l, key, clock.Now(), clock.Now()); r.Sequence != want {
			t.Fatalf("report %d has sequence %d", want, r.Sequence)
		}
	}
	if err := os.WriteFile(path, []byte(`{"format":1,"salt":`), 0o644); err != nil {
		t.Fatal(err)
	}
	l2, err := Open(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if r := report(t, l2, key, clock.Now(), clock.Now()); r.Sequence != 4 {
		t.Errorf("first report after the ledger was lost: sequence %d, want 4", r.Sequence)
	}
}

// FuzzOpenLedger: whatever the ledger file holds, Open starts (fresh when
// unusable), records, flushes, and its report verifies.
// Seeds: testdata/fuzz/FuzzOpenLedger.
func FuzzOpenLedger(f *testing.F) {
	f.Add([]byte(`{"format":1,"salt":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","nextSequence":3,"days":[{"date":"2026-11-24","bytesUploaded":10,"peers":1,"peerHashes":["00000000000000000000000000000000"],"torrents":[]}]}`))
	f.Add([]byte(`{"format":1,"salt":"x","days":[{"date":"bad"}]}`))
	f.Add([]byte(`{"format":`))
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, 32))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "ledger.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		clock := &fakeNow{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
		l, err := Open(path, Options{Now: clock.Now, Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("Open on a fuzzed file: %v", err)
		}
		l.Record(torrentX, peerA, 100)
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		report(t, l, key, clock.Now(), clock.Now())
	})
}
