// Package state writes and reads the small files in the data dir so that a
// power cut at any moment leaves either the old or the new content, and a
// corrupt file means "start fresh and log it", never a crash loop.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WriteFileAtomic replaces path with data: write a temp file beside it,
// fsync it, rename it over path, fsync the directory. Readers see the old or
// the new file, never a mix. Safe for concurrent use on different paths;
// concurrent writers of one path must serialise themselves.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("state: create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("state: create temp for %s: %w", path, err)
	}
	tmpName := tmp.Name()
	cleanup := func() { tmp.Close(); os.Remove(tmpName) }
	if _, err := tmp.Write(data); err != nil {
		cleanup()
		return fmt.Errorf("state: write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		cleanup()
		return fmt.Errorf("state: chmod %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		cleanup()
		return fmt.Errorf("state: fsync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("state: close %s: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("state: rename into %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		// Best effort: some file systems refuse fsync on directories.
		d.Sync()
		d.Close()
	}
	return nil
}

// WriteJSON marshals v (indented, for people reading bug reports) and writes
// it with WriteFileAtomic, readable by all (0644).
func WriteJSON(path string, v any) error {
	return writeJSON(path, v, 0o644)
}

// WriteJSONPrivate is WriteJSON for files that hold secrets (a Wi-Fi
// passphrase, keys): readable by the owner only (0600).
func WriteJSONPrivate(path string, v any) error {
	return writeJSON(path, v, 0o600)
}

func writeJSON(path string, v any, perm fs.FileMode) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("state: encode %s: %w", path, err)
	}
	return WriteFileAtomic(path, append(data, '\n'), perm)
}

// ReadJSON loads path into v. It returns found=false with a nil error when
// the file does not exist. A file that cannot be parsed is moved aside to
// path.corrupt-<unix time> (kept for bug reports), logged, and reported as
// not found, so the caller starts fresh. Only I/O errors other than "not
// exist" are returned.
func ReadJSON(path string, v any, log *slog.Logger) (found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("state: read %s: %w", path, err)
	}
	if jerr := json.Unmarshal(data, v); jerr != nil {
		aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
		rerr := os.Rename(path, aside)
		if log != nil {
			log.Warn("state file is corrupt; starting fresh", "path", path, "err", jerr, "movedTo", aside, "moveErr", rerr)
		}
		return false, nil
	}
	return true, nil
}

// RemoveStaleTemps deletes the temp files WriteFileAtomic leaves behind
// when the power goes between creating one and renaming it (".name.tmp-*"),
// in dir and its subdirectories up to depth levels below it, and returns
// how many it removed. Call it once at start, before anything writes:
// a temp file of a write in progress is not stale. Other files are never
// touched.
func RemoveStaleTemps(dir string, depth int) (int, error) {
	removed := 0
	var errs []error
	var walk func(d string, left int)
	walk = func(d string, left int) {
		entries, err := os.ReadDir(d)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			return
		}
		for _, e := range entries {
			p := filepath.Join(d, e.Name())
			switch {
			case e.IsDir():
				if left > 0 {
					walk(p, left-1)
				}
			case isStaleTemp(e.Name()) && e.Type().IsRegular():
				if err := os.Remove(p); err != nil {
					errs = append(errs, err)
					continue
				}
				removed++
			}
		}
	}
	walk(dir, depth)
	return removed, errors.Join(errs...)
}

// isStaleTemp matches the names os.CreateTemp gives WriteFileAtomic's
// pattern "."+base+".tmp-*".
func isStaleTemp(name string) bool {
	if len(name) < 2 || name[0] != '.' {
		return false
	}
	i := strings.LastIndex(name, ".tmp-")
	return i > 1 && i+len(".tmp-") < len(name)
}
