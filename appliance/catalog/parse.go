package catalog

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atomicnetwork/atomicbox/appliance/embargo"
)

// MaxCatalogBytes is the largest catalog.json a box reads (and the publisher
// writes). Anything bigger is refused before it is verified or parsed.
const MaxCatalogBytes = 8 << 20

// Sentinel errors; every error from Parse, Verify and Fetcher.Refresh that is
// about the content (not the network) wraps one of them.
var (
	ErrMalformed    = errors.New("catalog is malformed")
	ErrUnsigned     = errors.New("catalog is not signed")
	ErrBadSignature = errors.New("catalog signature does not match the network key")
	ErrRollback     = errors.New("catalog is not newer than the one held")
)

// Limits on what a catalog may hold. They keep a hostile or broken catalog
// from costing a box more than a few MiB of memory.
const (
	maxShows           = 1000
	maxEpisodesPerShow = 5000
	maxEpisodes        = 20000 // over all shows
	maxTrackers        = 32
	maxIDLen           = 64
	maxTitleLen        = 300  // bytes, Network and titles
	maxSynopsisLen     = 8000 // bytes
	maxPathLen         = 512  // bytes, relative paths
	maxURLLen          = 1024 // bytes, tracker URLs
	maxMimeLen         = 100  // bytes
	maxDurationSeconds = 86400 * 7
	maxSeasonOrEpisode = 100000
	infoHashHexLen     = 40

	// MaxOriginBoxRate bounds Catalog.OriginBoxRate (bytes/s): 10 Gbit/s.
	MaxOriginBoxRate = 10e9 / 8
)

