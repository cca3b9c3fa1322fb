package tracker_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/atomicnetwork/atomicbox/gpio/tracker"
)

const ms = time.Millisecond

var (
	necOK   = ir.Code{Protocol: ir.NEC, Scancode: 0x0408}
	necBack = ir.Code{Protocol: ir.NEC, Scancode: 0x0428}
	rc5Up   = ir.Code{Protocol: ir.RC5, Scancode: 0x0010}
	sonyOK  = ir.Code{Protocol: ir.SIRC12, Scancode: 0x010065}
)

func frame(c ir.Code, toggle bool, at time.Duration) ir.Frame {
	return ir.Frame{Protocol: c.Protocol, Scancode: c.Scancode, Toggle: toggle, At: at}
}

func repeat(at time.Duration) ir.Frame { return ir.Frame{Protocol: ir.NEC, Repeat: true, At: at} }

// necHold is an NEC key held for n repeat codes: the frame's last edge at 0,
// the repeat codes' last edges 52 ms later and then every 108 ms.
func necHold(c ir.Code, start time.Duration, n int) []ir.Frame {
	fs := []ir.Frame{frame(c, false, start)}
	for i := 0; i < n; i++ {
		fs = append(fs, repeat(start+52*ms+time.Duration(i)*108*ms))
	}
	return fs
}

// copies is a key sent as copies of one frame every period.
func copies(c ir.Code, toggle bool, start, period time.Duration, n int) []ir.Frame {
	var fs []ir.Frame
	for i := 0; i < n; i++ {
		fs = append(fs, frame(c, toggle, start+time.Duration(i)*period))
	}
	return fs
}

func ev(c ir.Code, a keys.Action, at time.Duration) tracker.Event {
	return tracker.Event{Code: c, Action: a, At: at}
}

func long(e tracker.Event) tracker.Event { e.LongPress = true; return e }

func cat(fss ...[]ir.Frame) []ir.Frame {
	var out []ir.Frame
	for _, fs := range fss {
		out = append(out, fs...)
	}
	return out
}

// run feeds frames, then advances to the end of time.
func run(cfg tracker.Config, fs []ir.Frame) ([]tracker.Event, tracker.Stats) {
	tr := tracker.New(cfg)
	var out []tracker.Event
	for _, f := range fs {
		out = append(out, tr.Frame(f)...)
	}
	for {
		d, ok := tr.Deadline()
		if !ok {
			break
		}
		out = append(out, tr.Advance(d)...)
	}
	return out, tr.Stats()
}

