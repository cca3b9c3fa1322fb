package wifi

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// EAPOL-Key frames (IEEE 802.1X-2010 11.3, IEEE 802.11-2020 12.7.2) as the
// 4-way handshake exchanges them, with their 4-byte EAPOL header.

const (
	eapolKeyType      = 3    // EAPOL packet type: Key
	descriptorRSN     = 2    // key descriptor type: IEEE 802.11 (RSN)
	eapolHeaderLen    = 4    // version, type, body length
	keyFrameLen       = 99   // header and fixed fields up to the key data
	micOffset         = 81   // where the 16-byte MIC sits in the frame
	maxKeyDataLen     = 1024 // more than any RSN IE + GTK KDE needs
	keyDescriptorMask = 0x0007
)

// Key Information bits.
const (
	KeyInfoVersionAKM      = 0 // MIC and key wrap as the AKM defines them (SAE, AKM 00-0F-AC:8: AES-CMAC)
	KeyInfoVersionHMACSHA1 = 2 // HMAC-SHA1-128 MIC, AES key wrap (CCMP, AKM 00-0F-AC:2)
	KeyInfoVersionAESCMAC  = 3 // AES-128-CMAC MIC, AES key wrap (AKM 00-0F-AC:6)
	KeyInfoPairwise        = 1 << 3
	KeyInfoInstall         = 1 << 6
	KeyInfoAck             = 1 << 7
	KeyInfoMIC             = 1 << 8
	KeyInfoSecure          = 1 << 9
	KeyInfoError           = 1 << 10
	KeyInfoRequest         = 1 << 11
	KeyInfoEncrypted       = 1 << 12
)

// KeyFrame is one EAPOL-Key frame.
type KeyFrame struct {
	Version   byte   // EAPOL protocol version (1 or 2)
	Info      uint16 // Key Information
	KeyLength uint16 // length of the pairwise key (16 for CCMP) in message 1 and 3
	Replay    uint64 // replay counter
	Nonce     [32]byte
	IV        [16]byte
	RSC       [8]byte // receive sequence counter of the GTK (message 3)
	MIC       [16]byte
	Data      []byte // key data, encrypted when Info has KeyInfoEncrypted
}

// ErrNotKeyFrame is returned for EAPOL frames that are not RSN EAPOL-Key
// frames (EAP requests, start, logoff, WPA1 descriptors): callers skip them.
var ErrNotKeyFrame = errors.New("not an RSN EAPOL-Key frame")

// ParseKeyFrame parses an EAPOL frame. It never panics; anything that is
// not a well-formed RSN EAPOL-Key frame is an error, ErrNotKeyFrame (wrapped)
// when it is some other EAPOL packet.
func ParseKeyFrame(b []byte) (KeyFrame, error) {
	var f KeyFrame
	if len(b) < eapolHeaderLen {
		return f, fmt.Errorf("EAPOL frame of %d bytes is shorter than its header", len(b))
	}
	if b[1] != eapolKeyType {
		return f, fmt.Errorf("EAPOL packet type %d: %w", b[1], ErrNotKeyFrame)
	}
	body := int(binary.BigEndian.Uint16(b[2:4]))
	if eapolHeaderLen+body > len(b) {
		return f, fmt.Errorf("EAPOL body length %d exceeds the %d bytes received", body, len(b)-eapolHeaderLen)
	}
	b = b[:eapolHeaderLen+body] // drop Ethernet padding
	if len(b) < keyFrameLen {
		return f, fmt.Errorf("EAPOL-Key frame of %d bytes, want at least %d", len(b), keyFrameLen)
	}
	if b[4] != descriptorRSN {
		return f, fmt.Errorf("key descriptor type %d: %w", b[4], ErrNotKeyFrame)
	}
	f.Version = b[0]
	f.Info = binary.BigEndian.Uint16(b[5:7])
	f.KeyLength = binary.BigEndian.Uint16(b[7:9])
	f.Replay = binary.BigEndian.Uint64(b[9:17])
	copy(f.Nonce[:], b[17:49])
	copy(f.IV[:], b[49:65])
	copy(f.RSC[:], b[65:73])
	copy(f.MIC[:], b[81:97])
	n := int(binary.BigEndian.Uint16(b[97:99]))
	if n > len(b)-keyFrameLen {
		return f, fmt.Errorf("key data length %d exceeds the %d bytes left", n, len(b)-keyFrameLen)
	}
	if n > maxKeyDataLen {
		return f, fmt.Errorf("key data length %d is implausible", n)
	}
	f.Data = append([]byte(nil), b[keyFrameLen:keyFrameLen+n]...)
	return f, nil
}

