package wifi

import (
	"crypto/aes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"
)

// PMK derives the pairwise master key of WPA2-Personal (IEEE 802.11-2020
// J.4.1): PBKDF2-HMAC-SHA1 of the passphrase salted with the SSID, 4096
// rounds, 32 bytes. A passphrase of 64 hex digits is the PMK itself.
func PMK(ssid, passphrase string) ([]byte, error) {
	if err := CheckPassphrase(passphrase); err != nil {
		return nil, err
	}
	if len(passphrase) == 64 {
		return hex.DecodeString(passphrase)
	}
	return pbkdf2.Key(sha1.New, passphrase, []byte(ssid), 4096, 32)
}

// CheckPassphrase says whether p is a WPA2 passphrase: 8 to 63 printable
// ASCII characters, or 64 hex digits (the same rule as atomicbox.txt's
// wifi_psk). The empty string is an open network and is accepted.
func CheckPassphrase(p string) error {
	if p == "" {
		return nil
	}
	if len(p) == 64 {
		if _, err := hex.DecodeString(p); err != nil {
			return errors.New("a 64-character passphrase must be hex digits")
		}
		return nil
	}
	if len(p) < 8 || len(p) > 63 {
		return fmt.Errorf("passphrase has %d characters, want 8 to 63", utf8.RuneCountInString(p))
	}
	for _, c := range []byte(p) {
		if c < 32 || c > 126 {
			return errors.New("passphrase must be printable ASCII")
		}
	}
	return nil
}

// PRF is the IEEE 802.11 pseudo-random function (12.7.1.2): HMAC-SHA1 of
// label, 0, data and a counter, concatenated up to n bytes.
func PRF(key []byte, label string, data []byte, n int) []byte {
	out := make([]byte, 0, n+sha1.Size)
	buf := make([]byte, 0, len(label)+1+len(data)+1)
	buf = append(append(append(buf, label...), 0), data...)
	buf = append(buf, 0)
	for i := byte(0); len(out) < n; i++ {
		buf[len(buf)-1] = i
		m := hmac.New(sha1.New, key)
		m.Write(buf)
		out = m.Sum(out)
	}
	return out[:n]
}

// PTK is the pairwise transient key of a CCMP-128 association, split into
// its parts (IEEE 802.11-2020 12.7.1.3).
type PTK struct {
	KCK [16]byte // key confirmation key: the EAPOL-Key MIC
	KEK [16]byte // key encryption key: the key data
	TK  [16]byte // temporal key: installed for CCMP
}

// DerivePTK computes the PTK from the PMK, the authenticator's (aa) and the
// supplicant's (spa) MAC addresses and the two nonces.
func DerivePTK(pmk, aa, spa, anonce, snonce []byte) PTK {
	b := PRF(pmk, "Pairwise key expansion", ptkContext(aa, spa, anonce, snonce), 48)
	var p PTK
	copy(p.KCK[:], b[0:16])
	copy(p.KEK[:], b[16:32])
	copy(p.TK[:], b[32:48])
	return p
}

// MIC is the EAPOL-Key MIC over the whole EAPOL frame with its MIC field
// zeroed. The algorithm follows the frame's key descriptor version (Key
// Information bits 0-2): version 2 is HMAC-SHA1-128; versions 3 and 0 are
// AES-128-CMAC (0 means "as the AKM defines", and the only such AKM the
// box speaks is SAE, whose MIC is AES-128-CMAC with a 16-byte KCK).
func MIC(kck, frame []byte) [16]byte {
	var out [16]byte
	if len(frame) >= 7 && (uint16(frame[5])<<8|uint16(frame[6]))&keyDescriptorMask != KeyInfoVersionHMACSHA1 {
		out, _ = CMAC(kck, frame) // a KCK of another length gives a MIC nobody accepts
		return out
	}
	m := hmac.New(sha1.New, kck)
	m.Write(frame)
	copy(out[:], m.Sum(nil))
	return out
}

// CheckMIC says whether the MIC field of the EAPOL-Key frame is right.
func CheckMIC(kck, frame []byte) bool {
	if len(frame) < micOffset+16 {
		return false
	}
	z := append([]byte(nil), frame...)
	got := append([]byte(nil), z[micOffset:micOffset+16]...)
	clear(z[micOffset : micOffset+16])
	want := MIC(kck, z)
	return subtle.ConstantTimeCompare(got, want[:]) == 1
}

var keyWrapIV = [8]byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6}

// ErrUnwrap is returned when AES key unwrap finds the integrity check wrong
// (another KEK) or the input is not a multiple of 8 bytes of at least 24.
var ErrUnwrap = errors.New("AES key unwrap failed")

