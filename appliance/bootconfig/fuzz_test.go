package bootconfig

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics, that whatever it accepts passes
// Validate, and that Format writes it back losslessly.
func FuzzParse(f *testing.F) {
	f.Add([]byte("channel=https://tv.example.org/c\nhostname=tv\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted %q but Validate says %v", data, err)
		}
		again, err := Parse(bytes.NewReader(Format(c)))
		if err != nil {
			t.Fatalf("Parse(Format(%+v)): %v", c, err)
		}
		if diff := cmp.Diff(c, again); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}
