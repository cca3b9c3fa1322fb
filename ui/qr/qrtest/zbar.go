// Package qrtest decodes QR codes in images with zbarimg (Debian's
// zbar-tools), a decoder independent of ui/qr, for tests.
package qrtest

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Decode writes img as a PNG into dir and returns what zbarimg reads from
// it, as raw bytes. It fails when zbarimg is missing or finds no code.
func Decode(ctx context.Context, dir string, img image.Image) ([]byte, error) {
	f, err := os.CreateTemp(dir, "qr-*.png")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return DecodeFile(ctx, f.Name())
}

// DecodeFile runs zbarimg on an image file and returns the one QR code's
// bytes (-Sbinary: no character set guessing).
func DecodeFile(ctx context.Context, path string) ([]byte, error) {
	if _, err := exec.LookPath("zbarimg"); err != nil {
		return nil, fmt.Errorf("zbarimg is required (apt-get install zbar-tools; scripts/setup-debian.sh test): %w", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary", filepath.Clean(path))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("zbarimg %s: %v: %s", filepath.Base(path), err, strings.TrimSpace(stderr.String()))
	}
	out := stdout.Bytes()
	// --raw ends the symbol's data with a newline.
	return bytes.TrimSuffix(out, []byte("\n")), nil
}
