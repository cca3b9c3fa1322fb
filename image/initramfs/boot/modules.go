package boot

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
)

// ModuleName normalises a module name or file path ("kernel/fs/fat/vfat.ko.xz",
// "nls-cp437") to the kernel's spelling: base name, no .ko suffix, '_' for '-'.
func ModuleName(s string) string {
	s = path.Base(s)
	if i := strings.Index(s, ".ko"); i >= 0 {
		s = s[:i]
	}
	return strings.ReplaceAll(s, "-", "_")
}

// Deps is a parsed modules.dep: each module's file (relative to
// /lib/modules/<release>) and the files it depends on.
type Deps struct {
	path map[string]string   // module name -> file
	deps map[string][]string // file -> dependency files
}

// ParseModulesDep parses modules.dep as depmod writes it: one line per
// module, "file: dep-file dep-file ...".
func ParseModulesDep(r io.Reader) (*Deps, error) {
	d := &Deps{path: map[string]string{}, deps: map[string][]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || t[0] == '#' {
			continue
		}
		file, rest, ok := strings.Cut(t, ":")
		file = strings.TrimSpace(file)
		if !ok || file == "" || !strings.Contains(file, ".ko") {
			return nil, fmt.Errorf("modules.dep line %d: %q is not \"module.ko: deps\"", line, t)
		}
		if _, dup := d.deps[file]; dup {
			return nil, fmt.Errorf("modules.dep line %d: %s listed twice", line, file)
		}
		d.path[ModuleName(file)] = file
		d.deps[file] = strings.Fields(rest)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read modules.dep: %w", err)
	}
	return d, nil
}

// Path returns the file of the named module, or false.
func (d *Deps) Path(name string) (string, bool) {
	p, ok := d.path[ModuleName(name)]
	return p, ok
}

// Order returns the files to load for names, each after all of its
// dependencies and each once. Names in builtin (module names, as in
// modules.builtin) are skipped. Unknown names and dependency cycles are
// errors; the files that could be ordered are still returned.
func (d *Deps) Order(names []string, builtin map[string]bool) ([]string, error) {
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var out []string
	var errs []string
	var visit func(file string, chain []string) error
	visit = func(file string, chain []string) error {
		switch state[file] {
		case done:
			return nil
		case visiting:
			return fmt.Errorf("dependency cycle: %s -> %s", strings.Join(chain, " -> "), file)
		}
		deps, ok := d.deps[file]
		if !ok {
			return fmt.Errorf("%s (needed by %s) is not in modules.dep", file, strings.Join(chain, " -> "))
		}
		state[file] = visiting
		for _, dep := range deps {
			if err := visit(dep, append(chain[:len(chain):len(chain)], file)); err != nil {
				return err
			}
		}
		state[file] = done
		out = append(out, file)
		return nil
	}
	for _, n := range names {
		name := ModuleName(n)
		file, ok := d.path[name]
		if !ok {
			if !builtin[name] {
				errs = append(errs, fmt.Sprintf("module %s: not in modules.dep nor built in", name))
			}
			continue
		}
		if err := visit(file, nil); err != nil {
			errs = append(errs, fmt.Sprintf("module %s: %v", name, err))
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

// ParseBuiltin parses modules.builtin (one "kernel/.../name.ko" per line)
// into a set of module names.
func ParseBuiltin(r io.Reader) (map[string]bool, error) {
	m := map[string]bool{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			m[ModuleName(t)] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read modules.builtin: %w", err)
	}
	return m, nil
}
