package edge

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/tracker"
)

func TestPulseFileRoundTrip(t *testing.T) {
	ps := []ir.Pulse{{Level: true, Duration: 9000 * time.Microsecond}, {Duration: 4500 * time.Microsecond}}
	for i := 0; i < 40; i++ {
		ps = append(ps, ir.Pulse{Level: true, Duration: 563 * time.Microsecond}, ir.Pulse{Duration: 1689 * time.Microsecond})
	}
	ps = append(ps, ir.Pulse{Duration: 100 * time.Millisecond}) // adjacent spaces merge
	var buf bytes.Buffer
	w := NewPulseWriter(&buf, [2]string{"source", "test"}, [2]string{"note", "two\nlines"})
	for _, p := range ps {
		w.Write(p)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f, err := ReadPulses(&buf)
	if err != nil {
		t.Fatalf("ReadPulses: %v\n%s", err, buf.String())
	}
	want := append(append([]ir.Pulse(nil), ps[:len(ps)-2]...), ir.Pulse{Duration: 101689 * time.Microsecond})
	if diff := cmp.Diff(want, f.Pulses); diff != "" {
		t.Errorf("pulses (-want +got):\n%s", diff)
	}
	if f.Header("source") != "test" || f.Header("note") != "two lines" {
		t.Errorf("headers %q", f.Headers)
	}
}

func TestPulseFileRefuses(t *testing.T) {
	tests := []struct{ reason, in string }{
		{"empty file", ""},
		{"no magic line", "+563 -563\n"},
		{"wrong version", "# atomicbox ir pulses v2\n+1\n"},
		{"no sign", Magic + "\n563\n"},
		{"double sign", Magic + "\n+-563\n"},
		{"zero duration", Magic + "\n+0\n"},
		{"over an hour", Magic + "\n-3600000001\n"},
		{"not a number", Magic + "\n+12ab\n"},
		{"line too long", Magic + "\n" + strings.Repeat("+1 ", MaxLine) + "\n"},
	}
	for _, tt := range tests {
		if _, err := ReadPulses(strings.NewReader(tt.in)); !errors.Is(err, ErrPulseFile) {
			t.Errorf("%s: ReadPulses = %v, want ErrPulseFile", tt.reason, err)
		}
	}
}

// merge joins adjacent pulses of the same level, as the writer does.
func merge(ps []ir.Pulse) []ir.Pulse {
	var out []ir.Pulse
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1].Level == p.Level {
			out[n-1].Duration += p.Duration
			continue
		}
		out = append(out, p)
	}
	return out
}

// FuzzReadPulses: the reader never panics, and what it accepts survives a
// write and a second read unchanged (up to merging and the length limit).
func FuzzReadPulses(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := ReadPulses(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrPulseFile) {
				t.Errorf("error %v does not wrap ErrPulseFile", err)
			}
			return
		}
		var buf bytes.Buffer
		w := NewPulseWriter(&buf)
		for _, p := range pf.Pulses {
			w.Write(p)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		again, err := ReadPulses(&buf)
		if err != nil {
			t.Fatalf("re-reading written file: %v", err)
		}
		want := merge(pf.Pulses)
		for i := range want {
			want[i].Duration = min(want[i].Duration, MaxPulse)
		}
		if diff := cmp.Diff(want, again.Pulses); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	})
}

// TestSourceRecords: a source's recording of a capture is the capture (from
// its first edge, with the idle timeout's split spaces joined again).
func TestSourceRecords(t *testing.T) {
	in := []ir.Pulse{{Duration: time.Second}}
	in = append(in, ir.MustEncode(ir.RC6_0, 0x800f, true)...)
	in = append(in, ir.Pulse{Duration: 80 * time.Millisecond})
	in = append(in, ir.MustEncode(ir.RC6_0, 0x800f, true)...)
	in = append(in, ir.Pulse{Duration: DefaultIdle}) // the source reports the last space at the idle timeout
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() {
		err := WriteEvents(w, EventsFromPulses(in, time.Minute, 0, 18, false))
		w.Close()
		werr <- err
	}()
	var buf bytes.Buffer
	rec := NewPulseWriter(&buf, [2]string{"source", "fake"})
	if _, err := Run(context.Background(), r, Options{Replay: true, Record: rec}, tracker.Config{}, func(tracker.Event, time.Time) {}); err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Errorf("writing fake events: %v", err)
	}
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	pf, err := ReadPulses(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := merge(in[1:])
	for i := range want {
		want[i].Duration = want[i].Duration.Round(time.Microsecond)
	}
	if diff := cmp.Diff(want, pf.Pulses); diff != "" {
		t.Errorf("recording (-want +got):\n%s", diff)
	}
}
