package keymap

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/google/go-cmp/cmp"
	"github.com/jonboulle/clockwork"
	pir "periph.io/x/conn/v3/ir"
)

func TestDefaults(t *testing.T) {
	f := DefaultFile()
	f.Maps = Defaults() // validate the built-ins as if they were user maps
	if err := f.Validate(); err != nil {
		t.Fatalf("built-in maps invalid: %v", err)
	}
	seen := map[ir.Code]string{}
	for _, m := range Defaults() {
		for _, e := range m.Entries {
			if other, ok := seen[e.Code()]; ok {
				t.Errorf("%v in both %s and %s", e.Code(), other, m.Name)
			}
			seen[e.Code()] = m.Name
		}
	}
	table := NewTable(DefaultFile())
	tests := []struct {
		reason string
		code   ir.Code
		want   pir.Key
	}{
		{"car MP3 remote's >|| is OK", ir.Code{Protocol: ir.NEC, Scancode: 0x0043}, pir.KEY_OK},
		{"car MP3 remote's 9 (0x4A, not the 0x41 typo)", ir.Code{Protocol: ir.NEC, Scancode: 0x004a}, pir.KEY_9},
		{"car MP3 remote's CH- is back", ir.Code{Protocol: ir.NEC, Scancode: 0x0045}, pir.KEY_BACK},
		{"MCE remote up", ir.Code{Protocol: RC6MCE, Scancode: 0x800f041e}, pir.KEY_UP},
		{"MCE remote OK", ir.Code{Protocol: RC6MCE, Scancode: 0x800f0422}, pir.KEY_OK},
		{"Samsung up (rc-samsung.c 0x70760)", ir.Code{Protocol: ir.Samsung32, Scancode: 0x0760}, pir.KEY_UP},
		{"Samsung centre button", ir.Code{Protocol: ir.Samsung32, Scancode: 0x0768}, pir.KEY_OK},
		{"Samsung return", ir.Code{Protocol: ir.Samsung32, Scancode: 0x0758}, pir.KEY_BACK},
	}
	for _, tt := range tests {
		got, _, ok := table.Lookup(tt.code)
		if !ok || got != tt.want {
			t.Errorf("%s: Lookup(%v) = %s, %v; want %s", tt.reason, tt.code, got, ok, tt.want)
		}
	}
	if _, _, ok := table.Lookup(ir.Code{Protocol: ir.NEC, Scancode: 0x0043}); !ok {
		t.Error("defaults missing")
	}
	if _, _, ok := NewTable(File{Version: 1}).Lookup(ir.Code{Protocol: ir.NEC, Scancode: 0x0043}); ok {
		t.Error("defaults used although the file turns them off")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		reason  string
		in      string
		wantErr string // substring; "" = valid
	}{
		{"minimal", `{"version":1,"defaults":true,"maps":[]}`, ""},
		{"a learned map, hex and decimal scancodes", `{"version":1,"defaults":false,"maps":[{"name":"learned","entries":[{"protocol":"nec","scancode":"0x0045","key":"KEY_UP"},{"protocol":"rc-5","scancode":4107,"key":"KEY_OK"}]}]}`, ""},
		{"wrong version", `{"version":2,"maps":[]}`, "version 2"},
		{"unknown field", `{"version":1,"maps":[],"extra":1}`, "unknown field"},
		{"unknown protocol", `{"version":1,"maps":[{"name":"x","entries":[{"protocol":"rc-mm","scancode":"0x1","key":"KEY_UP"}]}]}`, "unknown protocol"},
		{"key the UI does not know", `{"version":1,"maps":[{"name":"x","entries":[{"protocol":"nec","scancode":"0x1","key":"KEY_A"}]}]}`, "KEY_A"},
		{"NEC scancode wider than 16 bits", `{"version":1,"maps":[{"name":"x","entries":[{"protocol":"nec","scancode":"0x10045","key":"KEY_UP"}]}]}`, "too wide"},
		{"same code twice in a map", `{"version":1,"maps":[{"name":"x","entries":[{"protocol":"nec","scancode":"0x45","key":"KEY_UP"},{"protocol":"nec","scancode":"0x45","key":"KEY_DOWN"}]}]}`, "mapped twice"},
		{"two maps with one name", `{"version":1,"maps":[{"name":"x","entries":[]},{"name":"x","entries":[]}]}`, "used twice"},
		{"empty map name", `{"version":1,"maps":[{"name":" ","entries":[]}]}`, "map name"},
		{"scancode not a number", `{"version":1,"maps":[{"name":"x","entries":[{"protocol":"nec","scancode":"up","key":"KEY_UP"}]}]}`, "scancode"},
		{"trailing data", `{"version":1,"maps":[]} {}`, "trailing"},
		{"truncated", `{"version":1,"maps":[`, "invalid keymap"},
		{"too large", `{"version":1,"maps":[]}` + strings.Repeat(" ", MaxFileBytes), "limit"},
	}
	for _, tt := range tests {
		f, err := Parse([]byte(tt.in))
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.reason, err)
				continue
			}
			g, err := Parse(f.Format())
			if err != nil {
				t.Errorf("%s: Format does not parse back: %v", tt.reason, err)
			}
			if diff := cmp.Diff(f, g); diff != "" {
				t.Errorf("%s: round trip (-want +got):\n%s", tt.reason, diff)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: error %v, want ErrInvalid mentioning %q", tt.reason, err, tt.wantErr)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":1,"defaults":true,"maps":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		again, err := Parse(file.Format())
		if err != nil {
			t.Fatalf("Format of a parsed file does not parse: %v", err)
		}
		if !cmp.Equal(file, again) {
			t.Fatalf("round trip changed the file: %s", cmp.Diff(file, again))
		}
		NewTable(file)
	})
}

func TestStoreRoundTripAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keymap.json")
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))

	s, err := Open(path, writeFile, log)
	if err != nil {
		t.Fatal(err)
	}
	up := ir.Code{Protocol: ir.NEC, Scancode: 0x0043} // OK in the car MP3 default
	if k, _ := s.Lookup(up); k != pir.KEY_OK {
		t.Fatalf("missing file: Lookup = %s, want the default KEY_OK", k)
	}
	learned := Map{Name: LearnedMapName, Entries: []Entry{{Protocol: ir.NEC, Scancode: 0x0043, Key: pir.KEY_UP}}}
	if err := s.SetMap(learned); err != nil {
		t.Fatal(err)
	}
	if k, _ := s.Lookup(up); k != pir.KEY_UP {
		t.Errorf("after SetMap: Lookup = %s, want the learned KEY_UP (user maps win)", k)
	}
	s2, err := Open(path, writeFile, log)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.File(), s2.File()); diff != "" {
		t.Errorf("reopened file differs (-want +got):\n%s", diff)
	}
	if err := s2.Put(File{Version: 1, Maps: []Map{{Name: "x", Entries: []Entry{{Protocol: "bogus", Key: pir.KEY_UP}}}}}); err == nil {
		t.Error("Put accepted an invalid file")
	}
	if k, _ := s2.Lookup(up); k != pir.KEY_UP {
		t.Errorf("a refused Put changed the table: %s", k)
	}

	for _, bad := range []string{`{"version":1,"maps":[`, `{"version":1,"maps":[{"name":"x","entries":[{"protocol":"nec","scancode":"0x1","key":"KEY_NOPE"}]}]}`} {
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		logBuf.Reset()
		s3, err := Open(path, writeFile, log)
		if err != nil {
			t.Fatalf("corrupt file: Open error %v, want defaults", err)
		}
		if k, _ := s3.Lookup(up); k != pir.KEY_OK {
			t.Errorf("corrupt file: Lookup = %s, want default KEY_OK", k)
		}
		if !strings.Contains(logBuf.String(), "invalid") {
			t.Errorf("corrupt file not logged: %q", logBuf.String())
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("corrupt file still in place (err %v)", err)
		}
		aside, _ := filepath.Glob(path + ".corrupt-*")
		if len(aside) == 0 {
			t.Error("corrupt file not kept aside")
		}
		for _, a := range aside {
			os.Remove(a)
		}
	}
}

func TestLearn(t *testing.T) {
	nec := func(c uint32) ir.Code { return ir.Code{Protocol: ir.NEC, Scancode: c} }
	clock := clockwork.NewFakeClock()
	var saved []Map
	l := NewLearner(clock, 30*time.Second, func(m Map) error { saved = append(saved, m); return nil })
	if st := l.Status(); st.State != LearnIdle {
		t.Fatalf("initial state %s", st.State)
	}
	if l.Press(nec(1)) {
		t.Error("an idle learner took a press")
	}
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(); !errors.Is(err, ErrLearning) {
		t.Errorf("second Start: %v, want ErrLearning", err)
	}
	st := l.Status()
	if st.Prompt != "Press OK on your remote" || st.Key != pir.KEY_OK || st.SecondsLeft != 30 {
		t.Errorf("first step: %+v", st)
	}
	l.Press(nec(0x40))
	if st := l.Status(); !st.Confirming || st.Prompt != "Press OK again to confirm" {
		t.Errorf("after one press: %+v", st)
	}
	l.Press(nec(0x41)) // another button: it becomes the candidate
	if st := l.Status(); st.Step != 0 || !strings.Contains(st.Problem, "different button") {
		t.Errorf("different button: %+v", st)
	}
	l.Press(nec(0x41))
	if st := l.Status(); st.Step != 1 || st.Key != pir.KEY_UP || st.Prompt != "Press UP on your remote" {
		t.Errorf("after OK learned: %+v", st)
	}
	l.Press(nec(0x41)) // already OK: refused
	if st := l.Status(); st.Step != 1 || st.Confirming || !strings.Contains(st.Problem, "already OK") {
		t.Errorf("duplicate: %+v", st)
	}
	clock.Advance(29 * time.Second) // presses restart the timeout
	for i := range LearnKeys[1:] {
		code := nec(uint32(0x50 + i))
		l.Press(code)
		clock.Advance(20 * time.Second)
		l.Press(code)
	}
	st = l.Status()
	if st.State != LearnDone {
		t.Fatalf("after every key: %+v", st)
	}
	if len(saved) != 1 {
		t.Fatalf("saved %d maps, want 1", len(saved))
	}
	want := []Entry{{Protocol: ir.NEC, Scancode: 0x41, Key: pir.KEY_OK}}
	for i, k := range LearnKeys[1:] {
		want = append(want, Entry{Protocol: ir.NEC, Scancode: Scancode(0x50 + i), Key: k})
	}
	if diff := cmp.Diff(Map{Name: LearnedMapName, Entries: want}, saved[0]); diff != "" {
		t.Errorf("learned map (-want +got):\n%s", diff)
	}
	if err := (File{Version: 1, Maps: saved}).Validate(); err != nil {
		t.Errorf("learned map does not validate: %v", err)
	}
}

