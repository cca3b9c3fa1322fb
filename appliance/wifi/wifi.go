// Package wifi joins the box to a WPA2- or WPA3-Personal (or open) Wi-Fi
// network: a state machine (Manager) over a Radio (nl80211 on Linux, with
// SAE and the 4-way handshake done in Go or by the chip's firmware) and an
// Addresser (DHCP), with the chosen network kept in the data dir.
package wifi

import (
	"context"
	"errors"
	"net"
)

// Errors a Radio or Addresser returns; the Manager maps them to the API's
// problem codes.
var (
	ErrNoRadio     = errors.New("no Wi-Fi radio")
	ErrNotFound    = errors.New("network not found")
	ErrUnsupported = errors.New("network security not supported")
	ErrRadio       = errors.New("Wi-Fi radio failed")
	ErrNoAddress   = errors.New("no DHCP answer")
)

// Network is a network to join. An empty Passphrase is an open network.
type Network struct {
	SSID       string `json:"ssid"`
	Passphrase string `json:"passphrase,omitempty"`
}

// BSS is one access point seen in a scan.
type BSS struct {
	SSID      string
	BSSID     net.HardwareAddr
	FreqMHz   int
	SignalDBm int
	RSN       []byte // the RSN element with its header; nil when absent
	RSNXE     []byte // the RSN Extension element with its header; nil when absent
	Privacy   bool   // the capability's privacy bit
}

// Radio is a Wi-Fi station interface. Implementations: NL80211; a fake in
// the tests.
type Radio interface {
	// Interface is the network interface's name, for DHCP.
	Interface() string
	// Scan triggers a scan and returns the access points seen, strongest
	// first. It blocks until the results are in or ctx ends.
	Scan(ctx context.Context) ([]BSS, error)
	// Join associates with bss and completes the handshake. It returns
	// once data can flow, with a channel that is closed when the link is
	// lost. Errors wrap ErrWrongPassphrase, ErrNotFound, ErrUnsupported or
	// ErrRadio. It chooses WPA3 (SAE) over WPA2 when both are offered and
	// it can; ErrUnsupported for a WPA3-only network it cannot do SAE on.
	Join(ctx context.Context, n Network, bss BSS) (lost <-chan struct{}, err error)
	// Leave disconnects; it is not an error to leave when not joined.
	Leave(ctx context.Context) error
	// Signal is the joined access point's signal strength in dBm.
	Signal(ctx context.Context) (dbm int, ok bool)
}

// Addresser configures an interface's IPv4 address.
type Addresser interface {
	// Address runs until ctx ends: it obtains an address for iface,
	// calls bound with it (CIDR) at once and after each renewal that
	// changes it, and keeps it renewed. It returns an error wrapping
	// ErrNoAddress when no lease is obtained in time or a lease runs out.
	// It removes the address it set before returning.
	Address(ctx context.Context, iface string, bound func(cidr string)) error
}

// ParseIEs finds the SSID and the RSN element in a frame's information
// elements; it stops at the first malformed element.
func ParseIEs(b []byte) (ssid string, rsn []byte) {
	ssid, rsn, _ = parseIEs(b)
	return ssid, rsn
}

// parseIEs is ParseIEs that also finds the RSN Extension element.
func parseIEs(b []byte) (ssid string, rsn, rsnxe []byte) {
	for len(b) >= 2 {
		id, n := b[0], int(b[1])
		if n > len(b)-2 {
			break
		}
		switch id {
		case 0:
			ssid = string(b[2 : 2+n])
		case ieRSN:
			rsn = append([]byte(nil), b[:2+n]...)
		case ieRSNX:
			rsnxe = append([]byte(nil), b[:2+n]...)
		}
		b = b[2+n:]
	}
	return ssid, rsn, rsnxe
}
