package permgrow

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Target is the partition mounted at a mount point, as the running kernel
// sees it (sysfs sizes are always in 512-byte units).
type Target struct {
	Mount       string // the mount point, e.g. /perm
	Disk        string // the whole disk's device node, e.g. /dev/mmcblk0
	PartDev     string // the partition's device node, e.g. /dev/mmcblk0p4
	Partition   int    // partition number, e.g. 4
	Start       uint64 // first sector of the partition
	Size        uint64 // sectors of the partition
	DiskSectors uint64 // sectors of the whole disk
}

// Locate finds the partition mounted at mount: stat(2) names its device
// number, sysfs (mounted at sys) its number, extent and disk, and dev holds
// the device nodes (devtmpfs names them as sysfs does).
func Locate(mount, sys, dev string) (Target, error) {
	var st, parent unix.Stat_t
	if err := unix.Stat(mount, &st); err != nil {
		return Target{}, fmt.Errorf("stat %s: %w", mount, err)
	}
	if err := unix.Stat(filepath.Join(mount, ".."), &parent); err != nil {
		return Target{}, fmt.Errorf("stat %s/..: %w", mount, err)
	}
	if st.Dev == parent.Dev {
		return Target{}, fmt.Errorf("%s is not a mount point (no file system on the data partition?)", mount)
	}
	t, err := LocateDev(sys, dev, unix.Major(st.Dev), unix.Minor(st.Dev))
	t.Mount = mount
	return t, err
}

// LocateDev is Locate for the block device major:minor.
func LocateDev(sys, dev string, major, minor uint32) (Target, error) {
	var t Target
	node := filepath.Join(sys, "dev", "block", fmt.Sprintf("%d:%d", major, minor))
	part, err := readUint(filepath.Join(node, "partition"))
	if err != nil {
		return t, fmt.Errorf("block device %d:%d is not a partition: %w", major, minor, err)
	}
	if t.Start, err = readUint(filepath.Join(node, "start")); err != nil {
		return t, err
	}
	if t.Size, err = readUint(filepath.Join(node, "size")); err != nil {
		return t, err
	}
	real, err := filepath.EvalSymlinks(node)
	if err != nil {
		return t, err
	}
	diskDir := filepath.Dir(real)
	if t.DiskSectors, err = readUint(filepath.Join(diskDir, "size")); err != nil {
		return t, err
	}
	lbs, err := readUint(filepath.Join(diskDir, "queue", "logical_block_size"))
	if err != nil {
		return t, err
	}
	if lbs != SectorSize {
		return t, fmt.Errorf("disk %s has %d-byte sectors; only %d is handled", filepath.Base(diskDir), lbs, SectorSize)
	}
	t.Partition = int(part)
	t.Disk = filepath.Join(dev, filepath.Base(diskDir))
	t.PartDev = filepath.Join(dev, filepath.Base(real))
	return t, nil
}

func readUint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// ResizePartition tells the kernel that partition number part of the disk
// open as f now spans sectors [start, start+size) (BLKPG_RESIZE_PARTITION;
// the on-disk table must already say so). The start cannot move; the
// partition may be mounted.
func ResizePartition(f *os.File, part int, start, size uint64) error {
	p := unix.BlkpgPartition{Start: int64(start * SectorSize), Length: int64(size * SectorSize), Pno: int32(part)}
	a := unix.BlkpgIoctlArg{Op: unix.BLKPG_RESIZE_PARTITION, Datalen: int32(unsafe.Sizeof(p)), Data: (*byte)(unsafe.Pointer(&p))}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKPG, uintptr(unsafe.Pointer(&a)))
	runtime.KeepAlive(&p)
	if errno != 0 {
		return fmt.Errorf("BLKPG_RESIZE_PARTITION %s partition %d to %d sectors: %w", f.Name(), part, size, errno)
	}
	return nil
}

// ext4IocResizeFS is EXT4_IOC_RESIZE_FS, _IOW('f', 16, __u64).
const ext4IocResizeFS = 0x40086610

// ResizeFS grows the mounted ext4 file system at mount to blocks blocks of
// its block size (EXT4_IOC_RESIZE_FS). The kernel journals each step, so a
// power cut leaves a consistent file system of some size in between. It
// blocks until the kernel is done and cannot be interrupted.
func ResizeFS(mount string, blocks uint64) error {
	f, err := os.Open(mount)
	if err != nil {
		return err
	}
	defer f.Close()
	n := blocks
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), ext4IocResizeFS, uintptr(unsafe.Pointer(&n)))
	if errno != 0 {
		return fmt.Errorf("EXT4_IOC_RESIZE_FS %s to %d blocks: %w", mount, blocks, errno)
	}
	return nil
}

// Ext4Super is what Grow needs of an ext4 superblock.
type Ext4Super struct {
	Blocks    uint64 // s_blocks_count (lo and, with the 64bit feature, hi)
	BlockSize uint64 // bytes
}

// ParseExt4Super parses the 1024-byte superblock found 1024 bytes into an
// ext2/3/4 file system.
func ParseExt4Super(b []byte) (Ext4Super, error) {
	if len(b) < 1024 {
		return Ext4Super{}, fmt.Errorf("ext4 superblock: %d bytes, want 1024", len(b))
	}
	le := binary.LittleEndian
	if m := le.Uint16(b[0x38:]); m != 0xEF53 {
		return Ext4Super{}, fmt.Errorf("ext4 superblock: magic %04x, want ef53", m)
	}
	logBS := le.Uint32(b[0x18:])
	if logBS > 6 { // 1 KiB << 6 = 64 KiB, the largest ext4 block
		return Ext4Super{}, fmt.Errorf("ext4 superblock: block size 1 KiB << %d", logBS)
	}
	s := Ext4Super{Blocks: uint64(le.Uint32(b[0x04:])), BlockSize: 1024 << logBS}
	const incompat64bit = 0x80
	if le.Uint32(b[0x60:])&incompat64bit != 0 {
		s.Blocks |= uint64(le.Uint32(b[0x150:])) << 32
	}
	if s.Blocks == 0 {
		return Ext4Super{}, errors.New("ext4 superblock: 0 blocks")
	}
	return s, nil
}

