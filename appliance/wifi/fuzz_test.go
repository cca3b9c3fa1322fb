package wifi

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"
)

// FuzzParseKeyFrame: never panics; what it accepts marshals to a frame
// that parses to the same fields (reserved bytes and bytes past the key
// data are not kept).
func FuzzParseKeyFrame(f *testing.F) {
	m1 := KeyFrame{Version: 2, Info: KeyInfoVersionHMACSHA1 | KeyInfoPairwise | KeyInfoAck, KeyLength: 16, Replay: 1}
	f.Add(m1.Marshal())
	f.Add(KeyFrame{Version: 1, Info: KeyInfoVersionHMACSHA1 | KeyInfoMIC, Data: []byte{48, 2, 1, 0}}.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseKeyFrame(b)
		if err != nil {
			return
		}
		again, err := ParseKeyFrame(k.Marshal())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !reflect.DeepEqual(k, again) {
			t.Fatalf("round trip:\n in %+v\nout %+v", k, again)
		}
	})
}

// FuzzParseRSN: never panics; an element it accepts and re-marshals parses
// to the same suites.
func FuzzParseRSN(f *testing.F) {
	f.Add(RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMPSK, AKMSAE}}.Marshal())
	f.Add([]byte{48, 2, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRSN(b)
		if err != nil {
			return
		}
		if len(r.Pairwise) > 100 || len(r.AKMs) > 100 {
			return // Marshal writes what a station sends, not long lists
		}
		r2, err := ParseRSN(r.Marshal())
		if err != nil {
			t.Fatalf("re-parse of %+v: %v", r, err)
		}
		if r2.Group != r.Group || len(r2.Pairwise) != len(r.Pairwise) || len(r2.AKMs) != len(r.AKMs) {
			t.Fatalf("round trip %+v -> %+v", r, r2)
		}
		Security(b, false)
	})
}

// FuzzParseKeyData: never panics; a GTK it finds has a key of 5 to 32
// bytes and a valid index.
func FuzzParseKeyData(f *testing.F) {
	f.Add(PadKeyData(append(RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMPSK}}.Marshal(),
		GTKKDE(GTK{ID: 1, Key: bytes.Repeat([]byte{1}, 16)})...)))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, g, err := ParseKeyData(b)
		if err != nil || g == nil {
			return
		}
		if len(g.Key) < 5 || len(g.Key) > 32 || g.ID < 0 || g.ID > 3 {
			t.Fatalf("GTK %+v", g)
		}
	})
}

// FuzzParseIEs: never panics; an RSN element found is whole.
func FuzzParseIEs(f *testing.F) {
	f.Add(append([]byte{0, 4, 'H', 'o', 'm', 'e'}, RSN{Group: CipherCCMP, Pairwise: []uint32{CipherCCMP}, AKMs: []uint32{AKMPSK}}.Marshal()...))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, rsn := ParseIEs(b)
		if rsn != nil && (len(rsn) < 2 || int(rsn[1]) != len(rsn)-2) {
			t.Fatalf("RSN element %x is cut", rsn)
		}
	})
}

// FuzzKeyUnwrap: never panics; what unwraps wraps back to the input.
func FuzzKeyUnwrap(f *testing.F) {
	kek := bytes.Repeat([]byte{7}, 16)
	w, _ := KeyWrap(kek, bytes.Repeat([]byte{1}, 16))
	f.Add(w)
	f.Fuzz(func(t *testing.T, c []byte) {
		p, err := KeyUnwrap(kek, c)
		if err != nil {
			return
		}
		again, err := KeyWrap(kek, p)
		if err != nil || !bytes.Equal(again, c) {
			t.Fatalf("wrap(unwrap(%x)) = %x, %v", c, again, err)
		}
	})
}

// FuzzSAEPeerFrames: the peer's commit, confirm and anti-clogging bodies
// never panic, whatever the access point (or anyone on the air) sends.
func FuzzSAEPeerFrames(f *testing.F) {
	f.Add([]byte{19, 0, 1})
	f.Add([]byte(nil))
	if b, err := hex.DecodeString(j10PeerCommi); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, h2e := range []bool{false, true} {
			s, err := NewSAEHuntAndPeck([]byte(j10Password), j10Local, j10Peer)
			if err != nil {
				t.Fatal(err)
			}
			s.H2E = h2e
			s.commitWith(j10Scalar(j10Rand), j10Scalar(j10Mask))
			AntiCloggingToken(b, h2e)
			s.VerifyConfirm(b)
			if s.ProcessCommit(b) == nil {
				s.VerifyConfirm(b)
			}
		}
	})
}
