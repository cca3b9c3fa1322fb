package catalog_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
	"github.com/atomicnetwork/atomicbox/appliance/embargo"
)

// testKey is a fixed key so fuzz seeds stay valid across runs.
func testKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
}

func otherKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
}

func sampleCatalog(seq uint64) *catalog.Catalog {
	return &catalog.Catalog{
		Format:    catalog.FormatVersion,
		Network:   "Atomic Demo Channel",
		Sequence:  seq,
		Published: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
		Trackers:  []string{"udp://tracker.example:6969/announce"},
		Shows: []catalog.Show{{
			ID: "orbit", Title: "Orbit", Synopsis: "Things go round.", Poster: "posters/orbit.png",
			Episodes: []catalog.Episode{{
				ID: "orbit-s01e01", Season: 1, Number: 1, Title: "Launch", Poster: "posters/orbit-s01e01.png",
				DurationSeconds: 60, Torrent: "torrents/orbit-s01e01.torrent",
				InfoHash: strings.Repeat("ab", 20), Size: 12345, MimeType: "video/mp4",
			}, {
				ID: "orbit-s01e02", Season: 1, Number: 2, Title: "Apogee",
				DurationSeconds: 61.5, Torrent: "torrents/orbit-s01e02.torrent",
				InfoHash: strings.Repeat("cd", 20), Size: 54321, MimeType: "video/mp4",
			}},
		}, {
			ID: "tides", Title: "Tides",
			Episodes: []catalog.Episode{{
				ID: "tides-1", Season: 1, Number: 1, Title: "Ebb",
				DurationSeconds: 3, Torrent: "torrents/tides-1.torrent",
				InfoHash: strings.Repeat("01", 20), Size: 1, MimeType: "video/webm",
			}},
		}},
	}
}

// testContentKey is a fixed 32-byte content key (base64) for embargo rows.
var testContentKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

// embargoed makes the first episode an encrypted future release, with
// contentKey ("" = not released yet).
func embargoed(contentKey string) func(c *catalog.Catalog) {
	return func(c *catalog.Catalog) {
		e := &c.Shows[0].Episodes[0]
		e.ReleaseAt = time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
		e.Priority = 10
		e.Embargo = &catalog.Embargo{Cipher: embargo.Cipher, KeyID: embargo.KeyID(bytes.Repeat([]byte{7}, 32)), Nonce: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 16))}
		e.ContentKey = contentKey
	}
}

func encode(t testing.TB, c *catalog.Catalog) []byte {
	t.Helper()
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(data, '\n')
}

