// Package remote assembles remote-control inputs (an IR receiver on a GPIO
// line, the TV's remote over HDMI-CEC, USB keyboards and IR receivers) into
// one key stream, with the keymap, learn mode and a diagnostics HTTP API
// for its user to mount (atomicbox serves it at /api/remote/).
package remote

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/cec"
	"github.com/atomicnetwork/atomicbox/gpio/evdev"
	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/keymap"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/atomicnetwork/atomicbox/gpio/tracker"
	"github.com/jonboulle/clockwork"
	pir "periph.io/x/conn/v3/ir"
)

// IRConfig names the GPIO line of an IR receiver (a TSOP-style demodulator
// pulling the line low on carrier).
type IRConfig struct {
	Chip string // GPIO chip label, name or path; "" tries the Raspberry Pi labels (edge.DefaultChipLabels)
	Line int    // line offset on the chip: the BCM GPIO number on a Pi (edge.DefaultLine is 18)
	// ActiveHigh: the receiver drives the line high during a mark (TSOP
	// receivers are active low: false).
	ActiveHigh bool
}

// IRSource runs an IR receiver: it calls frame for every decoded frame and
// key for every tracker event (press, repeat, long-press marker, release),
// each with its wall time (zero if unknown), from one goroutine, until ctx
// ends or the receiver fails. EdgeIR is the GPIO one; FramesIR adapts a
// source of bare frames.
type IRSource interface {
	Run(ctx context.Context, frame func(ir.Frame, time.Time), key func(tracker.Event, time.Time)) error
}

// Config configures a Remote. Sink is required; every input is optional.
type Config struct {
	IR     *IRConfig                        // nil: no IR receiver
	OpenIR func(IRConfig) (IRSource, error) // opens IR; nil: OpenEdgeIR (the GPIO character device)
	// CECDevice is the CEC adapter, e.g. "/dev/cec0"; "" means none.
	CECDevice string
	OpenCEC   func(path string) (cec.Device, error) // nil: cec.Open
	OSDName   string                                // the name the TV shows; "" means cec.DefaultOSDName
	// InputDir is the input device directory, e.g. "/dev/input"; "" means none.
	InputDir   string
	GrabInput  bool                                              // EVIOCGRAB input devices (the appliance; never a desktop)
	InputProbe func(path string, f *os.File) (evdev.Info, error) // nil: the evdev ioctls
	// KeymapPath is the keymap file in the data dir; "" keeps keymaps in
	// memory only (learn mode then works until restart).
	KeymapPath string
	// WriteKeymap saves the keymap file atomically (keymap.WriteFile); it
	// is required with KeymapPath.
	WriteKeymap keymap.WriteFile
	// Keys are the keys delivered to Sink and allowed in a keymap put
	// through the API; nil delivers every key the keys package knows.
	Keys  map[pir.Key]bool
	Sink  keys.Sink
	Log   *slog.Logger    // nil: discard
	Clock clockwork.Clock // nil: real clock

	// RetryAfter is how long a failed (not missing) source waits before it
	// is opened again; 0 means 30 s.
	RetryAfter time.Duration
}

// FramesKept is how many decoded IR frames the diagnostics view keeps.
const FramesKept = 50

// FrameRecord is one decoded IR frame as GET /api/remote/frames shows it.
type FrameRecord struct {
	At       time.Time   `json:"at"`
	Protocol ir.Protocol `json:"protocol"`
	Scancode string      `json:"scancode"` // hex, e.g. "0x0045"
	Toggle   bool        `json:"toggle,omitempty"`
	Repeat   bool        `json:"repeat,omitempty"`
	Key      pir.Key     `json:"key,omitempty"` // "" when the keymap has none
	Map      string      `json:"map,omitempty"` // which keymap gave Key
}

// SourceStatus is one input as GET /api/remote/sources shows it.
type SourceStatus struct {
	Name    string         `json:"name"`  // "ir", "cec", "input"
	State   string         `json:"state"` // "off", "missing", "running", "failed"
	Detail  string         `json:"detail,omitempty"`
	Devices []evdev.Device `json:"devices,omitempty"`
}

// Remote is the assembled inputs. Create it with New, then Run it once and
// serve Handler. Safe for concurrent use.
type Remote struct {
	cfg     Config
	log     *slog.Logger
	clock   clockwork.Clock
	store   *keymap.Store
	learner *keymap.Learner
	sink    keys.Sink

	mu      sync.Mutex
	frames  []FrameRecord // ring, oldest first
	status  map[string]SourceStatus
	cecCtl  *cec.Controller
	input   *evdev.Reader
	started time.Time
}

