package wifi

import (
	"encoding/hex"
	"strings"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The PSK vectors of IEEE 802.11-2020 J.4.2 (802.11i Annex H.4).
func TestPMKVectors(t *testing.T) {
	for _, tt := range []struct{ reason, ssid, pass, want string }{
		{"J.4.2 test case 1", "IEEE", "password", "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"},
		{"J.4.2 test case 2", "ThisIsASSID", "ThisIsAPassword", "0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af"},
		{"J.4.2 test case 3", "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", strings.Repeat("a", 32), "becb93866bb8c3832cb777c2f559807c8c59afcb6eae734885001300a981cc62"},
		{"64 hex digits are the PMK", "any", "becb93866bb8c3832cb777c2f559807c8c59afcb6eae734885001300a981cc62", "becb93866bb8c3832cb777c2f559807c8c59afcb6eae734885001300a981cc62"},
	} {
		got, err := PMK(tt.ssid, tt.pass)
		if err != nil {
			t.Fatalf("%s: %v", tt.reason, err)
		}
		if hex.EncodeToString(got) != tt.want {
			t.Errorf("%s: PMK = %x, want %s", tt.reason, got, tt.want)
		}
	}
}

func TestCheckPassphrase(t *testing.T) {
	for _, tt := range []struct {
		reason, p string
		ok        bool
	}{
		{"open network", "", true},
		{"shortest", "12345678", true},
		{"too short", "1234567", false},
		{"63 characters", string(make64('a')[:63]), true},
		{"64 characters not hex", string(make64('z')), false},
		{"64 hex digits", string(make64('f')), true},
		{"control character", "abcdefg\n", false},
		{"not ASCII", "pässwört!", false},
	} {
		if err := CheckPassphrase(tt.p); (err == nil) != tt.ok {
			t.Errorf("%s: CheckPassphrase(%q) = %v, want ok=%v", tt.reason, tt.p, err, tt.ok)
		}
	}
}

func make64(c byte) []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return b
}

// The PRF vectors of IEEE 802.11-2020 J.3.2 (802.11i Annex H.3).
func TestPRFVectors(t *testing.T) {
	for _, tt := range []struct {
		reason     string
		key, label string
		data       string
		want       string
	}{
		{"J.3.2 test case 1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "prefix", "Hi There",
			"bcd4c650b30b9684951829e0d75f9d54b862175ed9f00606e17d8da35402ffee75df78c3d31e0f889f012120c0862beb67753e7439ae242edb8373698356cf5a"},
		{"J.3.2 test case 2", hex.EncodeToString([]byte("Jefe")), "prefix", "what do ya want for nothing?",
			"51f4de5b33f249adf81aeb713a3c20f4fe631446fabdfa58244759ae58ef9009a99abf4eac2ca5fa87e692c440eb40023e7babb206d61de7b92f41529092b8fc"},
		{"J.3.2 test case 3", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "prefix", string(bytesOf(0xdd, 50)),
			"e1ac546ec4cb636f9976487be5c86be17a0252ca5d8d8df12cfb0473525249ce9dd8d177ead710bc9b590547239107aef7b4abd43d87f0a68f1cbd9e2b6f7607"},
	} {
		key := unhex(t, tt.key)
		got := PRF(key, tt.label, []byte(tt.data), 64)
		if hex.EncodeToString(got) != tt.want {
			t.Errorf("%s: PRF-512 = %x, want %s", tt.reason, got, tt.want)
		}
	}
}

func bytesOf(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

// RFC 3394 section 4.1 and 4.6.
func TestKeyWrapVectors(t *testing.T) {
	for _, tt := range []struct{ reason, kek, plain, wrapped string }{
		{"RFC 3394 4.1: 128 bits of key data, 128-bit KEK", "000102030405060708090a0b0c0d0e0f",
			"00112233445566778899aabbccddeeff", "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"},
		{"RFC 3394 4.6: 256 bits of key data, 256-bit KEK", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			"00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f",
			"28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21"},
	} {
		kek := unhex(t, tt.kek)
		got, err := KeyUnwrap(kek, unhex(t, tt.wrapped))
		if err != nil || hex.EncodeToString(got) != tt.plain {
			t.Errorf("%s: unwrap = %x, %v; want %s", tt.reason, got, err, tt.plain)
		}
		w, err := KeyWrap(kek, unhex(t, tt.plain))
		if err != nil || hex.EncodeToString(w) != tt.wrapped {
			t.Errorf("%s: wrap = %x, %v; want %s", tt.reason, w, err, tt.wrapped)
		}
		bad := unhex(t, tt.wrapped)
		bad[len(bad)-1] ^= 1
		if _, err := KeyUnwrap(kek, bad); err == nil {
			t.Errorf("%s: unwrap of a damaged block succeeded", tt.reason)
		}
	}
}

// RFC 4493 section 4: AES-CMAC of the four example messages.
func TestCMACVectors(t *testing.T) {
	key := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	msg := unhex(t, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
	for _, tt := range []struct {
		reason string
		n      int
		want   string
	}{
		{"example 1: empty", 0, "bb1d6929e95937287fa37d129b756746"},
		{"example 2: one block", 16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{"example 3: 40 bytes (padded)", 40, "dfa66747de9ae63030ca32611497c827"},
		{"example 4: four blocks", 64, "51f0bebf7e3b9d92fc49741779363cfe"},
	} {
		got, err := CMAC(key, msg[:tt.n])
		if err != nil || hex.EncodeToString(got[:]) != tt.want {
			t.Errorf("%s: CMAC = %x, %v; want %s", tt.reason, got, err, tt.want)
		}
	}
}

// The SAE PTK derivation vector of IEEE P802.11az/D2.6 J.13 (an SAE PMK,
// CCMP, and a 32-byte KDK after KCK, KEK and TK: 80 bytes of KDF-SHA-256),
// as hostapd's module tests quote it: the numbers only.
func TestPTKSHA256Vector(t *testing.T) {
	pmk := unhex(t, "def43e5567e01ca6649265f19a290eeff8bd888f6c1d9cc9d10f04bd378f3cad")
	aa := unhex(t, "c0ffd4a8dbc1")
	spa := unhex(t, "00904c01c107")
	anonce := unhex(t, "be7a1ca284347b5bd67dbd2dfdb4d99f1afae0b88ba18e008718417e4b27ef5f")
	snonce := unhex(t, "404b012ffb43ed0fb43ea1f287c91f2506d21b4a92d74b5ea50c943350ce8671")
	want := "cd7b9e7555362df0b63568484a8112f5" + // KCK
		"99cad3588da0f1e63fd190191039bb4b" + // KEK
		"9e2e9377e7532e737a1bc250fe194a03" + // TK
		"6c7fb97ceb55b01acff00f070942bdf5291feb4bee38e0365b25a250bb2ac9ff" // KDK
	if got := hex.EncodeToString(derivePTKSHA256(pmk, aa, spa, anonce, snonce, 80)); got != want {
		t.Errorf("PTK\n got %s\nwant %s", got, want)
	}
}