// TestEmbargoSeeds writes the embargo seeds of FuzzParse when run
// with -update-seeds (they are checked in; the test then only checks that
// they parse as the seed names say).
func TestEmbargoSeeds(t *testing.T) {
	seeds := map[string]struct {
		mutate func(c *catalog.Catalog)
		valid  bool
	}{
		"embargoed":          {embargoed(""), true},
		"embargoed-key":      {embargoed(testContentKey), true},
		"embargoed-wrongkey": {embargoed(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))), false},
	}
	for name, s := range seeds {
		c := sampleCatalog(1)
		s.mutate(c)
		data := encode(t, c)
		path := filepath.Join("testdata", "fuzz", "FuzzParse", name)
		if *updateSeeds {
			if err := os.WriteFile(path, fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("seed %s: %v (run with -update-seeds)", name, err)
		}
		if !bytes.Contains(raw, []byte("embargo")) {
			t.Errorf("seed %s holds no embargo", name)
		}
		if _, err := catalog.Parse(data); (err == nil) != s.valid {
			t.Errorf("seed %s: Parse error %v, want valid=%v", name, err, s.valid)
		}
	}
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the embargo fuzz seeds")

func TestParse(t *testing.T) {
	tests := []struct {
		reason  string
		mutate  func(c *catalog.Catalog)
		raw     func(data []byte) []byte // applied after encoding
		wantErr string                   // substring; "" means valid
	}{
		{reason: "a well-formed catalog parses"},
		{reason: "a show with no poster and no synopsis is fine", mutate: func(c *catalog.Catalog) { c.Shows[0].Poster, c.Shows[0].Synopsis = "", "" }},
		{reason: "unknown fields are refused (strict decoding)", raw: func(d []byte) []byte {
			return bytes.Replace(d, []byte(`"format"`), []byte(`"extra": 1, "format"`), 1)
		}, wantErr: `unknown field "extra"`},
		{reason: "trailing data is refused", raw: func(d []byte) []byte { return append(d, []byte("{}")...) }, wantErr: "trailing data"},
		{reason: "a second format is refused", mutate: func(c *catalog.Catalog) { c.Format = 2 }, wantErr: "format is 2"},
		{reason: "sequence 0 is refused", mutate: func(c *catalog.Catalog) { c.Sequence = 0 }, wantErr: "sequence must be at least 1"},
		{reason: "the network name is required", mutate: func(c *catalog.Catalog) { c.Network = " " }, wantErr: "network: missing"},
		{reason: "show IDs are lower-case", mutate: func(c *catalog.Catalog) { c.Shows[1].ID = "Tides" }, wantErr: "show 2: id: \"Tides\""},
		{reason: "IDs do not start with '-'", mutate: func(c *catalog.Catalog) { c.Shows[0].Episodes[0].ID = "-x" }, wantErr: "show 1 episode 1: id"},
		{reason: "IDs are at most 64 characters", mutate: func(c *catalog.Catalog) { c.Shows[0].ID = strings.Repeat("a", 65) }, wantErr: "longer than 64"},
		{reason: "IDs are unique across shows and episodes", mutate: func(c *catalog.Catalog) { c.Shows[1].Episodes[0].ID = "orbit" }, wantErr: `show 2 episode 1: id "orbit" is already used by show 1`},
		{reason: "episode IDs are unique", mutate: func(c *catalog.Catalog) { c.Shows[0].Episodes[1].ID = "orbit-s01e01" }, wantErr: "already used by show 1 episode 1"},
		{reason: "infoHash is lower-case hex", mutate: func(c *catalog.Catalog) { c.Shows[0].Episodes[1].InfoHash = strings.Repeat("AB", 20) }, wantErr: "show 1 episode 2 (orbit-s01e02): infoHash"},
		{reason: "infoHash is 40 digits", mutate: func(c *catalog.Catalog) { c.Shows[0].Episodes[1].InfoHash = "abcd" }, wantErr: "infoHash \"abcd\" is not 40"},
		{reason: "size must be positive", mutate: func(c *catalog.Catalog) { c.Shows[1].Episodes[0].Size = 0 }, wantErr: "show 2 episode 1 (tides-1): size 0"},
		{reason: "duration must be positive", mutate: func(c *catalog.Catalog) { c.Shows[1].Episodes[0].DurationSeconds = -1 }, wantErr: "durationSeconds -1"},
		{reason: "a torrent path is required", mutate: func(c *catalog.Catalog) { c.Shows[0].Episodes[0].Torrent = "" }, wantErr: "torrent is missing"},
		{reason: "'..' cannot leave the base", mutate: func(c *catalog.Catalog) { c.Shows[0].Episodes[0].Torrent = "../secret.torrent" }, wantErr: "starts with '.'"},
		{reason: "absolute paths are refused", mutate: func(c *catalog.Catalog) { c.Shows[0].Episodes[0].Torrent = "/etc/passwd" }, wantErr: "leading '/'"},
		{reason: "URLs with a scheme are refused", mutate: func(c *catalog.Catalog) { c.Shows[0].Poster = "http://evil.example/x.png" }, wantErr: "show 1 (orbit): poster"},
		{reason: "protocol-relative URLs are refused", mutate: func(c *catalog.Catalog) { c.Shows[0].Poster = "//evil.example/x.png" }, wantErr: "empty segment"},
		{reason: "query strings are refused", mutate: func(c *catalog.Catalog) { c.Shows[0].Episodes[0].Poster = "p.png?x=1" }, wantErr: "character '?'"},
		{reason: "control characters in titles are refused", mutate: func(c *catalog.Catalog) { c.Shows[0].Title = "a\x1bb" }, wantErr: "show 1 (orbit): title: control character"},
		{reason: "over-long synopses are refused", mutate: func(c *catalog.Catalog) { c.Shows[0].Synopsis = strings.Repeat("x", 9000) }, wantErr: "synopsis: 9000 bytes"},
		{reason: "mime types look like type/subtype", mutate: func(c *catalog.Catalog) { c.Shows[0].Episodes[0].MimeType = "mp4" }, wantErr: "mimeType"},
		{reason: "tracker schemes are limited", mutate: func(c *catalog.Catalog) { c.Trackers = []string{"file:///etc/passwd"} }, wantErr: "tracker 1"},
		{reason: "a catalog without shows is malformed", raw: func(d []byte) []byte {
			return []byte(`{"format":1,"network":"n","sequence":1,"published":"2026-01-01T00:00:00Z"}`)
		}, wantErr: "shows is missing"},
		{reason: "more than MaxCatalogBytes is refused before decoding", raw: func(d []byte) []byte {
			return append(d, bytes.Repeat([]byte(" "), catalog.MaxCatalogBytes)...)
		}, wantErr: "more than the limit"},
		{reason: "an embargoed episode with release time and priority parses", mutate: embargoed("")},
		{reason: "an embargoed episode with its content key parses", mutate: embargoed(testContentKey)},
		{reason: "a content key that does not match keyID is refused", mutate: embargoed(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))), wantErr: "contentKey: embargo: the content key does not match"},
		{reason: "a content key without an embargo is refused", mutate: func(c *catalog.Catalog) { c.Shows[0].Episodes[0].ContentKey = testContentKey }, wantErr: "contentKey is given but the episode has no embargo"},
		{reason: "only aes-256-ctr is known", mutate: func(c *catalog.Catalog) {
			embargoed("")(c)
			c.Shows[0].Episodes[0].Embargo.Cipher = "rot13"
		}, wantErr: `embargo: cipher "rot13"`},
		{reason: "the nonce is 16 bytes", mutate: func(c *catalog.Catalog) {
			embargoed("")(c)
			c.Shows[0].Episodes[0].Embargo.Nonce = "AAAA"
		}, wantErr: "embargo: nonce is not 16 bytes"},
		{reason: "priority is bounded", mutate: func(c *catalog.Catalog) { c.Shows[0].Episodes[0].Priority = -1 }, wantErr: "priority -1 is out of range"},
		{reason: "releaseAt in year 1 is refused", mutate: func(c *catalog.Catalog) {
			c.Shows[0].Episodes[0].ReleaseAt = time.Date(1, 2, 1, 0, 0, 0, 0, time.UTC)
		}, wantErr: "releaseAt"},
		{reason: "a per-box origin budget parses", mutate: func(c *catalog.Catalog) { c.OriginBoxRate = 500_000 }},
		{reason: "a negative origin budget is refused", mutate: func(c *catalog.Catalog) { c.OriginBoxRate = -1 }, wantErr: "originBoxRate -1"},
		{reason: "an origin budget above 10 Gbit/s is refused", mutate: func(c *catalog.Catalog) { c.OriginBoxRate = catalog.MaxOriginBoxRate + 1 }, wantErr: "originBoxRate 1250000001"},
		{reason: "a validity of two weeks parses", mutate: func(c *catalog.Catalog) { c.ValidUntil = c.Published.Add(14 * 24 * time.Hour) }},
		{reason: "a catalog valid until before it was published is refused", mutate: func(c *catalog.Catalog) { c.ValidUntil = c.Published.Add(-time.Second) }, wantErr: "validUntil"},
		{reason: "a catalog valid for more than a year is refused", mutate: func(c *catalog.Catalog) { c.ValidUntil = c.Published.Add(catalog.MaxValidity + time.Second) }, wantErr: "validUntil"},
		{reason: "invalid UTF-8 is refused", raw: func(d []byte) []byte { return bytes.Replace(d, []byte("Orbit"), []byte("Orb\xfft"), 1) }, wantErr: "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			c := sampleCatalog(3)
			if tt.mutate != nil {
				tt.mutate(c)
			}
			data := encode(t, c)
			if tt.raw != nil {
				data = tt.raw(data)
			}
			got, err := catalog.Parse(data)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if diff := cmp.Diff(c, got); diff != "" {
					t.Errorf("Parse round trip (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, catalog.ErrMalformed) {
				t.Fatalf("Parse error = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	key := testKey()
	pub := key.Public().(ed25519.PublicKey)
	data := encode(t, sampleCatalog(5))
	sig := catalog.Sign(key, data)
	rawSig := ed25519.Sign(key, data)
	malformed := []byte(`{"format":1}`)

	tests := []struct {
		reason string
		pub    ed25519.PublicKey
		data   []byte
		sig    []byte
		want   error // nil: valid
	}{
		{reason: "the publisher's signature over the exact bytes verifies", data: data, sig: sig},
		{reason: "the signature without its newline verifies", data: data, sig: bytes.TrimSpace(sig)},
		{reason: "one tampered byte in the catalog breaks the signature", data: flip(data, bytes.Index(data, []byte("Launch"))), sig: sig, want: catalog.ErrBadSignature},
		{reason: "re-indenting the JSON (same meaning, other bytes) breaks the signature", data: bytes.ReplaceAll(data, []byte("  "), []byte("\t")), sig: sig, want: catalog.ErrBadSignature},
		{reason: "an empty signature file means unsigned", data: data, sig: []byte{}, want: catalog.ErrUnsigned},
		{reason: "a missing signature (nil) means unsigned", data: data, sig: nil, want: catalog.ErrUnsigned},
		{reason: "a blank signature file means unsigned", data: data, sig: []byte(" \n"), want: catalog.ErrUnsigned},
		{reason: "a signature by another key is refused", data: data, sig: catalog.Sign(otherKey(), data), want: catalog.ErrBadSignature},
		{reason: "verifying with another key is refused", pub: otherKey().Public().(ed25519.PublicKey), data: data, sig: sig, want: catalog.ErrBadSignature},
		{reason: "a truncated signature file is refused", data: data, sig: sig[:40], want: catalog.ErrBadSignature},
		{reason: "a signature of 63 bytes is refused", data: data, sig: []byte(base64.StdEncoding.EncodeToString(rawSig[:63])), want: catalog.ErrBadSignature},
		{reason: "a signature that is not base64 is refused", data: data, sig: []byte("not base64 at all!"), want: catalog.ErrBadSignature},
		{reason: "a raw binary signature (not base64) is refused", data: data, sig: rawSig, want: catalog.ErrBadSignature},
		{reason: "a valid signature over a malformed catalog is still malformed", data: malformed, sig: catalog.Sign(key, malformed), want: catalog.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			p := tt.pub
			if p == nil {
				p = pub
			}
			c, err := catalog.Verify(p, tt.data, tt.sig)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if diff := cmp.Diff(sampleCatalog(5), c); diff != "" {
					t.Errorf("Verify catalog (-want +got):\n%s", diff)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify error = %v, want %v", err, tt.want)
			}
			if c != nil {
				t.Errorf("Verify returned a catalog with error %v", err)
			}
		})
	}
}

func flip(data []byte, i int) []byte {
	out := bytes.Clone(data)
	out[i] ^= 0x01
	return out
}

func TestSignFormat(t *testing.T) {
	sig := catalog.Sign(testKey(), []byte("x"))
	if len(sig) != 89 || sig[88] != '\n' {
		t.Errorf("Sign = %q (%d bytes), want 88 base64 characters and a newline", sig, len(sig))
	}
}

func TestPublicKey(t *testing.T) {
	pub := testKey().Public().(ed25519.PublicKey)
	s := catalog.FormatPublicKey(pub)
	tests := []struct {
		reason string
		in     string
		ok     bool
	}{
		{reason: "FormatPublicKey's output parses", in: s, ok: true},
		{reason: "surrounding whitespace is trimmed", in: "  " + s + "\n", ok: true},
		{reason: "empty is refused", in: ""},
		{reason: "not base64 is refused", in: "!!!"},
		{reason: "a 64-byte private key is not a public key", in: base64.StdEncoding.EncodeToString(testKey())},
		{reason: "a 31-byte key is refused", in: base64.StdEncoding.EncodeToString(pub[:31])},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			got, err := catalog.ParsePublicKey(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParsePublicKey(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if tt.ok && !pub.Equal(got) {
				t.Errorf("ParsePublicKey = %x, want %x", got, pub)
			}
		})
	}
}
