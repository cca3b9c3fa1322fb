package wifi

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math/big"
	"net"
	"testing"
)

// The SAE test vectors of IEEE 802.11-2020 Annex J.10 (group 19): the
// numbers only, as hostapd's common module tests also quote them.
const (
	j10Password  = "mekmitasdigoat"
	j10Rand      = "992465fd3daa3c60aa6565b7f62a2a7f2e12dd12f198faf4fbed89d7ff1ace94"
	j10Mask      = "9507a90f777a044d6a0830b91ea3d5dd70bece44e1acffb86983b5e1bf9fb322"
	j10Commit    = "13002e2c0f0db52440ad146d967114ce005ce1eab0aa2c2e5c2871b774f6c2575c65d5ad9e00829707aa36ba8b859738fc961d08243505f47c035376d7ac4bc8d7b95083bf43827d0fc31ed778dd3671fd21a46d1091d64b6f9a1e1272621325dbe1"
	j10PeerCommi = "1300591b96f3397fb945100848e7b550543b6720d88337ee93fc49fd6df7e08b5223e71b9bb048d3873f20556953a96c91536fd8ee6ca9b4a68a148b056a909be03e83ae208f60f8ef5537858074db06687032399862999b511e0a1552a5fea317c2"
	j10KCK       = "1e733f6d9bd53256287304338831b09a39406d121017073a5c30db36f36cb81a"
	j10PMK       = "4e4dfab1a2dd8ac1a91790f953faaa452ae5c6873ab75b63605ba663f8a7fe59"
	j10PMKID     = "8747a600eea3f9f22475df58ca1e5498"
	// Hash-to-element: PT from SSID, password and identifier, then the
	// PWE for another pair of addresses.
	j10SSID       = "byteme"
	j10Identifier = "psk4internet"
	j10H2EPWEX    = "c93049b9e64000f848201649e999f2b5c22dea69b5632c9df4d633b8aa1f6c1e"
	j10H2EPWEY    = "73634e94b53d82e7383a8d258199d9dc1a5ee8269d060382ccbf33e614ff59a0"
)

var (
	j10Local  = net.HardwareAddr{0x4d, 0x3f, 0x2f, 0xff, 0xe3, 0x87}
	j10Peer   = net.HardwareAddr{0xa5, 0xd8, 0xaa, 0x95, 0x8e, 0x3c}
	j10H2EA   = net.HardwareAddr{0x00, 0x09, 0x5b, 0x66, 0xec, 0x1e}
	j10H2EB   = net.HardwareAddr{0x00, 0x0b, 0x6b, 0xd9, 0x02, 0x46}
	j10Scalar = func(s string) *big.Int { b, _ := hex.DecodeString(s); return new(big.Int).SetBytes(b) }
)

// TestSAEHuntAndPeckVector: hunting and pecking, the commit, and the keys
// after the peer's commit match Annex J.10 byte for byte.
func TestSAEHuntAndPeckVector(t *testing.T) {
	s, err := NewSAEHuntAndPeck([]byte(j10Password), j10Local, j10Peer)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.commitWith(j10Scalar(j10Rand), j10Scalar(j10Mask)); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(s.CommitBody(nil)); got != j10Commit {
		t.Errorf("commit\n got %s\nwant %s", got, j10Commit)
	}
	if err := s.ProcessCommit(unhex(t, j10PeerCommi)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ what, got, want string }{
		{"KCK", hex.EncodeToString(s.kck[:]), j10KCK},
		{"PMK", hex.EncodeToString(s.PMK()), j10PMK},
		{"PMKID", hex.EncodeToString(s.PMKID()), j10PMKID},
	} {
		if c.got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.what, c.got, c.want)
		}
	}
}

// TestSAEH2EVector: PT from SSID, password and identifier, and the PWE
// it gives for two addresses, match Annex J.10.
func TestSAEH2EVector(t *testing.T) {
	pt, err := DeriveSAEPT([]byte(j10SSID), []byte(j10Password), []byte(j10Identifier))
	if err != nil {
		t.Fatal(err)
	}
	pwe, err := pt.pwe(j10H2EA, j10H2EB)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(pwe.bytes()); got != j10H2EPWEX+j10H2EPWEY {
		t.Errorf("PWE\n got %s\nwant %s", got, j10H2EPWEX+j10H2EPWEY)
	}
	// The addresses' order does not matter.
	pwe2, _ := pt.pwe(j10H2EB, j10H2EA)
	if !bytes.Equal(pwe.bytes(), pwe2.bytes()) {
		t.Error("PWE depends on which side computes it")
	}
}

