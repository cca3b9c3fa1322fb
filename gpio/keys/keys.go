// Package keys is the remote library's vocabulary of key events: which key
// (a Linux input key name, as periph's ir.Key), what happened to it (press,
// repeat, release), which input saw it and when, and the Sink every input
// delivers to.
//
// Key names are periph's ir.Key values, which are the Linux input key names
// (KEY_UP, KEY_OK, ...), so a keymap written for LIRC or rc-core reads the
// same. Which keys a product acts on is the product's choice: inputs take
// that set in their configuration.
package keys

import (
	"fmt"
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
	SourceWeb      Source = "web"      // a web page or HTTP API acting as a remote
	SourceKeyboard Source = "keyboard" // a window's keyboard, or a USB keyboard or receiver
	SourceIR       Source = "ir"       // an IR remote through GPIO or lirc
	SourceCEC      Source = "cec"      // the TV's own remote over HDMI-CEC
)

// Event is one key event.
type Event struct {
	Key    ir.Key    `json:"key"`
	Action Action    `json:"action"`
	Source Source    `json:"source,omitempty"`
	At     time.Time `json:"at,omitzero"` // when the input saw it; zero if unknown
}

// Validate reports whether ev names a known key (Known) and a known action
// and source; an empty action or source is allowed (a press, unknown).
func (ev Event) Validate() error {
	if !Known(ev.Key) {
		return fmt.Errorf("unknown key %q", ev.Key)
	}
	if !ev.Action.Valid() {
		return fmt.Errorf("unknown action %q (want press, repeat or release)", ev.Action)
	}
	if !ev.Source.Valid() {
		return fmt.Errorf("unknown source %q", ev.Source)
	}
	return nil
}

// Valid reports whether a is one of the actions or empty.
func (a Action) Valid() bool {
	switch a {
	case "", Press, Repeat, Release:
		return true
	}
	return false
}

// Valid reports whether s is one of the sources or empty.
func (s Source) Valid() bool {
	switch s {
	case "", SourceWeb, SourceKeyboard, SourceIR, SourceCEC:
		return true
	}
	return false
}

// Sink takes key events from an input. Implementations must not block the
// caller for long: inputs time pulses and must keep reading.
type Sink interface {
	SendKey(Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// SendKey implements Sink.
func (f SinkFunc) SendKey(ev Event) { f(ev) }
