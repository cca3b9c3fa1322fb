package elfroot

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const triplet = "x86_64-linux-gnu"

// dynELF is a synthetic ELF shared object: only the dynamic section
// (DT_NEEDED, DT_RUNPATH, DT_RPATH) and its string table, which is all the
// loader's search and this package read.
type dynELF struct {
	machine elf.Machine
	needed  []string
	runpath string
	rpath   string
}

// writeELF writes e as a little-endian ELF64 file with section headers
// (null, .dynstr, .dynamic, .shstrtab) and program headers (one PT_LOAD
// of the whole file at address 0, PT_DYNAMIC), as readelf and the loader read it.
func writeELF(t *testing.T, name string, e dynELF) {
	t.Helper()
	le := binary.LittleEndian
	var dynstr bytes.Buffer
	dynstr.WriteByte(0)
	str := func(s string) uint64 {
		off := uint64(dynstr.Len())
		dynstr.WriteString(s)
		dynstr.WriteByte(0)
		return off
	}
	const ehsize, phentsize, shentsize = 64, 56, 64
	var dyn []uint64 // tag, value pairs
	for _, n := range e.needed {
		dyn = append(dyn, uint64(elf.DT_NEEDED), str(n))
	}
	if e.rpath != "" {
		dyn = append(dyn, uint64(elf.DT_RPATH), str(e.rpath))
	}
	if e.runpath != "" {
		dyn = append(dyn, uint64(elf.DT_RUNPATH), str(e.runpath))
	}
	dynstrOff := uint64(ehsize + 2*phentsize)
	dyn = append(dyn, uint64(elf.DT_STRTAB), dynstrOff, uint64(elf.DT_STRSZ), uint64(dynstr.Len()), uint64(elf.DT_NULL), 0)
	shstr := []byte("\x00.dynstr\x00.dynamic\x00.shstrtab\x00")

	dynOff := (dynstrOff + uint64(dynstr.Len()) + 7) &^ 7
	shstrOff := dynOff + uint64(len(dyn)*8)
	shOff := (shstrOff + uint64(len(shstr)) + 7) &^ 7

	b := make([]byte, shOff+4*shentsize)
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	b[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	b[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	le.PutUint16(b[16:], uint16(elf.ET_DYN))
	le.PutUint16(b[18:], uint16(e.machine))
	le.PutUint32(b[20:], uint32(elf.EV_CURRENT))
	le.PutUint64(b[32:], ehsize) // phoff
	le.PutUint64(b[40:], shOff)
	le.PutUint16(b[52:], ehsize)
	le.PutUint16(b[54:], phentsize)
	le.PutUint16(b[56:], 2) // phnum
	ph := func(i int, typ elf.ProgType, off, size uint64) {
		h := b[ehsize+i*phentsize:]
		le.PutUint32(h[0:], uint32(typ))
		le.PutUint32(h[4:], uint32(elf.PF_R))
		le.PutUint64(h[8:], off)  // offset
		le.PutUint64(h[16:], off) // vaddr: the file is mapped at 0
		le.PutUint64(h[24:], off)
		le.PutUint64(h[32:], size)
		le.PutUint64(h[40:], size)
		le.PutUint64(h[48:], 8)
	}
	ph(0, elf.PT_LOAD, 0, uint64(len(b)))
	ph(1, elf.PT_DYNAMIC, dynOff, uint64(len(dyn)*8))
	le.PutUint16(b[58:], shentsize)
	le.PutUint16(b[60:], 4) // shnum
	le.PutUint16(b[62:], 3) // shstrndx
	copy(b[dynstrOff:], dynstr.Bytes())
	for i, v := range dyn {
		le.PutUint64(b[dynOff+uint64(i*8):], v)
	}
	copy(b[shstrOff:], shstr)
	sh := func(i int, name uint32, typ elf.SectionType, off, size uint64, link uint32, entsize uint64) {
		h := b[shOff+uint64(i*shentsize):]
		le.PutUint32(h[0:], name)
		le.PutUint32(h[4:], uint32(typ))
		le.PutUint64(h[24:], off)
		le.PutUint64(h[32:], size)
		le.PutUint32(h[40:], link)
		le.PutUint64(h[48:], 1)
		le.PutUint64(h[56:], entsize)
	}
	sh(1, 1, elf.SHT_STRTAB, dynstrOff, uint64(dynstr.Len()), 0, 0)
	sh(2, 9, elf.SHT_DYNAMIC, dynOff, uint64(len(dyn)*8), 1, 16)
	sh(3, 18, elf.SHT_STRTAB, shstrOff, uint64(len(shstr)), 0, 0)
	writeFile(t, name, string(b))
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// copyHost copies a real file of this machine (its symlinks followed) into root.
func copyHost(t *testing.T, host, root, rel string) {
	t.Helper()
	b, err := os.ReadFile(host)
	if err != nil {
		t.Skipf("this machine has no %s: %v", host, err)
	}
	writeFile(t, filepath.Join(root, rel), string(b))
}

// tree lists dir as "path" for files and "path -> target" for symlinks.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir || d.IsDir() {
			return err
		}
		r, _ := filepath.Rel(dir, p)
		if d.Type()&fs.ModeSymlink != 0 {
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			r += " -> " + l
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFollow(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "usr/lib/libz.so.1.2.13"), "z")
	symlink(t, "libz.so.1.2.13", filepath.Join(root, "usr/lib/libz.so.1"))
	symlink(t, "/usr/lib/libz.so.1", filepath.Join(root, "lib/libz.so"))
	symlink(t, "../../../../../usr/lib/libz.so.1", filepath.Join(root, "lib/deep/up.so"))
	symlink(t, "missing.so", filepath.Join(root, "lib/dangling.so"))
	symlink(t, "loop-b", filepath.Join(root, "lib/loop-a"))
	symlink(t, "loop-a", filepath.Join(root, "lib/loop-b"))
	for _, tc := range []struct {
		rel, want, reason string
	}{
		{"usr/lib/libz.so.1.2.13", "usr/lib/libz.so.1.2.13", "a file is itself"},
		{"usr/lib/libz.so.1", "usr/lib/libz.so.1.2.13", "a relative link is followed from its directory"},
		{"lib/libz.so", "usr/lib/libz.so.1.2.13", "an absolute target means inside root, then the chain goes on"},
		{"lib/deep/up.so", "usr/lib/libz.so.1.2.13", ".. never climbs out of root"},
		{"lib/dangling.so", "lib/missing.so", "a dangling link ends at its target"},
		{"lib/loop-a", "lib/loop-a", "a loop stops after 40 links (an even number: back at the start)"},
		{"nothing/here", "nothing/here", "a missing name is returned as is"},
	} {
		if got := Follow(root, tc.rel); got != tc.want {
			t.Errorf("Follow(%q) = %q, want %q (%s)", tc.rel, got, tc.want, tc.reason)
		}
	}
}

func TestExpandRunpath(t *testing.T) {
	for _, tc := range []struct {
		rp, origin string
		want       []string
		reason     string
	}{
		{"", "usr/lib", nil, "no RUNPATH, no directories"},
		{"/usr/lib/x86_64-linux-gnu/pulseaudio", "usr/lib/x86_64-linux-gnu",
			[]string{"usr/lib/x86_64-linux-gnu/pulseaudio"}, "absolute means inside root (libpulse's real RUNPATH)"},
		{"$ORIGIN/../lib:$ORIGIN", "opt/app/bin", []string{"opt/app/lib", "opt/app/bin"}, "$ORIGIN is the object's directory"},
		{"${ORIGIN}/priv", "usr/lib", []string{"usr/lib/priv"}, "the braced spelling too"},
		{"$ORIGIN/../../../..", "a", []string{"."}, "never above root"},
		{"a::/b/", "x", []string{"a", ".", "b"}, "empty entries are the root; entries are cleaned"},
	} {
		if diff := cmp.Diff(tc.want, ExpandRunpath(tc.rp, tc.origin)); diff != "" {
			t.Errorf("ExpandRunpath(%q, %q) (-want +got):\n%s(%s)", tc.rp, tc.origin, diff, tc.reason)
		}
	}
}

// readelfDynamic is what the shell script read with readelf -d and sed.
func readelfDynamic(t *testing.T, name string) Dynamic {
	t.Helper()
	out, err := exec.Command("readelf", "-d", name).Output()
	if err != nil {
		t.Fatalf("readelf -d %s: %v", name, err)
	}
	var d Dynamic
	for _, m := range regexp.MustCompile(`\(NEEDED\).*\[(.*)\]`).FindAllSubmatch(out, -1) {
		d.Needed = append(d.Needed, string(m[1]))
	}
	if m := regexp.MustCompile(`\(R(?:UN)?PATH\).*\[(.*)\]`).FindSubmatch(out); m != nil {
		d.Runpath = string(m[1])
	}
	return d
}

// TestReadDynamicMatchesReadelf reads this machine's libraries and programs
// and compares with readelf, which the script used before.
func TestReadDynamicMatchesReadelf(t *testing.T) {
	if _, err := exec.LookPath("readelf"); err != nil {
		t.Skip("no readelf (binutils)")
	}
	var names []string
	for _, g := range []string{"/usr/lib/x86_64-linux-gnu/libpulse*.so.*", "/usr/lib/x86_64-linux-gnu/libmpv.so.*",
		"/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libselinux.so.1", "/usr/bin/ls", "/usr/bin/tar"} {
		m, _ := filepath.Glob(g)
		names = append(names, m...)
	}
	if len(names) < 3 {
		t.Skipf("too few real ELF files here: %v", names)
	}
	runpaths := 0
	for _, n := range names {
		got, err := ReadDynamic(n)
		if err != nil {
			t.Errorf("ReadDynamic(%s): %v", n, err)
			continue
		}
		if got.Runpath != "" {
			runpaths++
		}
		if diff := cmp.Diff(readelfDynamic(t, n), got); diff != "" {
			t.Errorf("ReadDynamic(%s) differs from readelf -d (-readelf +got):\n%s", n, diff)
		}
	}
	t.Logf("%d files, %d with a RUNPATH", len(names), runpaths)
}

// TestSyntheticELF checks the test's own ELF writer against readelf, so the
// other tests' files are what a linker would make as far as the loader reads.
func TestSyntheticELF(t *testing.T) {
	if _, err := exec.LookPath("readelf"); err != nil {
		t.Skip("no readelf (binutils)")
	}
	name := filepath.Join(t.TempDir(), "libx.so")
	want := Dynamic{Needed: []string{"liba.so.1", "libb.so.2"}, Runpath: "$ORIGIN/../priv"}
	writeELF(t, name, dynELF{machine: elf.EM_AARCH64, needed: want.Needed, runpath: want.Runpath})
	if diff := cmp.Diff(want, readelfDynamic(t, name)); diff != "" {
		t.Errorf("readelf on the synthetic ELF (-want +got):\n%s", diff)
	}
}

func TestReadDynamicRunpathOverRpath(t *testing.T) {
	name := filepath.Join(t.TempDir(), "libx.so")
	writeELF(t, name, dynELF{machine: elf.EM_X86_64, needed: []string{"liba.so"}, rpath: "/old", runpath: "/new"})
	got, err := ReadDynamic(name)
	if err != nil {
		t.Fatal(err)
	}
	if got.Runpath != "/new" {
		t.Errorf("Runpath = %q, want /new: the loader ignores DT_RPATH when DT_RUNPATH is there", got.Runpath)
	}
	writeELF(t, name+"2", dynELF{machine: elf.EM_X86_64, rpath: "/old"})
	if got, _ := ReadDynamic(name + "2"); got.Runpath != "/old" {
		t.Errorf("Runpath = %q, want /old: DT_RPATH alone is used", got.Runpath)
	}
}

// realRoot builds an unpacked root from this machine's /usr/bin/ls and the
// libraries it loads, laid out as Debian ships them (versioned file,
// SONAME link, the loader's absolute /lib64 link).
func realRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	lib := "lib/" + triplet
	copyHost(t, "/usr/bin/ls", root, "usr/bin/ls")
	copyHost(t, "/lib/"+triplet+"/libselinux.so.1", root, lib+"/libselinux.so.1")
	copyHost(t, "/lib/"+triplet+"/libc.so.6", root, lib+"/libc.so.6")
	copyHost(t, "/lib/"+triplet+"/libpcre2-8.so.0", root, lib+"/libpcre2-8.so.0.11.2")
	symlink(t, "libpcre2-8.so.0.11.2", filepath.Join(root, lib, "libpcre2-8.so.0"))
	copyHost(t, "/lib/"+triplet+"/ld-linux-x86-64.so.2", root, lib+"/ld-linux-x86-64.so.2")
	symlink(t, "/lib/"+triplet+"/ld-linux-x86-64.so.2", filepath.Join(root, "lib64/ld-linux-x86-64.so.2"))
	writeFile(t, filepath.Join(root, "usr/lib", triplet, "libunused.so.1"), "not reached")
	for _, want := range []string{"libselinux.so.1", "libc.so.6"} {
		d, err := ReadDynamic(filepath.Join(root, "usr/bin/ls"))
		if err != nil || !slices.Contains(d.Needed, want) {
			t.Skipf("this machine's ls does not need %s (%v): not Debian 12", want, err)
		}
	}
	return root
}