// saePair runs a whole exchange between a station and an access point
// that may know another password; it returns both sides.
func saePair(t *testing.T, staPass, apPass string, h2e bool) (sta, ap *SAE, err error) {
	t.Helper()
	mk := func(pass string, own, peer net.HardwareAddr) *SAE {
		var s *SAE
		var err error
		if h2e {
			pt, perr := DeriveSAEPT([]byte("Home"), []byte(pass), nil)
			if perr != nil {
				t.Fatal(perr)
			}
			s, err = NewSAEH2E(pt, own, peer)
		} else {
			s, err = NewSAEHuntAndPeck([]byte(pass), own, peer)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(rand.Reader); err != nil {
			t.Fatal(err)
		}
		return s
	}
	sta, ap = mk(staPass, staMAC, apMAC), mk(apPass, apMAC, staMAC)
	if err := ap.ProcessCommit(sta.CommitBody(nil)); err != nil {
		t.Fatal(err)
	}
	if err := sta.ProcessCommit(ap.CommitBody(nil)); err != nil {
		t.Fatal(err)
	}
	c, err := sta.ConfirmBody()
	if err != nil {
		t.Fatal(err)
	}
	if err := ap.VerifyConfirm(c); err != nil {
		return sta, ap, err
	}
	c, _ = ap.ConfirmBody()
	return sta, ap, sta.VerifyConfirm(c)
}

func TestSAEExchange(t *testing.T) {
	for _, tt := range []struct {
		reason          string
		staPass, apPass string
		h2e             bool
		wantErr         error
	}{
		{"same password, hunting and pecking", "correct horse", "correct horse", false, nil},
		{"same password, hash-to-element", "correct horse", "correct horse", true, nil},
		{"other password, hunting and pecking", "correct horse", "battery staple", false, ErrSAEConfirm},
		{"other password, hash-to-element", "correct horse", "battery staple", true, ErrSAEConfirm},
	} {
		sta, ap, err := saePair(t, tt.staPass, tt.apPass, tt.h2e)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: %v, want %v", tt.reason, err, tt.wantErr)
			continue
		}
		if err == nil && (!bytes.Equal(sta.PMK(), ap.PMK()) || !bytes.Equal(sta.PMKID(), ap.PMKID())) {
			t.Errorf("%s: the sides agree on confirm but not on PMK/PMKID", tt.reason)
		}
	}
}

// TestSAECommitChecks: commits that must be refused before any key is
// derived from them.
func TestSAECommitChecks(t *testing.T) {
	s, err := NewSAEHuntAndPeck([]byte(j10Password), j10Local, j10Peer)
	if err != nil {
		t.Fatal(err)
	}
	s.commitWith(j10Scalar(j10Rand), j10Scalar(j10Mask))
	good := unhex(t, j10PeerCommi)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, tt := range []struct {
		reason string
		body   []byte
	}{
		{"our own commit reflected", s.CommitBody(nil)},
		{"another group", mod(func(b []byte) []byte { b[0] = 20; return b })},
		{"cut short", good[:len(good)-1]},
		{"bytes after the element (hunting and pecking)", append(append([]byte(nil), good...), 0)},
		{"scalar 1", mod(func(b []byte) []byte { clear(b[2:34]); b[33] = 1; return b })},
		{"scalar r", mod(func(b []byte) []byte { p256N.FillBytes(b[2:34]); return b })},
		{"element off the curve", mod(func(b []byte) []byte { b[len(b)-1] ^= 1; return b })},
		{"element x ≥ p", mod(func(b []byte) []byte { p256P.FillBytes(b[34:66]); return b })},
	} {
		if err := s.ProcessCommit(tt.body); !errors.Is(err, ErrSAECommit) {
			t.Errorf("%s: %v, want ErrSAECommit", tt.reason, err)
		}
	}
	if err := s.ProcessCommit(good); err != nil {
		t.Errorf("the vector's commit after the bad ones: %v", err)
	}
}

func TestAntiCloggingToken(t *testing.T) {
	tok := []byte("token-from-the-ap")
	for _, tt := range []struct {
		reason string
		h2e    bool
		body   []byte
		want   []byte
	}{
		{"hunting and pecking: the rest of the body", false, append([]byte{19, 0}, tok...), tok},
		{"H2E: the container element", true, append([]byte{19, 0, 255, byte(1 + len(tok)), 93}, tok...), tok},
		{"H2E: another element first", true, append([]byte{19, 0, 255, 2, 92, 20, 255, byte(1 + len(tok)), 93}, tok...), tok},
		{"another group", false, append([]byte{20, 0}, tok...), nil},
		{"no token", false, []byte{19, 0}, nil},
		{"H2E without a container", true, append([]byte{19, 0}, tok...), nil},
	} {
		got, err := AntiCloggingToken(tt.body, tt.h2e)
		if (err != nil) != (tt.want == nil) || !bytes.Equal(got, tt.want) {
			t.Errorf("%s: %q, %v; want %q", tt.reason, got, err, tt.want)
		}
	}
	// The token goes back in the right place of the new commit.
	s, _ := NewSAEHuntAndPeck([]byte(j10Password), j10Local, j10Peer)
	s.commitWith(j10Scalar(j10Rand), j10Scalar(j10Mask))
	vec := unhex(t, j10Commit)
	want := append(append(append([]byte(nil), vec[:2]...), tok...), vec[2:]...)
	if got := s.CommitBody(tok); !bytes.Equal(got, want) {
		t.Errorf("commit with token\n got %x\nwant %x", got, want)
	}
	s.H2E = true
	want = append(append(append([]byte(nil), vec...), 255, byte(1+len(tok)), 93), tok...)
	if got := s.CommitBody(tok); !bytes.Equal(got, want) {
		t.Errorf("H2E commit with token\n got %x\nwant %x", got, want)
	}
}
