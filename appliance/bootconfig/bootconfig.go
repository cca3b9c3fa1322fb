// Package bootconfig reads atomicbox.txt, the key=value file on the FAT boot
// partition that a person edits after flashing, and moves it into /perm.
package bootconfig

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

// FileName is the name of the file on the boot partition.
const FileName = "atomicbox.txt"

// MaxFileBytes bounds atomicbox.txt; larger files are refused unread.
const MaxFileBytes = 64 << 10

// Config is what a person can set before first boot. Empty fields mean
// "not set here": they leave whatever /perm already holds untouched.
type Config struct {
	Channel    string `json:"channel,omitempty"`     // absolute http(s) URL of the channel (catalog base)
	NetworkKey string `json:"network_key,omitempty"` // network public key, standard base64 of 32 bytes
	WifiSSID   string `json:"wifi_ssid,omitempty"`
	WifiPSK    string `json:"wifi_psk,omitempty"` // 8 to 63 characters, or 64 hex digits
	Hostname   string `json:"hostname,omitempty"` // one DNS label, lower case
}

// keys maps each accepted key to its field; the order is the order Format writes.
var keys = []struct {
	name  string
	field func(*Config) *string
	check func(string) error
}{
	{"channel", func(c *Config) *string { return &c.Channel }, checkChannel},
	{"network_key", func(c *Config) *string { return &c.NetworkKey }, checkNetworkKey},
	{"wifi_ssid", func(c *Config) *string { return &c.WifiSSID }, checkSSID},
	{"wifi_psk", func(c *Config) *string { return &c.WifiPSK }, checkPSK},
	{"hostname", func(c *Config) *string { return &c.Hostname }, checkHostname},
}

// Empty reports whether c sets nothing (e.g. the commented template shipped
// in the image).
func (c Config) Empty() bool { return c == Config{} }

// Merge returns base with every field that over sets replaced.
func (base Config) Merge(over Config) Config {
	for _, k := range keys {
		if v := *k.field(&over); v != "" {
			*k.field(&base) = v
		}
	}
	return base
}

// Validate checks every set field (the same checks as Parse).
func (c Config) Validate() error {
	var errs []error
	for _, k := range keys {
		if v := *k.field(&c); v != "" {
			if err := k.check(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", k.name, err))
			}
		}
	}
	if c.WifiPSK != "" && c.WifiSSID == "" {
		errs = append(errs, errors.New("wifi_psk set without wifi_ssid"))
	}
	return errors.Join(errs...)
}

// Parse reads the key=value format: one setting per line, '#' starts a
// comment line, blank lines are ignored, whitespace around keys and values is
// trimmed, a value may be wrapped in double quotes (to keep spaces at its
// ends), CRLF line ends and a UTF-8 byte order mark (Windows editors) are
// accepted. Unknown keys, repeated keys and invalid values are errors that
// name the line, so a typo is never silently ignored. Reads at most
// MaxFileBytes.
func Parse(r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("bootconfig: read: %w", err)
	}
	if len(data) > MaxFileBytes {
		return Config{}, fmt.Errorf("bootconfig: file larger than %d bytes", MaxFileBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var c Config
	seen := map[string]int{}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxFileBytes+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("line %d: want key=value, got %q", n, line))
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		i := keyIndex(name)
		if i < 0 {
			errs = append(errs, fmt.Errorf("line %d: unknown key %q (known: %s)", n, name, knownKeys()))
			continue
		}
		if prev, dup := seen[name]; dup {
			errs = append(errs, fmt.Errorf("line %d: %s already set on line %d", n, name, prev))
			continue
		}
		seen[name] = n
		if value == "" {
			continue
		}
		if err := keys[i].check(value); err != nil {
			errs = append(errs, fmt.Errorf("line %d: %s: %w", n, name, err))
			continue
		}
		*keys[i].field(&c) = value
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	if c.WifiPSK != "" && c.WifiSSID == "" {
		errs = append(errs, errors.New("wifi_psk set without wifi_ssid"))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("bootconfig: %s: %w", FileName, err)
	}
	return c, nil
}

// Format writes c in the format Parse reads, set fields only, in a fixed
// order. Parse(Format(c)) == c for every valid c.
func Format(c Config) []byte {
	var b bytes.Buffer
	for _, k := range keys {
		if v := *k.field(&c); v != "" {
			if strings.TrimSpace(v) != v || strings.HasPrefix(v, `"`) {
				v = `"` + v + `"`
			}
			fmt.Fprintf(&b, "%s=%s\n", k.name, v)
		}
	}
	return b.Bytes()
}

func keyIndex(name string) int {
	for i, k := range keys {
		if k.name == name {
			return i
		}
	}
	return -1
}

func knownKeys() string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	return strings.Join(names, ", ")
}

func checkChannel(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an absolute http:// or https:// URL, got %q", v)
	}
	return nil
}

func checkNetworkKey(v string) error {
	_, err := catalog.ParsePublicKey(v)
	return err
}

func checkSSID(v string) error {
	if len(v) > 32 {
		return fmt.Errorf("SSID is %d bytes, at most 32", len(v))
	}
	return checkPrintable(v)
}

func checkPSK(v string) error {
	if len(v) == 64 && isHex(v) {
		return nil
	}
	if len(v) < 8 || len(v) > 63 {
		return fmt.Errorf("passphrase is %d characters, want 8 to 63 (or 64 hex digits)", len(v))
	}
	return checkPrintable(v)
}

func checkHostname(v string) error {
	if len(v) > 63 {
		return fmt.Errorf("hostname is %d characters, at most 63", len(v))
	}
	for i, r := range v {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' && i > 0 && i < len(v)-1
		if !ok {
			return fmt.Errorf("hostname %q: use a-z, 0-9 and inner '-' only", v)
		}
	}
	return nil
}

func checkPrintable(v string) error {
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("contains control character %U", r)
		}
	}
	return nil
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}
