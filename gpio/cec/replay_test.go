package cec_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/cec"
	"github.com/atomicnetwork/atomicbox/gpio/cec/cectest"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/google/go-cmp/cmp"
	"github.com/jonboulle/clockwork"
)

var update = flag.Bool("update", false, "rewrite the expectations (tx and key lines) in testdata/*.cec")

// collectSink records key events. Safe for concurrent use.
type collectSink struct {
	mu  sync.Mutex
	evs []keys.Event
}

func (s *collectSink) SendKey(ev keys.Event) {
	s.mu.Lock()
	s.evs = append(s.evs, ev)
	s.mu.Unlock()
}

func (s *collectSink) take() []keys.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	evs := s.evs
	s.evs = nil
	return evs
}

// replay runs a Controller on a fake device and a fake clock, feeds it the
// rx lines of rec at their times (running every autorepeat and key-up
// timer at its exact time in between) and returns what it transmitted and
// sent to the sink, as a recording.
func replay(t *testing.T, rec cectest.Recording) cectest.Recording {
	t.Helper()
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(start)
	dev := cectest.NewDevice(rec.LogicalAddr, rec.PhysAddr, clock.Now)
	sink := &collectSink{}
	c := cec.New(cec.Config{Device: dev, Sink: sink, Clock: clock})
	idle := make(chan struct{}, 1)
	c.SetIdleHook(func() { idle <- struct{}{} })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	got := cectest.Recording{Header: rec.Header, LogicalAddr: rec.LogicalAddr, PhysAddr: rec.PhysAddr}
	step := func() {
		t.Helper()
		select {
		case <-idle:
		case <-time.After(5 * time.Second):
			t.Fatal("controller did not finish a step within 5 s")
		}
		c.WaitTransmits()
		for _, e := range sink.take() {
			got.Lines = append(got.Lines, cectest.Line{At: e.At.Sub(start), Dir: "key", Key: e.Key, Action: e.Action})
		}
		for {
			select {
			case tx := <-dev.Transmits():
				got.Lines = append(got.Lines, cectest.Line{At: tx.At.Sub(start), Dir: "tx", Msg: tx.Msg})
				continue
			default:
			}
			break
		}
	}
	advanceTo := func(at time.Duration) {
		t.Helper()
		for {
			dl, ok := c.Deadline()
			if !ok || dl.After(start.Add(at)) {
				break
			}
			clock.Advance(dl.Sub(clock.Now()))
			step()
		}
		if d := start.Add(at).Sub(clock.Now()); d > 0 {
			clock.Advance(d)
		}
	}
	var last time.Duration
	for _, l := range rec.Lines {
		if l.Dir != "rx" {
			continue
		}
		advanceTo(l.At)
		got.Lines = append(got.Lines, l)
		dev.Inject(l.Msg)
		step()
		last = l.At
	}
	advanceTo(last + 2*time.Second)
	return got
}

func lines(rec cectest.Recording) []string {
	var out []string
	for _, l := range rec.Lines {
		out = append(out, l.String())
	}
	return out
}

// TestReplay replays every recording in testdata and compares what the box
// transmitted and which keys it produced, with their times, against the
// tx and key lines of the recording (go test -update rewrites them).
func TestReplay(t *testing.T) {
	files, err := filepath.Glob("testdata/*.cec")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recordings in testdata (%v)", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := cectest.ParseRecording(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			got := replay(t, rec)
			if *update {
				if err := os.WriteFile(file, got.Format(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(lines(rec), lines(got)); diff != "" {
				t.Errorf("%s: replay differs (-want +got):\n%s", file, diff)
			}
		})
	}
}
