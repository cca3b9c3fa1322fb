package wifi

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pipeConn is one end of an in-memory EAPOL link.
type pipeConn struct {
	me       net.HardwareAddr
	in, out  chan []byte
	peerAddr net.HardwareAddr
}

func (p *pipeConn) ReadFrame(ctx context.Context) (net.HardwareAddr, []byte, error) {
	select {
	case b := <-p.in:
		return p.peerAddr, b, nil
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

func (p *pipeConn) WriteFrame(ctx context.Context, to net.HardwareAddr, b []byte) error {
	select {
	case p.out <- append([]byte(nil), b...):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var (
	apMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	staMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
)

// beaconRSN is what the access point announces (with capabilities, as
// hostapd's beacons carry them).
func beaconRSN() []byte {
	return RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMPSK}, Capabilities: 0x000c}.Marshal()
}

func staRSN() []byte {
	return RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMPSK}}.Marshal()
}

// authenticator plays the access point's side of the 4-way handshake, as
// hostapd does: message 1 up to three times while message 2's MIC is
// wrong, then gives up. It reports the TK it derived, or an error.
func authenticator(ctx context.Context, c *pipeConn, pmk []byte, gtk GTK, apRSN []byte, akm uint32, igtk *IGTK) (PTK, error) {
	// The authenticator's choices are spelled out here rather than taken
	// from the Supplicant, so that a wrong choice there shows.
	ver, derive := uint16(KeyInfoVersionHMACSHA1), DerivePTK
	if akm == AKMSAE {
		ver, derive = KeyInfoVersionAKM, DerivePTKSHA256
	}
	var anonce [32]byte
	rand.Read(anonce[:])
	replay := uint64(1)
	for try := 0; try < 3; try++ {
		m1 := KeyFrame{Version: 2, Info: ver | KeyInfoPairwise | KeyInfoAck, KeyLength: 16, Replay: replay, Nonce: anonce}
		if err := c.WriteFrame(ctx, staMAC, m1.Marshal()); err != nil {
			return PTK{}, err
		}
		_, b, err := c.ReadFrame(ctx)
		if err != nil {
			return PTK{}, err
		}
		m2, err := ParseKeyFrame(b)
		if err != nil {
			return PTK{}, err
		}
		ptk := derive(pmk, apMAC, staMAC, anonce[:], m2.Nonce[:])
		replay++
		if !CheckMIC(ptk.KCK[:], b) {
			continue
		}
		if akm == AKMSAE {
			// SAE's MIC is AES-128-CMAC over the frame with a zero MIC field.
			z := append([]byte(nil), b...)
			clear(z[micOffset : micOffset+16])
			if want, _ := CMAC(ptk.KCK[:], z); !bytes.Equal(want[:], b[micOffset:micOffset+16]) {
				return PTK{}, errors.New("message 2's MIC is not AES-CMAC")
			}
		}
		if m2.Info&keyDescriptorMask != ver {
			return PTK{}, fmt.Errorf("message 2 of key descriptor version %d, want %d", m2.Info&keyDescriptorMask, ver)
		}
		if !bytes.Equal(m2.Data, staRSN()) {
			return PTK{}, errors.New("message 2 carries another RSN element")
		}
		data := append(append([]byte(nil), apRSN...), GTKKDE(gtk)...)
		if igtk != nil {
			data = append(data, IGTKKDE(*igtk)...)
		}
		kd, err := KeyWrap(ptk.KEK[:], PadKeyData(data))
		if err != nil {
			return PTK{}, err
		}
		m3 := KeyFrame{Version: 2, Info: ver | KeyInfoPairwise | KeyInfoAck | KeyInfoMIC | KeyInfoInstall | KeyInfoSecure | KeyInfoEncrypted,
			KeyLength: 16, Replay: replay, Nonce: anonce, RSC: [8]byte{7, 0, 0, 0, 0, 0, 0, 0}, Data: kd}
		if err := c.WriteFrame(ctx, staMAC, m3.MarshalSigned(ptk.KCK[:])); err != nil {
			return PTK{}, err
		}
		_, b, err = c.ReadFrame(ctx)
		if err != nil {
			return PTK{}, err
		}
		if !CheckMIC(ptk.KCK[:], b) {
			return PTK{}, errors.New("message 4 MIC wrong")
		}
		return ptk, nil
	}
	return PTK{}, errors.New("station's MIC wrong three times")
}

