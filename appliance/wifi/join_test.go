package wifi

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlanJoin(t *testing.T) {
	rsn := func(caps uint16, akms ...uint32) []byte {
		return RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: akms, Capabilities: caps}.Marshal()
	}
	mfpc, mfpr := uint16(RSNCapMFPC), uint16(RSNCapMFPC|RSNCapMFPR)
	h2eRSNXE := []byte{ieRSNX, 1, rsnxeSAEH2E}
	host, none, offload := radioCaps{saeHost: true}, radioCaps{}, radioCaps{saeOffload: true, handshakeOffload: true}
	pass, hexKey := "correct horse", strings.Repeat("ab", 32)
	saeRSN := RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMSAE}, Capabilities: mfpr}
	pskRSN := RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMPSK}}
	for _, tt := range []struct {
		reason  string
		bss     BSS
		pass    string
		caps    radioCaps
		want    joinPlan
		wantErr error
	}{
		{"open network, no passphrase", BSS{}, "", host, joinPlan{}, nil},
		{"WPA2-only", BSS{RSN: rsn(0, AKMPSK)}, pass, host, joinPlan{akm: AKMPSK, rsn: pskRSN}, nil},
		{"WPA3-only: SAE with MFP required", BSS{RSN: rsn(mfpr, AKMSAE)}, pass, host,
			joinPlan{akm: AKMSAE, sae: true, mfp: true, rsn: saeRSN}, nil},
		{"WPA3-only announcing H2E: hash-to-element", BSS{RSN: rsn(mfpr, AKMSAE), RSNXE: h2eRSNXE}, pass, host,
			joinPlan{akm: AKMSAE, sae: true, h2e: true, mfp: true, rsn: saeRSN}, nil},
		{"transition mode on a radio with SAE: SAE preferred", BSS{RSN: rsn(mfpc, AKMPSK, AKMSAE)}, pass, host,
			joinPlan{akm: AKMSAE, sae: true, mfp: true, rsn: saeRSN}, nil},
		{"transition mode on a radio without SAE: WPA2", BSS{RSN: rsn(mfpc, AKMPSK, AKMSAE)}, pass, none,
			joinPlan{akm: AKMPSK, rsn: pskRSN}, nil},
		{"transition mode with a 64-digit key: WPA2 (SAE needs the password)", BSS{RSN: rsn(mfpc, AKMPSK, AKMSAE)}, hexKey, host,
			joinPlan{akm: AKMPSK, rsn: pskRSN}, nil},
		{"WPA3-only on firmware that does SAE and the handshake", BSS{RSN: rsn(mfpr, AKMSAE), RSNXE: h2eRSNXE}, pass, offload,
			joinPlan{akm: AKMSAE, sae: true, mfp: true, rsn: saeRSN}, nil},
		{"WPA3-only on a radio without SAE", BSS{RSN: rsn(mfpr, AKMSAE)}, pass, none, joinPlan{}, ErrUnsupported},
		{"WPA3-only on firmware SAE without firmware handshake", BSS{RSN: rsn(mfpr, AKMSAE)}, pass, radioCaps{saeOffload: true}, joinPlan{}, ErrUnsupported},
		{"WPA3-only with a 64-digit key", BSS{RSN: rsn(mfpr, AKMSAE)}, hexKey, host, joinPlan{}, ErrUnsupported},
		{"SAE without MFP capability is not WPA3", BSS{RSN: rsn(0, AKMSAE)}, pass, host, joinPlan{}, ErrUnsupported},
		{"WPA2 with MFP required", BSS{RSN: rsn(mfpr, AKMPSK)}, pass, host,
			joinPlan{akm: AKMPSK, mfp: true, rsn: RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMPSK}, Capabilities: mfpr}}, nil},
		{"WPA3 without a passphrase", BSS{RSN: rsn(mfpr, AKMSAE)}, "", host, joinPlan{}, ErrWrongPassphrase},
		{"enterprise", BSS{RSN: rsn(0, AKM8021X)}, pass, host, joinPlan{}, ErrUnsupported},
		{"TKIP only", BSS{RSN: RSN{Group: CipherTKIP, Pairwise: []uint32{CipherTKIP}, AKMs: []uint32{AKMPSK}}.Marshal()}, pass, host, joinPlan{}, ErrUnsupported},
	} {
		got, err := planJoin(Network{SSID: "Home", Passphrase: tt.pass}, tt.bss, tt.caps)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: %v, want %v", tt.reason, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(joinPlan{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.reason, diff)
		}
	}
}
