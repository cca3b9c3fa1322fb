// Package keymap maps decoded IR codes (protocol, scancode) to key names,
// keeps the user's keymaps in a file in the data dir, and learns a new
// remote in a guided, step-by-step mode driven by the UI.
package keymap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/atomicnetwork/atomicbox/gpio/ir"
	"github.com/atomicnetwork/atomicbox/gpio/keys"
	pir "periph.io/x/conn/v3/ir"
)

// Scancode is an rc-core scancode. In JSON it is a hex string ("0x0045");
// a plain number is accepted too.
type Scancode uint32

// MarshalJSON implements json.Marshaler.
func (s Scancode) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`"0x%04x"`, uint32(s))), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (s *Scancode) UnmarshalJSON(b []byte) error {
	text := string(b)
	if strings.HasPrefix(text, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		text = str
	}
	v, err := strconv.ParseUint(text, 0, 32)
	if err != nil {
		return fmt.Errorf("scancode %s: want a number such as \"0x0045\"", b)
	}
	*s = Scancode(v)
	return nil
}

// Entry maps one code to one key.
type Entry struct {
	Protocol ir.Protocol `json:"protocol"`
	Scancode Scancode    `json:"scancode"`
	Key      pir.Key     `json:"key"`
}

// Code returns the entry's code.
func (e Entry) Code() ir.Code { return ir.Code{Protocol: e.Protocol, Scancode: uint32(e.Scancode)} }

// Map is a named keymap (one remote).
type Map struct {
	Name    string  `json:"name"`
	Entries []Entry `json:"entries"`
}

// File is the keymap file (JSON) in the data dir:
//
//	{
//	  "version": 1,
//	  "defaults": true,
//	  "maps": [
//	    {"name": "learned", "entries": [
//	      {"protocol": "nec", "scancode": "0x0045", "key": "KEY_UP"}
//	    ]}
//	  ]
//	}
//
// Maps are consulted in order, then (when Defaults is true) the built-in
// maps: the first entry for a code wins. Protocol names are gpio/ir's (the
// rc-core names: nec, necx, nec32, samsung32, rc-5, rc-6-0, sony-12, ...,
// and rc-6-mce), keys are Linux input key names the keys package knows (keys.Known).
type File struct {
	Version  int   `json:"version"`
	Defaults bool  `json:"defaults"`
	Maps     []Map `json:"maps"`
}

// Version is the file format this package writes.
const Version = 1

// MaxFileBytes bounds a keymap file; larger is refused unread.
const MaxFileBytes = 256 << 10

// ErrInvalid wraps every reason Parse refuses a keymap.
var ErrInvalid = errors.New("invalid keymap")

// DefaultFile is what a box without a keymap file uses: the built-in maps.
func DefaultFile() File { return File{Version: Version, Defaults: true, Maps: []Map{}} }

// maxScancode is the widest scancode of protocols whose width is fixed.
var maxScancode = map[ir.Protocol]uint32{
	ir.NEC: 0xffff, ir.NECX: 0xffffff, ir.Samsung32: 0xffff, ir.RC6_0: 0xffff,
}

// KnownProtocol reports whether p may appear in a keymap.
func KnownProtocol(p ir.Protocol) bool { return p.Valid() }

// Parse decodes and checks a keymap file. It is strict: unknown fields,
// unknown protocols or keys, scancodes too wide for their protocol, a code
// mapped twice in one map, duplicate or empty map names and trailing data
// are errors wrapping ErrInvalid that say where.
func Parse(data []byte) (File, error) {
	if len(data) > MaxFileBytes {
		return File{}, fmt.Errorf("%w: %d bytes, limit %d", ErrInvalid, len(data), MaxFileBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return File{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if dec.More() {
		return File{}, fmt.Errorf("%w: trailing data", ErrInvalid)
	}
	if err := f.Validate(); err != nil {
		return File{}, err
	}
	if f.Maps == nil {
		f.Maps = []Map{}
	}
	return f, nil
}

// Validate checks f as Parse does.
func (f File) Validate() error {
	if f.Version != Version {
		return fmt.Errorf("%w: version %d, want %d", ErrInvalid, f.Version, Version)
	}
	names := map[string]bool{}
	for i, m := range f.Maps {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("map %d: %w", i, err)
		}
		if names[m.Name] {
			return fmt.Errorf("%w: map name %q used twice", ErrInvalid, m.Name)
		}
		names[m.Name] = true
	}
	return nil
}

// Validate checks one map.
func (m Map) Validate() error {
	if strings.TrimSpace(m.Name) == "" || len(m.Name) > 64 {
		return fmt.Errorf("%w: map name %q: want 1 to 64 characters", ErrInvalid, m.Name)
	}
	seen := map[ir.Code]pir.Key{}
	for j, e := range m.Entries {
		if !KnownProtocol(e.Protocol) {
			return fmt.Errorf("%w: %q entry %d: unknown protocol %q", ErrInvalid, m.Name, j, e.Protocol)
		}
		if w, ok := maxScancode[e.Protocol]; ok && uint32(e.Scancode) > w {
			return fmt.Errorf("%w: %q entry %d: scancode %#x too wide for %s (max %#x)", ErrInvalid, m.Name, j, uint32(e.Scancode), e.Protocol, w)
		}
		if !keys.Known(e.Key) {
			return fmt.Errorf("%w: %q entry %d: unknown key %q", ErrInvalid, m.Name, j, e.Key)
		}
		if k, dup := seen[e.Code()]; dup {
			return fmt.Errorf("%w: %q: %v mapped twice (%s and %s)", ErrInvalid, m.Name, e.Code(), k, e.Key)
		}
		seen[e.Code()] = e.Key
	}
	return nil
}

// Format encodes f as Parse reads it (indented, entries in file order).
func (f File) Format() []byte {
	if f.Maps == nil {
		f.Maps = []Map{}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		panic(err) // only plain types: cannot fail
	}
	return append(data, '\n')
}

func sortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int {
		if c := strings.Compare(string(a.Protocol), string(b.Protocol)); c != 0 {
			return c
		}
		return int(int64(a.Scancode) - int64(b.Scancode))
	})
}

