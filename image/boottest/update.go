package boottest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// RootPartition returns the partition number that a kernel command line
// names as root, in the forms gokrazy writes: root=PARTUUID=<disk
// GUID>/PARTNROFF=N (GPT images: partition 1+N, where partition 1 is the
// boot partition), root=PARTUUID=<disk id>-NN (MBR images) and
// root=/dev/<disk>N or /dev/<disk>pN.
func RootPartition(cmdline string) (int, error) {
	var root string
	for _, f := range strings.Fields(cmdline) {
		if v, ok := strings.CutPrefix(f, "root="); ok {
			root = v // the kernel takes the last one
		}
	}
	if root == "" {
		return 0, fmt.Errorf("no root= in %q", cmdline)
	}
	if uuid, off, ok := strings.Cut(root, "/PARTNROFF="); ok && strings.HasPrefix(uuid, "PARTUUID=") {
		n, err := strconv.Atoi(off)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("root=%s: bad PARTNROFF", root)
		}
		return 1 + n, nil
	}
	if m := mbrPartUUID.FindStringSubmatch(root); m != nil {
		n, _ := strconv.ParseInt(m[1], 16, 0)
		return int(n), nil
	}
	if m := devPart.FindStringSubmatch(root); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, nil
	}
	return 0, fmt.Errorf("root=%s: no partition number in a form gokrazy writes", root)
}

var (
	mbrPartUUID = regexp.MustCompile(`^PARTUUID=[0-9a-fA-F]{8}-([0-9a-fA-F]{2})$`)
	devPart     = regexp.MustCompile(`^/dev/[a-z]+[a-z0-9]*?p?([0-9]+)$`)
)

// BootRoots returns the root partition of each boot a serial console log
// shows, in order: Linux prints "Kernel command line: ..." once per boot
// (a kexec reboot too), and QEMU appends every boot of one run to the same
// file.
func BootRoots(console []byte) ([]int, error) {
	var roots []int
	for l := range strings.SplitSeq(strings.ReplaceAll(string(console), "\r", ""), "\n") {
		_, cmdline, ok := strings.Cut(l, "Kernel command line: ")
		if !ok {
			continue
		}
		n, err := RootPartition(cmdline)
		if err != nil {
			return nil, fmt.Errorf("boot %d: %w", len(roots)+1, err)
		}
		roots = append(roots, n)
	}
	return roots, nil
}

// RootSwitched checks that the serial console log file shows a boot after
// the first before boots (those seen before the update was sent) whose
// root partition differs from that of boot number before: an A/B update
// that reboots into the partition it was written to. The last boot counts,
// so a kernel that panics and reboots (panic=10) on either side of the
// update changes nothing. A reboot into the old root (the switch did not
// happen) is reported as such. The detail is "OLD -> NEW".
func RootSwitched(file string, before int) Check {
	return func(ctx context.Context) (string, error) {
		if before < 1 {
			return "", fmt.Errorf("%d boots before the update: want at least 1", before)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		roots, err := BootRoots(b)
		if err != nil {
			return "", err
		}
		n := len(roots)
		if n < before {
			return "", fmt.Errorf("%d boots on the console, fewer than the %d before the update: not the same console log", n, before)
		}
		if n == before {
			return "", fmt.Errorf("no boot after the update yet (%d boots, root partition %d)", n, roots[n-1])
		}
		old, cur := roots[before-1], roots[n-1]
		if cur == old {
			return "", fmt.Errorf("boot %d booted root partition %d again, as boot %d before the update did: the A/B switch did not happen", n, cur, before)
		}
		return fmt.Sprintf("%d -> %d", old, cur), nil
	}
}

// BoxVersion checks the build identifier atomicboxd reports in
// /api/settings (box.version, stamped at build time with -X main.version).
// want "" accepts any; the detail is the version.
func (s Settings) BoxVersion(want string) (string, error) {
	if s.Box.Version == "" {
		return "", errors.New("the daemon reports no version")
	}
	if want != "" && s.Box.Version != want {
		return "", fmt.Errorf("the daemon is build %q, want %q", s.Box.Version, want)
	}
	return s.Box.Version, nil
}

// SameBytes compares file got with file want byte by byte and returns the
// number of bytes compared. A difference is an error naming the first
// differing offset, or which file is shorter; an empty want is an error
// (nothing was compared).
func SameBytes(want, got string) (int64, error) {
	fw, err := os.Open(want)
	if err != nil {
		return 0, err
	}
	defer fw.Close()
	fg, err := os.Open(got)
	if err != nil {
		return 0, err
	}
	defer fg.Close()
	rw, rg := bufio.NewReaderSize(fw, 1<<20), bufio.NewReaderSize(fg, 1<<20)
	var off int64
	a, b := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		n, errw := io.ReadFull(rw, a)
		m, errg := io.ReadFull(rg, b)
		k := min(n, m)
		if i := firstDiff(a[:k], b[:k]); i >= 0 {
			return off + int64(i), fmt.Errorf("%s differs from %s at byte %d", got, want, off+int64(i))
		}
		off += int64(k)
		if n != m {
			short := got
			if n < m {
				short = want
			}
			return off, fmt.Errorf("%s ends at byte %d, the other file goes on", short, off)
		}
		endw, endg := isEnd(errw), isEnd(errg)
		if errw != nil && !endw {
			return off, errw
		}
		if errg != nil && !endg {
			return off, errg
		}
		if endw && endg {
			break
		}
	}
	if off == 0 {
		return 0, fmt.Errorf("%s is empty: nothing compared", want)
	}
	return off, nil
}

func isEnd(err error) bool { return err == io.EOF || err == io.ErrUnexpectedEOF }

func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
