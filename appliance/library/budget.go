// Package library decides what the box keeps on disk: the space budget of the
// data file system, which episodes to evict first, and a guard that refuses
// writes before the disk is full.
package library

import (
	"errors"
	"fmt"
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

// Usage is the size of a file system in bytes.
type Usage struct {
	Total int64 // size of the file system
	Avail int64 // free space this process may use (statfs f_bavail)
}

// StatFS reports the usage of the file system holding a directory.
type StatFS interface {
	Statfs(dir string) (Usage, error)
}

type systemStatFS struct{}

func (systemStatFS) Statfs(dir string) (Usage, error) {
	var s unix.Statfs_t
	if err := unix.Statfs(dir, &s); err != nil {
		return Usage{}, fmt.Errorf("library: statfs %s: %w", dir, err)
	}
	return Usage{Total: int64(s.Blocks) * int64(s.Bsize), Avail: int64(s.Bavail) * int64(s.Bsize)}, nil
}

// SystemStatFS is statfs(2).
func SystemStatFS() StatFS { return systemStatFS{} }

// Defaults for BudgetOptions.
const (
	DefaultKeepFree = 0.10     // leave 10% of the data file system free
	minGuardFloor   = 32 << 20 // the guard keeps at least this free for state files ...
)

// BudgetOptions configure a Budget; zero fields get defaults.
type BudgetOptions struct {
	FS StatFS // default SystemStatFS()
	// KeepFree is the share of the file system that eviction keeps free
	// (0 < KeepFree < 1; default DefaultKeepFree).
	KeepFree float64
	// GuardFloor is the free space in bytes that Reserve never gives away,
	// so the box's own state files can always be written. Default: 1% of the
	// file system but at least 32 MiB, and never more than half of KeepFree.
	GuardFloor int64
}

// Budget watches the file system that holds the episodes. Safe for
// concurrent use (it holds no state beyond its settings). Every call reads
// the file system's size afresh: /perm grows under a running daemon on the
// first boot from a larger card (image/permgrow).
type Budget struct {
	dir      string
	fs       StatFS
	keepFree float64
	floor    int64
}

// NewBudget watches the file system holding dir.
func NewBudget(dir string, opts BudgetOptions) *Budget {
	b := &Budget{dir: dir, fs: opts.FS, keepFree: opts.KeepFree, floor: opts.GuardFloor}
	if b.fs == nil {
		b.fs = SystemStatFS()
	}
	if b.keepFree <= 0 || b.keepFree >= 1 {
		b.keepFree = DefaultKeepFree
	}
	return b
}

// Usage reads the file system now.
func (b *Budget) Usage() (Usage, error) { return b.fs.Statfs(b.dir) }

func (b *Budget) floorFor(u Usage) int64 {
	if b.floor > 0 {
		return b.floor
	}
	f := max(u.Total/100, minGuardFloor)
	return min(f, int64(float64(u.Total)*b.keepFree/2))
}

// ToFree returns how many bytes must be deleted to bring the free space back
// to the KeepFree share (0 when within budget), to pass to PlanEviction.
func (b *Budget) ToFree() (int64, error) {
	u, err := b.Usage()
	if err != nil {
		return 0, err
	}
	want := int64(float64(u.Total) * b.keepFree)
	return max(0, want-u.Avail), nil
}

// DiskFullError is returned by Reserve (and the guarded writers) when a write
// would eat into the space kept for the box's own files. errors.Is(err,
// syscall.ENOSPC) holds.
type DiskFullError struct {
	Dir   string
	Need  int64 // bytes the write wanted
	Avail int64 // bytes free when it was refused
	Floor int64 // bytes the guard keeps free
}

func (e *DiskFullError) Error() string {
	return fmt.Sprintf("the box's storage is full: saving %s more in %s would leave %s free, less than the %s kept free so the box can keep working; watched episodes will be removed to make room (no space left on device)",
		human(e.Need), e.Dir, human(max(0, e.Avail-e.Need)), human(e.Floor))
}

// Unwrap makes errors.Is(err, syscall.ENOSPC) true.
func (e *DiskFullError) Unwrap() error { return syscall.ENOSPC }

// Reserve says whether n more bytes may be written: nil, or a *DiskFullError
// when the write would leave less than the guard floor free. It does not set
// space aside (concurrent writers may each pass); the floor is the margin for
// that. Call it before accepting a piece or a new torrent.
func (b *Budget) Reserve(n int64) error {
	u, err := b.Usage()
	if err != nil {
		return err
	}
	floor := b.floorFor(u)
	if u.Avail-n < floor {
		return &DiskFullError{Dir: b.dir, Need: n, Avail: u.Avail, Floor: floor}
	}
	return nil
}

// Explain turns a raw "no space left on device" from a write in dir into a
// *DiskFullError a person can read; other errors pass through.
func (b *Budget) Explain(err error, n int64) error {
	var dfe *DiskFullError
	if err == nil || errors.As(err, &dfe) || !errors.Is(err, syscall.ENOSPC) {
		return err
	}
	u, _ := b.Usage()
	return fmt.Errorf("%w (%v)", &DiskFullError{Dir: b.dir, Need: n, Avail: u.Avail, Floor: b.floorFor(u)}, err)
}

// GuardWriterAt returns w with Reserve checked before every write, so the
// write is refused before the disk is full.
func (b *Budget) GuardWriterAt(w io.WriterAt) io.WriterAt { return guardedWriterAt{b, w} }

type guardedWriterAt struct {
	b *Budget
	w io.WriterAt
}

func (g guardedWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if err := g.b.Reserve(int64(len(p))); err != nil {
		return 0, err
	}
	n, err := g.w.WriteAt(p, off)
	return n, g.b.Explain(err, int64(len(p)))
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
