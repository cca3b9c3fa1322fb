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
	f := flags{data: data}
	applyBootConfig(boot, &f, log)
	if f.channel != "http://127.0.0.1:1/tv/" || f.key != key {
		t.Errorf("after import: channel=%q key=%q", f.channel, f.key)
	}
	if _, err := os.Stat(filepath.Join(boot, "atomicbox.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("atomicbox.txt still on the boot partition after import (err %v)", err)
	}
	again := flags{data: data, channel: "http://127.0.0.1:2/other/"}
	applyBootConfig(boot, &again, log)
	if again.channel != "http://127.0.0.1:2/other/" || again.key != key {
		t.Errorf("second start: channel=%q key=%q, want the flag's channel and the stored key", again.channel, again.key)
	}
	off := flags{data: data}
	applyBootConfig("", &off, log)
	if off.channel != "" || off.key != "" {
		t.Errorf("-boot-config off still read settings: %+v", off)
	}
}