func TestClosureRealLibraries(t *testing.T) {
	src := realRoot(t)
	s := &Stager{Src: src, Dst: t.TempDir(), Triplet: triplet}
	if err := s.Closure(context.Background(), []string{"usr/bin/ls", "lib64/ld-linux-x86-64.so.2"}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"lib/x86_64-linux-gnu/libc.so.6",
		"lib/x86_64-linux-gnu/libpcre2-8.so.0 -> libpcre2-8.so.0.11.2",
		"lib/x86_64-linux-gnu/libpcre2-8.so.0.11.2",
		"lib/x86_64-linux-gnu/libselinux.so.1",
		"lib64/ld-linux-x86-64.so.2 -> ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"usr/bin/ls",
	}
	if diff := cmp.Diff(want, tree(t, s.Dst)); diff != "" {
		t.Errorf("staged tree (-want +got):\n%s", diff)
	}
	res, err := Check(context.Background(), s.Dst, triplet)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Missing) > 0 || res.ELFs != 5 {
		t.Errorf("Check of the staged closure = %+v, want 5 ELF files, nothing missing", res)
	}
}

func TestClosureErrors(t *testing.T) {
	src := realRoot(t)
	if err := os.Remove(filepath.Join(src, "lib", triplet, "libpcre2-8.so.0.11.2")); err != nil {
		t.Fatal(err)
	}
	s := &Stager{Src: src, Dst: t.TempDir(), Triplet: triplet}
	err := s.Closure(context.Background(), []string{"usr/bin/ls"})
	want := "libpcre2-8.so.0 (needed by lib/x86_64-linux-gnu/libselinux.so.1) is in no downloaded package"
	if err == nil || err.Error() != want {
		t.Errorf("Closure with a dangling SONAME link: %v, want %q", err, want)
	}
	s = &Stager{Src: src, Dst: t.TempDir(), Triplet: triplet}
	err = s.Closure(context.Background(), []string{"usr/lib/nothing.so"})
	if err == nil || err.Error() != "usr/lib/nothing.so not in any package" {
		t.Errorf("Closure of a missing root: %v", err)
	}
}

