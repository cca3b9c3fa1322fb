// Package elfroot finds, copies and checks the shared-library closure of ELF files inside an unpacked root file system, resolving names as the box's dynamic loader will.
package elfroot

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// maxLinks bounds how many symlinks Follow follows for one name (the
// loader's own limit is similar; a loop ends there instead of spinning).
const maxLinks = 40

// cleanRel turns a slash path that is meant from a root ("/usr/lib/x",
// "usr/../lib") into its cleaned root-relative form ("usr/lib/x", "lib");
// ".." never climbs above the root and the root itself is ".".
func cleanRel(p string) string {
	c := path.Clean("/" + p)
	if c == "/" {
		return "."
	}
	return c[1:]
}

// Follow returns rel (a path relative to root) with the symlinks of its last
// element followed inside root: an absolute link target means root-relative,
// as it will on the box. It follows at most 40 links and returns where it
// stopped; the result need not exist. Directory symlinks on the way are
// resolved by the host, as for any path under root.
func Follow(root, rel string) string {
	for range maxLinks {
		t, err := os.Readlink(filepath.Join(root, rel))
		if err != nil {
			break // not a symlink (or gone): this is where the loader looks
		}
		if strings.HasPrefix(t, "/") {
			rel = cleanRel(t)
		} else {
			rel = cleanRel(path.Dir(rel) + "/" + t)
		}
	}
	return rel
}

// DefaultDirs are the loader's default search directories for a Debian
// multiarch triplet ("x86_64-linux-gnu"), root-relative, in search order.
func DefaultDirs(triplet string) []string {
	return []string{"lib/" + triplet, "usr/lib/" + triplet, "lib", "usr/lib"}
}

// ExpandRunpath splits a DT_RUNPATH or DT_RPATH value ("$ORIGIN/../lib:/opt/x")
// into root-relative cleaned directories, with $ORIGIN and ${ORIGIN} replaced
// by origin, the root-relative directory of the object that carries it.
// Empty entries mean the root itself (".").
func ExpandRunpath(rp, origin string) []string {
	if rp == "" {
		return nil
	}
	var dirs []string
	for _, d := range strings.Split(rp, ":") {
		d = strings.ReplaceAll(d, "$ORIGIN", "/"+origin)
		d = strings.ReplaceAll(d, "${ORIGIN}", "/"+origin)
		dirs = append(dirs, cleanRel(d))
	}
	return dirs
}

// Dynamic is what the loader reads from one ELF file's dynamic section.
type Dynamic struct {
	Needed  []string // DT_NEEDED, in order
	Runpath string   // DT_RUNPATH, or DT_RPATH when there is no RUNPATH; "" if neither
}

// IsELF reports whether name is a regular file (not a symlink) that starts
// with the ELF magic.
func IsELF(name string) bool {
	fi, err := os.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return false
	}
	return bytes.Equal(magic[:], []byte(elf.ELFMAG))
}

// ReadDynamic reads the dynamic section of the ELF file name, whatever its
// machine. A file without one has an empty Dynamic.
func ReadDynamic(name string) (Dynamic, error) {
	f, err := elf.Open(name)
	if err != nil {
		return Dynamic{}, err
	}
	defer f.Close()
	var d Dynamic
	if d.Needed, err = f.DynString(elf.DT_NEEDED); err != nil {
		return Dynamic{}, fmt.Errorf("%s: DT_NEEDED: %w", name, err)
	}
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		rp, err := f.DynString(tag)
		if err != nil {
			return Dynamic{}, fmt.Errorf("%s: %v: %w", name, tag, err)
		}
		if len(rp) > 0 {
			d.Runpath = rp[0]
			break
		}
	}
	return d, nil
}

// dynamicOf reads rel's dynamic section, treating an unreadable one as empty
// (a file that only looks like ELF needs nothing), and returns its search
// directories: RUNPATH first, then the defaults.
func dynamicOf(root, rel, triplet string) (needed, dirs []string) {
	d, _ := ReadDynamic(filepath.Join(root, rel))
	dirs = append(ExpandRunpath(d.Runpath, path.Dir(rel)), DefaultDirs(triplet)...)
	return d.Needed, dirs
}