// KeyUnwrap undoes the AES key wrap of RFC 3394 (how an EAPOL-Key frame's
// key data is encrypted for descriptor version 2).
func KeyUnwrap(kek, c []byte) ([]byte, error) {
	if len(c)%8 != 0 || len(c) < 24 {
		return nil, ErrUnwrap
	}
	b, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	n := len(c)/8 - 1
	var a [8]byte
	copy(a[:], c[:8])
	r := append([]byte(nil), c[8:]...)
	var blk [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			t := uint64(n*j + i)
			copy(blk[:8], a[:])
			for k := 0; k < 8; k++ {
				blk[7-k] ^= byte(t >> (8 * k))
			}
			copy(blk[8:], r[(i-1)*8:i*8])
			b.Decrypt(blk[:], blk[:])
			copy(a[:], blk[:8])
			copy(r[(i-1)*8:i*8], blk[8:])
		}
	}
	if subtle.ConstantTimeCompare(a[:], keyWrapIV[:]) != 1 {
		return nil, ErrUnwrap
	}
	return r, nil
}

// KeyWrap is the AES key wrap of RFC 3394; p is a multiple of 8 bytes, at
// least 16. The supplicant only unwraps; this is the authenticator's half,
// kept beside it so that tests and fuzzing can round-trip.
func KeyWrap(kek, p []byte) ([]byte, error) {
	if len(p)%8 != 0 || len(p) < 16 {
		return nil, errors.New("key wrap input must be a multiple of 8 bytes, at least 16")
	}
	b, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	n := len(p) / 8
	a := keyWrapIV
	r := append([]byte(nil), p...)
	var blk [16]byte
	for j := 0; j <= 5; j++ {
		for i := 1; i <= n; i++ {
			copy(blk[:8], a[:])
			copy(blk[8:], r[(i-1)*8:i*8])
			b.Encrypt(blk[:], blk[:])
			t := uint64(n*j + i)
			copy(a[:], blk[:8])
			for k := 0; k < 8; k++ {
				a[7-k] ^= byte(t >> (8 * k))
			}
			copy(r[(i-1)*8:i*8], blk[8:])
		}
	}
	return append(a[:], r...), nil
}

// CMAC is AES-CMAC (RFC 4493, NIST SP 800-38B) of msg under a 16-byte
// key: the EAPOL-Key MIC of AKM 00-0F-AC:8 (SAE) and :6, and BIP.
func CMAC(key, msg []byte) ([16]byte, error) {
	var out [16]byte
	b, err := aes.NewCipher(key)
	if err != nil {
		return out, err
	}
	// Subkeys: L = AES(0); K1 = L<<1 (^0x87), K2 = K1<<1 (^0x87).
	var k1, k2 [16]byte
	b.Encrypt(k1[:], k1[:])
	dbl := func(d, s *[16]byte) {
		carry := s[0] >> 7
		for i := 0; i < 15; i++ {
			d[i] = s[i]<<1 | s[i+1]>>7
		}
		d[15] = s[15]<<1 ^ 0x87*carry
	}
	dbl(&k1, &k1)
	dbl(&k2, &k1)
	n := (len(msg) + 15) / 16
	complete := n > 0 && len(msg)%16 == 0
	if n == 0 {
		n = 1
	}
	var x [16]byte
	for i := 0; i < n-1; i++ {
		subtle.XORBytes(x[:], x[:], msg[16*i:16*i+16])
		b.Encrypt(x[:], x[:])
	}
	var last [16]byte
	tail := msg[16*(n-1):]
	if complete {
		subtle.XORBytes(last[:], tail, k1[:])
	} else {
		copy(last[:], tail)
		last[len(tail)] = 0x80
		subtle.XORBytes(last[:], last[:], k2[:])
	}
	subtle.XORBytes(x[:], x[:], last[:])
	b.Encrypt(out[:], x[:])
	return out, nil
}

// derivePTKSHA256 is the PTK derivation of AKMs 00-0F-AC:6 and :8 (IEEE
// 802.11-2020 12.7.1.3): KDF-SHA-256 over the same addresses and nonces
// as PRF-based derivation, n bytes (48 for KCK, KEK and a CCMP TK).
func derivePTKSHA256(pmk, aa, spa, anonce, snonce []byte, n int) []byte {
	return kdfSHA256(pmk, "Pairwise key expansion", ptkContext(aa, spa, anonce, snonce), 8*n)
}

// ptkContext is the PTK derivations' input (IEEE 802.11-2020 12.7.1.3):
// Min(AA, SPA) || Max(AA, SPA) || Min(ANonce, SNonce) || Max(ANonce, SNonce).
func ptkContext(aa, spa, anonce, snonce []byte) []byte {
	data := make([]byte, 0, 6+6+32+32)
	lo, hi := aa, spa
	if string(spa) < string(aa) {
		lo, hi = spa, aa
	}
	data = append(append(data, lo...), hi...)
	lo, hi = anonce, snonce
	if string(snonce) < string(anonce) {
		lo, hi = snonce, anonce
	}
	data = append(append(data, lo...), hi...)
	return data
}

// DerivePTKSHA256 is DerivePTK for SAE (and PSK-SHA256): KCK, KEK and TK
// of 16 bytes each from KDF-SHA-256.
func DerivePTKSHA256(pmk, aa, spa, anonce, snonce []byte) PTK {
	b := derivePTKSHA256(pmk, aa, spa, anonce, snonce, 48)
	var p PTK
	copy(p.KCK[:], b[0:16])
	copy(p.KEK[:], b[16:32])
	copy(p.TK[:], b[32:48])
	return p
}
