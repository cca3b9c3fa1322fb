package wifi

import (
	"encoding/binary"
	"fmt"
)

const (
	ieRSN  = 48
	ieRSNX = 244 // RSN Extension (IEEE 802.11-2020 9.4.2.241)
)

// RSN capability bits of management frame protection (IEEE 802.11w).
const (
	RSNCapMFPR = 1 << 6 // MFP required
	RSNCapMFPC = 1 << 7 // MFP capable
)

// rsnxeSAEH2E is the RSNXE's "SAE hash-to-element" bit (bit 5 of its
// first octet, whose low four bits are the field's length minus one).
const rsnxeSAEH2E = 1 << 5

// Suite selectors (OUI 00-0F-AC and a type), as nl80211 takes them: the
// OUI in the upper three bytes of a uint32.
const (
	CipherCCMP   = 0x000fac04
	CipherTKIP   = 0x000fac02
	CipherGCMP   = 0x000fac08
	CipherWEP40  = 0x000fac01
	CipherWEP104 = 0x000fac05
	CipherBIP    = 0x000fac06
	AKM8021X     = 0x000fac01
	AKMPSK       = 0x000fac02
	AKMFTPSK     = 0x000fac04
	AKMPSKSHA256 = 0x000fac06
	AKMSAE       = 0x000fac08
)

// RSN is a parsed RSN element (IEEE 802.11-2020 9.4.2.24).
type RSN struct {
	Group        uint32
	Pairwise     []uint32
	AKMs         []uint32
	Capabilities uint16
	// PMKIDs are sent only (a station names the PMK it wants to use);
	// ParseRSN does not read them.
	PMKIDs [][]byte
}

// Has says whether s is in list.
func has(list []uint32, s uint32) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParseRSN parses an RSN element, with or without its two-byte header
// (element ID 48 and length). Missing optional fields take the standard's
// defaults (CCMP, 802.1X). It never panics.
func ParseRSN(b []byte) (RSN, error) {
	r := RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKM8021X}}
	if len(b) >= 2 && b[0] == ieRSN && int(b[1]) == len(b)-2 {
		b = b[2:]
	}
	if len(b) < 2 {
		return r, fmt.Errorf("RSN element of %d bytes has no version", len(b))
	}
	if v := binary.LittleEndian.Uint16(b); v != 1 {
		return r, fmt.Errorf("RSN version %d, want 1", v)
	}
	b = b[2:]
	if len(b) == 0 {
		return r, nil
	}
	if len(b) < 4 {
		return r, fmt.Errorf("RSN group cipher cut short")
	}
	r.Group = binary.BigEndian.Uint32(b)
	b = b[4:]
	var err error
	if len(b) == 0 {
		return r, nil
	}
	if r.Pairwise, b, err = suiteList(b, "pairwise cipher"); err != nil {
		return r, err
	}
	if len(b) == 0 {
		return r, nil
	}
	if r.AKMs, b, err = suiteList(b, "AKM"); err != nil {
		return r, err
	}
	if len(b) >= 2 {
		r.Capabilities = binary.LittleEndian.Uint16(b)
	}
	return r, nil
}

func suiteList(b []byte, what string) ([]uint32, []byte, error) {
	if len(b) < 2 {
		return nil, nil, fmt.Errorf("RSN %s count cut short", what)
	}
	n := int(binary.LittleEndian.Uint16(b))
	b = b[2:]
	if n == 0 || n > len(b)/4 {
		return nil, nil, fmt.Errorf("RSN %s count %d does not fit %d bytes", what, n, len(b))
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return out, b[4*n:], nil
}

// Marshal encodes the element with its header, as a station sends it in
// its association request and message 2 (PMKIDs only when set; the group
// management cipher is left to its default, BIP-CMAC-128).
func (r RSN) Marshal() []byte {
	b := []byte{ieRSN, 0, 1, 0}
	b = binary.BigEndian.AppendUint32(b, r.Group)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(r.Pairwise)))
	for _, s := range r.Pairwise {
		b = binary.BigEndian.AppendUint32(b, s)
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(r.AKMs)))
	for _, s := range r.AKMs {
		b = binary.BigEndian.AppendUint32(b, s)
	}
	b = binary.LittleEndian.AppendUint16(b, r.Capabilities)
	if len(r.PMKIDs) > 0 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(r.PMKIDs)))
		for _, id := range r.PMKIDs {
			b = append(b, id...)
		}
	}
	b[1] = byte(len(b) - 2)
	return b
}

// Security classifies a network by its RSN element (nil: none) and
// whether it sets the privacy bit (WEP without an RSN element), as
// api.WifiSecurity* names.
func Security(rsn []byte, privacy bool) string {
	if rsn == nil {
		if privacy {
			return "wep"
		}
		return "open"
	}
	r, err := ParseRSN(rsn)
	if err != nil {
		return "enterprise" // something we cannot join
	}
	psk := has(r.AKMs, AKMPSK) || has(r.AKMs, AKMPSKSHA256)
	sae := has(r.AKMs, AKMSAE)
	switch {
	case psk && sae:
		return "wpa2/wpa3"
	case psk:
		return "wpa2"
	case sae:
		return "wpa3"
	}
	return "enterprise"
}