// Marshal encodes the frame, MIC field as set in f.
func (f KeyFrame) Marshal() []byte {
	b := make([]byte, keyFrameLen+len(f.Data))
	b[0] = f.Version
	b[1] = eapolKeyType
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)-eapolHeaderLen))
	b[4] = descriptorRSN
	binary.BigEndian.PutUint16(b[5:7], f.Info)
	binary.BigEndian.PutUint16(b[7:9], f.KeyLength)
	binary.BigEndian.PutUint64(b[9:17], f.Replay)
	copy(b[17:49], f.Nonce[:])
	copy(b[49:65], f.IV[:])
	copy(b[65:73], f.RSC[:])
	copy(b[81:97], f.MIC[:])
	binary.BigEndian.PutUint16(b[97:99], uint16(len(f.Data)))
	copy(b[keyFrameLen:], f.Data)
	return b
}

// MarshalSigned encodes the frame with its MIC computed with kck.
func (f KeyFrame) MarshalSigned(kck []byte) []byte {
	f.MIC = [16]byte{}
	b := f.Marshal()
	mic := MIC(kck, b)
	copy(b[micOffset:], mic[:])
	return b
}

// GTK is a group key delivered in message 3.
type GTK struct {
	ID  int // key index, 1..3
	Key []byte
}

// Key data elements: an RSN IE (element 48) and KDEs (element 0xdd with
// the OUI 00-0F-AC and a data type).
const (
	kdeGTK  = 1
	kdeIGTK = 9
)

// IGTK is the integrity group key of protected management frames (IEEE
// 802.11w), delivered in message 3 when MFP is in use.
type IGTK struct {
	ID  int     // key index, 4 or 5
	IPN [6]byte // its packet number, little-endian as nl80211 takes it
	Key []byte  // 16 bytes for BIP-CMAC-128
}

// KeyData is what a message 3 (or group message 1) carries.
type KeyData struct {
	RSN  []byte // the RSN element with its header
	GTK  *GTK
	IGTK *IGTK
}

// ParseKeyData finds the RSN IE and the GTK KDE in decrypted key data.
// Padding (0xdd followed by zeros) ends the walk.
func ParseKeyData(b []byte) (rsnIE []byte, gtk *GTK, err error) {
	kd, err := parseKeyData(b)
	return kd.RSN, kd.GTK, err
}

// parseKeyData walks decrypted key data for the RSN IE, the GTK KDE and
// the IGTK KDE.
func parseKeyData(b []byte) (kd KeyData, err error) {
	for len(b) > 0 {
		if b[0] == 0xdd && (len(b) == 1 || b[1] == 0) {
			break // padding
		}
		if len(b) < 2 || int(b[1]) > len(b)-2 {
			return KeyData{}, fmt.Errorf("key data element %#x runs past the end", b[0])
		}
		id, body := b[0], b[2:2+int(b[1])]
		switch {
		case id == ieRSN:
			kd.RSN = b[:2+len(body)]
		case id == 0xdd && len(body) >= 4 && body[0] == 0x00 && body[1] == 0x0f && body[2] == 0xac && body[3] == kdeGTK:
			g := body[4:]
			if len(g) < 2+5 || len(g) > 2+32 {
				return KeyData{}, fmt.Errorf("GTK KDE with a key of %d bytes", len(g)-2)
			}
			kd.GTK = &GTK{ID: int(g[0] & 3), Key: append([]byte(nil), g[2:]...)}
		case id == 0xdd && len(body) >= 4 && body[0] == 0x00 && body[1] == 0x0f && body[2] == 0xac && body[3] == kdeIGTK:
			g := body[4:] // key ID (2, little-endian), IPN (6), key
			if len(g) != 2+6+16 {
				return KeyData{}, fmt.Errorf("IGTK KDE with a key of %d bytes", len(g)-8)
			}
			id := int(g[0]) | int(g[1])<<8
			if id != 4 && id != 5 {
				return KeyData{}, fmt.Errorf("IGTK KDE with key ID %d", id)
			}
			ig := &IGTK{ID: id, Key: append([]byte(nil), g[8:]...)}
			copy(ig.IPN[:], g[2:8])
			kd.IGTK = ig
		}
		b = b[2+len(body):]
	}
	return kd, nil
}

// IGTKKDE encodes an IGTK KDE (the authenticator's side, for tests).
func IGTKKDE(g IGTK) []byte {
	b := []byte{0xdd, byte(4 + 2 + 6 + len(g.Key)), 0x00, 0x0f, 0xac, kdeIGTK, byte(g.ID), byte(g.ID >> 8)}
	b = append(b, g.IPN[:]...)
	return append(b, g.Key...)
}

// GTKKDE encodes a GTK KDE (the authenticator's side, for tests).
func GTKKDE(g GTK) []byte {
	b := []byte{0xdd, byte(6 + len(g.Key)), 0x00, 0x0f, 0xac, kdeGTK, byte(g.ID & 3), 0}
	return append(b, g.Key...)
}

// PadKeyData pads key data for AES key wrap: at least 16 bytes, a multiple
// of 8, padding 0xdd then zeros.
func PadKeyData(b []byte) []byte {
	b = append([]byte(nil), b...)
	if len(b)%8 != 0 || len(b) < 16 {
		b = append(b, 0xdd)
		for len(b)%8 != 0 || len(b) < 16 {
			b = append(b, 0)
		}
	}
	return b
}
