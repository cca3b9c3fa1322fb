package publish_test

import (
	"errors"
	"testing"

	"github.com/atomicnetwork/atomicbox/appliance/publish"
)

// TestLockOrigin: a second publisher of the same origin is refused at once
// while the first holds it, and gets it after the first lets go.
func TestLockOrigin(t *testing.T) {
	dir := t.TempDir()
	unlock, err := publish.LockOrigin(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := publish.LockOrigin(dir); !errors.Is(err, publish.ErrLocked) {
		t.Fatalf("second LockOrigin while held = %v, want ErrLocked", err)
	}
	unlock()
	unlock2, err := publish.LockOrigin(dir)
	if err != nil {
		t.Fatalf("LockOrigin after unlock = %v", err)
	}
	unlock2()
}
