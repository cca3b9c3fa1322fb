package bootconfig

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testKey = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, reason, in string
		want             Config
		wantErr          string // substring; "" means success
	}{
		{"template", "the shipped template is all comments and sets nothing", "# channel=https://example.org/tv\n\n#hostname=tv\n", Config{}, ""},
		{"all", "every key", "channel=https://tv.example.org/c\nnetwork_key=" + testKey + "\nwifi_ssid=Home Net\nwifi_psk=correct horse\nhostname=livingroom\n",
			Config{Channel: "https://tv.example.org/c", NetworkKey: testKey, WifiSSID: "Home Net", WifiPSK: "correct horse", Hostname: "livingroom"}, ""},
		{"windows", "Notepad writes a BOM and CRLF, and people type spaces and capitals in keys", "\xef\xbb\xbf Channel = http://10.0.2.2:8000/ \r\nHOSTNAME=tv\r\n",
			Config{Channel: "http://10.0.2.2:8000/", Hostname: "tv"}, ""},
		{"quoted", "quotes keep a passphrase's outer spaces", "wifi_ssid=\"  a \"\nwifi_psk=\" 12345678 \"\n", Config{WifiSSID: "  a ", WifiPSK: " 12345678 "}, ""},
		{"emptyvalue", "key= with nothing means unset", "channel=\nhostname=tv\n", Config{Hostname: "tv"}, ""},
		{"hexpsk", "a 64 hex digit PSK is a raw key", "wifi_ssid=x\nwifi_psk=" + strings.Repeat("aB", 32) + "\n", Config{WifiSSID: "x", WifiPSK: strings.Repeat("aB", 32)}, ""},
		{"unknown", "a typo in a key is reported, not ignored", "chanel=https://x/\n", Config{}, `line 1: unknown key "chanel"`},
		{"nokv", "a line without = is reported", "hostname tv\n", Config{}, "line 1: want key=value"},
		{"dup", "a repeated key is ambiguous", "hostname=a\nhostname=b\n", Config{}, "line 2: hostname already set on line 1"},
		{"badurl", "the channel must be absolute http(s)", "channel=ftp://x/\n", Config{}, "line 1: channel: want an absolute"},
		{"relurl", "a relative URL has no host", "channel=/tv\n", Config{}, "want an absolute"},
		{"badkey", "the network key must be 32 bytes of base64", "network_key=abcd\n", Config{}, "line 1: network_key:"},
		{"shortpsk", "WPA2 passphrases have 8 to 63 characters", "wifi_ssid=x\nwifi_psk=1234567\n", Config{}, "want 8 to 63"},
		{"psknossid", "a passphrase without a network is a mistake", "wifi_psk=12345678\n", Config{}, "wifi_psk set without wifi_ssid"},
		{"longssid", "SSIDs have at most 32 bytes", "wifi_ssid=" + strings.Repeat("s", 33) + "\n", Config{}, "at most 32"},
		{"badhost", "hostnames are one lower-case DNS label", "hostname=Living_Room\n", Config{}, "use a-z, 0-9"},
		{"dashhost", "a hostname cannot start with '-'", "hostname=-tv\n", Config{}, "use a-z"},
		{"toobig", "huge files are refused", strings.Repeat("#", MaxFileBytes+1), Config{}, "larger than"},
		{"allerrors", "every bad line is reported at once", "x=1\nhostname=A\n", Config{}, "line 2: hostname"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v (%s)", err, tt.reason)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse error = %v, want it to contain %q (%s)", err, tt.wantErr, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s\n(%s)", diff, tt.reason)
			}
		})
	}
}

