package cec_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/cec"
	"github.com/atomicnetwork/atomicbox/gpio/cec/cectest"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"
)

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
	got := []string{dev.NextTransmit(t).String(), dev.NextTransmit(t).String()}
	dev.Inject(cectest.MustHex(t, "0f:85"))
	got = append(got, dev.NextTransmit(t).String())
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
// the (fake) device to a key sink (as the daemon's key bus), over 1000
// presses, and asserts a generous bound (the figure is logged).
func TestKeyLatencyToBus(t *testing.T) {
	dev := cectest.NewDevice(cec.AddrPlayback1, 0x1000, nil)
	sink := make(chanSink, 64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := cec.New(cec.Config{Device: dev, Sink: sink})
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	const n = 1000
	lat := dev.PressLatencies(t, sink, 0x01, ir.KEY_UP, n)
	p50, p99 := cectest.Percentile(lat, 50), cectest.Percentile(lat, 99)
	t.Logf("CEC User Control Pressed -> key sink over %d presses: p50 %v p99 %v max %v", n, p50, p99, cectest.Percentile(lat, 100))
	if p99 > 50*time.Millisecond {
		t.Errorf("p99 latency %v, want under 50 ms", p99)
	}
	cancel()
	<-done
}

// chanSink delivers keys on a buffered channel.
type chanSink chan keys.Event

func (c chanSink) SendKey(ev keys.Event) { c <- ev }
