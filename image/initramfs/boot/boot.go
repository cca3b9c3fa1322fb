// Package boot is the logic of the initramfs /init that boots gokrazy on
// Debian's kernel: board detection, module loading, root lookup, switch_root.
package boot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ModuleLoader loads one kernel module file. Implementations must treat an
// already loaded module as success.
type ModuleLoader interface {
	Load(path string) error
}

// FinitLoader loads modules with finit_module(2); compressed files (.xz,
// .zst, .gz) are decompressed by the kernel.
type FinitLoader struct{}

// Load blocks until the module's init function has returned.
func (FinitLoader) Load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	flags := 0
	if ext := filepath.Ext(path); ext == ".xz" || ext == ".zst" || ext == ".gz" {
		flags |= unix.MODULE_INIT_COMPRESSED_FILE
	}
	if err := unix.FinitModule(int(f.Fd()), "", flags); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("finit_module %s: %w", path, err)
	}
	return nil
}

// LoadModules loads names and their dependencies from modDir
// (/lib/modules/<release>, holding modules.dep and modules.builtin) in
// dependency order. A module that fails to load is reported and skipped
// (its dependants may then fail too); the error lists every failure.
func LoadModules(ctx context.Context, log io.Writer, modDir string, names []string, l ModuleLoader) error {
	depf, err := os.ReadFile(filepath.Join(modDir, "modules.dep"))
	if err != nil {
		return err
	}
	deps, err := ParseModulesDep(bytes.NewReader(depf))
	if err != nil {
		return err
	}
	builtin := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join(modDir, "modules.builtin")); err == nil {
		if builtin, err = ParseBuiltin(bytes.NewReader(b)); err != nil {
			return err
		}
	}
	files, orderErr := deps.Order(names, builtin)
	var errs []error
	if orderErr != nil {
		errs = append(errs, orderErr)
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		if err := l.Load(filepath.Join(modDir, f)); err != nil {
			fmt.Fprintf(log, "module %s: %v\n", ModuleName(f), err)
			errs = append(errs, err)
			continue
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			fmt.Fprintf(log, "module %s took %v\n", ModuleName(f), d.Round(time.Millisecond))
		}
	}
	return errors.Join(errs...)
}

// FindRootDevice waits until the partition root names appears and returns
// its device node. sysBlock is /sys/class/block, dev is /dev (devtmpfs).
// It scans every poll interval and blocks until found or ctx is done.
func FindRootDevice(ctx context.Context, sysBlock, dev string, root RootSpec, poll time.Duration) (string, error) {
	var lastErr error
	for {
		p, err := findRootDevice(sysBlock, dev, root)
		if err == nil {
			return p, nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("root %s not found (%v): %w", root, lastErr, ctx.Err())
		case <-time.After(poll):
		}
	}
}

func findRootDevice(sysBlock, dev string, root RootSpec) (string, error) {
	if root.Device != "" {
		if _, err := os.Stat(root.Device); err != nil {
			return "", err
		}
		return root.Device, nil
	}
	ents, err := os.ReadDir(sysBlock)
	if err != nil {
		return "", err
	}
	var seen []string
	for _, e := range ents {
		name := e.Name()
		if _, err := os.Stat(filepath.Join(sysBlock, name, "partition")); err == nil {
			continue // a partition, not a disk
		}
		seen = append(seen, name)
		parts, err := readDisk(filepath.Join(dev, name))
		if err != nil {
			continue
		}
		n, ok := FindRoot(root, parts)
		if !ok {
			continue
		}
		part, err := partitionName(filepath.Join(sysBlock, name), n)
		if err != nil {
			return "", fmt.Errorf("disk %s: %w", name, err)
		}
		return filepath.Join(dev, part), nil
	}
	return "", fmt.Errorf("no disk has it (disks: %s)", strings.Join(seen, " "))
}

func readDisk(path string) ([]Partition, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadPartitions(f)
}

// partitionName finds the child of a disk's sysfs directory whose
// "partition" file holds n (mmcblk0 -> mmcblk0p2, sda -> sda2).
func partitionName(diskDir string, n int) (string, error) {
	ents, err := os.ReadDir(diskDir)
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(diskDir, e.Name(), "partition"))
		if err != nil {
			continue
		}
		if strings.TrimSpace(string(b)) == strconv.Itoa(n) {
			return e.Name(), nil
		}
	}
	return "", fmt.Errorf("partition %d has no device yet", n)
}