// Resolve returns the root-relative path under which the loader finds the
// library name, trying dirs in order: the first dir/name whose symlinks,
// followed inside root, end at a regular file. ok is false when none does.
func Resolve(root, name string, dirs []string) (rel string, ok bool) {
	for _, d := range dirs {
		p := d + "/" + name
		fi, err := os.Stat(filepath.Join(root, Follow(root, p)))
		if err == nil && fi.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}

// Stager copies paths from an unpacked root (Src) to a staging tree (Dst)
// that becomes the runtime tar: symlinks are kept (absolute targets made
// relative, so the tree is right wherever it is unpacked) and the files they
// point to copied too; a second name of a hard-linked file becomes a
// symlink to the first copy, because gokrazy's packer turns hard links into
// empty files. Not safe for concurrent use.
type Stager struct {
	Src, Dst string
	Triplet  string // Debian multiarch triplet of the libraries, for DefaultDirs

	inodes map[uint64]string // source inode -> the path it was first copied as
}

// CopyPath copies rel (relative to Src) and, if it is a symlink, the chain
// of links and the file it points to. Names already in Dst are left alone.
func (s *Stager) CopyPath(rel string) error {
	if s.inodes == nil {
		s.inodes = map[uint64]string{}
	}
	for {
		dst := filepath.Join(s.Dst, rel)
		if _, err := os.Lstat(dst); err == nil {
			return nil
		}
		dir := path.Dir(rel)
		if err := os.MkdirAll(filepath.Join(s.Dst, dir), 0o755); err != nil {
			return err
		}
		src := filepath.Join(s.Src, rel)
		fi, err := os.Lstat(src)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(src)
			if err != nil {
				return err
			}
			if strings.HasPrefix(target, "/") {
				target = relTo("/"+dir, path.Clean(target))
			}
			if err := os.Symlink(target, dst); err != nil {
				return err
			}
			rel = cleanRel(dir + "/" + target)
			continue
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no inode", src)
		}
		if first, seen := s.inodes[st.Ino]; seen && st.Nlink > 1 {
			return os.Symlink(relTo("/"+dir, "/"+first), dst)
		}
		if err := copyFile(src, dst, fi); err != nil {
			return err
		}
		s.inodes[st.Ino] = rel
		return nil
	}
}

// relTo returns the relative path from directory from to target, both
// absolute slash paths, without looking at the file system.
func relTo(from, target string) string {
	r, err := filepath.Rel(from, target)
	if err != nil { // both are absolute: cannot happen
		panic(err)
	}
	return filepath.ToSlash(r)
}

// copyFile copies a regular file with its mode bits and times (like cp -p;
// ownership too when the caller may set it).
func copyFile(src, dst string, fi fs.FileInfo) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 {
		if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	if err := os.Chmod(dst, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	return os.Chtimes(dst, fi.ModTime(), fi.ModTime())
}

// Closure copies roots (paths relative to Src that something dlopens) and
// everything their DT_NEEDED entries reach, transitively, as the loader
// resolves them (RUNPATH, then DefaultDirs). A root that is not in Src, or a
// needed library that no directory holds, is an error.
func (s *Stager) Closure(ctx context.Context, roots []string) error {
	var queue []string
	for _, r := range roots {
		if _, err := os.Lstat(filepath.Join(s.Src, r)); err != nil {
			return fmt.Errorf("%s not in any package", r)
		}
		queue = append(queue, r)
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		f := queue[0]
		queue = queue[1:]
		if seen[f] {
			continue
		}
		seen[f] = true
		if err := s.CopyPath(f); err != nil {
			return err
		}
		real := Follow(s.Src, f)
		if !IsELF(filepath.Join(s.Src, real)) {
			continue
		}
		needed, dirs := dynamicOf(s.Src, real, s.Triplet)
		for _, n := range needed {
			r, ok := Resolve(s.Src, n, dirs)
			if !ok {
				return fmt.Errorf("%s (needed by %s) is in no downloaded package", n, f)
			}
			queue = append(queue, r)
		}
	}
	return nil
}

// CopyTree copies every file and symlink under dir (relative to Src), in
// lexical order; dir must exist.
func (s *Stager) CopyTree(ctx context.Context, dir string) error {
	top := filepath.Join(s.Src, dir)
	if _, err := os.Lstat(top); err != nil {
		return fmt.Errorf("%s missing", dir)
	}
	return filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		r, err := filepath.Rel(top, p)
		if err != nil {
			return err
		}
		return s.CopyPath(dir + "/" + filepath.ToSlash(r))
	})
}

