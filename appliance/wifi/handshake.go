package wifi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
)

// EAPOLConn carries EAPOL frames (the EAPOL header and body, no Ethernet
// header) between the station and its access point.
type EAPOLConn interface {
	// ReadFrame blocks until a frame arrives or ctx ends.
	ReadFrame(ctx context.Context) (from net.HardwareAddr, frame []byte, err error)
	WriteFrame(ctx context.Context, to net.HardwareAddr, frame []byte) error
}

// Keys are what a completed 4-way handshake installs.
type Keys struct {
	PTK PTK
	GTK GTK
	// GTKRSC is the group key's receive sequence counter (the first 6
	// bytes of message 3's Key RSC, little-endian as nl80211 takes it).
	GTKRSC [6]byte
	// IGTK is the management frame protection group key; nil unless
	// MFP is in use.
	IGTK *IGTK
}

// ErrWrongPassphrase means the access point answered our message 2 with a
// new message 1 or nothing at all: it found our MIC wrong, so our PMK (the
// passphrase) differs from its own.
var ErrWrongPassphrase = errors.New("4-way handshake failed: wrong passphrase")

// errNoIGTK: management frame protection is on but message 3 left out
// the IGTK, so broadcast deauthentications could not be checked.
var errNoIGTK = errors.New("message 3 carries no IGTK although management frame protection is on")

// ErrRSNMismatch means message 3 describes other security than the
// access point announced: someone may be forcing a weaker choice.
var ErrRSNMismatch = errors.New("4-way handshake: message 3's RSN element differs from the beacon's")

// Supplicant is the station's side of the 4-way handshake and the group
// key handshake (IEEE 802.11-2020 12.7.6 and 12.7.7) with CCMP: for
// WPA2-Personal (AKM 00-0F-AC:2, PRF-SHA1 and HMAC-SHA1 MICs) and for
// WPA3-Personal after SAE (AKM 00-0F-AC:8, KDF-SHA-256 and AES-CMAC MICs,
// key descriptor version 0). Not safe for concurrent use.
type Supplicant struct {
	PMK []byte
	// AKM is the negotiated AKM suite: AKMPSK (also when 0) or AKMSAE.
	AKM uint32
	// MFP says management frame protection was negotiated: message 3
	// must then deliver an IGTK.
	MFP bool
	AA  net.HardwareAddr // the access point's MAC address
	SPA net.HardwareAddr // ours
	RSN []byte           // the RSN element we sent in the association request
	// APRSN is the RSN element of the access point's beacon or probe
	// response; message 3 must carry the same (a downgrade attack
	// otherwise, IEEE 802.11-2020 12.7.6.4). nil skips the check.
	APRSN []byte
	Rand  io.Reader // the SNonce's source (crypto/rand in production)

	keys   Keys
	replay uint64 // last replay counter accepted from the authenticator
	seen   bool   // whether replay is set
}

// version is the key descriptor version the AKM uses.
func (s *Supplicant) version() uint16 {
	switch s.AKM {
	case AKMSAE:
		return KeyInfoVersionAKM
	case AKMPSKSHA256:
		return KeyInfoVersionAESCMAC
	}
	return KeyInfoVersionHMACSHA1
}

func (s *Supplicant) derive(anonce, snonce []byte) PTK {
	if s.version() == KeyInfoVersionHMACSHA1 {
		return DerivePTK(s.PMK, s.AA, s.SPA, anonce, snonce)
	}
	return DerivePTKSHA256(s.PMK, s.AA, s.SPA, anonce, snonce)
}