// readSuper reads the superblock through the partition's own node: its page
// cache is the one the mounted file system writes its superblock through.
func readSuper(partDev string) (Ext4Super, error) {
	f, err := os.Open(partDev)
	if err != nil {
		return Ext4Super{}, err
	}
	defer f.Close()
	b := make([]byte, 1024)
	if _, err := f.ReadAt(b, 1024); err != nil {
		return Ext4Super{}, fmt.Errorf("read superblock of %s: %w", partDev, err)
	}
	s, err := ParseExt4Super(b)
	if err != nil {
		return s, fmt.Errorf("%s: %w", partDev, err)
	}
	return s, nil
}

// Config is what Grow reads and where it reports.
type Config struct {
	Mount string // the data partition's mount point (/perm)
	Sys   string // sysfs (/sys)
	Dev   string // device nodes (/dev)
	// Logf reports each step; nil: silent.
	Logf func(format string, args ...any)
	// PauseAfterPartition, when non-zero, waits this long (or until ctx is
	// done) after this run grew the partition (on disk and in the kernel)
	// and before the file system follows. Only the power-cut test sets it
	// (the kernel argument atomicbox.permgrow.pause): a cut then lands
	// inside the grow.
	PauseAfterPartition time.Duration
}

// Result says what Grow did.
type Result struct {
	Target       Target
	Table        TableResult
	KernelGrown  bool   // BLKPG told the kernel the new partition size
	FSBlocksWas  uint64 // file system blocks before
	FSBlocks     uint64 // file system blocks now
	FSBlockBytes uint64
}

// Grow grows the partition mounted at cfg.Mount and its ext4 file system to
// the end of the disk: the on-disk GPT (GrowTable), then the kernel's view
// of the partition (ResizePartition), then the file system (ResizeFS). Each
// step looks at the state the previous ones left, so a run after a power
// cut at any point finishes the job, and a run on a grown disk changes
// nothing.
func Grow(ctx context.Context, cfg Config) (Result, error) {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	var res Result
	t, err := Locate(cfg.Mount, cfg.Sys, cfg.Dev)
	if err != nil {
		return res, err
	}
	res.Target = t
	// Only ext4 can follow: leave the table alone for anything else.
	if _, err := readSuper(t.PartDev); err != nil {
		return res, fmt.Errorf("not growing %s: %w", cfg.Mount, err)
	}
	f, err := os.OpenFile(t.Disk, os.O_RDWR, 0)
	if err != nil {
		return res, err
	}
	defer f.Close()
	tr, err := GrowTable(ctx, f, t.DiskSectors, t.Partition, TableOptions{After: func(s Step) error {
		logf("%s: %s written", t.Disk, s)
		return nil
	}})
	res.Table = tr
	if err != nil {
		return res, fmt.Errorf("%s: %w", t.Disk, err)
	}
	if tr.FirstLBA != t.Start {
		return res, fmt.Errorf("%s: the kernel has partition %d at sector %d, the table at %d", t.Disk, t.Partition, t.Start, tr.FirstLBA)
	}
	if tr.Wrote {
		logf("%s: partition %d now sectors %d..%d on disk (was ..%d)", t.Disk, t.Partition, tr.FirstLBA, tr.NewLastLBA, tr.OldLastLBA)
	}
	size := tr.NewLastLBA - tr.FirstLBA + 1
	if t.Size < size {
		if err := ResizePartition(f, t.Partition, t.Start, size); err != nil {
			return res, err
		}
		res.KernelGrown = true
		logf("%s: kernel's partition %d grown from %d to %d sectors", t.Disk, t.Partition, t.Size, size)
		if cfg.PauseAfterPartition > 0 {
			logf("pausing %v before the file system follows (atomicbox.permgrow.pause)", cfg.PauseAfterPartition)
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(cfg.PauseAfterPartition):
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	sb, err := readSuper(t.PartDev)
	if err != nil {
		return res, err
	}
	res.FSBlocksWas, res.FSBlocks, res.FSBlockBytes = sb.Blocks, sb.Blocks, sb.BlockSize
	blocks := size * SectorSize / sb.BlockSize
	if sb.Blocks >= blocks {
		return res, nil
	}
	start := time.Now()
	if err := ResizeFS(cfg.Mount, blocks); err != nil {
		return res, err
	}
	res.FSBlocks = blocks
	logf("%s: file system grown from %d to %d blocks of %d bytes (%.1f GiB) in %v",
		cfg.Mount, sb.Blocks, blocks, sb.BlockSize, float64(blocks*sb.BlockSize)/(1<<30), time.Since(start).Round(time.Millisecond))
	return res, nil
}

// PauseFromCmdline returns the duration of the atomicbox.permgrow.pause=
// argument in a kernel command line (/proc/cmdline), 0 when there is none.
func PauseFromCmdline(cmdline string) (time.Duration, error) {
	const key = "atomicbox.permgrow.pause="
	var d time.Duration
	for _, f := range strings.Fields(cmdline) {
		v, ok := strings.CutPrefix(f, key)
		if !ok {
			continue
		}
		var err error
		if d, err = time.ParseDuration(v); err != nil || d < 0 || d > time.Hour {
			return 0, fmt.Errorf("kernel argument %s%s: want a duration between 0 and 1h", key, v)
		}
	}
	return d, nil
}
