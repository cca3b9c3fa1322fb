// Package embargo keeps an announced episode unplayable until its release
// time, even on a box whose clock is wrong or has been moved forward.
//
// # Design
//
// An episode can be listed before it is out, so boxes pre-fetch and seed it
// and the release does not start with a flash crowd on the origin. Two things
// keep it shut until then:
//
//  1. The file is published encrypted. Until release the catalog entry
//     carries releaseAt and embargo {cipher: "aes-256-ctr", keyID, nonce};
//     the torrent is of the ciphertext, so boxes fetch, hash-check and seed it
//     like any other episode. CTR turns AES into a keystream addressed by
//     byte offset, so the box decrypts any range on its own (seeks, HTTP Range
//     requests) without reading from the start, and the ciphertext has the
//     plaintext's size. The 32-byte content key is published only in a signed
//     catalog the origin publishes at or after releaseAt (field contentKey);
//     the origin decides when by its own clock, which no box can move. A box
//     that does not hold the key cannot play, whatever it believes the time
//     is. keyID lets the box check that a key it received is the right one.
//     The torrent stays the ciphertext after release (boxes keep seeding the
//     same swarm) and the box decrypts on the fly; AES-CTR in pure Go is far
//     faster than a video bitrate even on a Pi without AES instructions.
//
//  2. A trusted clock. The box never decides "is it out yet" from its own
//     wall clock: a Pi boots at 1970 and a household can set any time. It uses
//     TrustedClock: the `published` time of the newest verified catalog plus
//     the monotonic time elapsed since that catalog was verified. A catalog
//     cannot be forged (ed25519) and an older one cannot move the time back
//     (the box refuses catalogs that are not newer, and TrustedClock only
//     moves forward), so trusted time is never ahead of the origin's clock at
//     signing plus real elapsed time. It lags when the catalog reached the box
//     late (a cache), which only delays a release. Without any verified
//     catalog since start there is no trusted time and embargoed episodes stay
//     shut. Playable wants both: trusted time at or after releaseAt, and the
//     key.
//
// The catalog fields are proposed in CatalogEpisode (the catalog package
// owns the real format).
package embargo

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Cipher is the only cipher the format names.
const Cipher = "aes-256-ctr"

// Sizes in bytes.
const (
	KeySize   = 32 // AES-256
	NonceSize = aes.BlockSize
)

// Sealed describes how an embargoed episode's file is encrypted.
type Sealed struct {
	Cipher string `json:"cipher"` // Cipher
	KeyID  string `json:"keyID"`  // KeyID(contentKey): lets the box check a key it received
	Nonce  string `json:"nonce"`  // base64 (std) of the 16-byte initial counter block, random per episode
}

// CatalogEpisode proposes the fields catalog.Episode gains (to be merged
// into appliance/catalog/types.go by its owner).
type CatalogEpisode struct {
	// ReleaseAt is when the episode may be played; zero: already out.
	ReleaseAt time.Time `json:"releaseAt,omitzero"`
	// Embargo is set when the published file is encrypted.
	Embargo *Sealed `json:"embargo,omitempty"`
	// ContentKey is base64 (std) of the 32-byte key. The publisher puts it
	// only in catalogs it signs at or after ReleaseAt.
	ContentKey string `json:"contentKey,omitempty"`
}

// KeyID names key without revealing it: hex of the first 8 bytes of
// SHA-256("atomicbox-embargo-key-v1\x00" || key).
func KeyID(key []byte) string {
	h := sha256.Sum256(append([]byte("atomicbox-embargo-key-v1\x00"), key...))
	return hex.EncodeToString(h[:8])
}

// Errors a caller can test for with errors.Is.
var (
	ErrWrongKey = errors.New("embargo: the content key does not match the episode's key ID")
	ErrCipher   = errors.New("embargo: unsupported cipher")
)

