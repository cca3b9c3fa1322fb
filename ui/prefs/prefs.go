// Package prefs is the TV's own small state file: what the household
// chose per show (audio and subtitle language), written atomically.
package prefs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// Tracks is one show's remembered choice. Audio is the audio track's
// language tag as mpv reports it ("deu"); Sub is the subtitle's tag, or
// SubOff for no subtitles. "" means the household's default.
type Tracks struct {
	Audio string `json:"audio,omitempty"`
	Sub   string `json:"sub,omitempty"`
}

// SubOff is Tracks.Sub when the viewer turned subtitles off.
const SubOff = "off"

// Limits on what a file may hold: a corrupt or hostile file is refused
// whole rather than half-read.
const (
	MaxShows   = 4096
	maxTagLen  = 32
	maxIDLen   = 256
	maxFileLen = 1 << 20
)

// file is the on-disk form; version 1.
type file struct {
	Version int               `json:"version"`
	Shows   map[string]Tracks `json:"shows"`
}

// Parse reads a state file's contents. It refuses unknown versions, show
// ids or tags that are empty, too long or not UTF-8, and more than
// MaxShows shows.
func Parse(data []byte) (map[string]Tracks, error) {
	if len(data) > maxFileLen {
		return nil, fmt.Errorf("prefs: %d bytes, more than %d", len(data), maxFileLen)
	}
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("prefs: %w", err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("prefs: version %d, want 1", f.Version)
	}
	if len(f.Shows) > MaxShows {
		return nil, fmt.Errorf("prefs: %d shows, more than %d", len(f.Shows), MaxShows)
	}
	for id, t := range f.Shows {
		if id == "" || len(id) > maxIDLen || !utf8.ValidString(id) {
			return nil, fmt.Errorf("prefs: bad show id %q", id)
		}
		for _, tag := range []string{t.Audio, t.Sub} {
			if len(tag) > maxTagLen || !utf8.ValidString(tag) {
				return nil, fmt.Errorf("prefs: show %q: bad language tag %q", id, tag)
			}
		}
	}
	if f.Shows == nil {
		f.Shows = map[string]Tracks{}
	}
	return f.Shows, nil
}

// Load reads the file at path. A missing file is an empty map and no
// error; a corrupt one is an empty map and the error (the caller logs it
// and starts fresh: preferences are disposable).
func Load(path string) (map[string]Tracks, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]Tracks{}, nil
	}
	if err != nil {
		return map[string]Tracks{}, fmt.Errorf("prefs: %w", err)
	}
	shows, err := Parse(data)
	if err != nil {
		return map[string]Tracks{}, fmt.Errorf("%s: %w", path, err)
	}
	return shows, nil
}

// Save writes shows to path so that a power cut leaves the old file or
// the new one, never a mix: temp file, fsync, rename, fsync the directory.
func Save(path string, shows map[string]Tracks) error {
	data, err := json.MarshalIndent(file{Version: 1, Shows: shows}, "", "  ")
	if err != nil {
		return fmt.Errorf("prefs: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("prefs: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("prefs: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("prefs: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("prefs: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("prefs: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("prefs: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