// Handshake runs the 4-way handshake on conn until message 4 is sent and
// returns the keys to install. It returns ErrWrongPassphrase when it
// answered a message 1 but ctx ended (or a new message 1 came twice) before
// a valid message 3; ctx's error when no message 1 came at all.
func (s *Supplicant) Handshake(ctx context.Context, conn EAPOLConn) (Keys, error) {
	var (
		snonce   [32]byte
		ptk      *PTK
		answered int
	)
	if _, err := io.ReadFull(s.Rand, snonce[:]); err != nil {
		return Keys{}, fmt.Errorf("SNonce: %w", err)
	}
	for {
		from, b, err := conn.ReadFrame(ctx)
		if err != nil {
			if answered > 0 && ctx.Err() != nil {
				return Keys{}, ErrWrongPassphrase
			}
			return Keys{}, err
		}
		if !bytes.Equal(from, s.AA) {
			continue
		}
		f, err := ParseKeyFrame(b)
		if err != nil || f.Info&keyDescriptorMask != s.version() || f.Info&KeyInfoPairwise == 0 {
			continue // not ours to answer; the authenticator retries
		}
		if s.seen && f.Replay <= s.replay && !(f.Info&KeyInfoMIC == 0 && f.Replay == s.replay) {
			continue // replayed
		}
		switch {
		case f.Info&(KeyInfoAck|KeyInfoMIC) == KeyInfoAck: // message 1
			if answered >= 3 {
				// The authenticator keeps rejecting our message 2's MIC.
				return Keys{}, ErrWrongPassphrase
			}
			p := s.derive(f.Nonce[:], snonce[:])
			ptk = &p
			m2 := KeyFrame{Version: f.Version, Info: s.version() | KeyInfoPairwise | KeyInfoMIC,
				Replay: f.Replay, Nonce: snonce, Data: s.RSN}
			if err := conn.WriteFrame(ctx, s.AA, m2.MarshalSigned(p.KCK[:])); err != nil {
				return Keys{}, fmt.Errorf("send message 2: %w", err)
			}
			s.replay, s.seen = f.Replay, true
			answered++
		case f.Info&(KeyInfoAck|KeyInfoMIC|KeyInfoInstall) == KeyInfoAck|KeyInfoMIC|KeyInfoInstall: // message 3
			if ptk == nil || !CheckMIC(ptk.KCK[:], b[:eapolHeaderLen+int(b[2])<<8+int(b[3])]) {
				continue
			}
			if f.Info&KeyInfoEncrypted == 0 {
				return Keys{}, errors.New("message 3 without encrypted key data")
			}
			data, err := KeyUnwrap(ptk.KEK[:], f.Data)
			if err != nil {
				return Keys{}, fmt.Errorf("message 3 key data: %w", err)
			}
			kd, err := parseKeyData(data)
			if err != nil {
				return Keys{}, fmt.Errorf("message 3 key data: %w", err)
			}
			if s.APRSN != nil && !bytes.Equal(kd.RSN, s.APRSN) {
				return Keys{}, ErrRSNMismatch
			}
			if kd.GTK == nil {
				return Keys{}, errors.New("message 3 carries no GTK")
			}
			if s.MFP && kd.IGTK == nil {
				return Keys{}, errNoIGTK
			}
			s.replay = f.Replay
			m4 := KeyFrame{Version: f.Version, Info: s.version() | KeyInfoPairwise | KeyInfoMIC | KeyInfoSecure,
				Replay: f.Replay}
			if err := conn.WriteFrame(ctx, s.AA, m4.MarshalSigned(ptk.KCK[:])); err != nil {
				return Keys{}, fmt.Errorf("send message 4: %w", err)
			}
			s.keys = Keys{PTK: *ptk, GTK: *kd.GTK, IGTK: kd.IGTK}
			copy(s.keys.GTKRSC[:], f.RSC[:6])
			return s.keys, nil
		}
	}
}

// GroupRekey serves group key handshakes after Handshake succeeded: for
// each valid group message 1 it calls install with the new GTK, its RSC
// and the new IGTK (nil when the message carries none), then answers
// with message 2. It returns when ctx ends or conn fails.
func (s *Supplicant) GroupRekey(ctx context.Context, conn EAPOLConn, install func(GTK, [6]byte, *IGTK) error) error {
	for {
		from, b, err := conn.ReadFrame(ctx)
		if err != nil {
			return err
		}
		if !bytes.Equal(from, s.AA) {
			continue
		}
		f, err := ParseKeyFrame(b)
		if err != nil || f.Info&keyDescriptorMask != s.version() || f.Info&KeyInfoPairwise != 0 || f.Info&(KeyInfoAck|KeyInfoMIC|KeyInfoSecure|KeyInfoEncrypted) != KeyInfoAck|KeyInfoMIC|KeyInfoSecure|KeyInfoEncrypted {
			continue
		}
		if f.Replay <= s.replay || !CheckMIC(s.keys.PTK.KCK[:], b[:eapolHeaderLen+int(b[2])<<8+int(b[3])]) {
			continue
		}
		data, err := KeyUnwrap(s.keys.PTK.KEK[:], f.Data)
		if err != nil {
			continue
		}
		kd, err := parseKeyData(data)
		if err != nil || kd.GTK == nil {
			continue
		}
		s.replay = f.Replay
		var rsc [6]byte
		copy(rsc[:], f.RSC[:6])
		if err := install(*kd.GTK, rsc, kd.IGTK); err != nil {
			return fmt.Errorf("install group key: %w", err)
		}
		m2 := KeyFrame{Version: f.Version, Info: s.version() | KeyInfoMIC | KeyInfoSecure, Replay: f.Replay}
		if err := conn.WriteFrame(ctx, s.AA, m2.MarshalSigned(s.keys.PTK.KCK[:])); err != nil {
			return fmt.Errorf("send group message 2: %w", err)
		}
	}
}
