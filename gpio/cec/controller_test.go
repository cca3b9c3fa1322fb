package cec_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/keys"
	"github.com/atomicnetwork/atomicbox/gpio/cec"
	"github.com/atomicnetwork/atomicbox/gpio/cec/cectest"
	"github.com/google/go-cmp/cmp"
)

func nextTx(t *testing.T, dev *cectest.Device) string {
	t.Helper()
	select {
	case tx := <-dev.Transmits():
		return tx.Msg.String()
	case <-time.After(5 * time.Second):
		t.Fatal("nothing transmitted within 5 s")
		return ""
	}
}

// TestActiveSource: before the adapter is configured ActiveSource refuses;
// after, it wakes the TV and announces our physical address, and the box
// then answers Request Active Source.
func TestActiveSource(t *testing.T) {
	dev := cectest.NewDevice(cec.AddrPlayback1, 0x2100, nil)
	c := cec.New(cec.Config{Device: dev, Sink: &collectSink{}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.ActiveSource(ctx); !errors.Is(err, cec.ErrNotConfigured) {
		t.Fatalf("ActiveSource before Run: %v, want ErrNotConfigured", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	for dev.Settings() == nil {
		time.Sleep(time.Millisecond)
	}
	if got := dev.Settings().OSDName; got != "atomicbox" {
		t.Errorf("configured OSD name %q, want atomicbox", got)
	}
	if err := c.ActiveSource(ctx); err != nil {
		t.Fatalf("ActiveSource: %v", err)
	}
	got := []string{nextTx(t, dev), nextTx(t, dev)}
	dev.Inject(mustHex(t, "0f:85"))
	got = append(got, nextTx(t, dev))
	want := []string{"40:04", "4f:82:21:00", "4f:82:21:00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transmitted (-want +got):\n%s", diff)
	}
	dev.FailTransmits(errors.New("nack"))
	if err := c.ActiveSource(ctx); err == nil {
		t.Error("ActiveSource with a TV that does not acknowledge: no error")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v, want nil", err)
	}
}

func mustHex(t *testing.T, s string) cec.Message {
	t.Helper()
	m, err := cec.ParseHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// failingDevice fails Configure: Run must return the error, not hang.
type failingDevice struct{ *cectest.Device }

func (failingDevice) Configure(context.Context, cec.Settings) error {
	return errors.New("CEC_ADAP_S_LOG_ADDRS: no such device")
}

func TestRunConfigureError(t *testing.T) {
	c := cec.New(cec.Config{Device: failingDevice{cectest.NewDevice(4, 0x1000, nil)}, Sink: &collectSink{}})
	if err := c.Run(context.Background()); err == nil {
		t.Error("Run with a device that cannot be configured returned nil")
	}
}

// TestKeyLatencyToBus measures how long a User Control Pressed takes from
// the (fake) device to a subscriber of the daemon's key bus, over 1000
// presses, and asserts a generous bound (the figure is logged).
func TestKeyLatencyToBus(t *testing.T) {
	dev := cectest.NewDevice(cec.AddrPlayback1, 0x1000, nil)
	bus := keys.NewBus(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := bus.Subscribe(ctx, 64)
	c := cec.New(cec.Config{Device: dev, Sink: bus})
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	up, rel := mustHex(t, "04:44:01"), mustHex(t, "04:45")
	const n = 1000
	lat := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		dev.Inject(up)
		ev := waitKey(t, sub)
		lat = append(lat, time.Since(start))
		if ev.Key != "KEY_UP" || ev.Action != keys.Press || ev.Source != keys.SourceCEC {
			t.Fatalf("got %+v, want KEY_UP press from cec", ev)
		}
		dev.Inject(rel)
		if ev := waitKey(t, sub); ev.Action != keys.Release {
			t.Fatalf("got %+v, want release", ev)
		}
	}
	p50, p99 := percentile(lat, 50), percentile(lat, 99)
	t.Logf("CEC User Control Pressed -> keys.Bus subscriber over %d presses: p50 %v p99 %v max %v", n, p50, p99, percentile(lat, 100))
	if p99 > 50*time.Millisecond {
		t.Errorf("p99 latency %v, want under 50 ms", p99)
	}
	cancel()
	<-done
}

func waitKey(t *testing.T, sub <-chan keys.Event) keys.Event {
	t.Helper()
	select {
	case ev := <-sub:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no key event within 5 s")
		return keys.Event{}
	}
}