// TestClosureRunpath: a library found only through its RUNPATH ($ORIGIN),
// an absolute RUNPATH, and a name the RUNPATH shadows in the defaults.
func TestClosureRunpath(t *testing.T) {
	src := t.TempDir()
	lib := "usr/lib/" + triplet
	writeELF(t, filepath.Join(src, lib, "libmpv.so.2"), dynELF{machine: elf.EM_X86_64,
		needed: []string{"libpriv.so", "libabs.so.1", "libc.so.6"}, runpath: "$ORIGIN/mpv:/opt/abs"})
	writeELF(t, filepath.Join(src, lib, "mpv/libpriv.so"), dynELF{machine: elf.EM_X86_64, needed: []string{"libc.so.6"}})
	writeELF(t, filepath.Join(src, "opt/abs/libabs.so.1"), dynELF{machine: elf.EM_X86_64})
	writeELF(t, filepath.Join(src, "lib", triplet, "libc.so.6"), dynELF{machine: elf.EM_X86_64})
	writeFile(t, filepath.Join(src, lib, "libpriv.so"), "shadowed by the RUNPATH")
	symlink(t, "libmpv.so.2", filepath.Join(src, lib, "libmpv.so"))
	s := &Stager{Src: src, Dst: t.TempDir(), Triplet: triplet}
	if err := s.Closure(context.Background(), []string{lib + "/libmpv.so"}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"lib/x86_64-linux-gnu/libc.so.6",
		"opt/abs/libabs.so.1",
		"usr/lib/x86_64-linux-gnu/libmpv.so -> libmpv.so.2",
		"usr/lib/x86_64-linux-gnu/libmpv.so.2",
		"usr/lib/x86_64-linux-gnu/mpv/libpriv.so",
	}
	if diff := cmp.Diff(want, tree(t, s.Dst)); diff != "" {
		t.Errorf("staged tree (-want +got):\n%s", diff)
	}
}

