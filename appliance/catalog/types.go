// Package catalog is the network's signed programme listing: its format, how
// the publisher signs it and how a box verifies, fetches and keeps it.
package catalog

import "time"

// FormatVersion is the catalog format this code reads and writes.
const FormatVersion = 1

// File names on the origin, relative to the channel's base URL.
const (
	CatalogFile   = "catalog.json"     // the catalog, exactly the signed bytes
	SignatureFile = "catalog.json.sig" // base64 (std) of the 64-byte ed25519 signature over CatalogFile
)

// Files a box keeps in its catalog directory (FetcherConfig.Dir).
const (
	// StoredFile holds the last good catalog and its signature together
	// (storedCatalog), replaced in one atomic rename: a power cut cannot
	// leave a catalog beside another catalog's signature.
	StoredFile = "catalog.stored.json"
	// HighestFile records the highest sequence the box ever accepted, apart
	// from the catalog itself, so that losing StoredFile (a damaged card)
	// does not reopen the door to an older signed catalog.
	HighestFile = "catalog.highest.json"
)

// Catalog is what the network publishes. The signature covers the exact JSON
// bytes, so a box verifies before it parses anything beyond size limits.
type Catalog struct {
	Format    int       `json:"format"`    // FormatVersion
	Network   string    `json:"network"`   // display name, e.g. "Atomic Demo Channel"
	Sequence  uint64    `json:"sequence"`  // strictly increases with every publication; a box refuses anything not newer than what it holds
	Published time.Time `json:"published"` // when the publisher signed it (informational: boxes may boot with a wrong clock)
	// ValidUntil is when the listing goes stale: past it the box says so
	// on the TV (it keeps playing what it has) until a newer catalog
	// arrives, so whoever sits between a box and the origin cannot hold it
	// on an old listing, without its embargo keys, unnoticed. After
	// Published, at most MaxValidity later. Zero (catalogs from before the
	// field): never stale.
	ValidUntil time.Time `json:"validUntil,omitzero"`
	Trackers   []string  `json:"trackers,omitempty"`
	// OriginBoxRate is the most each box may fetch from the network's
	// origin, in bytes/s over all episodes: the network's share of its
	// origin's capacity for one box, so that no box's rescues crowd out
	// the others' (MaxOriginBoxRate at most). 0 or absent: the box's own
	// default. Boxes from before this field refuse a catalog that sets it
	// (decoding is strict).
	OriginBoxRate int64  `json:"originBoxRate,omitempty"`
	Shows         []Show `json:"shows"`
}

// Show is one programme with its episodes in viewing order.
type Show struct {
	ID       string `json:"id"` // URL-safe, unique in the catalog: [a-z0-9-]+
	Title    string `json:"title"`
	Synopsis string `json:"synopsis,omitempty"`
	Poster   string `json:"poster,omitempty"` // path relative to the channel base URL (JPEG or PNG)
	// PosterSHA256 is the lower-case hex SHA-256 of the poster's bytes:
	// the box keeps only the bytes the network signed. Empty in catalogs
	// from before the field (the box then checks the image alone).
	PosterSHA256 string    `json:"posterSHA256,omitempty"`
	Episodes     []Episode `json:"episodes"`
}

// Episode is one video, delivered as a single-file torrent whose BEP 19 web
// seed is the origin.
type Episode struct {
	ID              string  `json:"id"` // URL-safe, unique in the catalog: [a-z0-9-]+
	Season          int     `json:"season"`
	Number          int     `json:"episode"`
	Title           string  `json:"title"`
	Synopsis        string  `json:"synopsis,omitempty"`
	Poster          string  `json:"poster,omitempty"`       // relative path, as Show.Poster
	PosterSHA256    string  `json:"posterSHA256,omitempty"` // as Show.PosterSHA256
	DurationSeconds float64 `json:"durationSeconds"`
	Torrent         string  `json:"torrent"`  // relative path of the .torrent on the origin
	InfoHash        string  `json:"infoHash"` // lower-case hex v1 info hash; the box refuses a .torrent that does not match
	Size            int64   `json:"size"`     // bytes of the video file
	MimeType        string  `json:"mimeType"` // e.g. video/mp4

	// ReleaseAt is when the episode may be played (zero: already out).
	// Boxes judge it by trusted time (package embargo), never their own
	// wall clock, and may pre-fetch the episode before it.
	ReleaseAt time.Time `json:"releaseAt,omitzero"`
	// Priority orders overnight pre-fetching: higher first (0..MaxPriority;
	// 0 = ordinary).
	Priority int `json:"priority,omitempty"`
	// Embargo is set when the published file is encrypted until release
	// (the torrent and Size are of the ciphertext, which has the
	// plaintext's size).
	Embargo *Embargo `json:"embargo,omitempty"`
	// ContentKey is base64 (std) of the 32-byte key that decrypts an
	// embargoed file. The publisher adds it only to catalogs it signs at or
	// after ReleaseAt; it must match Embargo.KeyID.
	ContentKey string `json:"contentKey,omitempty"`
}

// Embargo says how an embargoed episode's file is encrypted (see package
// embargo: AES-256-CTR addressed by byte offset).
type Embargo struct {
	Cipher string `json:"cipher"` // "aes-256-ctr"
	KeyID  string `json:"keyID"`  // 16 lower-case hex digits naming the content key
	Nonce  string `json:"nonce"`  // base64 (std) of the 16-byte initial counter block
}

// MaxValidity bounds ValidUntil - Published: a signed listing cannot be
// made good forever by a slip of the publisher's finger.
const MaxValidity = 366 * 24 * time.Hour

// MaxPriority is the highest Episode.Priority.
const MaxPriority = 1000
