package catalog_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

// FuzzParse: Parse never panics, every error wraps ErrMalformed, and what it
// accepts survives an encode/parse round trip unchanged.
// Seeds: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(encode(f, sampleCatalog(1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := catalog.Parse(data)
		if err != nil {
			if !errors.Is(err, catalog.ErrMalformed) {
				t.Fatalf("Parse error %v does not wrap ErrMalformed", err)
			}
			return
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("re-encode accepted catalog: %v", err)
		}
		c2, err := catalog.Parse(again)
		if err != nil {
			t.Fatalf("Parse(re-encoded) = %v", err)
		}
		if diff := cmp.Diff(c, c2); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzVerify: Verify never panics, errors are one of the sentinels, and it
// accepts nothing that the key did not sign.
// Seeds: testdata/fuzz/FuzzVerify (data, signature file).
func FuzzVerify(f *testing.F) {
	key := testKey()
	pub := key.Public().(ed25519.PublicKey)
	data := encode(f, sampleCatalog(1))
	f.Add(data, catalog.Sign(key, data))
	f.Fuzz(func(t *testing.T, data, sig []byte) {
		c, err := catalog.Verify(pub, data, sig)
		if err != nil {
			if !errors.Is(err, catalog.ErrMalformed) && !errors.Is(err, catalog.ErrUnsigned) && !errors.Is(err, catalog.ErrBadSignature) {
				t.Fatalf("Verify error %v is none of the sentinels", err)
			}
			return
		}
		if c == nil {
			t.Fatal("Verify returned nil catalog and nil error")
		}
		// Only the exact signed bytes may pass: re-check independently.
		if string(catalog.Sign(key, data)[:88]) != string(canonicalSig(sig)) {
			t.Fatalf("Verify accepted a signature the key did not make: %q", sig)
		}
	})
}

// canonicalSig is sig as Verify reads it: surrounding whitespace trimmed
// and line breaks (which base64 decoding skips) removed.
func canonicalSig(sig []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(bytes.TrimSpace(sig), []byte("\n"), nil), []byte("\r"), nil)
}