// TestCopyPath: symlink chains are copied link by link, absolute targets
// made relative, and a second name of a hard-linked file (Mesa's
// megadriver) becomes a symlink to the first copy.
func TestCopyPath(t *testing.T) {
	src := t.TempDir()
	dri := filepath.Join(src, "usr/lib/dri")
	writeFile(t, filepath.Join(dri, "iris_dri.so"), "megadriver")
	for _, n := range []string{"crocus_dri.so", "i915_dri.so"} {
		if err := os.Link(filepath.Join(dri, "iris_dri.so"), filepath.Join(dri, n)); err != nil {
			t.Fatal(err)
		}
	}
	symlink(t, "/usr/lib/dri/iris_dri.so", filepath.Join(src, "etc/drv.so"))
	writeFile(t, filepath.Join(src, "bin/tool"), "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(src, "bin/tool"), fs.ModeSetuid|0o755); err != nil {
		t.Fatal(err)
	}
	s := &Stager{Src: src, Dst: t.TempDir()}
	for _, rel := range []string{"usr/lib/dri/crocus_dri.so", "etc/drv.so", "usr/lib/dri/i915_dri.so", "bin/tool", "etc/drv.so"} {
		if err := s.CopyPath(rel); err != nil {
			t.Fatalf("CopyPath(%s): %v", rel, err)
		}
	}
	want := []string{
		"bin/tool",
		"etc/drv.so -> ../usr/lib/dri/iris_dri.so",
		"usr/lib/dri/crocus_dri.so",
		"usr/lib/dri/i915_dri.so -> crocus_dri.so",
		"usr/lib/dri/iris_dri.so -> crocus_dri.so",
	}
	if diff := cmp.Diff(want, tree(t, s.Dst)); diff != "" {
		t.Errorf("staged tree (-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(filepath.Join(s.Dst, "etc/drv.so")); err != nil || string(b) != "megadriver" {
		t.Errorf("etc/drv.so reads %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(s.Dst, "bin/tool")); err != nil || fi.Mode()&(fs.ModePerm|fs.ModeSetuid) != fs.ModeSetuid|0o755 {
		t.Errorf("bin/tool mode %v, %v: want setuid 0755 kept (cp -p)", fi.Mode(), err)
	}
}

func TestCopyTree(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "usr/share/alsa/alsa.conf"), "conf")
	writeFile(t, filepath.Join(src, "usr/share/alsa/cards/HDA.conf"), "hda")
	symlink(t, "/usr/share/alsa/alsa.conf", filepath.Join(src, "usr/share/alsa/link.conf"))
	writeFile(t, filepath.Join(src, "usr/share/other"), "not copied")
	s := &Stager{Src: src, Dst: t.TempDir()}
	if err := s.CopyTree(context.Background(), "usr/share/alsa"); err != nil {
		t.Fatal(err)
	}
	want := []string{"usr/share/alsa/alsa.conf", "usr/share/alsa/cards/HDA.conf", "usr/share/alsa/link.conf -> alsa.conf"}
	if diff := cmp.Diff(want, tree(t, s.Dst)); diff != "" {
		t.Errorf("staged tree (-want +got):\n%s", diff)
	}
	if err := s.CopyTree(context.Background(), "usr/share/nothing"); err == nil || err.Error() != "usr/share/nothing missing" {
		t.Errorf("CopyTree of a missing dir: %v", err)
	}
}

