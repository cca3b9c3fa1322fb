package collector_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/collector"
	"github.com/atomicnetwork/atomicbox/appliance/ledger"
)

// FuzzAccept: whatever arrives, Accept never panics, refuses what does not
// verify, never stores a report that fails ledger.VerifyReport, and the
// log it leaves opens again with the same tally.
func FuzzAccept(f *testing.F) {
	_, _, _, docs := triangle()
	for _, d := range docs {
		f.Add(d)
	}
	f.Add([]byte(`{"report":{},"signature":""}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		path := filepath.Join(t.TempDir(), "log")
		c := open(t, path, collector.Options{MaxReport: 16 << 10})
		_, err := c.Accept(doc)
		if err == nil {
			if _, verr := ledger.VerifyReport(doc); verr != nil {
				t.Fatalf("stored a report that does not verify: %v", verr)
			}
		} else if !errors.Is(err, collector.ErrInvalid) && !errors.Is(err, collector.ErrTooLarge) && !errors.Is(err, collector.ErrFuture) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		before, _ := c.Tally("2026-12")
		c.Close()
		c = open(t, path, collector.Options{})
		after, _ := c.Tally("2026-12")
		if len(before) != len(after) {
			t.Fatalf("tally changed across a restart: %v then %v", before, after)
		}
	})
}

// FuzzOpenLog: a log file of any content opens (starting from what it can
// read, the rest moved aside) and accepts reports after.
func FuzzOpenLog(f *testing.F) {
	dir := f.TempDir()
	seed := filepath.Join(dir, "log")
	c := open(f, seed, collector.Options{})
	_, _, _, docs := triangle()
	accept(f, c, docs...)
	c.Close()
	good, err := os.ReadFile(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-10])
	f.Add([]byte("atomicbox-collector-log-v1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "log")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := collector.Open(path, collector.Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer c.Close()
		x := newBox("fuzz")
		x.seq = 1 << 40 // above anything the data may hold
		if _, err := c.Accept(x.report(day("2026-12-01", 3))); err != nil {
			t.Fatalf("Accept after opening: %v", err)
		}
	})
}