// HardLinksToSymlinks replaces every further name of a hard-linked regular
// file under dir with a relative symlink to its first name (in byte order),
// because gokrazy's packer would make those names empty files.
func HardLinksToSymlinks(ctx context.Context, dir string) error {
	byInode := map[uint64][]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			r, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			byInode[st.Ino] = append(byInode[st.Ino], filepath.ToSlash(r))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, names := range byInode {
		slices.Sort(names)
		keep := names[0]
		for _, dup := range names[1:] {
			p := filepath.Join(dir, dup)
			if err := os.Remove(p); err != nil {
				return err
			}
			if err := os.Symlink(relTo("/"+path.Dir(dup), "/"+keep), p); err != nil {
				return err
			}
		}
	}
	return nil
}

// Missing is one DT_NEEDED entry that a tree does not satisfy.
type Missing struct {
	Name string // the DT_NEEDED entry
	By   string // the ELF file that needs it, root-relative
}

// CheckResult is what Check found.
type CheckResult struct {
	ELFs    int       // ELF files examined
	Missing []Missing // in the order of the files (byte order of their paths)
}

// Check examines every regular ELF file in the tree root (a staged or
// unpacked runtime) and reports each DT_NEEDED entry that no file in the
// tree satisfies, looking where the loader would (RUNPATH, then
// DefaultDirs). Symlinks inside root count at their own names, as the loader
// sees them.
func Check(ctx context.Context, root, triplet string) (CheckResult, error) {
	have, err := Files(ctx, root)
	if err != nil {
		return CheckResult{}, err
	}
	var res CheckResult
	var elves []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if IsELF(p) {
			r, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			elves = append(elves, filepath.ToSlash(r))
		}
		return nil
	})
	if err != nil {
		return CheckResult{}, err
	}
	for _, f := range elves {
		res.ELFs++
		needed, dirs := dynamicOf(root, f, triplet)
		for _, n := range needed {
			if !slices.ContainsFunc(dirs, func(d string) bool { return have[path.Join(d, n)] }) {
				res.Missing = append(res.Missing, Missing{Name: n, By: f})
			}
		}
	}
	return res, nil
}

// Files returns the root-relative names of the regular files under root with
// symlinks followed (as find -L sees them): a symlink to a file is a file at
// the link's name, a symlink to a directory is descended into. Dangling links
// are not files; a directory that is its own ancestor is not entered twice.
func Files(ctx context.Context, root string) (map[string]bool, error) {
	have := map[string]bool{}
	type devIno struct{ dev, ino uint64 }
	var walk func(dir, rel string, ancestors []devIno) error
	walk = func(dir, rel string, ancestors []devIno) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			r := path.Join(rel, e.Name())
			fi, err := os.Stat(p)
			if err != nil {
				continue // dangling link
			}
			switch {
			case fi.Mode().IsRegular():
				have[r] = true
			case fi.IsDir():
				st, ok := fi.Sys().(*syscall.Stat_t)
				if !ok {
					return fmt.Errorf("%s: no inode", p)
				}
				id := devIno{uint64(st.Dev), st.Ino}
				if slices.Contains(ancestors, id) {
					continue // a loop
				}
				if err := walk(p, r, append(slices.Clip(ancestors), id)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, errors.New(root + ": no inode")
	}
	return have, walk(root, "", []devIno{{uint64(st.Dev), st.Ino}})
}
