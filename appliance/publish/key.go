package publish

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// LoadOrCreateKey reads the network's ed25519 signing key from path (PEM,
// PKCS #8, as openssl writes it), or creates one when the file does not
// exist (created = true): parent directory mode 0700, file mode 0600. It
// refuses an existing key file that other users can read, and a key path
// inside a git work tree (the key must never be committed).
func LoadOrCreateKey(path string) (priv ed25519.PrivateKey, created bool, err error) {
	if err := CheckKeyOutsideRepo(path); err != nil {
		return nil, false, err
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return createKey(path)
	case err != nil:
		return nil, false, fmt.Errorf("key: %w", err)
	case !fi.Mode().IsRegular():
		return nil, false, fmt.Errorf("key: %s is not a regular file", path)
	case fi.Mode().Perm()&0o077 != 0:
		return nil, false, fmt.Errorf("key: %s can be read by other users (mode %04o); the network's signing key must be private: run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("key: %w", err)
	}
	priv, err = decodeKey(data)
	if err != nil {
		return nil, false, fmt.Errorf("key %s: %w", path, err)
	}
	return priv, false, nil
}

func createKey(path string) (ed25519.PrivateKey, bool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("key: generate: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, false, fmt.Errorf("key: encode: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	// The temp file WriteFileAtomic writes is created 0600, so the key is
	// never readable by others, not even for a moment.
	if err := state.WriteFileAtomic(path, data, 0o600); err != nil {
		return nil, false, fmt.Errorf("key: %w", err)
	}
	return priv, true, nil
}

func decodeKey(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM \"PRIVATE KEY\" file")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, want ed25519", k)
	}
	return priv, nil
}

// CheckKeyOutsideRepo refuses a key path inside a git work tree (a
// directory at or above it holds .git), so the signing key cannot end up
// in a commit.
func CheckKeyOutsideRepo(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return fmt.Errorf("key: %s is inside the git work tree %s; keep the network's signing key outside any repository (e.g. under your config dir)", path, dir)
		}
		if parent := filepath.Dir(dir); parent == dir {
			return nil
		}
	}
}
