package wifi

import (
	"encoding/hex"
	"fmt"
)

// radioCaps is what a radio can do for WPA2/WPA3, read from its driver.
type radioCaps struct {
	// handshakeOffload: the firmware runs the 4-way handshake when given
	// the PMK (NL80211_EXT_FEATURE_4WAY_HANDSHAKE_STA_PSK).
	handshakeOffload bool
	// saeHost: the driver takes SAE authentication frames from the host
	// (NL80211_FEATURE_SAE and NL80211_CMD_AUTHENTICATE: mac80211).
	saeHost bool
	// saeOffload: the firmware runs SAE itself given the password
	// (NL80211_EXT_FEATURE_SAE_OFFLOAD); usable only together with
	// handshakeOffload, since the host never learns the PMK.
	saeOffload bool
}

func (c radioCaps) sae() bool { return c.saeHost || (c.saeOffload && c.handshakeOffload) }

// joinPlan is how the box joins one access point.
type joinPlan struct {
	akm uint32 // 0 for an open network
	sae bool   // authenticate with SAE (akm is AKMSAE)
	h2e bool   // SAE's PWE from hash-to-element (the AP's RSNXE says it can)
	mfp bool   // management frame protection required: NL80211_MFP_REQUIRED, IGTK
	// rsn is our RSN element for the association request and message 2
	// (without PMKID; SAE adds it once known).
	rsn RSN
}

// planJoin chooses the security for joining bss with n's passphrase on
// a radio that can do caps. WPA3 (SAE) is preferred in transition mode
// when the radio can do it; a 64-hex-digit passphrase is a WPA2 PMK, not
// a password, so it never goes to SAE. Errors wrap ErrUnsupported or
// ErrWrongPassphrase (a network that needs a passphrase and got none).
func planJoin(n Network, bss BSS, caps radioCaps) (joinPlan, error) {
	sec := Security(bss.RSN, bss.Privacy)
	psk := n.Passphrase != ""
	switch {
	case sec == "open" && !psk:
		return joinPlan{}, nil
	case sec == "open" || sec == "wep" || sec == "enterprise":
		return joinPlan{}, fmt.Errorf("%w: %s is %s", ErrUnsupported, n.SSID, sec)
	case !psk:
		return joinPlan{}, fmt.Errorf("%w: %s needs a passphrase", ErrWrongPassphrase, n.SSID)
	}
	ap, err := ParseRSN(bss.RSN)
	if err != nil {
		return joinPlan{}, fmt.Errorf("%w: %s: %w", ErrUnsupported, n.SSID, err)
	}
	if ap.Group != CipherCCMP || !has(ap.Pairwise, CipherCCMP) {
		return joinPlan{}, fmt.Errorf("%w: %s offers no CCMP", ErrUnsupported, n.SSID)
	}
	hexKey := false
	if len(n.Passphrase) == 64 {
		_, err := hex.DecodeString(n.Passphrase)
		hexKey = err == nil
	}
	useSAE := has(ap.AKMs, AKMSAE) && caps.sae() && !hexKey
	switch {
	case useSAE:
		if ap.Capabilities&RSNCapMFPC == 0 {
			// IEEE 802.11-2020 12.4.1: SAE requires MFP.
			return joinPlan{}, fmt.Errorf("%w: %s offers SAE without management frame protection", ErrUnsupported, n.SSID)
		}
		h2e := caps.saeHost && len(bss.RSNXE) >= 3 && bss.RSNXE[2]&rsnxeSAEH2E != 0
		return joinPlan{akm: AKMSAE, sae: true, h2e: h2e, mfp: true,
			rsn: RSN{Group: ap.Group, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMSAE}, Capabilities: RSNCapMFPC | RSNCapMFPR}}, nil
	case has(ap.AKMs, AKMPSK):
		p := joinPlan{akm: AKMPSK, rsn: RSN{Group: ap.Group, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMPSK}}}
		if ap.Capabilities&RSNCapMFPR != 0 {
			p.mfp = true
			p.rsn.Capabilities = RSNCapMFPC | RSNCapMFPR
		}
		return p, nil
	case has(ap.AKMs, AKMSAE) && hexKey:
		return joinPlan{}, fmt.Errorf("%w: %s is WPA3-only, which needs the passphrase, not a 64-digit key", ErrUnsupported, n.SSID)
	case has(ap.AKMs, AKMSAE):
		return joinPlan{}, fmt.Errorf("%w: %s is WPA3-only and this radio's driver cannot do SAE from the host", ErrUnsupported, n.SSID)
	}
	return joinPlan{}, fmt.Errorf("%w: %s is %s", ErrUnsupported, n.SSID, sec)
}