// Parse decodes and validates a catalog. It does not check a signature: use
// Verify for anything that came from the network. Decoding is strict: unknown
// fields and trailing data are refused. Every error wraps ErrMalformed and
// says where the problem is, e.g. "show 2 episode 1: infoHash ...".
// Shows and episodes are numbered from 1 in messages.
func Parse(data []byte) (*Catalog, error) {
	if len(data) > MaxCatalogBytes {
		return nil, fmt.Errorf("%w: %d bytes is more than the limit of %d", ErrMalformed, len(data), MaxCatalogBytes)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the catalog object", ErrMalformed)
	}
	if err := Validate(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks a decoded catalog against the format's rules (the same
// checks Parse makes after decoding). The publisher calls it before signing.
// Errors wrap ErrMalformed.
func Validate(c *Catalog) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
	if c.Format != FormatVersion {
		return bad("format is %d, this box reads format %d", c.Format, FormatVersion)
	}
	if c.Sequence == 0 {
		return bad("sequence must be at least 1")
	}
	if err := checkText(c.Network, maxTitleLen, true); err != nil {
		return bad("network: %v", err)
	}
	if !c.ValidUntil.IsZero() && (!c.ValidUntil.After(c.Published) || c.ValidUntil.Sub(c.Published) > MaxValidity) {
		return bad("validUntil %s is not after published %s by at most %v", c.ValidUntil.Format(time.RFC3339), c.Published.Format(time.RFC3339), MaxValidity)
	}
	if c.OriginBoxRate < 0 || c.OriginBoxRate > MaxOriginBoxRate {
		return bad("originBoxRate %d is not a rate from 0 to %d bytes/s", c.OriginBoxRate, int64(MaxOriginBoxRate))
	}
	if len(c.Trackers) > maxTrackers {
		return bad("%d trackers is more than the limit of %d", len(c.Trackers), maxTrackers)
	}
	for i, tr := range c.Trackers {
		if err := checkTracker(tr); err != nil {
			return bad("tracker %d: %v", i+1, err)
		}
	}
	if c.Shows == nil {
		return bad("shows is missing")
	}
	if len(c.Shows) > maxShows {
		return bad("%d shows is more than the limit of %d", len(c.Shows), maxShows)
	}
	ids := make(map[string]string) // id -> where it was first seen
	total := 0
	for si := range c.Shows {
		s := &c.Shows[si]
		where := fmt.Sprintf("show %d", si+1)
		if err := checkID(s.ID); err != nil {
			return bad("%s: id: %v", where, err)
		}
		if prev, dup := ids[s.ID]; dup {
			return bad("%s: id %q is already used by %s", where, s.ID, prev)
		}
		ids[s.ID] = where
		where = fmt.Sprintf("show %d (%s)", si+1, s.ID)
		if err := checkText(s.Title, maxTitleLen, true); err != nil {
			return bad("%s: title: %v", where, err)
		}
		if err := checkText(s.Synopsis, maxSynopsisLen, false); err != nil {
			return bad("%s: synopsis: %v", where, err)
		}
		if s.Poster != "" {
			if err := CheckRelPath(s.Poster); err != nil {
				return bad("%s: poster: %v", where, err)
			}
		}
		if err := checkPosterHash(s.Poster, s.PosterSHA256); err != nil {
			return bad("%s: %v", where, err)
		}
		if s.Episodes == nil {
			return bad("%s: episodes is missing", where)
		}
		if len(s.Episodes) > maxEpisodesPerShow {
			return bad("%s: %d episodes is more than the limit of %d", where, len(s.Episodes), maxEpisodesPerShow)
		}
		total += len(s.Episodes)
		if total > maxEpisodes {
			return bad("more than %d episodes in all", maxEpisodes)
		}
		for ei := range s.Episodes {
			e := &s.Episodes[ei]
			ewhere := fmt.Sprintf("show %d episode %d", si+1, ei+1)
			if err := checkID(e.ID); err != nil {
				return bad("%s: id: %v", ewhere, err)
			}
			if prev, dup := ids[e.ID]; dup {
				return bad("%s: id %q is already used by %s", ewhere, e.ID, prev)
			}
			ids[e.ID] = ewhere
			ewhere = fmt.Sprintf("show %d episode %d (%s)", si+1, ei+1, e.ID)
			if err := checkEpisode(e); err != nil {
				return bad("%s: %v", ewhere, err)
			}
		}
	}
	return nil
}

func checkEpisode(e *Episode) error {
	if e.Season < 0 || e.Season > maxSeasonOrEpisode {
		return fmt.Errorf("season %d is out of range 0..%d", e.Season, maxSeasonOrEpisode)
	}
	if e.Number < 0 || e.Number > maxSeasonOrEpisode {
		return fmt.Errorf("episode number %d is out of range 0..%d", e.Number, maxSeasonOrEpisode)
	}
	if err := checkText(e.Title, maxTitleLen, true); err != nil {
		return fmt.Errorf("title: %v", err)
	}
	if err := checkText(e.Synopsis, maxSynopsisLen, false); err != nil {
		return fmt.Errorf("synopsis: %v", err)
	}
	if e.Poster != "" {
		if err := CheckRelPath(e.Poster); err != nil {
			return fmt.Errorf("poster: %v", err)
		}
	}
	if err := checkPosterHash(e.Poster, e.PosterSHA256); err != nil {
		return err
	}
	if math.IsNaN(e.DurationSeconds) || math.IsInf(e.DurationSeconds, 0) || e.DurationSeconds <= 0 || e.DurationSeconds > maxDurationSeconds {
		return fmt.Errorf("durationSeconds %v must be more than 0 and at most %d", e.DurationSeconds, maxDurationSeconds)
	}
	if e.Torrent == "" {
		return errors.New("torrent is missing")
	}
	if err := CheckRelPath(e.Torrent); err != nil {
		return fmt.Errorf("torrent: %v", err)
	}
	if !isLowerHex(e.InfoHash, infoHashHexLen) {
		return fmt.Errorf("infoHash %q is not %d lower-case hex digits", truncate(e.InfoHash), infoHashHexLen)
	}
	if e.Size <= 0 {
		return fmt.Errorf("size %d must be more than 0", e.Size)
	}
	if err := checkMime(e.MimeType); err != nil {
		return fmt.Errorf("mimeType: %v", err)
	}
	return checkRelease(e)
}

// checkRelease validates releaseAt, priority, embargo and contentKey.
func checkRelease(e *Episode) error {
	if !e.ReleaseAt.IsZero() && (e.ReleaseAt.Year() < 2000 || e.ReleaseAt.Year() > 9999) {
		return fmt.Errorf("releaseAt %s is not between the years 2000 and 9999", e.ReleaseAt.UTC().Format(time.RFC3339))
	}
	if e.Priority < 0 || e.Priority > MaxPriority {
		return fmt.Errorf("priority %d is out of range 0..%d", e.Priority, MaxPriority)
	}
	if e.Embargo == nil {
		if e.ContentKey != "" {
			return errors.New("contentKey is given but the episode has no embargo")
		}
		return nil
	}
	s := embargo.Sealed{Cipher: e.Embargo.Cipher, KeyID: e.Embargo.KeyID, Nonce: e.Embargo.Nonce}
	if s.Cipher != embargo.Cipher {
		return fmt.Errorf("embargo: cipher %q is not %q", truncate(s.Cipher), embargo.Cipher)
	}
	if !isLowerHex(s.KeyID, 16) {
		return fmt.Errorf("embargo: keyID %q is not 16 lower-case hex digits", truncate(s.KeyID))
	}
	if n, err := base64.StdEncoding.DecodeString(s.Nonce); err != nil || len(n) != embargo.NonceSize {
		return fmt.Errorf("embargo: nonce is not %d bytes of base64", embargo.NonceSize)
	}
	if e.ContentKey != "" {
		if _, _, err := embargo.ParamsFor(s, e.ContentKey); err != nil {
			return fmt.Errorf("contentKey: %v", err)
		}
	}
	return nil
}

// ValidID reports whether id may name a show or an episode:
// [a-z0-9][a-z0-9-]{0,63}.
func ValidID(id string) bool { return checkID(id) == nil }

func checkID(id string) error {
	if id == "" {
		return errors.New("missing")
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("%q is longer than %d characters", truncate(id), maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0
		if !ok {
			return fmt.Errorf("%q may only hold a-z, 0-9 and '-' (not first)", truncate(id))
		}
	}
	return nil
}

// CheckRelPath reports whether p is a clean path relative to the channel
// base URL: segments of [A-Za-z0-9._~-] separated by single '/', no segment
// starting with '.', no scheme, no leading '/', at most 512 bytes. Such a
// path resolves to the same URL on every HTTP client and cannot leave the
// base.
func CheckRelPath(p string) error {
	if p == "" {
		return errors.New("empty path")
	}
	if len(p) > maxPathLen {
		return fmt.Errorf("path is longer than %d bytes", maxPathLen)
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" {
			return fmt.Errorf("%q is not a clean relative path (empty segment or leading '/')", truncate(p))
		}
		if seg[0] == '.' {
			return fmt.Errorf("%q is not a clean relative path (segment %q starts with '.')", truncate(p), truncate(seg))
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-'
			if !ok {
				return fmt.Errorf("%q is not a clean relative path (character %q)", truncate(p), c)
			}
		}
	}
	return nil
}

func checkText(s string, max int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return errors.New("missing")
	}
	if len(s) > max {
		return fmt.Errorf("%d bytes is more than the limit of %d", len(s), max)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return fmt.Errorf("control character %U", r)
		}
	}
	return nil
}

func checkTracker(s string) error {
	if len(s) > maxURLLen {
		return fmt.Errorf("URL is longer than %d bytes", maxURLLen)
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "http", "https", "udp", "ws", "wss":
	default:
		return fmt.Errorf("%q: scheme must be http, https, udp, ws or wss", truncate(s))
	}
	if u.Host == "" {
		return fmt.Errorf("%q: no host", truncate(s))
	}
	return nil
}

func checkMime(s string) error {
	if len(s) > maxMimeLen {
		return fmt.Errorf("longer than %d bytes", maxMimeLen)
	}
	typ, sub, ok := strings.Cut(s, "/")
	if !ok || typ == "" || sub == "" || strings.Contains(sub, "/") {
		return fmt.Errorf("%q is not type/subtype", truncate(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/.+-_", c) >= 0
		if !ok {
			return fmt.Errorf("%q is not type/subtype", truncate(s))
		}
	}
	return nil
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// truncate keeps error messages short when the input is hostile.
func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