func TestHandshake(t *testing.T) {
	igtk := &IGTK{ID: 4, IPN: [6]byte{3}, Key: bytes.Repeat([]byte{0x17}, 16)}
	for _, tt := range []struct {
		reason      string
		apPass, sta string
		msg3RSN     []byte // the RSN element the authenticator puts in message 3
		wantErr     error
		akm         uint32 // 0: WPA2-PSK
		igtk        *IGTK  // what message 3 carries
		mfp         bool   // the station requires an IGTK
	}{
		{"same passphrase: keys agree", "correct horse", "correct horse", beaconRSN(), nil, 0, nil, false},
		{"SAE (AKM 8, KDF-SHA-256, AES-CMAC) with MFP: keys and IGTK agree", "correct horse", "correct horse", beaconRSN(), nil, AKMSAE, igtk, true},
		{"SAE with another PMK: wrong-passphrase", "correct horse", "battery staple", beaconRSN(), ErrWrongPassphrase, AKMSAE, igtk, true},
		{"SAE with MFP but message 3 has no IGTK: refused", "correct horse", "correct horse", beaconRSN(), errNoIGTK, AKMSAE, nil, true},
		{"message 3 offers other security than the beacon: refused", "correct horse", "correct horse",
			RSN{Group: CipherTKIP, Pairwise: []uint32{CipherCCMP, CipherTKIP}, AKMs: []uint32{AKMPSK}}.Marshal(), ErrRSNMismatch, 0, nil, false},
	} {
		t.Run(tt.reason, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			a2s, s2a := make(chan []byte, 4), make(chan []byte, 4)
			ap := &pipeConn{me: apMAC, in: s2a, out: a2s, peerAddr: staMAC}
			sta := &pipeConn{me: staMAC, in: a2s, out: s2a, peerAddr: apMAC}
			apPMK, _ := PMK("Home", tt.apPass)
			staPMK, _ := PMK("Home", tt.sta)
			gtk := GTK{ID: 1, Key: bytes.Repeat([]byte{0x42}, 16)}
			type res struct {
				ptk PTK
				err error
			}
			apDone := make(chan res, 1)
			go func() {
				p, err := authenticator(ctx, ap, apPMK, gtk, tt.msg3RSN, tt.akm, tt.igtk)
				apDone <- res{p, err}
			}()
			s := &Supplicant{PMK: staPMK, AA: apMAC, SPA: staMAC, RSN: staRSN(), APRSN: beaconRSN(), Rand: rand.Reader, AKM: tt.akm, MFP: tt.mfp}
			hctx, hcancel := context.WithTimeout(ctx, 500*time.Millisecond)
			keys, err := s.Handshake(hctx, sta)
			hcancel()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Handshake: %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				cancel() // the authenticator waits for a message 4 that will not come
			}
			a := <-apDone
			if tt.wantErr != nil {
				if a.err == nil {
					t.Fatal("the authenticator accepted a wrong passphrase")
				}
				return
			}
			if a.err != nil {
				t.Fatalf("authenticator: %v", a.err)
			}
			if keys.PTK != a.ptk {
				t.Errorf("PTK differs from the authenticator's")
			}
			if keys.GTK.ID != 1 || !bytes.Equal(keys.GTK.Key, gtk.Key) || keys.GTKRSC != [6]byte{7} {
				t.Errorf("GTK = %+v rsc %x, want %+v rsc 07", keys.GTK, keys.GTKRSC, gtk)
			}
			if diff := cmp.Diff(tt.igtk, keys.IGTK); diff != "" {
				t.Errorf("IGTK (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRSNRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		reason string
		ie     []byte
		want   string
	}{
		{"WPA2-PSK", RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMPSK}}.Marshal(), "wpa2"},
		{"WPA3-SAE", RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMSAE}}.Marshal(), "wpa3"},
		{"transition", RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMPSK, AKMSAE}}.Marshal(), "wpa2/wpa3"},
		{"802.1X", RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKM8021X}}.Marshal(), "enterprise"},
		{"version only: defaults to 802.1X", []byte{48, 2, 1, 0}, "enterprise"},
		{"broken", []byte{48, 3, 1, 0, 0}, "enterprise"},
		{"none", nil, "open"},
	} {
		if got := Security(tt.ie, false); got != tt.want {
			t.Errorf("%s: Security = %q, want %q", tt.reason, got, tt.want)
		}
	}
	if Security(nil, true) != "wep" {
		t.Error("privacy bit without RSN is not WEP")
	}
}
