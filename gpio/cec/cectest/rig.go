package cectest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"periph.io/x/conn/v3/ir"

	"github.com/atomicnetwork/atomicbox/gpio/cec"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
)

// Wait is how long the helpers below wait for a frame or a key before they
// fail the test.
const Wait = 5 * time.Second

// MustHex parses a frame as cec-ctl prints it ("04:44:01"), failing t on error.
func MustHex(t testing.TB, s string) cec.Message {
	t.Helper()
	m, err := cec.ParseHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// NextTransmit returns the next frame the code under test sent, failing t
// when none comes within Wait.
func (d *Device) NextTransmit(t testing.TB) cec.Message {
	t.Helper()
	select {
	case tx := <-d.Transmits():
		return tx.Msg
	case <-time.After(Wait):
		t.Fatal("cectest: nothing transmitted within", Wait)
		return cec.Message{}
	}
}

// WaitConfigured blocks until the code under test has configured the
// adapter, failing t after Wait.
func (d *Device) WaitConfigured(t testing.TB) {
	t.Helper()
	for deadline := time.Now().Add(Wait); d.Settings() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("cectest: adapter not configured within", Wait)
		}
	}
}

// PressLatencies has the TV press and release the button with CEC UI
// command code uiCode n times (User Control Pressed, then Released), and
// waits each time for the press and the release of want, from source cec,
// on events. It fails t on a wrong or missing key and returns the n press
// latencies (injection to arrival), sorted. Blocks for up to Wait a key.
func (d *Device) PressLatencies(t testing.TB, events <-chan keys.Event, uiCode byte, want ir.Key, n int) []time.Duration {
	t.Helper()
	// From the TV (0) to playback 1 (4), where cec.New claims by default.
	press, release := MustHex(t, fmt.Sprintf("04:44:%02x", uiCode)), MustHex(t, "04:45")
	next := func() keys.Event {
		select {
		case ev := <-events:
			return ev
		case <-time.After(Wait):
			t.Fatal("cectest: no key event within", Wait)
			return keys.Event{}
		}
	}
	lat := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		d.Inject(press)
		ev := next()
		lat = append(lat, time.Since(start))
		if ev.Key != want || ev.Action != keys.Press || ev.Source != keys.SourceCEC {
			t.Fatalf("cectest: got %+v, want a %s press from cec", ev, want)
		}
		d.Inject(release)
		if ev := next(); ev.Key != want || ev.Action != keys.Release {
			t.Fatalf("cectest: got %+v, want the %s release", ev, want)
		}
	}
	slices.Sort(lat)
	return lat
}

// Percentile returns the p-th percentile (nearest rank) of sorted
// durations, as PressLatencies returns them.
func Percentile(sorted []time.Duration, p int) time.Duration {
	return sorted[max((len(sorted)*p+99)/100-1, 0)]
}
