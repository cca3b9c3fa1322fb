// Package api is the daemon's HTTP API: the only way the UI, the web remote
// and a paired phone talk to the box. The JSON shapes below are the contract
// between the daemon (server) and the UI (client); both import them.
//
// Endpoints (all JSON unless noted):
//
//	GET  /api/catalog              CatalogView: the verified catalog with library state
//	GET  /api/poster/{kind}/{id}   image bytes; kind is "show" or "episode"
//	GET  /api/stream/{episode}     the video, with Range (206/416), via http.ServeContent
//	GET  /api/stats                Stats
//	POST /api/keys                 KeyEvent (<= 1 KiB) -> 204; 400 malformed; 413 too large
//	GET  /api/events               text/event-stream of Event envelopes (keys, pairing, catalog changes)
//	GET  /api/resume/{episode}     Resume
//	PUT  /api/resume/{episode}     ResumeUpdate -> 204
//	GET  /remote                   the web remote page (HTML)
//	POST /api/pair/request         asks the TV to show a pairing code (LAN, unpaired)
//	POST /api/pair                 PairRequest -> PairResponse (sets the pairing cookie)
//	GET  /api/pair/devices         []PairedDevice (paired devices, newest first; "this" marks the caller)
//	DELETE /api/pair/devices/{id}  forget a paired device -> 204 (404 unknown id)
//	GET  /api/settings, PUT /api/settings, GET /api/seeding, GET /api/ledger/report
//	                               see home.go and settings_types.go
//
// GET /api/stream answers 403 {"error"} for an episode that is listed but
// not released yet (EpisodeView.AvailableAt, Locked).
//
// Requests from loopback are trusted (the UI on the same box). Requests from
// anywhere else need a paired token (cookie "atomicbox_pair" or
// "Authorization: Bearer <token>") except /remote, /api/pair/request and
// /api/pair; without one they get 401.
package api

import "time"

// CatalogView is GET /api/catalog.
type CatalogView struct {
	Network  string     `json:"network"`
	Sequence uint64     `json:"sequence"`
	Problem  string     `json:"problem,omitempty"` // for the UI to show, e.g. "The channel's new listing was refused (bad signature); showing the last good one."
	Shows    []ShowView `json:"shows"`
}

// ShowView is a show as the UI lists it.
type ShowView struct {
	ID        string        `json:"id"`
	Title     string        `json:"title"`
	Synopsis  string        `json:"synopsis,omitempty"`
	PosterURL string        `json:"posterURL,omitempty"` // daemon-relative, e.g. /api/poster/show/orbit
	Episodes  []EpisodeView `json:"episodes"`
}

// EpisodeView is an episode with what the box knows about it.
type EpisodeView struct {
	ID              string  `json:"id"`
	Season          int     `json:"season"`
	Number          int     `json:"episode"`
	Title           string  `json:"title"`
	Synopsis        string  `json:"synopsis,omitempty"`
	DurationSeconds float64 `json:"durationSeconds"`
	PosterURL       string  `json:"posterURL,omitempty"` // daemon-relative
	StreamURL       string  `json:"streamURL"`           // daemon-relative, /api/stream/{id}
	MimeType        string  `json:"mimeType"`
	Size            int64   `json:"size"`
	ResumeSeconds   float64 `json:"resumeSeconds"` // where playback would resume; 0 when new or watched to the end
	Watched         bool    `json:"watched"`
	// ResumedAt is when the resume point or watched mark last changed
	// (zero when never played): the UI orders "Continue watching" by it.
	ResumedAt  time.Time `json:"resumedAt,omitzero"`
	Completion float64   `json:"completion"` // 0..1 of the file held locally
	// Locked is set while the episode is listed but may not be played yet
	// (GET /api/stream answers 403); it says why, for a person ("Coming
	// Tue 1 Dec 2026 20:00 UTC."). AvailableAt is the channel's release
	// time, locked or not (omitted when the channel gave none; a locked
	// episode without one is out when its key arrives).
	AvailableAt time.Time `json:"availableAt,omitzero"`
	Locked      string    `json:"locked,omitempty"`
}

// Stats is GET /api/stats.
type Stats struct {
	Total    TransferStats  `json:"total"`
	Torrents []TorrentStats `json:"torrents"`
}

// TransferStats are byte counts since the daemon started.
type TransferStats struct {
	BytesFromPeers   int64 `json:"bytesFromPeers"`   // useful payload bytes received from BitTorrent peers
	BytesFromWebSeed int64 `json:"bytesFromWebSeed"` // useful payload bytes received from the origin (BEP 19)
	BytesUploaded    int64 `json:"bytesUploaded"`    // payload bytes sent to peers
	// BytesFromPeersWasted: payload bytes peers sent that the box threw
	// away (a chunk it had already, or of a piece completed meanwhile).
	BytesFromPeersWasted int64 `json:"bytesFromPeersWasted,omitempty"`
	// BytesFromPeersAfterOrigin: the part of BytesFromPeersWasted that
	// arrived for pieces the origin fallback had already completed (the
	// rest are chunks two peers both sent).
	BytesFromPeersAfterOrigin int64 `json:"bytesFromPeersAfterOrigin,omitempty"`
	// BytesFromOriginSupplements: the part of BytesFromWebSeed the box
	// fetched ahead of a stream behind its schedule (a piece past its
	// readahead that no peer was asked for), not as a rescue of a piece
	// due now.
	BytesFromOriginSupplements int64   `json:"bytesFromOriginSupplements,omitempty"`
	Peers                      int     `json:"peers"`      // connected peers now
	Completion                 float64 `json:"completion"` // 0..1 (bytes held / bytes wanted)
	Size                       int64   `json:"size"`
}

// TorrentStats is one episode's torrent.
type TorrentStats struct {
	Episode  string `json:"episode"`
	InfoHash string `json:"infoHash"`
	TransferStats
}

// Resume is GET /api/resume/{episode}.
type Resume struct {
	Seconds         float64   `json:"seconds"` // 0 when never played or watched to the end
	DurationSeconds float64   `json:"durationSeconds"`
	Watched         bool      `json:"watched"`
	UpdatedAt       time.Time `json:"updatedAt,omitzero"`
}

// ResumeUpdate is PUT /api/resume/{episode}. The daemon decides "watched"
// (within the last 5% or 10 s of the duration) and then resets Seconds to 0.
type ResumeUpdate struct {
	Seconds         float64 `json:"seconds"`
	DurationSeconds float64 `json:"durationSeconds"`
}

// PairRequest is POST /api/pair.
type PairRequest struct {
	Code string `json:"code"` // the 6 digits shown on the TV
}

// PairResponse is the answer to a correct code. The token is also set as
// the "atomicbox_pair" cookie.
type PairResponse struct {
	Token string `json:"token"`
}

// Event is one message on GET /api/events (SSE: "event: <Type>" then
// "data: <JSON of Event>").
type Event struct {
	Type    string        `json:"type"`              // EventKey, EventPairing, EventPaired, EventCatalog
	Key     *KeyEvent     `json:"key,omitempty"`     // for EventKey
	Pairing *PairingEvent `json:"pairing,omitempty"` // for EventPairing
	Catalog *CatalogEvent `json:"catalog,omitempty"` // for EventCatalog
}

// Event types.
const (
	EventKey     = "key"     // a remote key; the UI acts on it
	EventPairing = "pairing" // show this code on screen until it expires
	EventPaired  = "paired"  // a device paired: hide the code
	EventCatalog = "catalog" // the catalog or its problem changed: reload /api/catalog
)

// KeyEvent is one remote key on the wire: POST /api/keys takes it, and
// /api/events carries it to the UI (see keys.go for Keys, the actions and
// the sources).
type KeyEvent struct {
	Key    string    `json:"key"`    // Linux input key name in Keys, e.g. KEY_UP
	Action string    `json:"action"` // KeyPress, KeyRepeat, KeyRelease
	Source string    `json:"source,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

// PairingEvent asks the TV to show a pairing code.
type PairingEvent struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expiresAt"`
	URL       string    `json:"url,omitempty"` // where the phone should go, e.g. http://192.168.1.20:8080/remote
}

// CatalogEvent says the catalog view changed.
type CatalogEvent struct {
	Sequence uint64 `json:"sequence"`
	Problem  string `json:"problem,omitempty"`
}
