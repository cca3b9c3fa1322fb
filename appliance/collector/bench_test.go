package collector

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/ledger"
)

// benchCounterparts is how many boxes each generated box meets a day.
const benchCounterparts = 20

func benchKey(i int) ed25519.PrivateKey {
	seed := make([]byte, 32)
	binary.BigEndian.PutUint64(seed, uint64(i)+1)
	return ed25519.NewKeyFromSeed(seed)
}

func benchPub(keys []ed25519.PrivateKey, i int) ledger.BoxKey {
	return ledger.BoxKey(keys[i].Public().(ed25519.PublicKey))
}

// benchDay is box i's day among n boxes: it meets the 10 boxes after it and
// the 10 before it (a ring), gives each 1 MiB + i and gets what they say
// they gave, so every gift is confirmed and every box is seen by many.
func benchDay(date string, pubs []string, i int) ledger.ReportDay {
	n := len(pubs)
	d := ledger.ReportDay{Date: date, Torrents: []ledger.ReportTorrent{{InfoHash: strings.Repeat("cd", 20)}}}
	for k := 1; k <= benchCounterparts/2; k++ {
		for _, j := range []int{(i + k) % n, (i - k + n) % n} {
			d.Boxes = append(d.Boxes, ledger.ReportBox{BoxKey: pubs[j], Gave: 1<<20 + int64(i), Got: 1<<20 + int64(j)})
			d.BytesUploaded += 1<<20 + int64(i)
		}
	}
	sortBoxes(d.Boxes)
	d.Peers = len(d.Boxes)
	d.Torrents[0].BytesUploaded, d.Torrents[0].Peers = d.BytesUploaded, d.Peers
	return d
}

func sortBoxes(bs []ledger.ReportBox) {
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && bs[j].BoxKey < bs[j-1].BoxKey; j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
		}
	}
}

// BenchmarkAccept measures reports verified and stored (one fsync each):
// each op is one box's daily report naming 20 boxes.
func BenchmarkAccept(b *testing.B) {
	const boxes = 200
	keys := make([]ed25519.PrivateKey, boxes)
	pubs := make([]string, boxes)
	for i := range keys {
		keys[i] = benchKey(i)
		pubs[i] = benchPub(keys, i).String()
	}
	docs := make([][]byte, b.N)
	for n := range docs {
		i := n % boxes
		date := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (n/boxes)%30).Format(ledger.DateFormat)
		docs[n] = ledger.SignReport(ledger.Report{Sequence: uint64(n + 1), From: date, To: date, TimeZone: "UTC",
			Days: []ledger.ReportDay{benchDay(date, pubs, i)}}, keys[i])
	}
	c, err := Open(filepath.Join(b.TempDir(), "log"), Options{Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.SetBytes(int64(len(docs[0])))
	b.ResetTimer()
	start := time.Now()
	for n := range b.N {
		if _, err := c.Accept(docs[n]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reports/s")
}

// BenchmarkTallyMonth measures the month's tally for COLLECTOR_BENCH_BOXES
// boxes (default 10,000) that each reported 30 days meeting 20 boxes a day.
// The state is built by apply (what Accept does after verifying and
// storing), from reports that are not signed: signing and fsync are
// BenchmarkAccept's part.
func BenchmarkTallyMonth(b *testing.B) {
	n := 10_000
	if s := os.Getenv("COLLECTOR_BENCH_BOXES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	c := &Collector{opts: Options{Log: slog.New(slog.DiscardHandler)}, index: map[ledger.BoxKey]uint32{}, cache: map[string]tallyCache{}}
	pubs := make([]string, n)
	for i := range pubs {
		var k ledger.BoxKey
		binary.BigEndian.PutUint64(k[:], uint64(i)+1) // any 32 bytes: tally never verifies
		pubs[i] = k.String()
	}
	genStart := time.Now()
	for i := range n {
		r := ledger.Report{BoxKey: pubs[i], Sequence: 1}
		for d := range 30 {
			r.Days = append(r.Days, benchDay(fmt.Sprintf("2026-11-%02d", d+1), pubs, i))
		}
		c.apply(r)
	}
	b.Logf("%d boxes x 30 days x %d counterparts applied in %s", n, benchCounterparts, time.Since(genStart).Round(time.Millisecond))
	b.ResetTimer()
	var rows []Row
	for range b.N {
		c.gen++ // no cached tally
		var err error
		if rows, err = c.Tally("2026-11"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if len(rows) != n || rows[n-1].ConfirmingBoxes != benchCounterparts {
		b.Fatalf("tally has %d rows, last %+v", len(rows), rows[len(rows)-1])
	}
	b.ReportMetric(float64(n), "boxes")
}

// BenchmarkReopen measures a restart: opening a log of 2,000 stored
// reports (each naming 20 boxes) re-verifies and replays every one.
func BenchmarkReopen(b *testing.B) {
	const reports, boxes = 2000, 200
	keys := make([]ed25519.PrivateKey, boxes)
	pubs := make([]string, boxes)
	for i := range keys {
		keys[i] = benchKey(i)
		pubs[i] = benchPub(keys, i).String()
	}
	path := filepath.Join(b.TempDir(), "log")
	opts := Options{Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) }}
	c, err := Open(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	for n := range reports {
		i := n % boxes
		date := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n/boxes).Format(ledger.DateFormat)
		doc := ledger.SignReport(ledger.Report{Sequence: uint64(n + 1), From: date, To: date, TimeZone: "UTC",
			Days: []ledger.ReportDay{benchDay(date, pubs, i)}}, keys[i])
		if _, err := c.Accept(doc); err != nil {
			b.Fatal(err)
		}
	}
	want, _ := c.Tally("2026-11")
	c.Close()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		c, err := Open(path, opts)
		if err != nil {
			b.Fatal(err)
		}
		got, _ := c.Tally("2026-11")
		c.Close()
		if len(got) != len(want) || got[0] != want[0] {
			b.Fatalf("tally after reopen differs")
		}
	}
	b.ReportMetric(float64(reports*b.N)/time.Since(start).Seconds(), "reports/s")
}
