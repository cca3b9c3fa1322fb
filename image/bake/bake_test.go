package bake

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/atomicnetwork/atomicbox/appliance/bootconfig"
)

const (
	pubKey  = "PHVYJ+UtYkmAzvcxXCNvcB6waBp3Q3sXUM9Ysdlv1Bg="
	privKey = "lrXCMmkPfq3UhiMx1C7ADKfqEi9k+I/2WWNlg5NLrpT3AUl/9IEkYhEN3RYRlubv4XUxhxGr6spuMxNu1x9a6A=="
)

// TestFile: what make image accepts is read back by the box as the same
// channel and key; every wrong input fails with a reason naming it.
func TestFile(t *testing.T) {
	for _, tt := range []struct {
		name, reason, channel, key string
		want                       bootconfig.Config
		wantErr                    string // substring; "" means success
	}{
		{"baked", "a channel and its key", "https://tv.example.org/c/", pubKey, bootconfig.Config{Channel: "https://tv.example.org/c/", NetworkKey: pubKey}, ""},
		{"spaces", "a key pasted with a newline or spaces around it", " http://10.0.2.2:8970/\n", pubKey + "\n", bootconfig.Config{Channel: "http://10.0.2.2:8970/", NetworkKey: pubKey}, ""},
		{"none", "no CHANNEL: an image that needs atomicbox.txt", "", "", bootconfig.Config{}, ""},
		{"nokey", "a channel without its key would refuse every catalog", "https://tv.example.org/c/", "", bootconfig.Config{}, "CHANNEL given without NETWORK_KEY"},
		{"nochannel", "a key alone is half a setting", "", pubKey, bootconfig.Config{}, "NETWORK_KEY given without CHANNEL"},
		{"private", "the private key must never go into an image", "https://tv.example.org/c/", privKey, bootconfig.Config{}, "private signing key"},
		{"short", "a truncated key", "https://tv.example.org/c/", pubKey[:40], bootconfig.Config{}, "network_key: catalog: public key is 30 bytes, want 32"},
		{"hex", "a key in hex instead of base64 decodes to the wrong size", "https://tv.example.org/c/", strings.Repeat("ab", 32), bootconfig.Config{}, "network_key: catalog: public key is 48 bytes, want 32"},
		{"notbase64", "a key that is not base64 at all", "https://tv.example.org/c/", "my-network-key", bootconfig.Config{}, "network_key: catalog: public key is not base64"},
		{"badurl", "the channel must be an absolute http(s) URL", "tv.example.org/c/", pubKey, bootconfig.Config{}, "channel: want an absolute"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := File(tt.channel, tt.key)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("File: err %v, want %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("File: %v (%s)", err, tt.reason)
			}
			got, err := bootconfig.Parse(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("the box cannot read what make image wrote: %v\n%s", err, b)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("read back (%s) (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}
