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
