// Package mpv is the one place that calls libmpv (go-mpv v0.2.3, nocgo build): options, commands, and an event pump.
//
// go-mpv v0.2.3 has bugs this package steps around (see the lab notes):
// only the *String setters are used, commands go through CommandString with
// the "raw" prefix and JSON-quoted arguments, one goroutine loops WaitEvent
// and decodes events itself (go-mpv's decoders read C ints as Go ints and
// scan 16 KiB past every string), and the handle is destroyed by that same
// goroutine after mpv reports shutdown.
package mpv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unsafe"

	gompv "github.com/gen2brain/go-mpv"
)

// Kind is what happened, named as mpv names its events.
type Kind string

const (
	KindPropertyChange  Kind = "property-change"
	KindClientMessage   Kind = "client-message"
	KindStartFile       Kind = "start-file"
	KindFileLoaded      Kind = "file-loaded"
	KindPlaybackRestart Kind = "playback-restart"
	KindEndFile         Kind = "end-file"
	KindSeek            Kind = "seek"
	KindShutdown        Kind = "shutdown"
)

// Event is a copy of an mpv event, safe to keep after the pump moves on.
type Event struct {
	Kind Kind
	At   time.Time // when the pump received it

	// property-change
	Name  string
	Value any // float64 (ValueDouble), int64 (ValueInt), bool (ValueFlag), string (ValueString) or nil when unavailable

	// client-message (script-message arguments)
	Args []string

	// end-file
	EndReason string // eof, stop, quit, error, redirect
	EndError  string // mpv's error text when EndReason is "error"
}

// ValueKind selects how an observed property is delivered.
type ValueKind int

const (
	ValueDouble ValueKind = iota // float64
	ValueFlag                    // bool
	ValueInt                     // int64
	ValueString                  // string
)

// ErrClosed is returned by calls made after the player shut down.
var ErrClosed = errors.New("mpv: player closed")

// Player is one libmpv instance. All methods are safe for concurrent use;
// none of them waits for playback, they return once mpv accepted the call.
type Player struct {
	log    *slog.Logger
	events chan Event
	done   chan struct{}
	quit   chan struct{} // closed by Close: the pump stops delivering and drops events
	once   sync.Once

	mu      sync.RWMutex // held for reading around every call into mpv; the pump takes it to destroy
	m       *gompv.Mpv
	closed  bool
	observe map[uint64]ValueKind
	nextObs uint64
}

// Option is one mpv option (name=value, as on mpv's command line without the dashes).
type Option struct{ Name, Value string }

// Open creates and initializes mpv with opts (applied in order) and starts
// the event pump. Events arrive on Events() until mpv shuts down; the
// caller must keep reading them. log receives mpv's warnings and errors.
func Open(ctx context.Context, opts []Option, log *slog.Logger) (*Player, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	m := gompv.New()
	for _, o := range opts {
		if err := m.SetOptionString(o.Name, o.Value); err != nil {
			m.TerminateDestroy()
			return nil, fmt.Errorf("mpv option %s=%s: %w", o.Name, o.Value, err)
		}
	}
	if err := m.Initialize(); err != nil {
		m.TerminateDestroy()
		return nil, fmt.Errorf("mpv initialize: %w", err)
	}
	if err := m.RequestLogMessages("warn"); err != nil {
		log.Warn("mpv log messages", "err", err)
	}
	p := &Player{
		log:     log,
		events:  make(chan Event, 256),
		done:    make(chan struct{}),
		quit:    make(chan struct{}),
		m:       m,
		observe: make(map[uint64]ValueKind),
	}
	go p.pump()
	return p, nil
}

// Events returns the event channel; it is closed after shutdown.
func (p *Player) Events() <-chan Event { return p.events }

// Done is closed once the handle has been destroyed.
func (p *Player) Done() <-chan struct{} { return p.done }

// Quote builds a command string for mpv_command_string: "raw", the name and
// each argument JSON-quoted, so no argument is ever re-parsed or expanded.
func Quote(name string, args ...string) string {
	var b strings.Builder
	b.WriteString("raw ")
	b.WriteString(name)
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(jsonString(a))
	}
	return b.String()
}

func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// Command runs an mpv command synchronously (mpv_command_string). It blocks
// only as long as mpv takes to accept the command (loadfile returns before
// the file opens).
func (p *Player) Command(name string, args ...string) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	if err := p.m.CommandString(Quote(name, args...)); err != nil {
		return fmt.Errorf("mpv %s: %w", name, err)
	}
	return nil
}

// SetProperty sets a property from its string form.
func (p *Player) SetProperty(name, value string) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	if err := p.m.SetPropertyString(name, value); err != nil {
		return fmt.Errorf("mpv set %s=%s: %w", name, value, err)
	}
	return nil
}

// GetString reads a property in its string form; "" when mpv has no
// value for it (or no such property). It blocks only for mpv's lock.
func (p *Player) GetString(name string) string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ""
	}
	return p.m.GetPropertyString(name)
}

