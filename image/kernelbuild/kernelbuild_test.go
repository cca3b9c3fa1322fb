package kernelbuild

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sum = "0bbfeddbecdea8ab294daf09eb5cc1f4405af5c044b4b7aa57f5d1eaa205530f"

// TestTheLockParses: the repository's own kernel.lock names a release,
// its suites and a .deb per pin.
func TestTheLockParses(t *testing.T) {
	f, err := os.Open("../kernel/kernel.lock")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := ParseLock(f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(l.Release, "-arm64") || len(l.Pins) < 3 || len(l.Suites()) == 0 {
		t.Errorf("kernel.lock: release %q, %d pins, suites %v", l.Release, len(l.Pins), l.Suites())
	}
	for _, p := range l.Pins {
		if !strings.HasSuffix(p.Deb(), "_"+p.Arch+".deb") {
			t.Errorf("%s: .deb name %q", p.Name, p.Deb())
		}
	}
}

func TestParseLock(t *testing.T) {
	good := "# comment\n\nlinux-modules-7.3.4+deb13-arm64 7.3.4-1~bpo13+1 arm64 trixie-backports " + sum + "\n" +
		"firmware-brcm80211 20260916-1~bpo13+1 all bookworm " + sum + "\n"
	l, err := ParseLock(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	want := Lock{Release: "7.3.4+deb13-arm64", Pins: []Pin{
		{"linux-modules-7.3.4+deb13-arm64", "7.3.4-1~bpo13+1", "arm64", "trixie-backports", sum},
		{"firmware-brcm80211", "20260916-1~bpo13+1", "all", "bookworm", sum},
	}}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("ParseLock (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"bookworm", "trixie-backports"}, l.Suites()); diff != "" {
		t.Errorf("Suites (-want +got):\n%s", diff)
	}
	mods := "linux-modules-7.3.4+deb13-arm64 7.3.4-1 arm64 trixie " + sum + "\n"
	for _, tc := range []struct {
		lock, why string
	}{
		{"", "no linux-modules package"},
		{"firmware 1 all trixie " + sum + "\n", "no linux-modules package, only firmware"},
		{mods + "linux-modules-7.4 1 arm64 trixie " + sum + "\n", "two kernel releases"},
		{mods + mods, "a package twice"},
		{"linux-modules-7.3.4 7.3.4-1 arm64 trixie\n", "four fields"},
		{"linux-modules-7.3.4 7.3.4-1 arm64 trixie " + strings.ToUpper(sum) + "\n", "upper-case checksum"},
		{"linux-modules-7.3.4 7.3.4-1 arm64 trixie " + sum[:63] + "\n", "short checksum"},
		{"linux-modules-7.3.4 7.3.4/1 arm64 trixie " + sum + "\n", "a slash in the version would escape the cache dir"},
		{"../linux-modules-7.3.4 7.3.4-1 arm64 trixie " + sum + "\n", "a path as a name"},
		{"linux-modules-7.3.4 7.3.4-1 amd64 trixie " + sum + "\n", "the wrong architecture"},
	} {
		if _, err := ParseLock(strings.NewReader(tc.lock)); !errors.Is(err, ErrLock) {
			t.Errorf("%s: ParseLock = %v, want an ErrLock error", tc.why, err)
		}
	}
}

func TestReadModuleList(t *testing.T) {
	got, err := ReadModuleList(strings.NewReader("# fs\next4\n\n  vfat  \nsdhci-iproc\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ext4", "vfat", "sdhci-iproc"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ReadModuleList(strings.NewReader("ext4 vfat\n")); err == nil {
		t.Error("two names on a line accepted")
	}
}

// TestTheModuleListsRead: the repository's modules.txt and boards.txt
// give module names.
func TestTheModuleListsRead(t *testing.T) {
	f, err := os.Open("../kernel/modules.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if names, err := ReadModuleList(f); err != nil || len(names) < 5 {
		t.Errorf("modules.txt: %v, %v", names, err)
	}
	boards, err := os.ReadFile("../initramfs/boot/boards.txt")
	if err != nil {
		t.Fatal(err)
	}
	if names, err := BoardModules(boards); err != nil || len(names) < 5 {
		t.Errorf("boards.txt: %v, %v", names, err)
	}
}

// modTree writes a /lib/modules/<release> tree: a depends on b and c (as
// depmod lists every dependency on the module's line), c on b; d stands
// alone; fat is built in.
func modTree(t *testing.T) string {
	dir := t.TempDir()
	dep := "kernel/fs/a.ko.xz: kernel/lib/c.ko.xz kernel/lib/b.ko.xz\n" +
		"kernel/lib/b.ko.xz:\n" +
		"kernel/lib/c.ko.xz: kernel/lib/b.ko.xz\n" +
		"kernel/drivers/d-e.ko.xz:\n"
	for name, data := range map[string]string{"modules.dep": dep, "modules.builtin": "kernel/fs/fat/fat.ko\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestClosure(t *testing.T) {
	dir := modTree(t)
	for _, tc := range []struct {
		names []string
		want  []string
		why   string
	}{
		{[]string{"a"}, []string{"kernel/fs/a.ko.xz", "kernel/lib/b.ko.xz", "kernel/lib/c.ko.xz"}, "dependencies come along"},
		{[]string{"c", "a", "b"}, []string{"kernel/fs/a.ko.xz", "kernel/lib/b.ko.xz", "kernel/lib/c.ko.xz"}, "each file once, sorted"},
		{[]string{"d_e"}, []string{"kernel/drivers/d-e.ko.xz"}, "'-' and '_' are the same"},
		{[]string{"fat"}, nil, "a built-in module needs no file"},
	} {
		got, err := Closure(dir, tc.names)
		if err != nil {
			t.Errorf("%s: %v", tc.why, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: Closure(%v) (-want +got):\n%s", tc.why, tc.names, diff)
		}
	}
	if _, err := Closure(dir, []string{"a", "ext5"}); err == nil || !strings.Contains(err.Error(), "ext5") {
		t.Errorf("a module that does not exist: %v, want an error naming it", err)
	}
	if _, err := Closure(t.TempDir(), []string{"a"}); err == nil {
		t.Error("a tree without modules.dep: no error")
	}
}

func FuzzParseLock(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLock(strings.NewReader(string(data)))
		if err != nil {
			if !errors.Is(err, ErrLock) {
				t.Fatalf("error %v does not wrap ErrLock", err)
			}
			return
		}
		if l.Release == "" || len(l.Pins) == 0 {
			t.Fatalf("accepted a lock without a release: %+v", l)
		}
		for _, p := range l.Pins {
			if strings.ContainsAny(p.Deb(), "/ \n") {
				t.Fatalf("a .deb name that is not one file name: %q", p.Deb())
			}
		}
	})
}
