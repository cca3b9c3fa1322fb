package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// TestConfigErrors: missing or bad configuration is errConfig (exit 125,
// gokrazy stops restarting) and is reported before anything is opened.
func TestConfigErrors(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	badKeyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(badKeyFile, []byte("not base64!"), 0o644)
	for _, tc := range []struct {
		f      flags
		reason string
	}{
		{flags{data: t.TempDir(), listen: "127.0.0.1:0"}, "no channel"},
		{flags{data: t.TempDir(), listen: "127.0.0.1:0", channel: "http://127.0.0.1:1/"}, "no network key"},
		{flags{data: t.TempDir(), listen: "127.0.0.1:0", channel: "http://127.0.0.1:1/", key: "AAAA"}, "network key too short"},
		{flags{data: t.TempDir(), listen: "127.0.0.1:0", channel: "http://127.0.0.1:1/", keyFile: badKeyFile}, "unreadable key in the key file"},
		{flags{data: t.TempDir(), listen: "127.0.0.1:0", channel: "http://127.0.0.1:1/", keyFile: "/nonexistent/key"}, "missing key file"},
		{flags{data: t.TempDir(), listen: "127.0.0.1:0", channel: "http://127.0.0.1:1/", conns: -1}, "negative connections per episode"},
		{flags{data: t.TempDir(), listen: "127.0.0.1:0", channel: "http://127.0.0.1:1/", seedConns: -1}, "negative connections per held episode"},
		{flags{data: t.TempDir(), listen: "127.0.0.1:0", channel: "http://127.0.0.1:1/", seedConns: 100000}, "connections per held episode beyond reason"},
	} {
		err := run(context.Background(), tc.f, log)
		if !errors.Is(err, errConfig) {
			t.Errorf("run with %s: %v, want a configuration error (exit 125)", tc.reason, err)
		}
	}
}

