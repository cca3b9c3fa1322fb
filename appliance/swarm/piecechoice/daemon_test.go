package piecechoice

import (
	"testing"
	"time"
)

// TestPeerRate: the planner's "peers keep up" as the daemon and the
// simulator both compute it. Rows are successive calls on one PeerRate
// at 1 MB/s (keeping up is 500 kB/s averaged over about 2 s).
func TestPeerRate(t *testing.T) {
	type call struct {
		at        time.Duration // since t0
		streaming bool
		bytes     float64
		want      bool
		reason    string
	}
	tests := []struct {
		name  string
		calls []call
	}{
		{"slow peers", []call{
			{0, true, 0, true, "streams just opened: too early to tell"},
			{time.Second, true, 100e3, true, "open 1 s < PeerRateWindow"},
			{2 * time.Second, true, 200e3, false, "100 kB/s for 2 s, rate 75 kB/s < 500 kB/s"},
		}},
		{"fast peers", []call{
			{0, true, 1e6, true, "the counter's start is not counted"},
			{2 * time.Second, true, 3e6, true, "1 MB/s over the whole window"},
			{4 * time.Second, true, 3.1e6, false, "50 kB/s for a whole window replaces the average"},
		}},
		{"half a window", []call{
			{0, true, 0, true, "open"},
			{2 * time.Second, true, 2e6, true, "1 MB/s"},
			{3 * time.Second, true, 2e6, true, "nothing for 1 s: half weight, 500 kB/s is still keeping up"},
			{3*time.Second + 200*time.Millisecond, true, 2e6, false, "nothing for another 200 ms: under half the bit rate"},
		}},
		{"streams closed and reopened", []call{
			{0, true, 0, true, "open"},
			{3 * time.Second, true, 0, false, "nothing for 3 s"},
			{4 * time.Second, false, 0, true, "no stream: true, and the start is forgotten"},
			{5 * time.Second, true, 0, true, "reopened: too early to tell again"},
		}},
	}
	for _, tt := range tests {
		var r PeerRate
		for k, c := range tt.calls {
			if got := r.KeepUp(t0.Add(c.at), c.streaming, c.bytes, 1e6); got != c.want {
				t.Errorf("%s, call %d (%s): KeepUp = %v, want %v (rate %.0f B/s)", tt.name, k, c.reason, got, c.want, r.Rate)
			}
		}
	}
}

func TestReadaheadBytes(t *testing.T) {
	for _, tt := range []struct {
		seconds, bps float64
		want         int64
		reason       string
	}{
		{4, 1e6, 4e6, "4 s at 1 MB/s"},
		{2, 125e3, MinReadahead, "2 s of a 1 Mbit/s stream is under the floor"},
	} {
		if got := ReadaheadBytes(tt.seconds, tt.bps); got != tt.want {
			t.Errorf("ReadaheadBytes(%v, %v) = %d, want %d (%s)", tt.seconds, tt.bps, got, tt.want, tt.reason)
		}
	}
}

// The origin's fetch time as the daemon and the simulator both keep it.
func TestOriginTime(t *testing.T) {
	const piece = 1 << 20
	for _, tt := range []struct {
		avg, took  time.Duration
		ok, failed bool
		read       int64
		want       time.Duration
		reason     string
	}{
		{0, time.Second, true, false, piece, time.Second, "the first fetch sets it"},
		{time.Second, 2 * time.Second, true, false, piece, time.Second + 300*time.Millisecond, "then a moving average at OriginTimeWeight"},
		{time.Second, 2 * time.Second, false, false, piece / 4, time.Second + 2100*time.Millisecond, "cancelled at a quarter: counts 8 s"},
		{time.Second, 500 * time.Millisecond, false, false, 0, time.Second, "cancelled before its data, shorter than the average: says nothing"},
		{time.Second, 3 * time.Second, false, false, 0, time.Second + 600*time.Millisecond, "cancelled before its data, longer: at least that"},
		{time.Second, time.Hour, false, true, 0, time.Second, "a failure says nothing of the time"},
		{time.Second, 0, true, false, piece, time.Second, "never sent its request"},
	} {
		if got := NoteOriginTime(tt.avg, tt.took, tt.ok, tt.failed, tt.read, piece); got != tt.want {
			t.Errorf("NoteOriginTime(%v, %v, ok %v, failed %v, read %d) = %v, want %v (%s)", tt.avg, tt.took, tt.ok, tt.failed, tt.read, got, tt.want, tt.reason)
		}
	}
	if got := OriginFetchTime(time.Second, t0, time.Time{}); got != time.Second {
		t.Errorf("with nothing in flight: %v, want the average", got)
	}
	if got := OriginFetchTime(time.Second, t0, t0.Add(-5*time.Second)); got != 5*time.Second {
		t.Errorf("with a fetch 5 s in flight: %v, want 5 s", got)
	}
}
