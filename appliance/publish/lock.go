package publish

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile is the origin directory's publisher lock: a dotfile, so the
// origin never serves it.
const lockFile = ".publish.lock"

// ErrLocked means another publisher holds the origin directory.
var ErrLocked = errors.New("publish: another atomicpublish is publishing this origin directory")

// LockOrigin takes the origin directory's publisher lock (flock on
// .publish.lock, created if missing) without waiting: two publishers would
// both sign sequence n+1 with different contents, and boxes refuse the
// second as a rollback. It returns ErrLocked when another process holds
// it. The lock ends with unlock or with the process (a crash frees it).
func LockOrigin(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("publish: lock: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("publish: lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrLocked, dir)
		}
		return nil, fmt.Errorf("publish: lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
