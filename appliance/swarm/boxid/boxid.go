// Package boxid is the wire format of atomicbox_id, a BitTorrent extension
// (BEP 10) by which two atomicbox daemons on one connection prove their box
// keys to each other, so each box's contribution ledger names the other
// box (its ed25519 public key) instead of a salted peer hash. Clients that
// do not announce the extension (Transmission, aria2) never see it.
//
// Once both sides have announced the extension, each sends a hello with a
// fresh random nonce; on receiving the other's hello, each sends a proof:
// its box key and a signature over Binding (the torrent, both peer IDs and
// both nonces). A proof is only good on the connection it was made for: on
// another connection at least the verifier's nonce differs, so a recorded
// proof replayed elsewhere fails.
//
// Every message is one byte of kind then fixed fields:
//
//	'H' hello  nonce [16]byte
//	'P' proof  key [32]byte (ed25519 public), signature [64]byte
package boxid

import (
	"crypto/ed25519"
	"errors"
	"fmt"
)

// Extension is the name announced in the extended handshake.
const Extension = "atomicbox_id"

// NonceSize is the length of a hello's nonce.
const NonceSize = 16

// Message kinds.
const (
	KindHello byte = 'H'
	KindProof byte = 'P'
)

// ErrMalformed wraps every decoding error.
var ErrMalformed = errors.New("malformed atomicbox_id message")

// Message is one decoded message; the fields its kind does not use are
// zero.
type Message struct {
	Kind  byte
	Nonce [NonceSize]byte             // hello
	Key   [ed25519.PublicKeySize]byte // proof
	Sig   [ed25519.SignatureSize]byte // proof
}

// Hello encodes a hello.
func Hello(nonce [NonceSize]byte) []byte {
	return append([]byte{KindHello}, nonce[:]...)
}

// Proof encodes a proof.
func Proof(key ed25519.PublicKey, sig []byte) []byte {
	out := make([]byte, 0, 1+ed25519.PublicKeySize+ed25519.SignatureSize)
	out = append(out, KindProof)
	out = append(out, key...)
	return append(out, sig...)
}

// Decode reads one message; exact lengths only.
func Decode(b []byte) (Message, error) {
	if len(b) == 0 {
		return Message{}, fmt.Errorf("%w: empty", ErrMalformed)
	}
	m := Message{Kind: b[0]}
	switch m.Kind {
	case KindHello:
		if len(b) != 1+NonceSize {
			return Message{}, fmt.Errorf("%w: hello of %d bytes", ErrMalformed, len(b))
		}
		copy(m.Nonce[:], b[1:])
	case KindProof:
		if len(b) != 1+ed25519.PublicKeySize+ed25519.SignatureSize {
			return Message{}, fmt.Errorf("%w: proof of %d bytes", ErrMalformed, len(b))
		}
		copy(m.Key[:], b[1:])
		copy(m.Sig[:], b[1+ed25519.PublicKeySize:])
	default:
		return Message{}, fmt.Errorf("%w: kind %q", ErrMalformed, m.Kind)
	}
	return m, nil
}

// signContext keeps a box key signature over a binding from being taken
// for a signature over anything else the key signs (its reports).
const signContext = "atomicbox-box-id-v1\n"

// Binding is what a proof signs: the connection as the signer sees it.
type Binding struct {
	InfoHash      [20]byte
	Signer        [20]byte // the signing box's peer ID
	Verifier      [20]byte // the other side's peer ID
	SignerNonce   [NonceSize]byte
	VerifierNonce [NonceSize]byte
}

func (b Binding) bytes() []byte {
	out := make([]byte, 0, len(signContext)+60+2*NonceSize)
	out = append(out, signContext...)
	out = append(out, b.InfoHash[:]...)
	out = append(out, b.Signer[:]...)
	out = append(out, b.Verifier[:]...)
	out = append(out, b.SignerNonce[:]...)
	return append(out, b.VerifierNonce[:]...)
}

// Sign signs b with the box key.
func Sign(key ed25519.PrivateKey, b Binding) []byte { return ed25519.Sign(key, b.bytes()) }

// Verify reports whether sig is key's signature over b.
func Verify(key [ed25519.PublicKeySize]byte, b Binding, sig [ed25519.SignatureSize]byte) bool {
	return ed25519.Verify(ed25519.PublicKey(key[:]), b.bytes(), sig[:])
}
