package embargo

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

type fakeMono struct {
	mu sync.Mutex
	d  time.Duration
}

func (m *fakeMono) Elapsed() time.Duration  { m.mu.Lock(); defer m.mu.Unlock(); return m.d }
func (m *fakeMono) Advance(d time.Duration) { m.mu.Lock(); m.d += d; m.mu.Unlock() }

// wallClock stands for the box's own clock, which a household can move.
// Nothing in the package reads it; the test shows it makes no difference.
type wallClock struct{ now time.Time }

func randBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// testCatalog is the shape of a catalog with the proposed fields, signed the
// way the channel signs catalog.json (ed25519 over the exact bytes).
type testCatalog struct {
	Sequence  uint64         `json:"sequence"`
	Published time.Time      `json:"published"`
	Episode   CatalogEpisode `json:"episode"`
}

func signCatalog(t *testing.T, priv ed25519.PrivateKey, c testCatalog) (data, sig []byte) {
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return data, ed25519.Sign(priv, data)
}

func verifyCatalog(t *testing.T, pub ed25519.PublicKey, data, sig []byte) testCatalog {
	if !ed25519.Verify(pub, data, sig) {
		t.Fatal("catalog signature does not verify")
	}
	var c testCatalog
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEmbargoHoldsAgainstBoxClockAndOpensWithSignedKey(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, nonce := randBytes(t, KeySize), randBytes(t, NonceSize)
	plain := randBytes(t, 300<<10)
	var enc bytes.Buffer
	if _, err := Encrypt(&enc, bytes.NewReader(plain), key, nonce); err != nil {
		t.Fatal(err)
	}
	release := time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC)
	sealed := &Sealed{Cipher: Cipher, KeyID: KeyID(key), Nonce: base64.StdEncoding.EncodeToString(nonce)}
	announced := CatalogEpisode{ReleaseAt: release, Embargo: sealed}

	mono := &fakeMono{}
	clock := NewTrustedClock(mono)

	// Before any signed catalog: no trusted time, not playable.
	if _, ok := clock.TrustedNow(); ok {
		t.Error("trusted time exists before any catalog was observed")
	}
	if ok, reason := Playable(announced, time.Time{}, false); ok {
		t.Errorf("playable with no trusted time: %s", reason)
	}

	// The box fetches the announcement catalog two days before release.
	data, sig := signCatalog(t, priv, testCatalog{Sequence: 1, Published: release.Add(-48 * time.Hour), Episode: announced})
	c1 := verifyCatalog(t, pub, data, sig)
	clock.Observe(c1.Published)

	// Someone moves the box's clock to 2040. Trusted time ignores it.
	wall := wallClock{now: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)}
	mono.Advance(time.Hour)
	now, ok := clock.TrustedNow()
	if !ok || !now.Equal(release.Add(-47*time.Hour)) {
		t.Fatalf("trusted now = %v, %v; want published + 1h", now, ok)
	}
	if !wall.now.After(release) {
		t.Fatal("test setup: the box clock should claim the episode is out")
	}
	if ok, reason := Playable(c1.Episode, now, false); ok {
		t.Errorf("playable before release with the box clock at %v: %s", wall.now, reason)
	}
	// Even a key obtained some other way does not open it before trusted release time.
	if ok, _ := Playable(c1.Episode, now, true); ok {
		t.Error("playable before trusted release time because a key was present")
	}

	// A replayed older catalog cannot move trusted time back, nor a fake earlier one forward.
	clock.Observe(release.Add(-72 * time.Hour))
	if again, _ := clock.TrustedNow(); !again.Equal(now) {
		t.Errorf("replayed older catalog moved trusted time from %v to %v", now, again)
	}

	// Real time passes to after the release, but the box has no key yet.
	mono.Advance(48 * time.Hour)
	now, _ = clock.TrustedNow()
	if ok, reason := Playable(c1.Episode, now, false); ok || reason == "" {
		t.Errorf("playable after release without the key: %v %q", ok, reason)
	}

	// The channel publishes the key in a catalog signed after release.
	released := announced
	released.ContentKey = base64.StdEncoding.EncodeToString(key)
	data, sig = signCatalog(t, priv, testCatalog{Sequence: 2, Published: release.Add(time.Minute), Episode: released})
	c2 := verifyCatalog(t, pub, data, sig)
	clock.Observe(c2.Published)
	gotKey, gotNonce, err := ParamsFor(*c2.Episode.Embargo, c2.Episode.ContentKey)
	if err != nil {
		t.Fatal(err)
	}
	now, _ = clock.TrustedNow()
	if ok, reason := Playable(c2.Episode, now, true); !ok {
		t.Fatalf("not playable after the signed key arrived: %s", reason)
	}
	d, err := NewDecryptingReaderAt(bytes.NewReader(enc.Bytes()), gotKey, gotNonce)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(plain))
	if _, err := d.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain) {
		t.Error("decrypted file differs from the original")
	}
}

