package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/ir"
)

// Keys is the set of keys the TV gives a meaning to, by their Linux input
// names (periph's ir.Key). POST /api/keys refuses any other, and the box's
// remotes deliver only these, so a typo in a keymap shows up at once.
var Keys = map[ir.Key]bool{
	ir.KEY_UP: true, ir.KEY_DOWN: true, ir.KEY_LEFT: true, ir.KEY_RIGHT: true,
	ir.KEY_OK: true, ir.KEY_ENTER: true, ir.KEY_SELECT: true,
	ir.KEY_BACK: true, ir.KEY_ESC: true, ir.KEY_BACKSPACE: true, ir.KEY_EXIT: true,
	ir.KEY_PLAYPAUSE: true, ir.KEY_PLAY: true, ir.KEY_PAUSE: true, ir.KEY_STOP: true, ir.KEY_SPACE: true,
	ir.KEY_FASTFORWARD: true, ir.KEY_REWIND: true, ir.KEY_NEXT: true, ir.KEY_PREVIOUS: true,
	ir.KEY_HOME: true, ir.KEY_MENU: true, ir.KEY_INFO: true, ir.KEY_POWER: true,
	ir.KEY_CHANNELUP: true, ir.KEY_CHANNELDOWN: true,
	ir.KEY_VOLUMEUP: true, ir.KEY_VOLUMEDOWN: true, ir.KEY_MUTE: true,
	ir.KEY_RED: true, ir.KEY_GREEN: true, ir.KEY_YELLOW: true, ir.KEY_BLUE: true,
	ir.KEY_0: true, ir.KEY_1: true, ir.KEY_2: true, ir.KEY_3: true, ir.KEY_4: true,
	ir.KEY_5: true, ir.KEY_6: true, ir.KEY_7: true, ir.KEY_8: true, ir.KEY_9: true,
}

// KeyEvent actions.
const (
	KeyPress   = "press"   // the key went down (a new press)
	KeyRepeat  = "repeat"  // the key is still held (autorepeat)
	KeyRelease = "release" // the key went up
)

// KeyEvent sources: where a key came from. Informational (logs,
// diagnostics); never changes what a key does.
const (
	SourceWeb      = "web"      // the daemon's /remote page or POST /api/keys
	SourceKeyboard = "keyboard" // the UI window's keyboard, or a USB keyboard
	SourceIR       = "ir"       // an IR remote through GPIO or lirc
	SourceCEC      = "cec"      // the TV's own remote over HDMI-CEC
)

// MaxKeyEventBytes bounds an encoded key event; anything larger is refused
// unread.
const MaxKeyEventBytes = 1024

// ErrMalformedKey wraps every reason DecodeKeyEvent refuses an event.
var ErrMalformedKey = errors.New("malformed key event")

// DecodeKeyEvent parses one JSON key event as sent to POST /api/keys. It is
// strict: unknown fields, keys the TV does not act on (Keys), unknown
// actions and sources and trailing data are errors wrapping
// ErrMalformedKey. A missing action means KeyPress.
func DecodeKeyEvent(data []byte) (KeyEvent, error) {
	if len(data) > MaxKeyEventBytes {
		return KeyEvent{}, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformedKey, len(data), MaxKeyEventBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var ev KeyEvent
	if err := dec.Decode(&ev); err != nil {
		return KeyEvent{}, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	if dec.More() {
		return KeyEvent{}, fmt.Errorf("%w: trailing data after the event", ErrMalformedKey)
	}
	if err := ev.Validate(); err != nil {
		return KeyEvent{}, err
	}
	if ev.Action == "" {
		ev.Action = KeyPress
	}
	return ev, nil
}

// Validate reports whether ev names a key in Keys and a known action and
// source (empty ones are allowed: a press, from somewhere).
func (ev KeyEvent) Validate() error {
	if !Keys[ir.Key(ev.Key)] {
		return fmt.Errorf("%w: unknown key %q", ErrMalformedKey, ev.Key)
	}
	switch ev.Action {
	case "", KeyPress, KeyRepeat, KeyRelease:
	default:
		return fmt.Errorf("%w: unknown action %q (want press, repeat or release)", ErrMalformedKey, ev.Action)
	}
	switch ev.Source {
	case "", SourceWeb, SourceKeyboard, SourceIR, SourceCEC:
	default:
		return fmt.Errorf("%w: unknown source %q", ErrMalformedKey, ev.Source)
	}
	return nil
}

// KeyBus fans key events out to every subscriber (normally the one UI
// process, plus diagnostics). It is safe for concurrent use. A subscriber
// that does not keep up loses events rather than stalling the inputs: a
// remote that lags is worse than one that drops a repeat.
type KeyBus struct {
	now func() time.Time

	mu   sync.Mutex
	subs map[chan KeyEvent]struct{}
}

// NewKeyBus returns an empty bus. now is the clock stamped on events that
// arrive without a time; nil means time.Now.
func NewKeyBus(now func() time.Time) *KeyBus {
	if now == nil {
		now = time.Now
	}
	return &KeyBus{now: now, subs: make(map[chan KeyEvent]struct{})}
}

// Send delivers ev to every subscriber. It never blocks.
func (b *KeyBus) Send(ev KeyEvent) {
	if ev.At.IsZero() {
		ev.At = b.now()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default: // slow subscriber: drop rather than block an input
		}
	}
}

// Subscribe returns a channel of events that is closed when ctx ends.
// buffer is the number of events held for a slow reader (at least 1).
func (b *KeyBus) Subscribe(ctx context.Context, buffer int) <-chan KeyEvent {
	if buffer < 1 {
		buffer = 1
	}
	ch := make(chan KeyEvent, buffer)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
		close(ch)
	}()
	return ch
}
