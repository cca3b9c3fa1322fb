// Package fakeradio is a Wi-Fi radio and a DHCP server in memory, for
// tests of code that drives a wifi.Radio (this machine has no radio). An
// access point is present or not, has a passphrase, and can be taken away
// while a station is joined.
package fakeradio

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/atomicnetwork/atomicbox/appliance/wifi"
)

// AP is one access point the radio can see.
type AP struct {
	BSS        wifi.BSS
	Passphrase string // "" for an open network
}

// WPA2 returns an access point offering WPA2-Personal.
func WPA2(ssid, passphrase string, dbm int) AP {
	return AP{Passphrase: passphrase, BSS: wifi.BSS{SSID: ssid, BSSID: net.HardwareAddr{2, 0, 0, 0, 0, byte(len(ssid))}, FreqMHz: 2437, SignalDBm: dbm,
		RSN: wifi.RSN{Group: wifi.CipherCCMP, Pairwise: []uint32{wifi.CipherCCMP}, AKMs: []uint32{wifi.AKMPSK}}.Marshal()}}
}

// WPA3 returns an access point offering only WPA3-Personal (SAE, with
// management frame protection required).
func WPA3(ssid, passphrase string, dbm int) AP {
	a := WPA2(ssid, passphrase, dbm)
	a.BSS.RSN = wifi.RSN{Group: wifi.CipherCCMP, Pairwise: []uint32{wifi.CipherCCMP}, AKMs: []uint32{wifi.AKMSAE},
		Capabilities: wifi.RSNCapMFPC | wifi.RSNCapMFPR}.Marshal()
	return a
}

// Radio implements wifi.Radio and wifi.Addresser. Safe for concurrent use.
type Radio struct {
	mu     sync.Mutex
	aps    map[string]AP
	lost   chan struct{} // the current link's
	joined string
	NoDHCP bool // the router answers no DHCP
	NoSAE  bool // the driver cannot do SAE: WPA3-only networks are unsupported
	// DropJoins is how many of the next joins lose their link right
	// after the handshake, before DHCP answers.
	DropJoins int
	Lease     string // the address DHCP hands out (CIDR)
	Joins     int    // Join calls so far
}

// New returns a radio that sees aps.
func New(aps ...AP) *Radio {
	r := &Radio{aps: map[string]AP{}, Lease: "192.168.1.20/24"}
	for _, a := range aps {
		r.aps[a.BSS.SSID] = a
	}
	return r
}

// Add makes an access point appear (again).
func (r *Radio) Add(a AP) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.aps[a.BSS.SSID] = a
}

// Remove takes an access point away; a station joined to it loses its link.
func (r *Radio) Remove(ssid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.aps, ssid)
	if r.joined == ssid && r.lost != nil {
		close(r.lost)
		r.lost, r.joined = nil, ""
	}
}

// Joined is the SSID the station is joined to ("" when none).
func (r *Radio) Joined() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.joined
}

func (r *Radio) Interface() string { return "wlan0" }

func (r *Radio) Scan(ctx context.Context) ([]wifi.BSS, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []wifi.BSS
	for _, a := range r.aps {
		out = append(out, a.BSS)
	}
	return out, ctx.Err()
}

func (r *Radio) Join(ctx context.Context, n wifi.Network, bss wifi.BSS) (<-chan struct{}, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Joins++
	a, ok := r.aps[n.SSID]
	if !ok {
		return nil, fmt.Errorf("%w: %s", wifi.ErrNotFound, n.SSID)
	}
	if r.NoSAE && wifi.Security(a.BSS.RSN, a.BSS.Privacy) == "wpa3" {
		return nil, fmt.Errorf("%w: no SAE in this radio", wifi.ErrUnsupported)
	}
	if a.Passphrase != n.Passphrase {
		return nil, wifi.ErrWrongPassphrase
	}
	if r.DropJoins > 0 {
		r.DropJoins--
		lost := make(chan struct{})
		close(lost)
		r.joined, r.lost = "", nil
		return lost, nil
	}
	r.joined, r.lost = n.SSID, make(chan struct{})
	return r.lost, nil
}

func (r *Radio) Leave(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.joined, r.lost = "", nil
	return nil
}

func (r *Radio) Signal(ctx context.Context) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.aps[r.joined]; ok {
		return a.BSS.SignalDBm, true
	}
	return 0, false
}

// Address is the DHCP side: it answers at once with r.Lease unless
// NoDHCP is set or no link is up, then waits for ctx.
func (r *Radio) Address(ctx context.Context, iface string, bound func(cidr string)) error {
	r.mu.Lock()
	no, addr, linked := r.NoDHCP, r.Lease, r.joined != ""
	r.mu.Unlock()
	if !linked {
		<-ctx.Done() // no link, no answer
		return ctx.Err()
	}
	if no {
		return fmt.Errorf("%w: nobody answered", wifi.ErrNoAddress)
	}
	bound(addr)
	<-ctx.Done()
	return ctx.Err()
}