// ParamsFor decodes and checks what is needed to decrypt the episode: the
// nonce from s and the key from contentKey (base64), which must match
// s.KeyID.
func ParamsFor(s Sealed, contentKey string) (key, nonce []byte, err error) {
	if s.Cipher != Cipher {
		return nil, nil, fmt.Errorf("%w %q (this box knows %q)", ErrCipher, s.Cipher, Cipher)
	}
	nonce, err = base64.StdEncoding.DecodeString(s.Nonce)
	if err != nil || len(nonce) != NonceSize {
		return nil, nil, fmt.Errorf("embargo: the episode's nonce is not %d bytes of base64", NonceSize)
	}
	key, err = base64.StdEncoding.DecodeString(contentKey)
	if err != nil || len(key) != KeySize {
		return nil, nil, fmt.Errorf("embargo: the content key is not %d bytes of base64", KeySize)
	}
	if KeyID(key) != s.KeyID {
		return nil, nil, ErrWrongKey
	}
	return key, nonce, nil
}

// keystream is AES-256-CTR addressable by byte offset.
type keystream struct {
	block cipher.Block
	iv    [NonceSize]byte
}

func newKeystream(key, nonce []byte) (*keystream, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("embargo: key is %d bytes, want %d", len(key), KeySize)
	}
	if len(nonce) != NonceSize {
		return nil, fmt.Errorf("embargo: nonce is %d bytes, want %d", len(nonce), NonceSize)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	k := &keystream{block: b}
	copy(k.iv[:], nonce)
	return k, nil
}

// xorAt XORs src into dst with the keystream starting at byte offset off.
// Standard CTR: the counter block for offset off is the nonce plus off/16 as
// a 128-bit big-endian addition, so files encrypted by any AES-256-CTR tool
// with the nonce as IV decrypt here.
func (k *keystream) xorAt(dst, src []byte, off int64) {
	if len(src) == 0 {
		return
	}
	var ctr [NonceSize]byte
	hi := binary.BigEndian.Uint64(k.iv[:8])
	lo := binary.BigEndian.Uint64(k.iv[8:])
	blk := uint64(off) / aes.BlockSize
	nlo := lo + blk
	if nlo < lo {
		hi++
	}
	binary.BigEndian.PutUint64(ctr[:8], hi)
	binary.BigEndian.PutUint64(ctr[8:], nlo)
	s := cipher.NewCTR(k.block, ctr[:])
	if skip := int(uint64(off) % aes.BlockSize); skip > 0 {
		var junk [aes.BlockSize]byte
		s.XORKeyStream(junk[:skip], junk[:skip])
	}
	s.XORKeyStream(dst, src)
}

// Encrypt copies src to dst encrypted with AES-256-CTR (key 32 bytes, nonce
// 16 bytes) and returns the bytes written. The publisher's side; decrypting
// is the same operation. Blocks until src is exhausted or an error.
func Encrypt(dst io.Writer, src io.Reader, key, nonce []byte) (int64, error) {
	k, err := newKeystream(key, nonce)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 64<<10)
	var off int64
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			k.xorAt(buf[:n], buf[:n], off)
			if _, err := dst.Write(buf[:n]); err != nil {
				return off, fmt.Errorf("embargo: write: %w", err)
			}
			off += int64(n)
		}
		if rerr == io.EOF {
			return off, nil
		}
		if rerr != nil {
			return off, fmt.Errorf("embargo: read: %w", rerr)
		}
	}
}

// DecryptingReaderAt reads plaintext at any offset of an encrypted file. It
// is safe for concurrent use when the underlying ReaderAt is.
type DecryptingReaderAt struct {
	r io.ReaderAt
	k *keystream
}

// NewDecryptingReaderAt wraps r, the ciphertext.
func NewDecryptingReaderAt(r io.ReaderAt, key, nonce []byte) (*DecryptingReaderAt, error) {
	k, err := newKeystream(key, nonce)
	if err != nil {
		return nil, err
	}
	return &DecryptingReaderAt{r: r, k: k}, nil
}

// ReadAt implements io.ReaderAt.
func (d *DecryptingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("embargo: negative offset")
	}
	n, err := d.r.ReadAt(p, off)
	d.k.xorAt(p[:n], p[:n], off)
	return n, err
}

