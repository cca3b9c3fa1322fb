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
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// Pairing rules. Guessing is bounded per source (an IPv4 address, or an
// IPv6 /64): after its n-th wrong code a source waits PairRetryDelay x
// 2^(n-1), at most PairMaxBackoff, and its count only resets when it pairs
// (or the daemon restarts). A code dies after PairMaxTries wrong codes from
// all sources, but one source may spend at most PairMaxTriesPerSource of
// them, so no single host can kill the code someone else is typing. At the
// maximum rate a source gets about 1,500 guesses a year at a million codes:
// TestPairingGuessesAreHopeless computes the figure.
const (
	PairCodeDigits        = 6
	PairCodeLifetime      = 2 * time.Minute
	PairMaxTries          = 6             // wrong codes, all sources, before the code is replaced
	PairMaxTriesPerSource = 3             // wrong codes one source may try on one code
	PairRetryDelay        = time.Second   // a source's wait after its first wrong code; doubles with each
	PairMaxBackoff        = 6 * time.Hour // the longest wait between one source's guesses
	PairCookie            = "atomicbox_pair"
	PairingFile           = "pairing.json" // in the data dir: hashes of the paired tokens
	maxPairedDevices      = 32             // oldest forgotten beyond this
	// PairedIdleLifetime is how long a paired device's token lives unused:
	// a phone given away or lost stops working on its own.
	PairedIdleLifetime = 180 * 24 * time.Hour
	maxDeviceName      = 80 // bytes of a device's description kept
)

// Pairing errors, as POST /api/pair reports them.
var (
	ErrNoCode    = errors.New("no pairing code is showing: ask for one first")
	ErrCodeStale = errors.New("the pairing code has expired: ask for a new one")
	ErrWrongCode = errors.New("wrong pairing code")
	ErrTooMany   = errors.New("too many wrong codes: a new code is showing on the TV")
	ErrSlowDown  = errors.New("too many wrong codes from this device: wait before trying again")
	ErrSpent     = errors.New("this device has used its tries on this code: ask for a new code")
)

// maxPairSources bounds the per-source records (oldest dropped beyond).
const maxPairSources = 1024

type pairSource struct {
	misses   int       // wrong codes, across codes, since it last paired
	onCode   int       // wrong codes on the current code
	nextTry  time.Time // no tries before this
	lastMiss time.Time
}

// Pairer holds the current pairing code and the paired tokens (only their
// SHA-256 hashes are kept, in PairingFile). Safe for concurrent use.
type Pairer struct {
	path string
	now  func() time.Time
	log  *slog.Logger

	mu      sync.Mutex
	code    string
	expires time.Time
	wrong   int // wrong codes on the current code, all sources
	sources map[string]*pairSource
	tokens  []pairedToken
}

type pairedToken struct {
	Hash     string    `json:"hash"` // hex SHA-256 of the token
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"lastUsed,omitzero"` // to the day; zero: Created
	Name     string    `json:"name,omitempty"`    // the device as it described itself (User-Agent)
}

// lastUsed is when the token was last seen (Created before any use).
func (t pairedToken) lastUsed() time.Time {
	if t.LastUsed.After(t.Created) {
		return t.LastUsed
	}
	return t.Created
}

// PairedDevice is one paired device as GET /api/pair/devices lists it.
type PairedDevice struct {
	ID       string    `json:"id"`    // stable, not secret: 12 hex digits of the token's hash
	Name     string    `json:"name"`  // what the device said it was when it paired (its User-Agent, shortened)
	Label    string    `json:"label"` // Name for a person: "iPhone", "Android phone (Pixel 7)" (DeviceLabel)
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"lastUsed"` // to the day
	This     bool      `json:"this"`     // the device asking
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
	p := &Pairer{path: filepath.Join(dataDir, PairingFile), now: now, log: log, sources: map[string]*pairSource{}}
	var f pairingFile
	if _, err := state.ReadJSON(p.path, &f, log); err != nil {
		return nil, fmt.Errorf("pairing: %w", err)
	}
	for _, t := range f.Tokens {
		if b, err := hex.DecodeString(t.Hash); err != nil || len(b) != sha256.Size {
			log.Warn("pairing: a stored token hash is damaged; that device must pair again")
			continue
		}
		p.tokens = append(p.tokens, t)
	}
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
	for _, src := range p.sources {
		src.onCode = 0
	}
	return p.code, p.expires, nil
}

