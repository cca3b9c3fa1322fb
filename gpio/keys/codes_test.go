package keys

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"testing"

	"periph.io/x/conn/v3/ir"
)

// TestCodesMatchHeader checks every code of the table against the
// system's <linux/input-event-codes.h> (package linux-libc-dev).
func TestCodesMatchHeader(t *testing.T) {
	const header = "/usr/include/linux/input-event-codes.h"
	f, err := os.Open(header)
	if err != nil {
		t.Skipf("cannot check against %s: %v", header, err)
	}
	defer f.Close()
	def := regexp.MustCompile(`^#define\s+(KEY_\w+)\s+(0x[0-9a-fA-F]+|\d+)\b`)
	codes := map[ir.Key]uint16{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := def.FindStringSubmatch(sc.Text()); m != nil {
			v, err := strconv.ParseUint(m[2], 0, 16)
			if err == nil {
				codes[ir.Key(m[1])] = uint16(v)
			}
		}
	}
	if len(codes) < 300 {
		t.Fatalf("read only %d key codes from %s", len(codes), header)
	}
	for code, name := range codeNames {
		if want, ok := codes[name]; !ok || want != code {
			t.Errorf("%s: table says %d (%#x), header says %d (found %v)", name, code, code, want, ok)
		}
	}
}

func TestNameAndKnown(t *testing.T) {
	if k, ok := Name(0x160); !ok || k != ir.KEY_OK {
		t.Errorf("Name(0x160) = %s, %v; want KEY_OK", k, ok)
	}
	if _, ok := Name(30); ok {
		t.Error("Name(30) (KEY_A) known; the table holds remote keys only")
	}
	for _, tt := range []struct {
		reason string
		key    ir.Key
		want   bool
	}{
		{"a navigation key", ir.KEY_UP, true},
		{"a keypad digit, which inputs alias to the digit", ir.KEY_KP5, true},
		{"a typo in a keymap", "KEY_UPP", false},
		{"a key with no code in the table", ir.KEY_F13, false},
	} {
		if got := Known(tt.key); got != tt.want {
			t.Errorf("%s: Known(%s) = %v, want %v", tt.reason, tt.key, got, tt.want)
		}
	}
}

func TestEventValidate(t *testing.T) {
	for _, tt := range []struct {
		reason string
		ev     Event
		ok     bool
	}{
		{"a bare key is a press from somewhere", Event{Key: ir.KEY_OK}, true},
		{"every field", Event{Key: ir.KEY_BACK, Action: Release, Source: SourceCEC}, true},
		{"unknown key", Event{Key: "KEY_UPP"}, false},
		{"unknown action", Event{Key: ir.KEY_UP, Action: "hold"}, false},
		{"unknown source", Event{Key: ir.KEY_UP, Source: "telepathy"}, false},
	} {
		if err := tt.ev.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate(%+v) = %v, want ok=%v", tt.reason, tt.ev, err, tt.ok)
		}
	}
}