func TestTracker(t *testing.T) {
	rel := func(c ir.Code, last time.Duration) tracker.Event {
		return ev(c, keys.Release, last+ir.ReleaseAfter(c.Protocol)+25*ms)
	}
	tests := []struct {
		reason string
		cfg    tracker.Config
		frames []ir.Frame
		want   []tracker.Event
		stats  tracker.Stats
	}{
		{
			reason: "one NEC frame: press, release 110 ms + 25 ms window after its last edge",
			frames: necHold(necOK, 0, 0),
			want:   []tracker.Event{ev(necOK, keys.Press, 0), rel(necOK, 0)},
			stats:  tracker.Stats{Frames: 1},
		},
		{
			reason: "NEC held ~1 s with repeat codes: autorepeat at 500 ms then every 125 ms, long press at 800 ms, release after the last repeat code",
			frames: necHold(necOK, 0, 9), // last repeat code at 916 ms
			want: []tracker.Event{
				ev(necOK, keys.Press, 0),
				ev(necOK, keys.Repeat, 500*ms), ev(necOK, keys.Repeat, 625*ms), ev(necOK, keys.Repeat, 750*ms),
				long(ev(necOK, keys.Repeat, 800*ms)),
				ev(necOK, keys.Repeat, 875*ms), ev(necOK, keys.Repeat, 1000*ms),
				long(rel(necOK, 916*ms)),
			},
			stats: tracker.Stats{Frames: 10},
		},
		{
			reason: "repeat codes with no key held (noise) press nothing",
			frames: []ir.Frame{repeat(10 * ms), repeat(118 * ms)},
			stats:  tracker.Stats{Frames: 2, IgnoredRepeat: 2},
		},
		{
			reason: "repeat codes after the NEC key was released press nothing",
			frames: append(necHold(necOK, 0, 0), repeat(300*ms)),
			want:   []tracker.Event{ev(necOK, keys.Press, 0), rel(necOK, 0)},
			stats:  tracker.Stats{Frames: 2, IgnoredRepeat: 1},
		},
		{
			reason: "another key while one is held: release, then press",
			frames: cat(necHold(necOK, 0, 1), necHold(necBack, 160*ms, 0)),
			want: []tracker.Event{
				ev(necOK, keys.Press, 0), ev(necOK, keys.Release, 160*ms),
				ev(necBack, keys.Press, 160*ms), rel(necBack, 160*ms),
			},
			stats: tracker.Stats{Frames: 3},
		},
		{
			reason: "RC-5 frames with an unchanged toggle are one held key",
			frames: copies(rc5Up, true, 0, 114*ms, 3),
			want:   []tracker.Event{ev(rc5Up, keys.Press, 0), rel(rc5Up, 228*ms)},
			stats:  tracker.Stats{Frames: 3},
		},
		{
			reason: "RC-5 toggle flipped: a new press even though the key never timed out",
			frames: []ir.Frame{frame(rc5Up, false, 0), frame(rc5Up, true, 114*ms)},
			want: []tracker.Event{
				ev(rc5Up, keys.Press, 0), ev(rc5Up, keys.Release, 114*ms),
				ev(rc5Up, keys.Press, 114*ms), rel(rc5Up, 114*ms),
			},
			stats: tracker.Stats{Frames: 2},
		},
		{
			reason: "Sony's three copies 45 ms apart are one press",
			frames: copies(sonyOK, false, 0, 45*ms, 3),
			want:   []tracker.Event{ev(sonyOK, keys.Press, 0), rel(sonyOK, 90*ms)},
			stats:  tracker.Stats{Frames: 3},
		},
		{
			reason: "Sony copies with two lost in between (key timed out): the late copy is a duplicate, not a second press",
			frames: []ir.Frame{frame(sonyOK, false, 0), frame(sonyOK, false, 135*ms), frame(sonyOK, false, 180*ms)},
			want:   []tracker.Event{ev(sonyOK, keys.Press, 0), rel(sonyOK, 0)},
			stats:  tracker.Stats{Frames: 3, Deduplicated: 1},
		},
		{
			reason: "RC-5 frame with the same toggle 300 ms after the last one is the same press (a new press flips the toggle)",
			frames: []ir.Frame{frame(rc5Up, true, 0), frame(rc5Up, true, 300*ms)},
			want:   []tracker.Event{ev(rc5Up, keys.Press, 0), rel(rc5Up, 0)},
			stats:  tracker.Stats{Frames: 2, Deduplicated: 1},
		},
		{
			reason: "a Sony key pressed again 400 ms later is a second press",
			frames: cat(copies(sonyOK, false, 0, 45*ms, 3), copies(sonyOK, false, 490*ms, 45*ms, 3)),
			want: []tracker.Event{
				ev(sonyOK, keys.Press, 0), rel(sonyOK, 90*ms),
				ev(sonyOK, keys.Press, 490*ms), rel(sonyOK, 580*ms),
			},
			stats: tracker.Stats{Frames: 6},
		},
		{
			reason: "no autorepeat: press, long press, release",
			cfg:    tracker.Config{NoAutorepeat: true},
			frames: necHold(necOK, 0, 9),
			want:   []tracker.Event{ev(necOK, keys.Press, 0), long(ev(necOK, keys.Repeat, 800*ms)), long(rel(necOK, 916*ms))},
			stats:  tracker.Stats{Frames: 10},
		},
		{
			reason: "custom timings: repeat delay 200 ms, period 100 ms, long press 250 ms",
			cfg:    tracker.Config{Delay: 200 * ms, Period: 100 * ms, LongPress: 250 * ms, Accel: []tracker.Step{}},
			frames: necHold(necOK, 0, 2), // last repeat code 160 ms
			want: []tracker.Event{
				ev(necOK, keys.Press, 0), ev(necOK, keys.Repeat, 200*ms), long(ev(necOK, keys.Repeat, 250*ms)),
				long(rel(necOK, 160*ms)),
			},
			stats: tracker.Stats{Frames: 3},
		},
	}
	for _, tt := range tests {
		got, stats := run(tt.cfg, tt.frames)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", tt.reason, diff)
		}
		if diff := cmp.Diff(tt.stats, stats); diff != "" {
			t.Errorf("%s: stats (-want +got):\n%s", tt.reason, diff)
		}
	}
}

// TestAcceleration holds a key for 5 s and checks the autorepeat periods.
func TestAcceleration(t *testing.T) {
	got, _ := run(tracker.Config{}, necHold(necOK, 0, 46)) // last repeat code at 4912 ms
	var periods []time.Duration
	var last time.Duration
	for _, e := range got {
		if e.Action != keys.Repeat || e.LongPress {
			continue
		}
		if last != 0 {
			periods = append(periods, e.At-last)
		}
		last = e.At
	}
	var want []time.Duration
	for n := 1; len(want) < len(periods); n++ {
		switch {
		case n < 8:
			want = append(want, 125*ms)
		case n < 24:
			want = append(want, 80*ms)
		default:
			want = append(want, 50*ms)
		}
	}
	if diff := cmp.Diff(want, periods); diff != "" {
		t.Errorf("autorepeat periods (-want +got):\n%s", diff)
	}
	if len(periods) < 30 {
		t.Errorf("only %d repeats in a 5 s hold", len(periods))
	}
}