func TestFormatRoundTrip(t *testing.T) {
	c := Config{Channel: "https://tv.example.org/c", NetworkKey: testKey, WifiSSID: "\"quoted\"", WifiPSK: " spaced pass ", Hostname: "tv-1"}
	got, err := Parse(bytes.NewReader(Format(c)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("Parse(Format(c)) (-want +got):\n%s", diff)
	}
}

func TestExampleFileIsTemplate(t *testing.T) {
	// The file shipped on the boot partition must parse and set nothing, so
	// that a gok update (which rewrites the boot partition) changes nothing.
	f, err := os.Open(filepath.Join("..", "..", "image", "boot", FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		t.Fatalf("example %s: %v", FileName, err)
	}
	if !c.Empty() {
		t.Errorf("example %s sets %+v, want nothing", FileName, c)
	}
}

func TestImport(t *testing.T) {
	boot, data := t.TempDir(), t.TempDir()
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(boot, FileName), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exists := func() bool {
		_, err := os.Stat(filepath.Join(boot, FileName))
		return !errors.Is(err, fs.ErrNotExist)
	}
	steps := []struct {
		reason       string
		file         string // "" means no file on the boot partition
		want         Config
		wantImported bool
		wantErr      bool
		wantLeft     bool // file still on the boot partition afterwards
	}{
		{"first boot without a file: nothing stored", "", Config{}, false, false, false},
		{"the template sets nothing and stays", "# channel=\n", Config{}, false, false, true},
		{"a filled-in file is moved into the data dir", "channel=https://a.example/\nhostname=tv\n", Config{Channel: "https://a.example/", Hostname: "tv"}, true, false, false},
		{"next boot: the stored config is used", "", Config{Channel: "https://a.example/", Hostname: "tv"}, false, false, false},
		{"a later file overrides only what it sets", "channel=https://b.example/\n", Config{Channel: "https://b.example/", Hostname: "tv"}, true, false, false},
		{"a broken file is kept and the old config stays", "channel=nope\n", Config{Channel: "https://b.example/", Hostname: "tv"}, false, true, true},
	}
	for i, s := range steps {
		os.Remove(filepath.Join(boot, FileName))
		if s.file != "" {
			write(s.file)
		}
		got, imported, err := Import(boot, data, nil)
		if (err != nil) != s.wantErr {
			t.Fatalf("step %d: Import error = %v, want error %v (%s)", i, err, s.wantErr, s.reason)
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("step %d: Import (-want +got):\n%s\n(%s)", i, diff, s.reason)
		}
		if imported != s.wantImported || exists() != s.wantLeft {
			t.Errorf("step %d: imported=%v left=%v, want %v %v (%s)", i, imported, exists(), s.wantImported, s.wantLeft, s.reason)
		}
	}
	// A corrupt stored file means start fresh, not a crash loop.
	if err := os.WriteFile(filepath.Join(data, StateFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(data, nil); err != nil || !got.Empty() {
		t.Errorf("Load(corrupt) = %+v, %v; want empty, nil", got, err)
	}
}

// TestStoredConfigIsPrivate: the stored config may hold the Wi-Fi
// passphrase, so it is the owner's only as Import writes it, and a file
// stored readable by all (before this rule) is made private by Load.
func TestStoredConfigIsPrivate(t *testing.T) {
	boot, data := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(boot, FileName), []byte("wifi_ssid=Home\nwifi_psk=correct horse battery\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, imported, err := Import(boot, data, nil); err != nil || !imported {
		t.Fatalf("Import: imported %v, %v", imported, err)
	}
	statePath := filepath.Join(data, StateFile)
	if fi, err := os.Stat(statePath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stored config mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if err := os.Chmod(statePath, 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(data, nil); err != nil || c.WifiPSK != "correct horse battery" {
		t.Fatalf("Load: %+v, %v", c, err)
	}
	if fi, err := os.Stat(statePath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after Load of a 0644 file: mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

func TestBootPartition(t *testing.T) {
	for _, tt := range []struct {
		reason, mountinfo, want string
		wantErr                 bool
	}{
		{"SD card on a Pi", "22 1 179:2 / / ro,relatime - squashfs /dev/root ro\n31 22 179:4 / /perm rw,relatime - ext4 /dev/mmcblk0p4 rw\n", "/dev/mmcblk0p1", false},
		{"SATA/USB or QEMU disk", "31 22 8:4 / /perm rw,relatime shared:5 - ext4 /dev/sda4 rw\n", "/dev/sda1", false},
		{"NVMe", "31 22 259:4 / /perm rw - ext4 /dev/nvme0n1p4 rw\n", "/dev/nvme0n1p1", false},
		{"no /perm mounted (unformatted)", "22 1 179:2 / / ro - squashfs /dev/root ro\n", "", true},
		{"/perm on something unexpected", "31 22 0:5 / /perm rw - tmpfs tmpfs rw\n", "", true},
	} {
		got, err := BootPartition(strings.NewReader(tt.mountinfo), "/perm")
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("BootPartition = %q, %v; want %q, error %v (%s)", got, err, tt.want, tt.wantErr, tt.reason)
		}
	}
}

// TestReadBaked: the image's baked settings are read in the atomicbox.txt
// format; an image without a baked channel holds a file of comments only.
func TestReadBaked(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, reason, in string // in "" means no file
		want             Config
		wantErr          string
	}{
		{"baked", "channel and key as make image writes them", "# baked by make image\nchannel=https://tv.example.org/c/\nnetwork_key=" + testKey + "\n",
			Config{Channel: "https://tv.example.org/c/", NetworkKey: testKey}, ""},
		{"none", "an image built without CHANNEL= holds comments only", "# no channel baked in\n", Config{}, ""},
		{"missing", "the image names a file it lacks", "", Config{}, "no such file"},
		{"bad", "a broken file is reported with its path", "network_key=abcd\n", Config{}, "baked settings " + filepath.Join(dir, "bad") + ": bootconfig"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if tt.in != "" {
				if err := os.WriteFile(path, []byte(tt.in), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ReadBaked(path)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("ReadBaked: err %v, want %q (%s)", err, tt.wantErr, tt.reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReadBaked (%s) (-want +got):\n%s", tt.reason, diff)
			}
		})
	}
}