func TestPlayable(t *testing.T) {
	release := time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC)
	sealed := &Sealed{Cipher: Cipher}
	tests := []struct {
		reason string
		ep     CatalogEpisode
		now    time.Time
		key    bool
		want   bool
	}{
		{reason: "an ordinary episode plays without trusted time", ep: CatalogEpisode{}, want: true},
		{reason: "release time set, no trusted time yet", ep: CatalogEpisode{ReleaseAt: release}, want: false},
		{reason: "one second before release", ep: CatalogEpisode{ReleaseAt: release}, now: release.Add(-time.Second), want: false},
		{reason: "exactly at release, not encrypted", ep: CatalogEpisode{ReleaseAt: release}, now: release, want: true},
		{reason: "after release, encrypted, key missing", ep: CatalogEpisode{ReleaseAt: release, Embargo: sealed}, now: release.Add(time.Hour), want: false},
		{reason: "after release, encrypted, key present", ep: CatalogEpisode{ReleaseAt: release, Embargo: sealed}, now: release.Add(time.Hour), key: true, want: true},
		{reason: "encrypted with no release time: the key alone decides", ep: CatalogEpisode{Embargo: sealed}, key: true, want: true},
		{reason: "encrypted with no release time and no key", ep: CatalogEpisode{Embargo: sealed}, want: false},
	}
	for _, tt := range tests {
		got, why := Playable(tt.ep, tt.now, tt.key)
		if got != tt.want || why == "" {
			t.Errorf("%s: Playable = %v (%q), want %v with a reason", tt.reason, got, why, tt.want)
		}
	}
}

func TestParamsFor(t *testing.T) {
	key, nonce := randBytes(t, KeySize), randBytes(t, NonceSize)
	b64 := base64.StdEncoding.EncodeToString
	good := Sealed{Cipher: Cipher, KeyID: KeyID(key), Nonce: b64(nonce)}
	tests := []struct {
		reason  string
		s       Sealed
		key     string
		wantErr error // nil: success; errAny: some error
	}{
		{reason: "matching key", s: good, key: b64(key)},
		{reason: "another key", s: good, key: b64(randBytes(t, KeySize)), wantErr: ErrWrongKey},
		{reason: "unknown cipher", s: Sealed{Cipher: "chacha20", KeyID: good.KeyID, Nonce: good.Nonce}, key: b64(key), wantErr: ErrCipher},
		{reason: "short key", s: good, key: b64(key[:16]), wantErr: errAny},
		{reason: "not base64", s: good, key: "!!", wantErr: errAny},
		{reason: "short nonce", s: Sealed{Cipher: Cipher, KeyID: good.KeyID, Nonce: b64(nonce[:8])}, key: b64(key), wantErr: errAny},
	}
	for _, tt := range tests {
		k, n, err := ParamsFor(tt.s, tt.key)
		switch {
		case tt.wantErr == nil && err != nil:
			t.Errorf("%s: %v", tt.reason, err)
		case tt.wantErr == nil && (!bytes.Equal(k, key) || !bytes.Equal(n, nonce)):
			t.Errorf("%s: wrong key or nonce returned", tt.reason)
		case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
			t.Errorf("%s: err = %v, want %v", tt.reason, err, tt.wantErr)
		}
	}
}

var errAny = errors.New("any error")

