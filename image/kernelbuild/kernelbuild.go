// Package kernelbuild decides what goes into the Raspberry Pi kernel
// package that scripts/kernel-build.sh assembles: which Debian packages
// (the pins of image/kernel/kernel.lock), and which kernel modules (a
// module list's closure over depmod's modules.dep).
package kernelbuild

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/atomicnetwork/atomicbox/image/initramfs/boot"
)

// Pin is one Debian package of the lock file.
type Pin struct {
	Name, Version, Arch, Suite string
	SHA256                     string // of the .deb, lower-case hex
}

// Deb is the file name apt-get download gives the package.
func (p Pin) Deb() string { return p.Name + "_" + p.Version + "_" + p.Arch + ".deb" }

// Lock is a parsed kernel.lock.
type Lock struct {
	Pins    []Pin
	Release string // the kernel release, from the linux-modules-<release> package
}

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// Debian package names; versions are looser but never hold '/' or '_'.
	pkgName    = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	pkgVersion = regexp.MustCompile(`^[0-9A-Za-z.+~:-]+$`)
)

// ErrLock wraps every reason ParseLock refuses a lock file.
var ErrLock = errors.New("kernel.lock")

// ParseLock reads kernel.lock: one package a line, "name version arch suite
// sha256"; '#' starts a comment line. Exactly one linux-modules-<release>
// package names the kernel release. A package listed twice, a malformed
// checksum or name is an error wrapping ErrLock that names the line.
func ParseLock(r io.Reader) (Lock, error) {
	var l Lock
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || t[0] == '#' {
			continue
		}
		f := strings.Fields(t)
		if len(f) != 5 {
			return Lock{}, fmt.Errorf("%w: line %d: %d fields, want name version arch suite sha256", ErrLock, n, len(f))
		}
		p := Pin{Name: f[0], Version: f[1], Arch: f[2], Suite: f[3], SHA256: f[4]}
		switch {
		case !pkgName.MatchString(p.Name):
			return Lock{}, fmt.Errorf("%w: line %d: %q is not a package name", ErrLock, n, p.Name)
		case !pkgVersion.MatchString(p.Version):
			return Lock{}, fmt.Errorf("%w: line %d: %q is not a version", ErrLock, n, p.Version)
		case p.Arch != "arm64" && p.Arch != "all":
			return Lock{}, fmt.Errorf("%w: line %d: architecture %q, want arm64 or all", ErrLock, n, p.Arch)
		case !pkgName.MatchString(p.Suite):
			return Lock{}, fmt.Errorf("%w: line %d: %q is not a suite", ErrLock, n, p.Suite)
		case !sha256Hex.MatchString(p.SHA256):
			return Lock{}, fmt.Errorf("%w: line %d: %q is not a sha256 (64 lower-case hex digits)", ErrLock, n, p.SHA256)
		case seen[p.Name]:
			return Lock{}, fmt.Errorf("%w: line %d: %s listed twice", ErrLock, n, p.Name)
		}
		seen[p.Name] = true
		if rel, ok := strings.CutPrefix(p.Name, "linux-modules-"); ok {
			if l.Release != "" {
				return Lock{}, fmt.Errorf("%w: line %d: a second linux-modules package (%s and %s)", ErrLock, n, l.Release, rel)
			}
			l.Release = rel
		}
		l.Pins = append(l.Pins, p)
	}
	if err := sc.Err(); err != nil {
		return Lock{}, fmt.Errorf("%w: %v", ErrLock, err)
	}
	if l.Release == "" {
		return Lock{}, fmt.Errorf("%w: no linux-modules-<release> package", ErrLock)
	}
	return l, nil
}

// Suites are the Debian suites the pins come from, sorted, each once.
func (l Lock) Suites() []string {
	var s []string
	for _, p := range l.Pins {
		if !slices.Contains(s, p.Suite) {
			s = append(s, p.Suite)
		}
	}
	slices.Sort(s)
	return s
}

// ReadModuleList reads a module list such as image/kernel/modules.txt: one
// module name a line, '#' comments and blank lines ignored.
func ReadModuleList(r io.Reader) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		t := strings.TrimSpace(sc.Text())
		if t == "" || t[0] == '#' {
			continue
		}
		if strings.ContainsAny(t, " \t/") {
			return nil, fmt.Errorf("module list: %q is not one module name", t)
		}
		names = append(names, t)
	}
	return names, sc.Err()
}

// BoardModules are the modules the initramfs loads on any board of
// boards.txt (image/initramfs/boot), each once.
func BoardModules(boardsTxt []byte) ([]string, error) {
	boards, err := boot.ParseBoards(bytes.NewReader(boardsTxt))
	if err != nil {
		return nil, err
	}
	return boot.AllModules(boards), nil
}

// Closure returns the module files (relative to modDir, a
// /lib/modules/<release> tree with depmod's modules.dep and
// modules.builtin) that names need, dependencies included, sorted and each
// once. A name built into the kernel needs no file; a name that is neither
// a module nor built in is an error, so a typo fails the build.
func Closure(modDir string, names []string) ([]string, error) {
	dep, err := os.ReadFile(filepath.Join(modDir, "modules.dep"))
	if err != nil {
		return nil, err
	}
	builtinTxt, err := os.ReadFile(filepath.Join(modDir, "modules.builtin"))
	if err != nil {
		return nil, err
	}
	deps, err := boot.ParseModulesDep(bytes.NewReader(dep))
	if err != nil {
		return nil, err
	}
	builtin, err := boot.ParseBuiltin(bytes.NewReader(builtinTxt))
	if err != nil {
		return nil, err
	}
	files, err := deps.Order(names, builtin)
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}