// Observe asks for property-change events for name, delivered as kind.
// mpv sends the current value at once, then every change (coalesced).
func (p *Player) Observe(name string, kind ValueKind) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.nextObs++
	id := p.nextObs
	p.observe[id] = kind
	f := map[ValueKind]gompv.Format{ValueDouble: gompv.FormatDouble, ValueFlag: gompv.FormatFlag, ValueInt: gompv.FormatInt64, ValueString: gompv.FormatString}[kind]
	if err := p.m.ObserveProperty(id, name, f); err != nil {
		delete(p.observe, id)
		return fmt.Errorf("mpv observe %s: %w", name, err)
	}
	return nil
}

// Close asks mpv to quit and waits (bounded by ctx) until the pump has
// destroyed the handle.
func (p *Player) Close(ctx context.Context) error {
	p.once.Do(func() { close(p.quit) })
	if err := p.Command("quit"); err != nil && !errors.Is(err, ErrClosed) {
		p.log.Warn("mpv quit", "err", err)
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mpv close: %w", ctx.Err())
	}
}

// pump is the only goroutine that calls WaitEvent. It copies every event
// before the next call, and destroys the handle after EventShutdown.
func (p *Player) pump() {
	defer close(p.done)
	defer close(p.events)
	for {
		e := p.m.WaitEvent(-1)
		ev, ok := p.decode(e)
		if e.EventID == gompv.EventShutdown {
			p.mu.Lock()
			p.closed = true
			p.m.TerminateDestroy()
			p.mu.Unlock()
			p.send(Event{Kind: KindShutdown, At: time.Now()})
			return
		}
		if ok {
			p.send(ev)
		}
	}
}

// send blocks until the reader takes ev, unless Close was called.
func (p *Player) send(ev Event) {
	select {
	case p.events <- ev:
	case <-p.quit:
	}
}

// Layouts of libmpv 0.35's C structs (client API 2.0, 64-bit).
type cEventProperty struct {
	name   unsafe.Pointer
	format int32
	_      int32
	data   unsafe.Pointer
}

type cEventClientMessage struct {
	numArgs int32
	_       int32
	args    unsafe.Pointer // const char **
}

type cEventLogMessage struct {
	prefix, level, text unsafe.Pointer
	logLevel            int32
}

type cEventEndFile struct {
	reason int32
	err    int32
}

func (p *Player) decode(e *gompv.Event) (Event, bool) {
	ev := Event{At: time.Now()}
	switch e.EventID {
	case gompv.EventPropertyChange:
		if e.Data == nil {
			return ev, false
		}
		c := (*cEventProperty)(e.Data)
		ev.Kind = KindPropertyChange
		ev.Name = cString(c.name)
		p.mu.RLock()
		kind := p.observe[e.ReplyUserdata]
		p.mu.RUnlock()
		if c.data == nil || c.format == int32(gompv.FormatNone) {
			return ev, true
		}
		switch {
		case kind == ValueDouble && c.format == int32(gompv.FormatDouble):
			ev.Value = *(*float64)(c.data)
		case kind == ValueFlag && c.format == int32(gompv.FormatFlag):
			ev.Value = *(*int32)(c.data) != 0
		case kind == ValueInt && c.format == int32(gompv.FormatInt64):
			ev.Value = *(*int64)(c.data)
		case kind == ValueString && c.format == int32(gompv.FormatString):
			ev.Value = cString(*(*unsafe.Pointer)(c.data))
		}
		return ev, true
	case gompv.EventClientMessage:
		if e.Data == nil {
			return ev, false
		}
		c := (*cEventClientMessage)(e.Data)
		ev.Kind = KindClientMessage
		for i := int32(0); i < c.numArgs && i < 64; i++ {
			ev.Args = append(ev.Args, cString(*(*unsafe.Pointer)(unsafe.Add(c.args, uintptr(i)*unsafe.Sizeof(uintptr(0))))))
		}
		return ev, true
	case gompv.EventLogMsg:
		if e.Data != nil {
			c := (*cEventLogMessage)(e.Data)
			p.log.Warn("mpv", "module", cString(c.prefix), "level", cString(c.level), "msg", strings.TrimSpace(cString(c.text)))
		}
		return ev, false
	case gompv.EventStart:
		ev.Kind = KindStartFile
	case gompv.EventFileLoaded:
		ev.Kind = KindFileLoaded
	case gompv.EventPlaybackRestart:
		ev.Kind = KindPlaybackRestart
	case gompv.EventSeek:
		ev.Kind = KindSeek
	case gompv.EventEnd:
		ev.Kind = KindEndFile
		if e.Data != nil {
			c := (*cEventEndFile)(e.Data)
			ev.EndReason = gompv.Reason(uint32(c.reason)).String()
			if c.reason == int32(gompv.EndFileError) {
				ev.EndError = fmt.Sprintf("mpv error %d", c.err)
			}
		}
	default:
		return ev, false
	}
	return ev, true
}

// cString copies a NUL-terminated C string, reading byte by byte (never
// past the terminator) and giving up after 1 MiB.
func cString(ptr unsafe.Pointer) string {
	if ptr == nil {
		return ""
	}
	var b []byte
	for i := uintptr(0); i < 1<<20; i++ {
		c := *(*byte)(unsafe.Add(ptr, i))
		if c == 0 {
			break
		}
		b = append(b, c)
	}
	return string(b)
}
