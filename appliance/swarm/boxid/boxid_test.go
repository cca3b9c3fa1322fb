package boxid

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var n [NonceSize]byte
	n[3] = 7
	m, err := Decode(Hello(n))
	if err != nil || m.Kind != KindHello || m.Nonce != n {
		t.Fatalf("hello: %+v %v", m, err)
	}
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	sig := Sign(key, Binding{})
	m, err = Decode(Proof(key.Public().(ed25519.PublicKey), sig))
	if err != nil || m.Kind != KindProof || !bytes.Equal(m.Key[:], key.Public().(ed25519.PublicKey)) || !bytes.Equal(m.Sig[:], sig) {
		t.Fatalf("proof: %+v %v", m, err)
	}
}

// TestProofIsBoundToTheConnection: a proof verifies only for the binding it
// was made for; any other torrent, peer ID or nonce fails, and so does
// another box's key.
func TestProofIsBoundToTheConnection(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32))
	var pub, otherPub [32]byte
	copy(pub[:], key.Public().(ed25519.PublicKey))
	copy(otherPub[:], other.Public().(ed25519.PublicKey))
	b := Binding{InfoHash: [20]byte{1}, Signer: [20]byte{2}, Verifier: [20]byte{3}, SignerNonce: [16]byte{4}, VerifierNonce: [16]byte{5}}
	var sig [64]byte
	copy(sig[:], Sign(key, b))
	tests := []struct {
		reason string
		key    [32]byte
		change func(*Binding)
		want   bool
	}{
		{reason: "the connection it was made for", key: pub, change: func(*Binding) {}, want: true},
		{reason: "replayed on a connection where the verifier sent another nonce", key: pub, change: func(b *Binding) { b.VerifierNonce[0]++ }},
		{reason: "the signer's nonce changed", key: pub, change: func(b *Binding) { b.SignerNonce[0]++ }},
		{reason: "another torrent", key: pub, change: func(b *Binding) { b.InfoHash[0]++ }},
		{reason: "another verifier peer", key: pub, change: func(b *Binding) { b.Verifier[0]++ }},
		{reason: "another signer peer", key: pub, change: func(b *Binding) { b.Signer[0]++ }},
		{reason: "peer IDs swapped (reflected back at its maker)", key: pub, change: func(b *Binding) { b.Signer, b.Verifier = b.Verifier, b.Signer }},
		{reason: "claimed by another box key", key: otherPub, change: func(*Binding) {}},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			bb := b
			tt.change(&bb)
			if got := Verify(tt.key, bb, sig); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, b := range [][]byte{nil, {'H'}, append([]byte{'H'}, make([]byte, 17)...), {'P', 1, 2}, {'X'}, make([]byte, 97)} {
		if _, err := Decode(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%x) error = %v, want ErrMalformed", b, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Hello([NonceSize]byte{1}))
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	f.Add(Proof(key.Public().(ed25519.PublicKey), Sign(key, Binding{})))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		var re []byte
		switch m.Kind {
		case KindHello:
			re = Hello(m.Nonce)
		case KindProof:
			re = Proof(m.Key[:], m.Sig[:])
		}
		if !bytes.Equal(re, b) {
			t.Fatalf("decoded %x re-encodes as %x", b, re)
		}
	})
}
