// Package evdev reads keyboards and USB IR receivers from Linux input
// devices (/dev/input/event*) as key events, opening devices as they are
// plugged in and closing them when they go (gokrazy has no udev).
package evdev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/ir"
)

// DefaultRescan is how often the input directory is listed again even
// without an inotify event (or instead of one, where inotify fails).
const DefaultRescan = 2 * time.Second

// Info is what a probe learns about a device.
type Info struct {
	Name    string
	HasKeys bool // offers navigation or media keys (not a mouse or a power button)
}

// Config configures Run. Sink is required.
type Config struct {
	Dir  string    // the input directory; "" means /dev/input
	Sink keys.Sink // receives keys (Source keyboard, or ir for receivers named like one)
	// Keys are the keys delivered (after aliases: KEY_KP5 is KEY_5); nil
	// delivers every key the keys package knows.
	Keys   map[ir.Key]bool
	Log    *slog.Logger    // nil: discard
	Clock  clockwork.Clock // stamps events; nil: real clock
	Rescan time.Duration   // 0: DefaultRescan
	// Grab takes each device for this process alone (EVIOCGRAB). The
	// appliance sets it; on a desktop it would take the keyboard away.
	Grab bool
	// Probe and GrabFunc replace the evdev ioctls (tests use FIFOs, which
	// have none). nil means ProbeKernel and GrabKernel.
	Probe    func(path string, f *os.File) (Info, error)
	GrabFunc func(path string, f *os.File) error
}

// Device is an open input device as Devices reports it.
type Device struct {
	Path string `json:"path"`
	Name string `json:"name"`
}

// Reader watches an input directory. Create it with New; Run it once.
type Reader struct {
	cfg Config

	mu   sync.Mutex
	open map[string]*device // by path
}

type device struct {
	path string
	info Info
	f    *os.File
}