// DecryptingReadSeeker decrypts an io.ReadSeeker (an anacrolix torrent
// Reader, a file) for http.ServeContent. Not safe for concurrent use, like
// the reader it wraps.
type DecryptingReadSeeker struct {
	r   io.ReadSeeker
	k   *keystream
	off int64
}

// NewDecryptingReadSeeker wraps r, positioned at its start.
func NewDecryptingReadSeeker(r io.ReadSeeker, key, nonce []byte) (*DecryptingReadSeeker, error) {
	k, err := newKeystream(key, nonce)
	if err != nil {
		return nil, err
	}
	return &DecryptingReadSeeker{r: r, k: k}, nil
}

// Read implements io.Reader.
func (d *DecryptingReadSeeker) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.k.xorAt(p[:n], p[:n], d.off)
	d.off += int64(n)
	return n, err
}

// Seek implements io.Seeker.
func (d *DecryptingReadSeeker) Seek(offset int64, whence int) (int64, error) {
	n, err := d.r.Seek(offset, whence)
	if err == nil {
		d.off = n
	}
	return n, err
}

// Monotonic is a clock that never jumps: time elapsed since a fixed point of
// this process.
type Monotonic interface {
	Elapsed() time.Duration
}

type systemMonotonic struct{ start time.Time }

func (m systemMonotonic) Elapsed() time.Duration { return time.Since(m.start) }

// SystemMonotonic reads Go's monotonic clock (CLOCK_MONOTONIC: not moved by
// settimeofday, NTP steps or a household changing the time).
func SystemMonotonic() Monotonic { return systemMonotonic{start: time.Now()} }

// TrustedClock is the time the box may use for release decisions: the
// published time of the newest verified catalog plus monotonic time elapsed
// since it was verified. It never reads the wall clock and never goes back.
// Safe for concurrent use.
type TrustedClock struct {
	mono Monotonic

	mu     sync.Mutex
	signed time.Time     // published time of the newest catalog observed
	at     time.Duration // mono.Elapsed() when it was observed
}

// NewTrustedClock returns a clock with no trusted time yet.
func NewTrustedClock(mono Monotonic) *TrustedClock {
	if mono == nil {
		mono = SystemMonotonic()
	}
	return &TrustedClock{mono: mono}
}

// Observe feeds the published time of a catalog whose signature the caller
// has just verified (also: the last one kept on disk, at start: trusted time
// then restarts from it, late but never early). A time not ahead of the
// current trusted time is ignored, so a replayed old catalog moves nothing.
func (c *TrustedClock) Observe(published time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now, ok := c.nowLocked()
	if ok && !published.After(now) {
		return
	}
	c.signed, c.at = published, c.mono.Elapsed()
}

// TrustedNow returns the trusted time, or ok=false when no verified catalog
// has been observed.
func (c *TrustedClock) TrustedNow() (t time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *TrustedClock) nowLocked() (time.Time, bool) {
	if c.signed.IsZero() {
		return time.Time{}, false
	}
	return c.signed.Add(c.mono.Elapsed() - c.at), true
}

// Playable decides whether ep may be played at trustedNow (zero: no trusted
// time yet) with or without its content key. The reason is a sentence for
// the TV.
func Playable(ep CatalogEpisode, trustedNow time.Time, keyPresent bool) (bool, string) {
	if ep.ReleaseAt.IsZero() && ep.Embargo == nil {
		return true, "Out now."
	}
	if !ep.ReleaseAt.IsZero() {
		if trustedNow.IsZero() {
			return false, "Not out yet: the box has not heard from the channel since it started, so it cannot tell whether this episode has been released."
		}
		if trustedNow.Before(ep.ReleaseAt) {
			return false, fmt.Sprintf("Coming %s.", ep.ReleaseAt.UTC().Format("Mon 2 Jan 2006 15:04 MST"))
		}
	}
	if ep.Embargo != nil && !keyPresent {
		return false, "Released: waiting for the channel's key to unlock it (arrives with the next listing)."
	}
	return true, "Out now."
}
