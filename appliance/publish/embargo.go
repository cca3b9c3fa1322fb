package publish

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/embargo"
	"github.com/atomicnetwork/atomicbox/appliance/state"
)

// keysFile holds the content keys of embargoed episodes: the origin's
// private state. It is a dotfile, so the origin never serves it, and it is
// written with mode 0600. Losing it before a release means the episode's
// key is gone: publish the episode again under a new ID.
const keysFile = ".embargo-keys.json"

// embargoKey is one episode's content key and nonce.
type embargoKey struct {
	Key   []byte `json:"key"`   // embargo.KeySize bytes
	Nonce []byte `json:"nonce"` // embargo.NonceSize bytes
}

func loadEmbargoKeys(originDir string) (map[string]embargoKey, error) {
	m := make(map[string]embargoKey)
	data, err := os.ReadFile(filepath.Join(originDir, keysFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("publish: read embargo keys: %w", err)
	}
	// Unlike the hash cache, a corrupt key file is an error: starting fresh
	// would re-encrypt released media under new keys.
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("publish: embargo keys %s cannot be read (fix or restore it): %w", filepath.Join(originDir, keysFile), err)
	}
	for id, k := range m {
		if len(k.Key) != embargo.KeySize || len(k.Nonce) != embargo.NonceSize {
			return nil, fmt.Errorf("publish: embargo key of episode %s is malformed", id)
		}
	}
	return m, nil
}

func saveEmbargoKeys(originDir string, m map[string]embargoKey) error {
	if len(m) == 0 {
		return nil
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return state.WriteFileAtomic(filepath.Join(originDir, keysFile), data, 0o600)
}

// sealFor returns the episode's content key when its file is published
// encrypted: an episode that already has a key keeps it (after release too:
// boxes keep seeding the same ciphertext torrent); one with a release time
// still in the future gets a fresh key. nil: published in the clear.
func sealFor(opt Options, me ManifestEpisode, keys map[string]embargoKey) (*embargoKey, error) {
	if k, ok := keys[me.ID]; ok {
		return &k, nil
	}
	if me.ReleaseAt.IsZero() || !opt.Now().Before(me.ReleaseAt) {
		return nil, nil
	}
	k := embargoKey{Key: make([]byte, embargo.KeySize), Nonce: make([]byte, embargo.NonceSize)}
	if _, err := rand.Read(k.Key); err != nil {
		return nil, err
	}
	if _, err := rand.Read(k.Nonce); err != nil {
		return nil, err
	}
	keys[me.ID] = k
	return &k, nil
}

// encryptTo writes src encrypted with k to dst (atomically), unless dst
// already holds it: same size and modification time as src (set after
// encrypting). Blocks while encrypting.
func encryptTo(src, dst string, k *embargoKey) error {
	sfi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if dfi, err := os.Stat(dst); err == nil && dfi.Size() == sfi.Size() && dfi.ModTime().Equal(sfi.ModTime()) {
		return nil
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.tmp-%d", filepath.Base(dst), time.Now().UnixNano()))
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = embargo.Encrypt(out, in, k.Key, k.Nonce)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(tmp, sfi.ModTime(), sfi.ModTime())
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("encrypt %s: %w", src, err)
	}
	return nil
}
