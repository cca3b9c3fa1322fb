package keymap

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/jonboulle/clockwork"
	pir "periph.io/x/conn/v3/ir"
)

// LearnKeys are the keys learn mode asks for, in order.
var LearnKeys = []pir.Key{
	pir.KEY_OK, pir.KEY_UP, pir.KEY_DOWN, pir.KEY_LEFT, pir.KEY_RIGHT,
	pir.KEY_BACK, pir.KEY_PLAYPAUSE, pir.KEY_HOME,
}

// LearnedMapName is the name of the map learn mode writes.
const LearnedMapName = "learned"

// DefaultLearnTimeout is how long learn mode waits for a press before it
// gives up (counted again from every press).
const DefaultLearnTimeout = 30 * time.Second

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

// LearnStatus is what the UI shows (GET /api/remote/learn).
type LearnStatus struct {
	State       LearnState `json:"state"`
	Step        int        `json:"step"`  // 0-based index into LearnKeys
	Steps       int        `json:"steps"` // len(LearnKeys)
	Keys        []pir.Key  `json:"keys"`  // LearnKeys, for a UI that knows only the JSON
	Key         pir.Key    `json:"key,omitempty"`
	Prompt      string     `json:"prompt"`            // e.g. "Press OK on your remote"
	Confirming  bool       `json:"confirming"`        // the first press was seen: waiting for the same button again
	Problem     string     `json:"problem,omitempty"` // why the last press was refused
	SecondsLeft int        `json:"secondsLeft,omitempty"`
	Learned     []Entry    `json:"learned"`
	Error       string     `json:"error,omitempty"`
}

// Learner is learn mode: a state machine over LearnKeys. Each key needs
// two presses of the same button (a new press each, not a held key's
// repeats: feed it presses from the tracker). A button already learned for
// another key is refused. At the end the map is handed to save. Safe for
// concurrent use.
type Learner struct {
	clock   clockwork.Clock
	timeout time.Duration
	save    func(Map) error

	mu        sync.Mutex
	state     LearnState
	step      int
	candidate *ir.Code
	problem   string
	learned   []Entry
	deadline  time.Time
	err       string
}

// NewLearner returns an idle Learner that calls save with the learned map.
// timeout 0 means DefaultLearnTimeout; clock nil means the real clock.
func NewLearner(clock clockwork.Clock, timeout time.Duration, save func(Map) error) *Learner {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if timeout <= 0 {
		timeout = DefaultLearnTimeout
	}
	return &Learner{clock: clock, timeout: timeout, save: save, state: LearnIdle}
}

// ErrLearning is returned by Start while learn mode already runs.
var ErrLearning = errors.New("keymap: learn mode is already running")

// Start begins learn mode at the first key.
func (l *Learner) Start() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expireLocked()
	if l.state == LearnRunning {
		return ErrLearning
	}
	l.state, l.step, l.candidate, l.problem, l.learned, l.err = LearnRunning, 0, nil, "", nil, ""
	l.deadline = l.clock.Now().Add(l.timeout)
	return nil
}

// Cancel stops learn mode without writing anything. It reports whether
// learn mode was running.
func (l *Learner) Cancel() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expireLocked()
	if l.state != LearnRunning {
		return false
	}
	l.state = LearnCanceled
	return true
}

// Active reports whether learn mode is running (then presses belong to it,
// not to the UI).
func (l *Learner) Active() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expireLocked()
	return l.state == LearnRunning
}

func (l *Learner) expireLocked() {
	if l.state == LearnRunning && !l.clock.Now().Before(l.deadline) {
		l.state = LearnTimedOut
	}
}

// ErrCannotSkip is returned by Skip for KEY_OK (every remote has one and
// the UI cannot work without it) and when learn mode is not running.
var ErrCannotSkip = errors.New("keymap: this key cannot be skipped")

// Skip moves past the current key for a remote that lacks it (a car MP3
// remote has no HOME). After the last key it saves like Press.
func (l *Learner) Skip() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expireLocked()
	if l.state != LearnRunning || LearnKeys[l.step] == pir.KEY_OK {
		return ErrCannotSkip
	}
	l.deadline = l.clock.Now().Add(l.timeout)
	l.candidate, l.problem = nil, ""
	l.advanceLocked()
	return nil
}

// advanceLocked moves to the next key, saving after the last one.
func (l *Learner) advanceLocked() {
	l.step++
	if l.step < len(LearnKeys) {
		return
	}
	m := Map{Name: LearnedMapName, Entries: append([]Entry(nil), l.learned...)}
	if err := l.save(m); err != nil {
		l.state, l.err = LearnFailed, err.Error()
		return
	}
	l.state = LearnDone
}

// Press feeds one new press of a button. It reports whether learn mode
// took it (false when not running). It may call save (blocking on the
// file write) after the last key.
func (l *Learner) Press(c ir.Code) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expireLocked()
	if l.state != LearnRunning {
		return false
	}
	l.deadline = l.clock.Now().Add(l.timeout)
	want := LearnKeys[l.step]
	for _, e := range l.learned {
		if e.Code() == c {
			l.candidate = nil
			l.problem = fmt.Sprintf("That button is already %s. Press a different button for %s.", keyLabel(e.Key), keyLabel(want))
			return true
		}
	}
	if l.candidate == nil || *l.candidate != c {
		if l.candidate != nil {
			l.problem = fmt.Sprintf("That was a different button. Press %s again to confirm it.", keyLabel(want))
		} else {
			l.problem = ""
		}
		l.candidate = &c
		return true
	}
	l.learned = append(l.learned, Entry{Protocol: c.Protocol, Scancode: Scancode(c.Scancode), Key: want})
	l.candidate, l.problem = nil, ""
	l.advanceLocked()
	return true
}

// Status returns what the UI should show.
func (l *Learner) Status() LearnStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expireLocked()
	st := LearnStatus{State: l.state, Step: l.step, Steps: len(LearnKeys), Keys: slices.Clone(LearnKeys), Problem: l.problem,
		Learned: append([]Entry{}, l.learned...), Error: l.err, Confirming: l.candidate != nil}
	switch l.state {
	case LearnIdle:
		st.Prompt = "Learn a remote: choose Start."
	case LearnRunning:
		st.Key = LearnKeys[l.step]
		if l.candidate != nil {
			st.Prompt = fmt.Sprintf("Press %s again to confirm", keyLabel(st.Key))
		} else {
			st.Prompt = fmt.Sprintf("Press %s on your remote", keyLabel(st.Key))
		}
		st.SecondsLeft = int((l.deadline.Sub(l.clock.Now()) + time.Second - 1) / time.Second)
	case LearnDone:
		st.Prompt = "Your remote is ready."
	case LearnCanceled:
		st.Prompt = "Learning was cancelled; the keymap is unchanged."
	case LearnTimedOut:
		st.Prompt = "No button was pressed for a while; the keymap is unchanged."
	case LearnFailed:
		st.Prompt = "The new keymap could not be saved; the old one is still in use."
	}
	return st
}

// keyLabel is how a key is named to a person: KEY_PLAYPAUSE -> "PLAY/PAUSE".
func keyLabel(k pir.Key) string {
	if k == pir.KEY_PLAYPAUSE {
		return "PLAY/PAUSE"
	}
	return strings.TrimPrefix(string(k), "KEY_")
}