func TestHardLinksToSymlinks(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "b/x"), "x")
	if err := os.MkdirAll(filepath.Join(dir, "a/deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "b/x"), filepath.Join(dir, "a/deep/y")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "c"), "single")
	if err := HardLinksToSymlinks(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	want := []string{"a/deep/y", "b/x -> ../a/deep/y", "c"}
	if diff := cmp.Diff(want, tree(t, dir)); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		build  func(t *testing.T, root string)
		want   []Missing
		reason string
	}{{
		name: "satisfied",
		build: func(t *testing.T, root string) {
			writeELF(t, filepath.Join(root, "usr/lib", triplet, "libmpv.so.2"), dynELF{machine: elf.EM_AARCH64, needed: []string{"libc.so.6"}})
			writeELF(t, filepath.Join(root, "lib", triplet, "libc.so.6"), dynELF{machine: elf.EM_AARCH64})
		},
		reason: "every name in a default directory",
	}, {
		name: "missing",
		build: func(t *testing.T, root string) {
			writeELF(t, filepath.Join(root, "usr/lib", triplet, "libmpv.so.2"), dynELF{machine: elf.EM_AARCH64, needed: []string{"libc.so.6", "libz.so.1"}})
			writeELF(t, filepath.Join(root, "lib", triplet, "libc.so.6"), dynELF{machine: elf.EM_AARCH64, needed: []string{"ld.so"}})
		},
		want:   []Missing{{"ld.so", "lib/x86_64-linux-gnu/libc.so.6"}, {"libz.so.1", "usr/lib/x86_64-linux-gnu/libmpv.so.2"}},
		reason: "each unsatisfied entry, files in byte order",
	}, {
		name: "runpath-origin",
		build: func(t *testing.T, root string) {
			writeELF(t, filepath.Join(root, "opt/bin/app"), dynELF{machine: elf.EM_X86_64, needed: []string{"libp.so"}, runpath: "${ORIGIN}/../priv"})
			writeELF(t, filepath.Join(root, "opt/priv/libp.so"), dynELF{machine: elf.EM_X86_64})
		},
		reason: "found through RUNPATH relative to the object",
	}, {
		name: "runpath-not-inherited",
		build: func(t *testing.T, root string) {
			writeELF(t, filepath.Join(root, "opt/bin/app"), dynELF{machine: elf.EM_X86_64, needed: []string{"libp.so"}, runpath: "$ORIGIN/../priv"})
			writeELF(t, filepath.Join(root, "opt/priv/libp.so"), dynELF{machine: elf.EM_X86_64, needed: []string{"libq.so"}})
			writeELF(t, filepath.Join(root, "opt/priv/libq.so"), dynELF{machine: elf.EM_X86_64})
		},
		want:   []Missing{{"libq.so", "opt/priv/libp.so"}},
		reason: "DT_RUNPATH applies to the object's own entries only",
	}, {
		name: "symlinks",
		build: func(t *testing.T, root string) {
			writeELF(t, filepath.Join(root, "usr/lib", triplet, "libmpv.so.2"), dynELF{machine: elf.EM_X86_64, needed: []string{"libc.so.6", "libgone.so"}})
			writeELF(t, filepath.Join(root, "real/libc.so.6"), dynELF{machine: elf.EM_X86_64})
			symlink(t, "../real", filepath.Join(root, "lib", triplet))
			symlink(t, "nowhere.so", filepath.Join(root, "usr/lib/libgone.so"))
			symlink(t, "..", filepath.Join(root, "real/loop"))
		},
		want:   []Missing{{"libgone.so", "usr/lib/x86_64-linux-gnu/libmpv.so.2"}},
		reason: "a linked directory is searched, a dangling link is no file, a loop ends",
	}, {
		name: "not-elf",
		build: func(t *testing.T, root string) {
			writeFile(t, filepath.Join(root, "usr/share/x.conf"), "\x7fEL")
			writeFile(t, filepath.Join(root, "usr/lib/broken.so"), "\x7fELF but not really")
		},
		reason: "short or unparseable files need nothing",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tc.build(t, root)
			got, err := Check(context.Background(), root, triplet)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Missing); diff != "" {
				t.Errorf("Missing (-want +got):\n%s(%s)", diff, tc.reason)
			}
		})
	}
}

