package api

import "periph.io/x/conn/v3/ir"

// Learn mode of the box's remote inputs (Settings → Remote), served by the
// remote assembly under /api/remote/:
//
//	GET  /api/remote/learn                LearnStatus
//	POST /api/remote/learn/start          -> LearnStatus; 409 while learning already
//	POST /api/remote/learn/skip           -> LearnStatus; 409 for OK or when not learning
//	POST /api/remote/learn/cancel         -> LearnStatus
//
// The JSON is the remote library's (gpio/keymap.LearnStatus); these types
// let the UI read it knowing only this package, and a test of the box's
// remote assembly holds the two to the same fields.

// LearnState is where learn mode is.
type LearnState string

const (
	LearnIdle     LearnState = "idle"     // never started
	LearnRunning  LearnState = "learning" // waiting for presses
	LearnDone     LearnState = "done"     // the keymap was written
	LearnCanceled LearnState = "canceled"
	LearnTimedOut LearnState = "timeout"
	LearnFailed   LearnState = "failed" // writing the keymap failed (Error says why)
)

// LearnStatus is what the learn screen shows.
type LearnStatus struct {
	State       LearnState   `json:"state"`
	Step        int          `json:"step"`  // 0-based index into Keys
	Steps       int          `json:"steps"` // len(Keys)
	Keys        []ir.Key     `json:"keys"`  // the keys learn mode asks for, in order
	Key         ir.Key       `json:"key,omitempty"`
	Prompt      string       `json:"prompt"`            // e.g. "Press OK on your remote"
	Confirming  bool         `json:"confirming"`        // the first press was seen: waiting for the same button again
	Problem     string       `json:"problem,omitempty"` // why the last press was refused
	SecondsLeft int          `json:"secondsLeft,omitempty"`
	Learned     []LearnedKey `json:"learned"`
	Error       string       `json:"error,omitempty"`
}

// LearnedKey is one button learned so far.
type LearnedKey struct {
	Protocol string `json:"protocol"` // rc-core name, e.g. "nec"
	Scancode string `json:"scancode"` // hex, e.g. "0x0045"
	Key      ir.Key `json:"key"`
}