// New loads the keymap and prepares the inputs; nothing is opened until
// Run. Only an unreadable keymap file (not a missing or corrupt one) is an
// error.
func New(cfg Config) (*Remote, error) {
	if cfg.Sink == nil {
		return nil, errors.New("remote: Config.Sink is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 30 * time.Second
	}
	if cfg.OpenIR == nil {
		cfg.OpenIR = OpenEdgeIR
	}
	if cfg.OpenCEC == nil {
		cfg.OpenCEC = func(path string) (cec.Device, error) { return cec.Open(path) }
	}
	sink := cfg.Sink
	if cfg.Keys != nil {
		// One filter for every input: CEC and USB devices send keys of
		// their own tables, which need not all be the product's.
		sink = keys.SinkFunc(func(ev keys.Event) {
			if cfg.Keys[ev.Key] {
				cfg.Sink.SendKey(ev)
			}
		})
	}
	r := &Remote{cfg: cfg, log: cfg.Log, clock: cfg.Clock, sink: sink, status: map[string]SourceStatus{}}
	store, err := keymap.Open(cfg.KeymapPath, cfg.WriteKeymap, cfg.Log)
	if err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	r.store = store
	r.learner = keymap.NewLearner(cfg.Clock, 0, store.SetMap)
	for _, name := range []string{"ir", "cec", "input"} {
		r.status[name] = SourceStatus{Name: name, State: "off"}
	}
	return r, nil
}

// accepts reports whether k is one of the keys the remote delivers.
func (r *Remote) accepts(k pir.Key) bool { return r.cfg.Keys == nil || r.cfg.Keys[k] }

// Keymap returns the keymap store.
func (r *Remote) Keymap() *keymap.Store { return r.store }

// Learner returns learn mode.
func (r *Remote) Learner() *keymap.Learner { return r.learner }

func (r *Remote) setStatus(s SourceStatus) {
	r.mu.Lock()
	r.status[s.Name] = s
	r.mu.Unlock()
}

// Sources returns the state of every input.
func (r *Remote) Sources() []SourceStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []SourceStatus{}
	for _, name := range []string{"ir", "cec", "input"} {
		s := r.status[name]
		if name == "input" && r.input != nil {
			s.Devices = r.input.Devices()
		}
		out = append(out, s)
	}
	return out
}

// Run starts every configured input and serves them until ctx ends; it
// returns nil then. A missing device is logged once and skipped (a desktop
// has no /dev/cec0); a failing one is logged and retried after RetryAfter.
func (r *Remote) Run(ctx context.Context) error {
	r.mu.Lock()
	r.started = r.clock.Now()
	r.mu.Unlock()
	var wg sync.WaitGroup
	start := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	if r.cfg.CECDevice != "" {
		start(r.runCEC)
	}
	if r.cfg.InputDir != "" {
		start(r.runInput)
	}
	if r.cfg.IR != nil {
		start(r.runIR)
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

// retry runs attempt until ctx ends. attempt returns done=true to stop
// (missing device); otherwise it is run again after RetryAfter.
func (r *Remote) retry(ctx context.Context, attempt func(context.Context) (done bool)) {
	for ctx.Err() == nil {
		if attempt(ctx) {
			return
		}
		select {
		case <-ctx.Done():
		case <-r.clock.After(r.cfg.RetryAfter):
		}
	}
}

func (r *Remote) runCEC(ctx context.Context) {
	path := r.cfg.CECDevice
	r.retry(ctx, func(ctx context.Context) bool {
		dev, err := r.cfg.OpenCEC(path)
		if errors.Is(err, fs.ErrNotExist) {
			r.log.Info("remote: no HDMI-CEC adapter; TV remote off", "device", path)
			r.setStatus(SourceStatus{Name: "cec", State: "missing", Detail: path})
			return true
		}
		if err != nil {
			r.log.Warn("remote: cannot open HDMI-CEC adapter", "device", path, "err", err)
			r.setStatus(SourceStatus{Name: "cec", State: "failed", Detail: err.Error()})
			return false
		}
		defer dev.Close()
		ctl := cec.New(cec.Config{Device: dev, Settings: cec.Settings{OSDName: r.cfg.OSDName}, Sink: r.sink, Log: r.log, Clock: r.clock})
		r.mu.Lock()
		r.cecCtl = ctl
		r.mu.Unlock()
		r.setStatus(SourceStatus{Name: "cec", State: "running", Detail: path})
		err = ctl.Run(ctx)
		r.mu.Lock()
		r.cecCtl = nil
		r.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			r.log.Warn("remote: HDMI-CEC stopped", "device", path, "err", err)
			r.setStatus(SourceStatus{Name: "cec", State: "failed", Detail: err.Error()})
			return false
		}
		return true
	})
}

// ErrNoCEC is returned by ActiveSource when no CEC adapter runs.
var ErrNoCEC = errors.New("remote: no HDMI-CEC adapter running")

// ActiveSource asks the TV to switch to the box's input (call it when
// playback starts). It blocks while the frames are sent.
func (r *Remote) ActiveSource(ctx context.Context) error {
	r.mu.Lock()
	ctl := r.cecCtl
	r.mu.Unlock()
	if ctl == nil {
		return ErrNoCEC
	}
	return ctl.ActiveSource(ctx)
}

func (r *Remote) runInput(ctx context.Context) {
	rd := evdev.New(evdev.Config{Dir: r.cfg.InputDir, Sink: r.sink, Keys: r.cfg.Keys, Log: r.log, Clock: r.clock, Grab: r.cfg.GrabInput, Probe: r.cfg.InputProbe})
	r.mu.Lock()
	r.input = rd
	r.mu.Unlock()
	r.setStatus(SourceStatus{Name: "input", State: "running", Detail: r.cfg.InputDir})
	if err := rd.Run(ctx); err != nil && ctx.Err() == nil {
		r.log.Warn("remote: input devices stopped", "err", err)
		r.setStatus(SourceStatus{Name: "input", State: "failed", Detail: err.Error()})
	}
}

func (r *Remote) runIR(ctx context.Context) {
	conf := *r.cfg.IR
	detail := fmt.Sprintf("chip %q line %d", conf.Chip, conf.Line)
	r.retry(ctx, func(ctx context.Context) bool {
		src, err := r.cfg.OpenIR(conf)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNoIRChip) {
			r.log.Info("remote: no IR receiver line; IR off", "line", detail, "err", err)
			r.setStatus(SourceStatus{Name: "ir", State: "missing", Detail: err.Error()})
			return true
		}
		if err != nil {
			r.log.Warn("remote: cannot open IR receiver", "line", detail, "err", err)
			r.setStatus(SourceStatus{Name: "ir", State: "failed", Detail: err.Error()})
			return false
		}
		r.setStatus(SourceStatus{Name: "ir", State: "running", Detail: detail})
		err = r.RunIR(ctx, src)
		if errors.Is(err, ErrNoIRChip) {
			r.log.Info("remote: no IR receiver line; IR off", "line", detail, "err", err)
			r.setStatus(SourceStatus{Name: "ir", State: "missing", Detail: err.Error()})
			return true
		}
		if err != nil && ctx.Err() == nil {
			r.log.Warn("remote: IR receiver stopped", "err", err)
			r.setStatus(SourceStatus{Name: "ir", State: "failed", Detail: err.Error()})
			return false
		}
		return true
	})
}