func TestCheckRealLibraries(t *testing.T) {
	root := realRoot(t)
	if err := os.Remove(filepath.Join(root, "lib", triplet, "libpcre2-8.so.0.11.2")); err != nil {
		t.Fatal(err)
	}
	got, err := Check(context.Background(), root, triplet)
	if err != nil {
		t.Fatal(err)
	}
	want := []Missing{{"libpcre2-8.so.0", "lib/x86_64-linux-gnu/libselinux.so.1"}}
	if diff := cmp.Diff(want, got.Missing); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
	if got.ELFs != 4 {
		t.Errorf("ELFs = %d, want 4 (ls, libc, libselinux, the loader; the text file is not ELF)", got.ELFs)
	}
}

// FuzzExpandRunpath: whatever the RUNPATH string, every directory is a
// clean path inside the root, one per entry.
func FuzzExpandRunpath(f *testing.F) {
	f.Add("$ORIGIN/../lib:/usr/lib/x86_64-linux-gnu/pulseaudio", "usr/lib/x86_64-linux-gnu")
	f.Fuzz(func(t *testing.T, rp, origin string) {
		dirs := ExpandRunpath(rp, origin)
		if rp == "" {
			if dirs != nil {
				t.Fatalf("ExpandRunpath(%q) = %q, want nil", rp, dirs)
			}
			return
		}
		if len(dirs) != strings.Count(rp, ":")+1 {
			t.Fatalf("ExpandRunpath(%q, %q) = %q: one directory per entry", rp, origin, dirs)
		}
		for _, d := range dirs {
			if d == "" || strings.HasPrefix(d, "/") || d == ".." || strings.HasPrefix(d, "../") || filepath.Clean(d) != d {
				t.Fatalf("ExpandRunpath(%q, %q) has %q, not a clean root-relative path", rp, origin, d)
			}
		}
	})
}
