package cec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/jonboulle/clockwork"
)

// Device is a CEC adapter: the kernel's (KernelDevice) or a fake
// (cectest.Device). Receive is called from one goroutine; Transmit,
// Addresses and Close may be called concurrently with it.
type Device interface {
	// Configure claims a playback-device logical address with s and turns
	// on initiator and follower mode. It blocks until done or ctx ends.
	Configure(ctx context.Context, s Settings) error
	// Addresses returns the current logical address (AddrBroadcast while
	// none is claimed) and physical address (InvalidPhysAddr when the
	// HDMI link is down). They change when the TV is replugged.
	Addresses() (LogicalAddr, PhysAddr)
	// Receive blocks until a message for us (directed or broadcast)
	// arrives, the device fails, or ctx ends.
	Receive(ctx context.Context) (Message, error)
	// Transmit sends m and blocks until the bus acknowledged it or the
	// kernel gave up.
	Transmit(ctx context.Context, m Message) error
	Close() error
}

// Settings is what the box announces about itself.
type Settings struct {
	OSDName  string // at most 14 ASCII bytes; longer is cut
	VendorID uint32 // IEEE OUI; 0 means none (Give Device Vendor ID gets Feature Abort)
}

// DefaultOSDName is the name the TV shows for the box's input.
const DefaultOSDName = "atomicbox"

// Config configures a Controller. Device and Sink are required.
type Config struct {
	Device   Device
	Settings Settings  // zero OSDName means DefaultOSDName
	Sink     keys.Sink // receives CEC keys (Source keys.SourceCEC)
	Log      *slog.Logger
	Clock    clockwork.Clock // nil: real clock

	// Autorepeat; zero means the Default values.
	RepeatDelay, RepeatPeriod, KeyUpTimeout time.Duration
}

// Controller answers the TV and turns its remote into key events. Create it
// with New, run it with Run; ActiveSource may be called from any goroutine.
type Controller struct {
	dev   Device
	sink  keys.Sink
	log   *slog.Logger
	clock clockwork.Clock

	mu  sync.Mutex
	h   handler
	rep *repeater

	// For tests: idle runs after each loop step; txPending counts queued
	// replies not yet handed to the device.
	idle      func()
	txPending sync.WaitGroup
}

// New returns a Controller for cfg.
func New(cfg Config) *Controller {
	if cfg.Settings.OSDName == "" {
		cfg.Settings.OSDName = DefaultOSDName
	}
	if len(cfg.Settings.OSDName) > 14 {
		cfg.Settings.OSDName = cfg.Settings.OSDName[:14]
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	def := func(d, v time.Duration) time.Duration {
		if d == 0 {
			return v
		}
		return d
	}
	return &Controller{
		dev:   cfg.Device,
		sink:  cfg.Sink,
		log:   cfg.Log,
		clock: cfg.Clock,
		h:     handler{settings: cfg.Settings, menuActive: true},
		rep: newRepeater(def(cfg.RepeatDelay, DefaultRepeatDelay), def(cfg.RepeatPeriod, DefaultRepeatPeriod),
			def(cfg.KeyUpTimeout, DefaultKeyUpTimeout)),
	}
}

// Run configures the device and then serves it until ctx ends (returns nil)
// or the device fails (returns the error). Replies are sent by a separate
// goroutine so that a slow transmit (tens of ms per frame) never delays a
// key.
func (c *Controller) Run(ctx context.Context) error {
	if err := c.dev.Configure(ctx, c.h.settings); err != nil {
		return err
	}
	la, pa := c.dev.Addresses()
	c.log.Info("cec: configured", "logicalAddr", la, "physAddr", pa, "osdName", c.h.settings.OSDName)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rx := make(chan Message)
	rxErr := make(chan error, 1)
	go func() {
		for {
			m, err := c.dev.Receive(ctx)
			if err != nil {
				rxErr <- err
				return
			}
			select {
			case rx <- m:
			case <-ctx.Done():
				rxErr <- ctx.Err()
				return
			}
		}
	}()
	txq := make(chan Message, 32)
	txDone := make(chan struct{})
	go func() {
		defer close(txDone)
		for {
			select {
			case m := <-txq:
				if err := c.dev.Transmit(ctx, m); err != nil && ctx.Err() == nil {
					c.log.Debug("cec: reply not delivered", "msg", m.String(), "err", err)
				}
				c.txPending.Done()
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() { cancel(); <-txDone }()

	timer := c.clock.NewTimer(time.Hour)
	timer.Stop()
	for {
		var out []keys.Event
		select {
		case <-ctx.Done():
			return nil
		case err := <-rxErr:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case m := <-rx:
			var replies []Message
			replies, out = c.handle(c.clock.Now(), m)
			for _, r := range replies {
				c.txPending.Add(1)
				select {
				case txq <- r:
				default:
					c.txPending.Done()
					c.log.Warn("cec: transmit queue full; reply dropped", "msg", r.String())
				}
			}
		case <-timer.Chan():
			c.mu.Lock()
			out = c.rep.tick(c.clock.Now())
			c.mu.Unlock()
		}
		for _, e := range out {
			c.sink.SendKey(e)
		}
		timer.Stop()
		c.mu.Lock()
		at, ok := c.rep.deadline()
		c.mu.Unlock()
		if ok {
			timer.Reset(max(at.Sub(c.clock.Now()), 0))
		}
		if c.idle != nil {
			c.idle()
		}
	}
}

// handle runs the handler and the repeater for one received message.
func (c *Controller) handle(now time.Time, m Message) ([]Message, []keys.Event) {
	la, pa := c.dev.Addresses()
	c.mu.Lock()
	defer c.mu.Unlock()
	replies, in := c.h.handle(la, pa, m)
	var out []keys.Event
	switch in.kind {
	case inputPress:
		out = c.rep.press(now, in.key)
	case inputRelease, inputUnmapped:
		out = c.rep.release(now)
	case inputTap:
		out = append(c.rep.release(now), ev(in.key, keys.Press, now), ev(in.key, keys.Release, now))
	default:
		out = c.rep.tick(now)
	}
	if in.kind == inputUnmapped {
		c.log.Debug("cec: UI command without a key", "code", fmt.Sprintf("%#02x", in.code))
	}
	return replies, out
}

// ErrNotConfigured is returned by ActiveSource before a logical address and
// a physical address are known.
var ErrNotConfigured = errors.New("cec: no logical or physical address yet")

// ActiveSource asks the TV to switch to the box: Image View On (wakes the
// TV) and then Active Source with our physical address. Call it when
// playback starts. It blocks until both frames were sent.
func (c *Controller) ActiveSource(ctx context.Context) error {
	la, pa := c.dev.Addresses()
	if la == AddrBroadcast || pa == InvalidPhysAddr {
		return ErrNotConfigured
	}
	if err := c.dev.Transmit(ctx, msg(la, AddrTV, OpImageViewOn)); err != nil {
		return fmt.Errorf("cec: image view on: %w", err)
	}
	if err := c.dev.Transmit(ctx, msg(la, AddrBroadcast, OpActiveSource, byte(pa>>8), byte(pa))); err != nil {
		return fmt.Errorf("cec: active source: %w", err)
	}
	c.mu.Lock()
	c.h.active = true
	c.mu.Unlock()
	return nil
}
