package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"path/filepath"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// Pairing rules.
const (
	PairCodeDigits   = 6
	PairCodeLifetime = 2 * time.Minute
	PairMaxTries     = 5           // wrong codes before the code is replaced
	PairRetryDelay   = time.Second // after a wrong code, further tries are refused this long (bounds guessing to 1/s)
	PairCookie       = "atomicbox_pair"
	PairingFile      = "pairing.json" // in the data dir: hashes of the paired tokens
	maxPairedDevices = 32             // oldest forgotten beyond this
)

// Pairing errors, as POST /api/pair reports them.
var (
	ErrNoCode    = errors.New("no pairing code is showing: ask for one first")
	ErrCodeStale = errors.New("the pairing code has expired: ask for a new one")
	ErrWrongCode = errors.New("wrong pairing code")
	ErrTooMany   = errors.New("too many wrong codes: a new code is showing on the TV")
	ErrSlowDown  = errors.New("too fast: wait a second before trying another code")
)

// Pairer holds the current pairing code and the paired tokens (only their
// SHA-256 hashes are kept, in PairingFile). Safe for concurrent use.
type Pairer struct {
	path string
	now  func() time.Time
	log  *slog.Logger

	mu      sync.Mutex
	code    string
	expires time.Time
	wrong   int
	nextTry time.Time // no tries before this (after a wrong code)
	tokens  []pairedToken
}

type pairedToken struct {
	Hash    string    `json:"hash"` // hex SHA-256 of the token
	Created time.Time `json:"created"`
}

type pairingFile struct {
	Tokens []pairedToken `json:"tokens"`
}

// NewPairer loads the paired tokens from dataDir. now nil = time.Now.
func NewPairer(dataDir string, now func() time.Time, log *slog.Logger) (*Pairer, error) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	p := &Pairer{path: filepath.Join(dataDir, PairingFile), now: now, log: log}
	var f pairingFile
	if _, err := state.ReadJSON(p.path, &f, log); err != nil {
		return nil, fmt.Errorf("pairing: %w", err)
	}
	p.tokens = f.Tokens
	return p, nil
}

// Request returns the code to show: the current one while it is valid, or
// a fresh one.
func (p *Pairer) Request() (code string, expires time.Time, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.code != "" && p.now().Before(p.expires) {
		return p.code, p.expires, nil
	}
	return p.newCodeLocked()
}

func (p *Pairer) newCodeLocked() (string, time.Time, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", time.Time{}, err
	}
	p.code = fmt.Sprintf("%0*d", PairCodeDigits, n.Int64())
	p.expires = p.now().Add(PairCodeLifetime)
	p.wrong = 0
	return p.code, p.expires, nil
}

// Pair checks a code. On success it returns a new token (32 random bytes,
// base64url) and forgets the code. After PairMaxTries wrong codes it makes
// a new code and returns ErrTooMany with it (for the TV to show).
func (p *Pairer) Pair(code string) (token string, newCode string, newExpires time.Time, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.code == "" {
		return "", "", time.Time{}, ErrNoCode
	}
	now := p.now()
	if !now.Before(p.expires) {
		p.code = ""
		return "", "", time.Time{}, ErrCodeStale
	}
	if now.Before(p.nextTry) {
		return "", "", time.Time{}, ErrSlowDown
	}
	if len(code) != len(p.code) || subtle.ConstantTimeCompare([]byte(code), []byte(p.code)) != 1 {
		p.wrong++
		p.nextTry = now.Add(PairRetryDelay)
		if p.wrong >= PairMaxTries {
			c, exp, err := p.newCodeLocked()
			if err != nil {
				return "", "", time.Time{}, err
			}
			return "", c, exp, ErrTooMany
		}
		return "", "", time.Time{}, ErrWrongCode
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", time.Time{}, err
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	tokens := append(p.tokens, pairedToken{Hash: hashToken(token), Created: p.now().UTC()})
	if len(tokens) > maxPairedDevices {
		tokens = tokens[len(tokens)-maxPairedDevices:]
	}
	if err := state.WriteJSON(p.path, pairingFile{Tokens: tokens}); err != nil {
		return "", "", time.Time{}, fmt.Errorf("pairing: save: %w", err)
	}
	p.tokens = tokens
	p.code = ""
	return token, "", time.Time{}, nil
}

// Valid reports whether token was handed out by Pair (and kept).
func (p *Pairer) Valid(token string) bool {
	if token == "" || len(token) > 256 {
		return false
	}
	h := hashToken(token)
	p.mu.Lock()
	defer p.mu.Unlock()
	ok := 0
	for _, t := range p.tokens {
		ok |= subtle.ConstantTimeCompare([]byte(h), []byte(t.Hash))
	}
	return ok == 1
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