// RunIR runs the IR path for src until ctx ends (nil) or src fails: every
// frame is recorded for diagnostics; tracker presses go to learn mode while
// it runs, otherwise the keymap turns codes into keys for the sink (Source
// ir).
func (r *Remote) RunIR(ctx context.Context, src IRSource) error {
	p := &irPath{r: r}
	err := src.Run(ctx, p.frame, p.key)
	if ctx.Err() != nil {
		return nil
	}
	if err == nil {
		err = errors.New("IR source ended")
	}
	return err
}

// irPath is the IR pipeline's state; used from the source's goroutine only.
type irPath struct {
	r       *Remote
	pressed pir.Key // key sent for the held code ("" when none, unmapped or learning)
}

func (p *irPath) wall(t time.Time) time.Time {
	if t.IsZero() {
		return p.r.clock.Now()
	}
	return t
}

func (p *irPath) frame(f ir.Frame, at time.Time) {
	rec := FrameRecord{At: p.wall(at), Protocol: f.Protocol, Scancode: fmt.Sprintf("0x%04x", f.Scancode), Toggle: f.Toggle, Repeat: f.Repeat}
	if !f.Repeat {
		rec.Key, rec.Map, _ = p.r.store.Table().Lookup(f.Code())
	}
	p.r.mu.Lock()
	p.r.frames = append(p.r.frames, rec)
	if len(p.r.frames) > FramesKept {
		p.r.frames = p.r.frames[len(p.r.frames)-FramesKept:]
	}
	p.r.mu.Unlock()
}

func (p *irPath) key(e tracker.Event, at time.Time) {
	at = p.wall(at)
	switch e.Action {
	case keys.Press:
		p.pressed = ""
		if p.r.learner.Press(e.Code) {
			return
		}
		k, _, ok := p.r.store.Table().Lookup(e.Code)
		if !ok || !p.r.accepts(k) {
			return
		}
		p.pressed = k
		p.r.sink.SendKey(keys.Event{Key: k, Action: keys.Press, Source: keys.SourceIR, At: at})
	case keys.Repeat:
		if e.LongPress || p.pressed == "" {
			return // the long-press marker is not an autorepeat
		}
		p.r.sink.SendKey(keys.Event{Key: p.pressed, Action: keys.Repeat, Source: keys.SourceIR, At: at})
	case keys.Release:
		if p.pressed == "" {
			return
		}
		p.r.sink.SendKey(keys.Event{Key: p.pressed, Action: keys.Release, Source: keys.SourceIR, At: at})
		p.pressed = ""
	}
}

// Frames returns the last decoded IR frames, oldest first.
func (r *Remote) Frames() []FrameRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]FrameRecord{}, r.frames...)
}
