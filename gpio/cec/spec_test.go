package cec_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/cec/cectest"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"
)

// specKey is one key press or release a recording must produce.
type specKey struct {
	At     time.Duration
	Key    ir.Key
	Action keys.Action
}

func (k specKey) String() string { return fmt.Sprintf("%v %s %s", k.At, k.Key, k.Action) }

// specKeys is, for every recording in testdata, the presses and releases
// its rx lines mean, written by hand from the CEC specification (HDMI 1.4b
// supplement 1, CEC; CEC 2.0 where it renames a code), not by -update:
// TestReplay's key lines came from the code under test, so a wrong entry
// in the UI command table would be in them too. Autorepeats are left out:
// the specification leaves repeating to the follower (the box's own
// timing, which TestReplay covers).
//
// Reading the messages: the first byte is the header, initiator in the
// high nibble and destination in the low one (0x04: from the TV, logical
// address 0, to Playback Device 1, address 4; 0x0f: from the TV to
// everyone). Then the opcode: 0x44 <User Control Pressed> with one [UI
// Command] operand, 0x45 <User Control Released>, 0x41 <Play> with [Play
// Mode], 0x42 <Deck Control> with [Deck Control Mode]. The key names are
// the box's vocabulary for what each UI command means.
var specKeys = map[string][]specKey{
	"keys.cec": {
		// 0s 04:44:01: Pressed, UI command 0x01 "Up".
		{0, ir.KEY_UP, keys.Press},
		// 100ms 04:45: Released.
		{100 * time.Millisecond, ir.KEY_UP, keys.Release},
		// 1s 04:44:00: Pressed, 0x00 "Select" (the OK key). The copies
		// at 1.4 s and 1.8 s are the initiator repeating a held key
		// (the specification has it resend Pressed while held): no new
		// press.
		{1 * time.Second, ir.KEY_OK, keys.Press},
		// 2.1s 04:45: Released.
		{2100 * time.Millisecond, ir.KEY_OK, keys.Release},
		// 3s 04:44:02: Pressed, 0x02 "Down".
		{3 * time.Second, ir.KEY_DOWN, keys.Press},
		// 3.2s 04:44:03: Pressed, 0x03 "Left": one key at a time, so
		// Down is up and Left down.
		{3200 * time.Millisecond, ir.KEY_DOWN, keys.Release},
		{3200 * time.Millisecond, ir.KEY_LEFT, keys.Press},
		// 3.3s 04:45: Released.
		{3300 * time.Millisecond, ir.KEY_LEFT, keys.Release},
		// 4s 04:44:0d: Pressed, 0x0d "Exit" (CEC 2.0: "Back").
		{4 * time.Second, ir.KEY_BACK, keys.Press},
		// 4.05s 04:44:50: Pressed, 0x50 "Angle": a DVD function the box
		// has no use for, so no key; it still ends the Back press.
		{4050 * time.Millisecond, ir.KEY_BACK, keys.Release},
		// 5s 04:41:24: <Play>, [Play Mode] 0x24 "Play Forward": a
		// command, not a held button, so a press and a release at once.
		{5 * time.Second, ir.KEY_PLAY, keys.Press},
		{5 * time.Second, ir.KEY_PLAY, keys.Release},
		// 5.5s 04:42:03: <Deck Control>, [Deck Control Mode] 0x03 "Stop".
		{5500 * time.Millisecond, ir.KEY_STOP, keys.Press},
		{5500 * time.Millisecond, ir.KEY_STOP, keys.Release},
		// 6s 04:44:44: Pressed, 0x44 "Play", and no Released: the
		// follower takes the key as released when no Pressed or
		// Released follows within 550 ms.
		{6 * time.Second, ir.KEY_PLAY, keys.Press},
		{6550 * time.Millisecond, ir.KEY_PLAY, keys.Release},
		// 7s 04:44:61: Pressed, 0x61 "Pause-Play Function".
		{7 * time.Second, ir.KEY_PLAYPAUSE, keys.Press},
		// 7.1s 04:45: Released.
		{7100 * time.Millisecond, ir.KEY_PLAYPAUSE, keys.Release},
		// 8s 0f:44:01: Pressed sent to everyone; the specification
		// allows it only directly addressed, so it is ignored: no key.
	},
	// Give OSD Name, Give Physical Address, Give Device Vendor ID, Get
	// CEC Version, Give Device Power Status, Request Active Source, Set
	// Stream Path, Menu Request, Abort, an unknown opcode, Active Source,
	// Standby, Feature Abort: none is a User Control, Play or Deck
	// Control message, so no key.
	"queries.cec": nil,
}

// TestReplaySpecKeys replays every recording and wants the presses and
// releases specKeys gives for it.
func TestReplaySpecKeys(t *testing.T) {
	files, err := filepath.Glob("testdata/*.cec")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recordings in testdata (%v)", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			want, ok := specKeys[name]
			if !ok {
				t.Fatalf("%s has no hand-written keys in specKeys: write them from the specification", name)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := cectest.ParseRecording(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			var wantLines, got []string
			for _, k := range want {
				wantLines = append(wantLines, k.String())
			}
			for _, l := range replay(t, rec).Lines {
				if l.Dir == "key" && l.Action != keys.Repeat {
					got = append(got, specKey{l.At, l.Key, l.Action}.String())
				}
			}
			if diff := cmp.Diff(wantLines, got); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
}