func TestLearnSkip(t *testing.T) {
	var saved Map
	l := NewLearner(clockwork.NewFakeClock(), 0, func(m Map) error { saved = m; return nil })
	if err := l.Skip(); !errors.Is(err, ErrCannotSkip) {
		t.Errorf("Skip while idle: %v", err)
	}
	l.Start()
	if err := l.Skip(); !errors.Is(err, ErrCannotSkip) {
		t.Errorf("Skip of OK: %v, want ErrCannotSkip", err)
	}
	for i, k := range LearnKeys {
		if k == pir.KEY_HOME || k == pir.KEY_PLAYPAUSE {
			if err := l.Skip(); err != nil {
				t.Fatalf("Skip %s: %v", k, err)
			}
			continue
		}
		l.Press(ir.Code{Protocol: ir.NEC, Scancode: uint32(i)})
		l.Press(ir.Code{Protocol: ir.NEC, Scancode: uint32(i)})
	}
	if st := l.Status(); st.State != LearnDone {
		t.Fatalf("state %s", st.State)
	}
	if len(saved.Entries) != len(LearnKeys)-2 {
		t.Errorf("saved %d entries, want %d (two skipped)", len(saved.Entries), len(LearnKeys)-2)
	}
}

func TestLearnTimeoutCancelAndSaveError(t *testing.T) {
	tests := []struct {
		reason string
		run    func(l *Learner, clock *clockwork.FakeClock)
		save   error
		want   LearnState
	}{
		{"30 s without a press times out", func(l *Learner, c *clockwork.FakeClock) {
			l.Press(ir.Code{Protocol: ir.NEC, Scancode: 1})
			c.Advance(30 * time.Second)
		}, nil, LearnTimedOut},
		{"cancel", func(l *Learner, c *clockwork.FakeClock) {
			if !l.Cancel() {
				panic("Cancel of a running learner returned false")
			}
		}, nil, LearnCanceled},
		{"a failed write reports failed", func(l *Learner, c *clockwork.FakeClock) {
			for i := range LearnKeys {
				l.Press(ir.Code{Protocol: ir.RC5, Scancode: uint32(i)})
				l.Press(ir.Code{Protocol: ir.RC5, Scancode: uint32(i)})
			}
		}, errors.New("disk full"), LearnFailed},
	}
	for _, tt := range tests {
		clock := clockwork.NewFakeClock()
		saves := 0
		l := NewLearner(clock, 30*time.Second, func(Map) error { saves++; return tt.save })
		if err := l.Start(); err != nil {
			t.Fatal(err)
		}
		tt.run(l, clock)
		st := l.Status()
		if st.State != tt.want {
			t.Errorf("%s: state %s, want %s", tt.reason, st.State, tt.want)
		}
		if tt.save == nil && saves != 0 {
			t.Errorf("%s: saved %d times, want 0", tt.reason, saves)
		}
		if tt.save != nil && st.Error != tt.save.Error() {
			t.Errorf("%s: error %q", tt.reason, st.Error)
		}
		if l.Active() || l.Press(ir.Code{Protocol: ir.NEC, Scancode: 9}) {
			t.Errorf("%s: still taking presses", tt.reason)
		}
		if err := l.Start(); err != nil {
			t.Errorf("%s: cannot start again: %v", tt.reason, err)
		}
	}
}

// writeFile saves without the temp-and-rename dance: these tests never cut
// power, and the atomic writer belongs to the data dir's owner.
func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }
