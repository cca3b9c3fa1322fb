package api

import "time"

// Settings and seeding endpoints (JSON; loopback or a paired token, like the rest):
//
//	GET /api/settings   SettingsView
//	PUT /api/settings   SettingsUpdate (<= 4 KiB, only the fields present change)
//	                    -> 200 SettingsView (as stored); 400 {"error": "..."} with
//	                    a sentence for a person (bandwidth.Settings.Validate's words)
//	GET /api/seeding    SeedingView: the contribution ledger for the dashboard
//
// The UI treats 404 on any of them as "not available on this box yet".

// SettingsView is GET /api/settings: what the settings screen shows and can change.
type SettingsView struct {
	Box          BoxInfo           `json:"box"`
	Bandwidth    BandwidthSettings `json:"bandwidth"`
	Storage      StorageView       `json:"storage"`
	Reachability Reachability      `json:"reachability"`
	Video        VideoSettings     `json:"video"`
	Household    HouseholdSettings `json:"household"`
}

// BoxInfo identifies the box.
type BoxInfo struct {
	Version  string `json:"version"`            // e.g. "2026.11.25-d7cfb7c"
	Hostname string `json:"hostname,omitempty"` // e.g. "atomicbox"
}

// BandwidthSettings mirror bandwidth.Settings (Day caps, Night window) in
// flat form. Rates are bytes per second; 0 means unlimited.
type BandwidthSettings struct {
	DayUp   int64       `json:"dayUp"`
	DayDown int64       `json:"dayDown"`
	Night   NightWindow `json:"night"`
	// Uplink is the household line's upload speed when known (0: unknown).
	// While a stream is open the box uploads at most a share of it (or of
	// the cap in force); unknown means a fixed 2 Mbit/s. Only in the view:
	// SettingsUpdate.Uplink changes it, a Bandwidth update keeps it.
	Uplink int64 `json:"uplink"`
}

// NightWindow mirrors bandwidth.Window (every day; Days is not exposed: the
// daemon keeps whatever it has).
type NightWindow struct {
	Enabled     bool  `json:"enabled"`
	StartMinute int   `json:"startMinute"` // minutes after local midnight, 0..1439
	EndMinute   int   `json:"endMinute"`   // <= StartMinute: the window crosses midnight
	Up          int64 `json:"up"`          // bytes/s inside the window, 0 unlimited
	Down        int64 `json:"down"`
}

// StorageView is the data file system (library.Budget.Usage) and the budget.
type StorageView struct {
	TotalBytes      int64 `json:"totalBytes"`      // size of the data file system
	FreeBytes       int64 `json:"freeBytes"`       // available to the daemon (f_bavail)
	LibraryBytes    int64 `json:"libraryBytes"`    // held by episodes
	KeepFreePercent int   `json:"keepFreePercent"` // eviction keeps this share free (library.BudgetOptions.KeepFree * 100)
	// Full is the daemon's own verdict from its last disk round (every
	// minute): background downloads are paused because they would eat
	// into the share kept free, or the disk is over that share and
	// nothing more may be evicted (what is left is playing, pinned or
	// not the box's). It clears at the first round that finds room. The
	// TV shows its disk-full panel and banner from this field alone.
	// Left out when false (older daemons never send it).
	Full bool `json:"full,omitempty"`
}

// Reachability is the result of the last port-mapping attempt.
type Reachability struct {
	Method       string    `json:"method"`                 // "upnp", "nat-pmp", "none" (no mapping; seeding still works outbound)
	OK           bool      `json:"ok"`                     // peers outside can connect in
	ExternalAddr string    `json:"externalAddr,omitempty"` // "203.0.113.7:42069" when mapped
	ListenPort   int       `json:"listenPort"`             // BitTorrent listen port on the box
	Message      string    `json:"message,omitempty"`      // for a person, e.g. "The router refused UPnP."
	CheckedAt    time.Time `json:"checkedAt,omitzero"`
}

// VideoSettings are the TV output choices persisted by the daemon for the UI.
type VideoSettings struct {
	// Mode is mpv's drm-mode ("1920x1080@60", "3840x2160@30", "preferred");
	// "" means the UI's default, 1920x1080@60. The UI reads it at start.
	Mode string `json:"mode"`
}

// SettingsUpdate is PUT /api/settings. Nil fields are left as they are.
type SettingsUpdate struct {
	Bandwidth       *BandwidthSettings `json:"bandwidth,omitempty"` // replaces all caps and the window
	KeepFreePercent *int               `json:"keepFreePercent,omitempty"`
	Video           *VideoSettings     `json:"video,omitempty"`
	Uplink          *int64             `json:"uplink,omitempty"`    // bytes/s, 0 unknown (see BandwidthSettings.Uplink)
	Household       *HouseholdSettings `json:"household,omitempty"` // 400 on an unknown time zone or language
}

// SeedingView is GET /api/seeding, from the contribution ledger. Dates are
// UTC days in ledger.DateFormat ("2006-01-02").
type SeedingView struct {
	Today    SeedingDay       `json:"today"`
	Days     []SeedingDay     `json:"days"`     // the last 7 days including today, oldest first, zeros included
	Torrents []SeedingTorrent `json:"torrents"` // today, most uploaded first
	// Confirmed is what the network's collector confirmed of this
	// month's upload (other boxes' own reports agree); nil when the box
	// has no collector or has not heard from it.
	Confirmed *SeedingConfirmed `json:"confirmed,omitempty"`
}

// SeedingConfirmed is the box's row of the collector's monthly table
// (appliance/collector.Row), bytes of payload.
type SeedingConfirmed struct {
	Month     string    `json:"month"`     // "2006-01", the household's calendar
	Claimed   int64     `json:"claimed"`   // what this box reported for the month
	Confirmed int64     `json:"confirmed"` // what the boxes it gave to confirm
	Boxes     int       `json:"boxes"`     // how many boxes confirmed any of it
	At        time.Time `json:"at"`        // when the box fetched it
}

// SeedingDay mirrors ledger.ReportDay without the per-torrent rows.
type SeedingDay struct {
	Date          string `json:"date"`
	BytesUploaded int64  `json:"bytesUploaded"`
	Peers         int    `json:"peers"` // distinct peers served that day
}

// SeedingTorrent mirrors ledger.ReportTorrent, with the episode it carries.
type SeedingTorrent struct {
	Episode       string `json:"episode,omitempty"` // catalog episode id when known
	InfoHash      string `json:"infoHash"`          // lower-case hex
	BytesUploaded int64  `json:"bytesUploaded"`
	Peers         int    `json:"peers"`
}
