package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// MountEarly mounts devtmpfs on /dev, proc on /proc and sysfs on /sys of
// the initramfs.
func MountEarly() error {
	for _, m := range []struct{ src, dir, fstype string }{
		{"devtmpfs", "/dev", "devtmpfs"},
		{"proc", "/proc", "proc"},
		{"sysfs", "/sys", "sysfs"},
	} {
		if err := os.MkdirAll(m.dir, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(m.src, m.dir, m.fstype, unix.MS_NOSUID|unix.MS_NOEXEC, ""); err != nil && err != unix.EBUSY {
			return fmt.Errorf("mount %s on %s: %w", m.fstype, m.dir, err)
		}
	}
	return nil
}

// MountRoot mounts the root file system read-only on dir, trying fstype
// or, when it is "", squashfs then ext4.
func MountRoot(device, dir, fstype string) error {
	types := []string{fstype}
	if fstype == "" {
		types = []string{"squashfs", "ext4"}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var last error
	for _, t := range types {
		if last = unix.Mount(device, dir, t, unix.MS_RDONLY, ""); last == nil {
			return nil
		}
	}
	return fmt.Errorf("mount %s (%v) on %s: %w", device, types, dir, last)
}

// SwitchRoot moves /dev, /proc and /sys under newRoot, frees the
// initramfs, makes newRoot the root and executes init with args (args[0]
// is init's name). It returns only on failure.
func SwitchRoot(newRoot, init string, args, env []string) error {
	for _, d := range []string{"/dev", "/proc", "/sys"} {
		target := filepath.Join(newRoot, d)
		if err := unix.Mount(d, target, "", unix.MS_MOVE, ""); err != nil {
			return fmt.Errorf("move %s to %s: %w", d, target, err)
		}
	}
	if _, err := os.Stat(filepath.Join(newRoot, init)); err != nil {
		return fmt.Errorf("init %s on the root file system: %w", init, err)
	}
	freeInitramfs(newRoot)
	if err := unix.Chdir(newRoot); err != nil {
		return err
	}
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move %s to /: %w", newRoot, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	return fmt.Errorf("exec %s: %w", init, syscall.Exec(init, args, env))
}

// freeInitramfs removes the initramfs files (they live in RAM), staying on
// the initramfs's own file system. Failures are ignored: it only frees
// memory.
func freeInitramfs(keep string) {
	var root unix.Stat_t
	if unix.Lstat("/", &root) != nil {
		return
	}
	var walk func(dir string)
	walk = func(dir string) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			var st unix.Stat_t
			if p == keep || unix.Lstat(p, &st) != nil || st.Dev != root.Dev {
				continue
			}
			if e.IsDir() {
				walk(p)
				unix.Rmdir(p)
				continue
			}
			unix.Unlink(p)
		}
	}
	walk("/")
}