// TestDecryptAtRandomOffsets is a property test: for random files, offsets
// and lengths, decrypting a range equals the same range of the plaintext,
// and the ciphertext is standard AES-256-CTR with the nonce as IV.
func TestDecryptAtRandomOffsets(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	for round := range 20 {
		key, nonce := randBytes(t, KeySize), randBytes(t, NonceSize)
		if round == 0 {
			for i := 8; i < NonceSize; i++ {
				nonce[i] = 0xff // counter wraps into the upper half within the file
			}
		}
		plain := randBytes(t, 1+rng.IntN(200<<10))
		var enc bytes.Buffer
		if n, err := Encrypt(&enc, bytes.NewReader(plain), key, nonce); err != nil || n != int64(len(plain)) {
			t.Fatalf("Encrypt = %d, %v", n, err)
		}
		block, _ := aes.NewCipher(key)
		ref := make([]byte, len(plain))
		cipher.NewCTR(block, nonce).XORKeyStream(ref, plain)
		if !bytes.Equal(ref, enc.Bytes()) {
			t.Fatalf("round %d: ciphertext is not standard AES-CTR", round)
		}
		d, err := NewDecryptingReaderAt(bytes.NewReader(enc.Bytes()), key, nonce)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := NewDecryptingReadSeeker(bytes.NewReader(enc.Bytes()), key, nonce)
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			off := rng.IntN(len(plain))
			n := rng.IntN(len(plain) - off + 1)
			got := make([]byte, n)
			if _, err := d.ReadAt(got, int64(off)); err != nil && err != io.EOF {
				t.Fatalf("ReadAt(%d, %d): %v", n, off, err)
			}
			if !bytes.Equal(plain[off:off+n], got) {
				t.Fatalf("round %d: ReadAt off=%d n=%d differs", round, off, n)
			}
			if _, err := rs.Seek(int64(off), io.SeekStart); err != nil {
				t.Fatal(err)
			}
			got2 := make([]byte, n)
			if _, err := io.ReadFull(rs, got2); err != nil {
				t.Fatalf("Seek+Read off=%d n=%d: %v", off, n, err)
			}
			if !bytes.Equal(plain[off:off+n], got2) {
				t.Fatalf("round %d: Seek+Read off=%d n=%d differs", round, off, n)
			}
		}
	}
}

func FuzzParamsFor(f *testing.F) {
	key := bytes.Repeat([]byte{7}, KeySize)
	nonce := bytes.Repeat([]byte{9}, NonceSize)
	f.Add(Cipher, KeyID(key), base64.StdEncoding.EncodeToString(nonce), base64.StdEncoding.EncodeToString(key))
	f.Fuzz(func(t *testing.T, ciph, keyID, nonceB64, keyB64 string) {
		k, n, err := ParamsFor(Sealed{Cipher: ciph, KeyID: keyID, Nonce: nonceB64}, keyB64)
		if err != nil {
			return
		}
		if len(k) != KeySize || len(n) != NonceSize || KeyID(k) != keyID {
			t.Fatalf("accepted bad params: key %d bytes, nonce %d bytes", len(k), len(n))
		}
	})
}

var update = flag.Bool("update", false, "rewrite the fuzz seed corpus under testdata/")

// TestWriteFuzzSeeds regenerates the checked-in seed corpus with -update.
func TestWriteFuzzSeeds(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	nonce := bytes.Repeat([]byte{9}, NonceSize)
	b64 := base64.StdEncoding.EncodeToString
	seeds := map[string][4]string{
		"valid":          {Cipher, KeyID(key), b64(nonce), b64(key)},
		"wrong-key-id":   {Cipher, "0000000000000000", b64(nonce), b64(key)},
		"short-nonce":    {Cipher, KeyID(key), b64(nonce[:8]), b64(key)},
		"url-base64-key": {Cipher, KeyID(key), b64(nonce), base64.URLEncoding.EncodeToString(key)},
		"empty":          {},
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParamsFor")
	for name, s := range seeds {
		path := filepath.Join(dir, name)
		content := fmt.Sprintf("go test fuzz v1\nstring(%q)\nstring(%q)\nstring(%q)\nstring(%q)\n", s[0], s[1], s[2], s[3])
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Errorf("seed %s missing or stale (run with -update): %v", name, err)
		}
	}
}