// PairSource names the guesser of a request from its remote address: the
// IP, or its /64 for IPv6 (one host holds a whole /64).
func PairSource(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// sourceLocked returns the record of source, making room if needed.
func (p *Pairer) sourceLocked(source string) *pairSource {
	if src, ok := p.sources[source]; ok {
		return src
	}
	if len(p.sources) >= maxPairSources {
		var oldest string
		var at time.Time
		for k, v := range p.sources {
			if oldest == "" || v.lastMiss.Before(at) {
				oldest, at = k, v.lastMiss
			}
		}
		delete(p.sources, oldest)
	}
	src := &pairSource{}
	p.sources[source] = src
	return src
}

// backoff is a source's wait after its n-th wrong code.
func backoff(n int) time.Duration {
	d := PairRetryDelay
	for i := 1; i < n && d < PairMaxBackoff; i++ {
		d *= 2
	}
	return min(d, PairMaxBackoff)
}

// Pair checks a code tried by source (PairSource of the request). On
// success it returns a new token (32 random bytes, base64url), forgets the
// code and the source's misses. A source still waiting after a wrong code
// gets ErrSlowDown (the code is not even compared), one that spent its
// tries on this code ErrSpent. After PairMaxTries wrong codes in all it
// makes a new code and returns ErrTooMany with it (for the TV to show).
func (p *Pairer) Pair(source, code string) (token string, newCode string, newExpires time.Time, err error) {
	return p.PairDevice(source, code, "")
}

// PairDevice is Pair that also keeps the device's description (its
// User-Agent, shortened) for the list of paired devices.
func (p *Pairer) PairDevice(source, code, name string) (token string, newCode string, newExpires time.Time, err error) {
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
	src := p.sourceLocked(source)
	if now.Before(src.nextTry) {
		return "", "", time.Time{}, ErrSlowDown
	}
	if src.onCode >= PairMaxTriesPerSource {
		return "", "", time.Time{}, ErrSpent
	}
	if len(code) != len(p.code) || subtle.ConstantTimeCompare([]byte(code), []byte(p.code)) != 1 {
		p.wrong++
		src.misses++
		src.onCode++
		src.lastMiss = now
		src.nextTry = now.Add(backoff(src.misses))
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
	if len(name) > maxDeviceName {
		name = name[:maxDeviceName]
	}
	tokens := append(p.liveTokensLocked(), pairedToken{Hash: hashToken(token), Created: p.now().UTC(), Name: strings.ToValidUTF8(name, "")})
	if len(tokens) > maxPairedDevices {
		tokens = tokens[len(tokens)-maxPairedDevices:]
	}
	if err := state.WriteJSON(p.path, pairingFile{Tokens: tokens}); err != nil {
		return "", "", time.Time{}, fmt.Errorf("pairing: save: %w", err)
	}
	p.tokens = tokens
	p.code = ""
	delete(p.sources, source)
	return token, "", time.Time{}, nil
}

// Valid reports whether token was handed out by Pair, is kept, and was
// used within PairedIdleLifetime. It notes the use, to the day (the file
// is written at most once a day per device).
func (p *Pairer) Valid(token string) bool {
	if token == "" || len(token) > 256 {
		return false
	}
	h := hashToken(token)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now().UTC()
	found := -1
	for i, t := range p.tokens {
		if subtle.ConstantTimeCompare([]byte(h), []byte(t.Hash)) == 1 {
			found = i
		}
	}
	if found < 0 || now.Sub(p.tokens[found].lastUsed()) > PairedIdleLifetime {
		return false
	}
	if day := now.Truncate(24 * time.Hour); p.tokens[found].lastUsed().Before(day) {
		tokens := slices.Clone(p.tokens)
		tokens[found].LastUsed = day
		if err := state.WriteJSON(p.path, pairingFile{Tokens: tokens}); err != nil {
			p.log.Warn("pairing: cannot note a device's use", "err", err)
		} else {
			p.tokens = tokens
		}
	}
	return true
}

// liveTokensLocked is the tokens used within PairedIdleLifetime.
func (p *Pairer) liveTokensLocked() []pairedToken {
	now := p.now()
	var out []pairedToken
	for _, t := range p.tokens {
		if now.Sub(t.lastUsed()) <= PairedIdleLifetime {
			out = append(out, t)
		}
	}
	return out
}

// Devices lists the paired devices still alive, newest first; this marks
// the one whose token it is.
func (p *Pairer) Devices(this string) []PairedDevice {
	h := ""
	if this != "" {
		h = hashToken(this)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []PairedDevice{}
	for _, t := range p.liveTokensLocked() {
		out = append(out, PairedDevice{ID: t.Hash[:12], Name: t.Name, Label: DeviceLabel(t.Name), Created: t.Created, LastUsed: t.lastUsed(), This: t.Hash == h})
	}
	slices.Reverse(out)
	return out
}

// ErrNoDevice is Unpair's answer for an ID no paired device has.
var ErrNoDevice = errors.New("no paired device has that id")

// Unpair forgets the device with id (PairedDevice.ID): its token stops
// working at once.
func (p *Pairer) Unpair(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var kept []pairedToken
	for _, t := range p.tokens {
		if len(id) != 12 || len(t.Hash) < 12 || t.Hash[:12] != id {
			kept = append(kept, t)
		}
	}
	if len(kept) == len(p.tokens) {
		return ErrNoDevice
	}
	if err := state.WriteJSON(p.path, pairingFile{Tokens: kept}); err != nil {
		return fmt.Errorf("pairing: save: %w", err)
	}
	p.tokens = kept
	return nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// DeviceLabel names a paired device for a person from the User-Agent it
// paired with (kept to maxDeviceName bytes, so its tail may be cut): the
// kind of device and, for Android, the model it names; else the first
// product token ("curl/8.5.0"); "Unknown device" for an empty one.
func DeviceLabel(ua string) string {
	ua = strings.TrimSpace(ua)
	has := func(s string) bool { return strings.Contains(ua, s) }
	switch {
	case ua == "":
		return "Unknown device"
	case has("iPhone"):
		return "iPhone"
	case has("iPad"):
		return "iPad"
	case has("Android"):
		kind := "Android phone"
		if !has("Mobile") && has("Safari") {
			kind = "Android tablet" // Chrome on tablets leaves "Mobile" out
		}
		if model := androidModel(ua); model != "" {
			return kind + " (" + model + ")"
		}
		return kind
	case has("CrOS"):
		return "Chromebook"
	case has("Macintosh"):
		return "Mac"
	case has("Windows"):
		return "Windows PC"
	case has("Linux") || has("X11"):
		return "Linux computer"
	}
	tok, _, _ := strings.Cut(ua, " ")
	return tok
}

// androidModel is the model in "(Linux; Android 14; Pixel 7)": the part
// after the Android version, without a build id ("Build/…"); "" when the
// User-Agent was cut before it or hides it ("K", as Chrome's reduced
// User-Agent does).
func androidModel(ua string) string {
	_, in, ok := strings.Cut(ua, "(")
	if !ok {
		return ""
	}
	in, _, closed := strings.Cut(in, ")")
	if !closed {
		return ""
	}
	parts := strings.Split(in, ";")
	for i, p := range parts {
		if strings.HasPrefix(strings.TrimSpace(p), "Android") && i+1 < len(parts) {
			m := strings.TrimSpace(parts[i+1])
			m, _, _ = strings.Cut(m, " Build/")
			if m == "K" || m == "wv" {
				return ""
			}
			return m
		}
	}
	return ""
}
