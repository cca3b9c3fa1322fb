// Package keys is the remote-control vocabulary shared by every input
// (web remote, window keyboard, IR, CEC, USB) and the bus that carries key
// events from those inputs to the UI through the daemon's event stream.
//
// Key names are periph's ir.Key values, which are the Linux input key names
// (KEY_UP, KEY_OK, ...), so a keymap written for LIRC or rc-core reads the same.
package keys

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"periph.io/x/conn/v3/ir"
)

// Action says what happened to a key.
type Action string

const (
	Press   Action = "press"   // the key went down (a new press)
	Repeat  Action = "repeat"  // the key is still held (autorepeat)
	Release Action = "release" // the key went up
)

// Source names where an event came from; it is informational (logs,
// diagnostics) and never changes what a key does.
type Source string

const (
	SourceWeb      Source = "web"      // the daemon's /remote page or POST /api/keys
	SourceKeyboard Source = "keyboard" // the UI window's keyboard, or a USB keyboard
	SourceIR       Source = "ir"       // an IR remote through GPIO or lirc
	SourceCEC      Source = "cec"      // the TV's own remote over HDMI-CEC
)

// Event is one key event as it travels over the API (JSON).
type Event struct {
	Key    ir.Key    `json:"key"`
	Action Action    `json:"action"`
	Source Source    `json:"source,omitempty"`
	At     time.Time `json:"at,omitzero"` // when the input saw it; set by the bus if zero
}

// Supported is the set of keys the UI gives a meaning to. Anything else is
// refused at the API boundary so a typo in a keymap shows up at once.
var Supported = map[ir.Key]bool{
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

// SupportedNames returns the supported key names, sorted (for error messages
// and the remote page).
func SupportedNames() []string {
	names := make([]string, 0, len(Supported))
	for k := range Supported {
		names = append(names, string(k))
	}
	sort.Strings(names)
	return names
}

// MaxEventBytes bounds an encoded event; anything larger is refused unread.
const MaxEventBytes = 1024

// ErrMalformed wraps every reason Decode refuses an event.
var ErrMalformed = errors.New("malformed key event")

// Decode parses one JSON key event as sent to POST /api/keys. It is strict:
// unknown fields, unknown keys, unknown actions and trailing data are errors
// wrapping ErrMalformed. A missing action means Press.
func Decode(data []byte) (Event, error) {
	if len(data) > MaxEventBytes {
		return Event{}, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(data), MaxEventBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var ev Event
	if err := dec.Decode(&ev); err != nil {
		return Event{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return Event{}, fmt.Errorf("%w: trailing data after the event", ErrMalformed)
	}
	if err := ev.Validate(); err != nil {
		return Event{}, err
	}
	if ev.Action == "" {
		ev.Action = Press
	}
	return ev, nil
}

// Validate reports whether ev names a supported key, action and source.
func (ev Event) Validate() error {
	if !Supported[ev.Key] {
		return fmt.Errorf("%w: unknown key %q", ErrMalformed, ev.Key)
	}
	switch ev.Action {
	case "", Press, Repeat, Release:
	default:
		return fmt.Errorf("%w: unknown action %q (want press, repeat or release)", ErrMalformed, ev.Action)
	}
	switch ev.Source {
	case "", SourceWeb, SourceKeyboard, SourceIR, SourceCEC:
	default:
		return fmt.Errorf("%w: unknown source %q", ErrMalformed, ev.Source)
	}
	return nil
}

// Sink takes key events from an input. Implementations must not block the
// caller for long: inputs time pulses and must keep reading.
type Sink interface {
	SendKey(Event)
}
