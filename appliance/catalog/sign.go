package catalog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
)

// maxSignatureBytes bounds catalog.json.sig: 88 base64 characters plus
// whitespace, with room to spare.
const maxSignatureBytes = 1024

// Sign returns the contents of catalog.json.sig for data: the standard
// base64 of the 64-byte ed25519 signature over the exact bytes, and a
// newline.
func Sign(priv ed25519.PrivateKey, data []byte) []byte {
	sig := ed25519.Sign(priv, data)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sig)), base64.StdEncoding.EncodedLen(len(sig))+1)
	base64.StdEncoding.Encode(out, sig)
	return append(out, '\n')
}

// Verify checks sig (the contents of catalog.json.sig) over the exact bytes
// of data with pub, and only then parses data. An empty or blank sig gives
// ErrUnsigned; a signature that cannot be decoded or does not match gives
// ErrBadSignature; a valid signature over an invalid catalog gives
// ErrMalformed.
func Verify(pub ed25519.PublicKey, data, sig []byte) (*Catalog, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("catalog: public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	if len(data) > MaxCatalogBytes {
		return nil, fmt.Errorf("%w: %d bytes is more than the limit of %d", ErrMalformed, len(data), MaxCatalogBytes)
	}
	if len(sig) > maxSignatureBytes {
		return nil, fmt.Errorf("%w: signature file is %d bytes", ErrBadSignature, len(sig))
	}
	s := bytes.TrimSpace(sig)
	if len(s) == 0 {
		return nil, ErrUnsigned
	}
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Strict().Decode(raw, s)
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not base64: %v", ErrBadSignature, err)
	}
	if n != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is %d bytes, want %d", ErrBadSignature, n, ed25519.SignatureSize)
	}
	if !ed25519.Verify(pub, data, raw[:n]) {
		return nil, ErrBadSignature
	}
	return Parse(data)
}

// ParsePublicKey decodes a network public key written as standard base64 of
// its 32 bytes (surrounding whitespace ignored), as FormatPublicKey writes it.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("catalog: public key is empty")
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("catalog: public key is not base64: %w", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("catalog: public key is %d bytes, want %d", len(raw), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// FormatPublicKey writes pub as standard base64 (44 characters).
func FormatPublicKey(pub ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(pub)
}
