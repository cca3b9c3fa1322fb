package resume

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// FuzzOpen feeds arbitrary bytes as resume.json: Open never fails or
// panics on content (corrupt => fresh), every kept position is usable, and
// the store keeps working.
func FuzzOpen(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir, Options{Delay: -1})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		for id, r := range s.entries {
			if !valid(r.Seconds) || !valid(r.DurationSeconds) {
				t.Fatalf("kept invalid entry %q: %+v", id, r)
			}
		}
		if _, err := s.Set("x", api.ResumeUpdate{Seconds: 1, DurationSeconds: 100}); err != nil {
			t.Fatalf("Set after loading: %v", err)
		}
		if got := s.Get("x").Seconds; got != 1 {
			t.Fatalf("Get = %v", got)
		}
	})
}