// TestBootConfigFillsMissingFlags: with -boot-config DIR, a box whose flags
// name no channel takes channel and key from atomicbox.txt in DIR, imports
// it into the data dir (the file is consumed), and on the next start works
// from the stored copy alone; flags still win over the file.
func TestBootConfigFillsMissingFlags(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	boot, data := t.TempDir(), t.TempDir()
	const key = "nre9GNWztwvP1ECBYmqIuM8u/S0j8m89lPcPXlhrssI="
	file := "channel=http://127.0.0.1:1/tv/\nnetwork_key=" + key + "\n"
	if err := os.WriteFile(filepath.Join(boot, "atomicbox.txt"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	f := flags{data: data, bootConfig: boot}
	applyBootConfig(&f, log)
	if f.channel != "http://127.0.0.1:1/tv/" || f.key != key {
		t.Errorf("after import: channel=%q key=%q", f.channel, f.key)
	}
	if _, err := os.Stat(filepath.Join(boot, "atomicbox.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("atomicbox.txt still on the boot partition after import (err %v)", err)
	}
	again := flags{data: data, bootConfig: boot, channel: "http://127.0.0.1:2/other/"}
	applyBootConfig(&again, log)
	if again.channel != "http://127.0.0.1:2/other/" || again.key != key {
		t.Errorf("second start: channel=%q key=%q, want the flag's channel and the stored key", again.channel, again.key)
	}
	off := flags{data: data}
	applyBootConfig(&off, log)
	if off.channel != "" || off.key != "" {
		t.Errorf("-boot-config off still read settings: %+v", off)
	}
}

// TestBakedSettingsLayer: the channel and key baked into the image are the
// bottom layer: atomicbox.txt (fresh or imported on an earlier boot) and the
// flags win over them, field by field, and a broken baked file leaves the
// other layers working.
func TestBakedSettingsLayer(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const (
		keyA = "nre9GNWztwvP1ECBYmqIuM8u/S0j8m89lPcPXlhrssI="
		keyB = "PHVYJ+UtYkmAzvcxXCNvcB6waBp3Q3sXUM9Ysdlv1Bg="
		chA  = "https://a.example/tv/"
		chB  = "http://b.example/tv/"
	)
	baked := "# baked\nchannel=" + chA + "\nnetwork_key=" + keyA + "\n"
	for _, tc := range []struct {
		name, reason      string
		baked             string // "" means no -baked-config
		storedTxt, txt    string // atomicbox.txt imported on an earlier boot, and on the partition now
		flag              flags  // channel, key, keyFile as given
		wantChan, wantKey string
	}{
		{"baked only", "an image with a baked channel and no atomicbox.txt follows that channel",
			baked, "", "", flags{}, chA, keyA},
		{"txt wins", "atomicbox.txt on the partition overrides both baked values",
			baked, "", "channel=" + chB + "\nnetwork_key=" + keyB + "\n", flags{}, chB, keyB},
		{"stored wins", "a file imported on an earlier boot still overrides the image (e.g. after an update)",
			baked, "channel=" + chB + "\n", "", flags{}, chB, keyA},
		{"field by field", "atomicbox.txt setting only the key keeps the baked channel",
			baked, "", "network_key=" + keyB + "\n", flags{}, chA, keyB},
		{"flags win", "flags win over every file",
			baked, "", "channel=" + chB + "\n", flags{channel: "http://flag.example/"}, "http://flag.example/", keyA},
		{"key file wins", "a -network-key-file means the key comes from nowhere else",
			baked, "", "", flags{keyFile: "/k"}, chA, ""},
		{"broken baked", "a baked file that does not parse is ignored; atomicbox.txt still applies",
			"channel=ftp://x/\n", "", "channel=" + chB + "\nnetwork_key=" + keyB + "\n", flags{}, chB, keyB},
		{"no baked", "without -baked-config nothing is filled in",
			"", "", "", flags{}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			boot, data, etc := t.TempDir(), t.TempDir(), t.TempDir()
			f := tc.flag
			f.data, f.bootConfig = data, boot
			if tc.baked != "" {
				f.baked = filepath.Join(etc, "baked.txt")
				writeFile(t, f.baked, tc.baked)
			}
			if tc.storedTxt != "" {
				writeFile(t, filepath.Join(boot, "atomicbox.txt"), tc.storedTxt)
				applyBootConfig(&flags{data: data, bootConfig: boot}, log) // the earlier boot imports it
			}
			if tc.txt != "" {
				writeFile(t, filepath.Join(boot, "atomicbox.txt"), tc.txt)
			}
			applyBootConfig(&f, log)
			if f.channel != tc.wantChan || f.key != tc.wantKey {
				t.Errorf("channel=%q key=%q, want %q %q (%s)", f.channel, f.key, tc.wantChan, tc.wantKey, tc.reason)
			}
		})
	}
}

func writeFile(t *testing.T, name, s string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBootConfigWifiSeed: atomicbox.txt's wifi_ssid and wifi_psk become
// the Wi-Fi client's seed, marked fresh on the boot that imports the file
// (so they replace a network stored through the API) and not afterwards.
func TestBootConfigWifiSeed(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	boot, data := t.TempDir(), t.TempDir()
	file := "wifi_ssid=Home Net\nwifi_psk=correct horse\n"
	if err := os.WriteFile(filepath.Join(boot, "atomicbox.txt"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	seed, fresh := applyBootConfig(&flags{data: data, bootConfig: boot}, log)
	if seed == nil || seed.SSID != "Home Net" || seed.Passphrase != "correct horse" || !fresh {
		t.Errorf("import: seed %+v fresh %v, want Home Net, fresh", seed, fresh)
	}
	seed, fresh = applyBootConfig(&flags{data: data, bootConfig: boot}, log)
	if seed == nil || seed.SSID != "Home Net" || fresh {
		t.Errorf("next boot: seed %+v fresh %v, want Home Net from the stored copy, not fresh", seed, fresh)
	}
	if w := wifiConfig(flags{wifi: "auto"}, "tv", seed, fresh, log); w == nil || w.Seed != seed || w.Open == nil || w.DHCP == nil {
		t.Errorf("wifiConfig with -wifi=auto: %+v", w)
	}
	if w := wifiConfig(flags{}, "tv", seed, fresh, log); w != nil {
		t.Errorf("wifiConfig without -wifi: %+v, want nil", w)
	}
}
