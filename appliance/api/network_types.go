package api

import "time"

// Network and Wi-Fi endpoints (JSON; loopback or a paired token, like the rest):
//
//	GET    /api/network         NetworkView: whether the box is online and how
//	GET    /api/wifi/networks   []WifiNetwork: a fresh scan, strongest first
//	                            (blocks up to about 10 s); 404 when the box has
//	                            no Wi-Fi radio
//	POST   /api/wifi/join       WifiJoin -> 202 at once; progress is
//	                            NetworkView.Wifi, announced by EventNetwork
//	DELETE /api/wifi            forget the stored network and disconnect -> 204
//
// The UI treats 404 on any of them as "not available on this box yet".

// NetworkView is GET /api/network.
type NetworkView struct {
	// Online: some interface has a routable (non link-local) address and a
	// default route.
	Online     bool            `json:"online"`
	Interfaces []InterfaceView `json:"interfaces"`
	Wifi       *WifiState      `json:"wifi,omitempty"` // nil: no Wi-Fi radio on this box
}

// InterfaceView is one network interface other than loopback.
type InterfaceView struct {
	Name      string   `json:"name"`      // "eth0", "wlan0"
	Kind      string   `json:"kind"`      // InterfaceEthernet or InterfaceWifi
	Up        bool     `json:"up"`        // link (carrier) present
	Addresses []string `json:"addresses"` // CIDR, e.g. "192.168.1.20/24"
}

// Interface kinds.
const (
	InterfaceEthernet = "ethernet"
	InterfaceWifi     = "wifi"
)

// WifiState is the Wi-Fi client's state machine as the TV shows it.
type WifiState struct {
	State     string    `json:"state"`               // one of the Wifi* states below
	SSID      string    `json:"ssid,omitempty"`      // the network joined or being joined
	SignalDBm int       `json:"signalDBm,omitempty"` // while joined
	Address   string    `json:"address,omitempty"`   // CIDR, once DHCP answered
	Problem   string    `json:"problem,omitempty"`   // one of the WifiProblem* codes when State is WifiFailed
	Message   string    `json:"message,omitempty"`   // a sentence for a person, e.g. "Wrong passphrase for Home."
	Since     time.Time `json:"since,omitzero"`      // when State was entered
}

// Wi-Fi states.
const (
	WifiIdle       = "idle"       // no network stored, nothing joined
	WifiScanning   = "scanning"   // looking for the stored network
	WifiJoining    = "joining"    // associating and running the handshake
	WifiAddressing = "addressing" // associated; waiting for DHCP
	WifiJoined     = "joined"     // associated with an address
	WifiFailed     = "failed"     // see Problem; the box retries a stored network on its own
)

// Wi-Fi problems (WifiState.Problem).
const (
	WifiProblemWrongPassphrase = "wrong-passphrase" // the 4-way handshake failed
	WifiProblemNotFound        = "not-found"        // no access point with that SSID answers
	WifiProblemNoAddress       = "no-address"       // associated, but no DHCP answer from the router
	WifiProblemLost            = "lost"             // the access point went away; reconnecting
	WifiProblemUnsupported     = "unsupported"      // e.g. WPA-Enterprise or WEP
	WifiProblemRadio           = "radio"            // the radio or its firmware failed
)

// WifiNetwork is one network seen in a scan.
type WifiNetwork struct {
	SSID      string `json:"ssid"`
	SignalDBm int    `json:"signalDBm"` // strongest access point of that SSID
	Security  string `json:"security"`  // one of the WifiSecurity* values
	Known     bool   `json:"known"`     // the box has a stored passphrase for it
}

// Wi-Fi security kinds.
const (
	WifiSecurityOpen       = "open"
	WifiSecurityWPA2       = "wpa2"       // WPA2-Personal (PSK)
	WifiSecurityWPA3       = "wpa3"       // WPA3-Personal (SAE) only
	WifiSecurityWPA2WPA3   = "wpa2/wpa3"  // transition mode: both offered
	WifiSecurityEnterprise = "enterprise" // 802.1X: not supported by the box
	WifiSecurityWEP        = "wep"        // not supported by the box
)

// WifiJoin is POST /api/wifi/join. Passphrase is 8..63 characters or 64 hex
// digits (the same rule as atomicbox.txt's wifi_psk); empty for an open
// network, or to rejoin the stored network (same SSID) with its stored
// passphrase. The daemon stores it only once the join succeeded.
type WifiJoin struct {
	SSID       string `json:"ssid"`
	Passphrase string `json:"passphrase,omitempty"`
}

// HouseholdSettings are chosen on the first-boot screen and in Settings.
type HouseholdSettings struct {
	// TimeZone is an IANA name ("Europe/Berlin"); "" means the box's
	// default (atomicboxd -timezone; UTC on the box). It drives the
	// overnight window, the pre-fetch policy, the seeding days and the
	// clock on screen. PUT answers 400 on a name that is not a zone.
	TimeZone string `json:"timeZone"`
	// Language is a BCP 47 language with an optional region ("en", "de",
	// "pt-BR"); "" means "en". The UI's words and the preferred audio and
	// subtitle languages follow it; PUT answers 400 on anything else.
	Language string `json:"language"`
	// SetUp is false until the first-boot screens were completed once.
	SetUp bool `json:"setUp"`
}

// EventNetwork says NetworkView changed: reload /api/network.
const EventNetwork = "network"