// New returns a Reader for cfg.
func New(cfg Config) *Reader {
	if cfg.Dir == "" {
		cfg.Dir = "/dev/input"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Rescan <= 0 {
		cfg.Rescan = DefaultRescan
	}
	if cfg.Probe == nil {
		cfg.Probe = ProbeKernel
	}
	if cfg.GrabFunc == nil {
		cfg.GrabFunc = GrabKernel
	}
	return &Reader{cfg: cfg, open: make(map[string]*device)}
}

// Devices returns the devices being read, sorted by path. Safe for
// concurrent use.
func (r *Reader) Devices() []Device {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Device
	for _, d := range r.open {
		out = append(out, Device{Path: d.path, Name: d.info.Name})
	}
	slices.SortFunc(out, func(a, b Device) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Run reads every key device in the directory until ctx ends, then closes
// them and returns nil. A missing directory is not an error: it is looked
// for again every Rescan (a USB keyboard plugged in later creates it).
func (r *Reader) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wake := make(chan struct{}, 1)
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	stopWatch := watchDir(r.cfg.Dir, poke, r.cfg.Log)
	defer stopWatch()

	gone := make(chan string, 16)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		r.mu.Lock()
		for _, d := range r.open {
			d.f.Close()
		}
		r.mu.Unlock()
		wg.Wait()
	}()

	ignored := map[string]bool{} // probed, not a key device (until it disappears)
	missingLogged := false
	tick := r.cfg.Clock.NewTicker(r.cfg.Rescan)
	defer tick.Stop()
	for {
		names, err := listEvents(r.cfg.Dir)
		switch {
		case err != nil && !missingLogged:
			r.cfg.Log.Info("evdev: no input devices yet", "dir", r.cfg.Dir, "err", err)
			missingLogged = true
		case err == nil:
			missingLogged = false
		}
		present := map[string]bool{}
		for _, p := range names {
			present[p] = true
			r.mu.Lock()
			_, isOpen := r.open[p]
			r.mu.Unlock()
			if isOpen || ignored[p] {
				continue
			}
			d, err := r.openDevice(p)
			if err != nil {
				r.cfg.Log.Debug("evdev: cannot open yet", "path", p, "err", err)
				continue
			}
			if d == nil {
				ignored[p] = true
				continue
			}
			r.mu.Lock()
			r.open[p] = d
			r.mu.Unlock()
			r.cfg.Log.Info("evdev: reading", "path", p, "name", d.info.Name, "grab", r.cfg.Grab)
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := r.read(ctx, d)
				if ctx.Err() == nil {
					r.cfg.Log.Info("evdev: device gone", "path", d.path, "name", d.info.Name, "err", err)
				}
				select {
				case gone <- d.path:
				case <-ctx.Done():
				}
			}()
		}
		for p := range ignored {
			if !present[p] {
				delete(ignored, p)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-tick.Chan():
		case p := <-gone:
			r.mu.Lock()
			if d := r.open[p]; d != nil {
				d.f.Close()
				delete(r.open, p)
			}
			r.mu.Unlock()
		}
	}
}

// listEvents returns the paths of the event* entries in dir, sorted.
func listEvents(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "event") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

// openDevice opens and probes path. It returns nil, nil for a device
// without keys (closed again).
func (r *Reader) openDevice(path string) (*device, error) {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	info, err := r.cfg.Probe(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.HasKeys {
		f.Close()
		r.cfg.Log.Debug("evdev: not a key device; ignored", "path", path, "name", info.Name)
		return nil, nil
	}
	if r.cfg.Grab {
		if err := r.cfg.GrabFunc(path, f); err != nil {
			// Someone else holds it; reading still works, so carry on.
			r.cfg.Log.Warn("evdev: grab failed; reading shared", "path", path, "err", err)
		}
	}
	return &device{path: path, info: info, f: f}, nil
}

// read turns the device's events into keys until it fails (unplugged:
// ENODEV, or EOF from a fake) or ctx ends. Keys still down are released.
func (r *Reader) read(ctx context.Context, d *device) error {
	src := keys.SourceKeyboard
	lname := strings.ToLower(d.info.Name)
	for _, s := range []string{" ir", "ir ", "cir", "remote", "mce", "lirc"} {
		if strings.Contains(" "+lname+" ", s) {
			src = keys.SourceIR
		}
	}
	held := map[ir.Key]bool{}
	defer func() {
		now := r.cfg.Clock.Now()
		for k := range held {
			r.cfg.Sink.SendKey(keys.Event{Key: k, Action: keys.Release, Source: src, At: now})
		}
	}()
	buf := make([]byte, 64*EventSize)
	fill := 0
	for {
		n, err := d.f.Read(buf[fill:])
		if n > 0 {
			fill += n
			evs, used, _ := DecodeEvents(buf[:fill], wordSize)
			copy(buf, buf[used:fill])
			fill -= used
			now := r.cfg.Clock.Now()
			for _, e := range evs {
				r.handle(e, src, held, now)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) || errors.Is(err, fs.ErrClosed) {
				return err
			}
			return fmt.Errorf("evdev: read %s: %w", d.path, err)
		}
	}
}

func (r *Reader) handle(e RawEvent, src keys.Source, held map[ir.Key]bool, now time.Time) {
	if e.Type == evSyn && e.Code == synDropped {
		// The kernel dropped events: a release may be lost. Release all.
		for k := range held {
			r.cfg.Sink.SendKey(keys.Event{Key: k, Action: keys.Release, Source: src, At: now})
			delete(held, k)
		}
		return
	}
	if e.Type != evKey {
		return
	}
	k, ok := UIKey(e.Code, r.cfg.Keys)
	if !ok {
		return
	}
	var a keys.Action
	switch e.Value {
	case valuePress:
		a = keys.Press
		held[k] = true
	case valueRepeat:
		if !held[k] {
			return // a repeat without its press (after SYN_DROPPED): wait for the next press
		}
		a = keys.Repeat
	case valueRelease:
		if !held[k] {
			return
		}
		a = keys.Release
		delete(held, k)
	default:
		return
	}
	r.cfg.Sink.SendKey(keys.Event{Key: k, Action: a, Source: src, At: now})
}
