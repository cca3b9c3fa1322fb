package cectest

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseRecording(t *testing.T) {
	tests := []struct {
		reason  string
		in      string
		wantErr string
	}{
		{"full example", "# header\naddr 4 1.0.0.0\n0s rx 04:44:01  # up\n0s key KEY_UP press\n100ms tx 40:00:44:00\n", ""},
		{"bad time", "x rx 04:44", "time"},
		{"negative time", "-1s rx 04:44", "time"},
		{"bad frame", "0s rx 4:44", "two hex digits"},
		{"unknown direction", "0s send 04:44", "direction"},
		{"unknown key", "0s key KEY_NOPE press", "key event"},
		{"missing action", "0s key KEY_UP", "want"},
		{"bad physical address", "addr 4 1.0.0", "a.b.c.d"},
		{"logical address out of range", "addr 16 1.0.0.0", "logical address"},
	}
	for _, tt := range tests {
		rec, err := ParseRecording(strings.NewReader(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: error %v, want one mentioning %q", tt.reason, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.reason, err)
			continue
		}
		again, err := ParseRecording(bytes.NewReader(rec.Format()))
		if err != nil {
			t.Fatalf("%s: Format does not parse back: %v", tt.reason, err)
		}
		if diff := cmp.Diff(rec, again); diff != "" {
			t.Errorf("%s: round trip (-want +got):\n%s", tt.reason, diff)
		}
		if rec.Header != "header\n" || len(rec.Lines) != 3 || rec.Lines[2].At != 100*time.Millisecond {
			t.Errorf("%s: parsed %+v", tt.reason, rec)
		}
	}
}

// FuzzParseRecording: any input parses or is refused, and what parses
// survives Format.
func FuzzParseRecording(f *testing.F) {
	f.Add("addr 4 1.0.0.0\n0s rx 04:44:01\n")
	f.Fuzz(func(t *testing.T, in string) {
		rec, err := ParseRecording(strings.NewReader(in))
		if err != nil {
			return
		}
		again, err := ParseRecording(bytes.NewReader(rec.Format()))
		if err != nil {
			t.Fatalf("Format output does not parse: %v\n%s", err, rec.Format())
		}
		if len(again.Lines) != len(rec.Lines) || again.LogicalAddr != rec.LogicalAddr || again.PhysAddr != rec.PhysAddr {
			t.Fatalf("round trip changed the recording")
		}
		for i := range rec.Lines {
			if rec.Lines[i].String() != again.Lines[i].String() {
				t.Fatalf("line %d: %q became %q", i, rec.Lines[i], again.Lines[i])
			}
		}
	})
}
