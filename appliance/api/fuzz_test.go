package api_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

// FuzzNewPairer feeds arbitrary bytes as pairing.json: loading never fails
// or panics on content, no made-up token is accepted, and pairing still
// works afterwards.
func FuzzNewPairer(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, api.PairingFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := api.NewPairer(dir, nil, nil)
		if err != nil {
			t.Fatalf("NewPairer: %v", err)
		}
		for _, tok := range []string{"", "x", string(data)} {
			if p.Valid(tok) {
				t.Fatalf("token %q accepted from a fuzzed file", tok)
			}
		}
		code, _, err := p.Request()
		if err != nil {
			t.Fatal(err)
		}
		tok, _, _, err := p.Pair("192.0.2.1", code)
		if err != nil || !p.Valid(tok) {
			t.Fatalf("pairing after load: %v", err)
		}
	})
}
