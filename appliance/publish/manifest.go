package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/atomicnetwork/atomicbox/appliance/catalog"
)

// maxManifestBytes bounds a manifest file; it only names files, so 1 MiB is
// generous.
const maxManifestBytes = 1 << 20

// Manifest is what a person writes to publish: shows, episodes and the
// files they come from. Paths are relative to the manifest file's directory
// (absolute paths are taken as they are).
type Manifest struct {
	Network string         `json:"network"`
	Shows   []ManifestShow `json:"shows"`
}

// ManifestShow is one show in a manifest.
type ManifestShow struct {
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	Synopsis string            `json:"synopsis,omitempty"`
	Poster   string            `json:"poster,omitempty"` // PNG or JPEG
	Episodes []ManifestEpisode `json:"episodes"`
}

// ManifestEpisode is one episode in a manifest.
type ManifestEpisode struct {
	ID       string `json:"id"`
	Season   int    `json:"season"`
	Number   int    `json:"episode"`
	Title    string `json:"title"`
	Synopsis string `json:"synopsis,omitempty"`
	Video    string `json:"video"`
	Poster   string `json:"poster,omitempty"`
	// DurationSeconds may be left out (or 0) for MP4/MOV files: LoadManifest
	// reads it from the file's movie header.
	DurationSeconds float64 `json:"durationSeconds,omitempty"`
	// ReleaseAt, when set, is when the episode may be played. Published
	// before that time, the file is encrypted with a fresh content key
	// (kept in the origin directory's private state, never served) and the
	// catalog carries the embargo; the first publication at or after
	// ReleaseAt adds the key (see package embargo).
	ReleaseAt time.Time `json:"releaseAt,omitzero"`
	// Priority orders boxes' overnight pre-fetching, higher first
	// (0..catalog.MaxPriority).
	Priority int `json:"priority,omitempty"`
}

// LoadManifest reads and checks a manifest and fills in missing durations
// from the videos (MP4 and MOV only). Errors say which show or episode is
// wrong.
func LoadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	m, err := DecodeManifest(data)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for si := range m.Shows {
		for ei := range m.Shows[si].Episodes {
			e := &m.Shows[si].Episodes[ei]
			if e.DurationSeconds > 0 {
				continue
			}
			d, err := videoDuration(ResolvePath(dir, e.Video))
			if err != nil {
				return nil, fmt.Errorf("manifest %s: show %d episode %d (%s): no durationSeconds and cannot read it from the video: %w", path, si+1, ei+1, e.ID, err)
			}
			e.DurationSeconds = d
		}
	}
	return m, nil
}

// ResolvePath returns p joined to the manifest directory dir, or p itself
// when it is absolute.
func ResolvePath(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func videoDuration(path string) (float64, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".mp4", ".m4v", ".mov":
	default:
		return 0, fmt.Errorf("%s is not MP4 or MOV", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return MP4Duration(f, fi.Size())
}

// DecodeManifest parses a manifest strictly (unknown fields and trailing
// data are refused) and checks it without touching any file.
func DecodeManifest(data []byte) (*Manifest, error) {
	if len(data) > maxManifestBytes {
		return nil, fmt.Errorf("%d bytes is more than the limit of %d", len(data), maxManifestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the manifest object")
	}
	if strings.TrimSpace(m.Network) == "" {
		return nil, errors.New("network is missing")
	}
	if len(m.Shows) == 0 {
		return nil, errors.New("no shows")
	}
	ids := make(map[string]string)
	for si, s := range m.Shows {
		where := fmt.Sprintf("show %d", si+1)
		if !catalog.ValidID(s.ID) {
			return nil, fmt.Errorf("%s: id %q must match [a-z0-9][a-z0-9-]{0,63}", where, s.ID)
		}
		if prev, dup := ids[s.ID]; dup {
			return nil, fmt.Errorf("%s: id %q is already used by %s", where, s.ID, prev)
		}
		ids[s.ID] = where
		if strings.TrimSpace(s.Title) == "" {
			return nil, fmt.Errorf("%s (%s): title is missing", where, s.ID)
		}
		if s.Poster != "" {
			if _, err := imageType(s.Poster); err != nil {
				return nil, fmt.Errorf("%s (%s): poster: %w", where, s.ID, err)
			}
		}
		if len(s.Episodes) == 0 {
			return nil, fmt.Errorf("%s (%s): no episodes", where, s.ID)
		}
		for ei, e := range s.Episodes {
			ewhere := fmt.Sprintf("show %d episode %d", si+1, ei+1)
			if !catalog.ValidID(e.ID) {
				return nil, fmt.Errorf("%s: id %q must match [a-z0-9][a-z0-9-]{0,63}", ewhere, e.ID)
			}
			if prev, dup := ids[e.ID]; dup {
				return nil, fmt.Errorf("%s: id %q is already used by %s", ewhere, e.ID, prev)
			}
			ids[e.ID] = ewhere
			ewhere += " (" + e.ID + ")"
			if strings.TrimSpace(e.Title) == "" {
				return nil, fmt.Errorf("%s: title is missing", ewhere)
			}
			if e.Video == "" {
				return nil, fmt.Errorf("%s: video is missing", ewhere)
			}
			if _, err := videoType(e.Video); err != nil {
				return nil, fmt.Errorf("%s: video: %w", ewhere, err)
			}
			if e.Poster != "" {
				if _, err := imageType(e.Poster); err != nil {
					return nil, fmt.Errorf("%s: poster: %w", ewhere, err)
				}
			}
			if math.IsNaN(e.DurationSeconds) || math.IsInf(e.DurationSeconds, 0) || e.DurationSeconds < 0 {
				return nil, fmt.Errorf("%s: durationSeconds %v must be a positive number (or left out for MP4)", ewhere, e.DurationSeconds)
			}
			if e.Priority < 0 || e.Priority > catalog.MaxPriority {
				return nil, fmt.Errorf("%s: priority %d must be between 0 and %d", ewhere, e.Priority, catalog.MaxPriority)
			}
		}
	}
	return &m, nil
}

// videoType is the MIME type published for a video, by extension.
func videoType(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".mp4", ".m4v":
		return "video/mp4", nil
	case ".mov":
		return "video/quicktime", nil
	case ".mkv":
		return "video/x-matroska", nil
	case ".webm":
		return "video/webm", nil
	case ".ts":
		return "video/mp2t", nil
	default:
		return "", fmt.Errorf("%q: extension %q is not a known video type (mp4, m4v, mov, mkv, webm, ts)", path, ext)
	}
}

// imageType is the MIME type of a poster, by extension.
func imageType(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png":
		return "image/png", nil
	case ".jpg", ".jpeg":
		return "image/jpeg", nil
	default:
		return "", fmt.Errorf("%q: extension %q is not PNG or JPEG", path, ext)
	}
}