// Table is a lookup table built from a File. Immutable, safe for
// concurrent use.
type Table struct {
	keys map[ir.Code]pir.Key
	from map[ir.Code]string // map name, for diagnostics
}

// NewTable builds the lookup table of f (user maps first, then defaults).
func NewTable(f File) *Table {
	t := &Table{keys: map[ir.Code]pir.Key{}, from: map[ir.Code]string{}}
	maps := f.Maps
	if f.Defaults {
		maps = append(slices.Clone(maps), Defaults()...)
	}
	for _, m := range maps {
		for _, e := range m.Entries {
			if _, ok := t.keys[e.Code()]; !ok {
				t.keys[e.Code()] = e.Key
				t.from[e.Code()] = m.Name
			}
		}
	}
	return t
}

// Lookup returns the key for c and the name of the map it came from.
func (t *Table) Lookup(c ir.Code) (pir.Key, string, bool) {
	k, ok := t.keys[c]
	return k, t.from[c], ok
}

// Store is the keymap file of the data dir with its current table. Safe
// for concurrent use.
type Store struct {
	path  string
	write WriteFile
	log   *slog.Logger

	mu    sync.Mutex
	file  File
	table *Table
}

// WriteFile replaces the file at path with data so that a power cut at any
// moment leaves either the old or the new content (write a temp file, fsync,
// rename). The keymap file is state the household made by hand (learn
// mode), so the caller supplies its data dir's atomic writer.
type WriteFile func(path string, data []byte) error

// Open loads the keymap file at path ("" keeps the keymap in memory only:
// nothing is read or written; write may then be nil). Changes are saved
// with write. A missing file means the defaults;
// a corrupt or invalid one is moved aside to path.corrupt-<unix time>,
// logged, and the defaults are used. Only other I/O errors are returned.
func Open(path string, write WriteFile, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if path != "" && write == nil {
		return nil, errors.New("keymap: a keymap file needs a writer")
	}
	s := &Store{path: path, write: write, log: log}
	f := DefaultFile()
	if path == "" {
		s.file, s.table = f, NewTable(f)
		return s, nil
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("keymap: read %s: %w", path, err)
	default:
		parsed, perr := Parse(data)
		if perr != nil {
			aside := fmt.Sprintf("%s.corrupt-%d", path, time.Now().Unix())
			rerr := os.Rename(path, aside)
			log.Warn("keymap file is invalid; using the built-in keymaps", "path", path, "err", perr, "movedTo", aside, "moveErr", rerr)
		} else {
			f = parsed
		}
	}
	s.file, s.table = f, NewTable(f)
	return s, nil
}

// File returns the current keymap file.
func (s *Store) File() File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.file
}

// Table returns the current lookup table.
func (s *Store) Table() *Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.table
}

// Lookup is Table().Lookup without the map name.
func (s *Store) Lookup(c ir.Code) (pir.Key, bool) {
	k, _, ok := s.Table().Lookup(c)
	return k, ok
}

// Put validates f, writes it atomically and makes it current. On error
// nothing changes.
func (s *Store) Put(f File) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.Maps == nil {
		f.Maps = []Map{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putLocked(f)
}

func (s *Store) putLocked(f File) error {
	if s.path == "" {
		s.file, s.table = f, NewTable(f)
		return nil
	}
	if err := s.write(s.path, f.Format()); err != nil {
		return fmt.Errorf("keymap: %w", err)
	}
	s.file, s.table = f, NewTable(f)
	return nil
}

// SetMap puts m first among the user's maps, replacing a map of the same
// name, and saves the file.
func (s *Store) SetMap(m Map) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.file
	maps := []Map{m}
	for _, old := range f.Maps {
		if old.Name != m.Name {
			maps = append(maps, old)
		}
	}
	f.Maps = maps
	if err := f.Validate(); err != nil {
		return err
	}
	return s.putLocked(f)
}
