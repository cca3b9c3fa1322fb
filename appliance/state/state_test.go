package state

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type doc struct {
	Name  string
	Count int
}

func TestRoundTripAndCorrupt(t *testing.T) {
	tests := []struct {
		reason    string
		content   *string // nil: no file
		wantFound bool
		wantAside bool
	}{
		{reason: "missing file starts fresh", content: nil},
		{reason: "valid file loads", content: ptr(`{"Name":"a","Count":2}`), wantFound: true},
		{reason: "truncated file (power cut mid-write by something else) starts fresh and is kept aside", content: ptr(`{"Name":"a","Cou`), wantAside: true},
		{reason: "empty file starts fresh", content: ptr(``), wantAside: true},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "s.json")
			if tt.content != nil {
				if err := os.WriteFile(path, []byte(*tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var d doc
			found, err := ReadJSON(path, &d, nil)
			if err != nil {
				t.Fatalf("ReadJSON: %v", err)
			}
			if found != tt.wantFound {
				t.Errorf("found = %v, want %v", found, tt.wantFound)
			}
			entries, _ := os.ReadDir(dir)
			aside := false
			for _, e := range entries {
				if strings.Contains(e.Name(), ".corrupt-") {
					aside = true
				}
			}
			if aside != tt.wantAside {
				t.Errorf("corrupt file moved aside = %v, want %v", aside, tt.wantAside)
			}
		})
	}
}

func TestWriteJSONReplacesAtomically(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "s.json")
	for i := range 3 {
		if err := WriteJSON(path, doc{Name: "n", Count: i}); err != nil {
			t.Fatal(err)
		}
	}
	var got doc
	if found, err := ReadJSON(path, &got, nil); err != nil || !found {
		t.Fatalf("ReadJSON = %v, %v", found, err)
	}
	if diff := cmp.Diff(doc{Name: "n", Count: 2}, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func ptr(s string) *string { return &s }

// TestRemoveStaleTemps: the temp files a power cut leaves between create
// and rename go at the next start, in the data dir and below it; state
// files, and files that only look alike, stay.
func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "catalog")
	deep := filepath.Join(sub, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := []string{
		filepath.Join(dir, ".settings.json.tmp-123456"),
		filepath.Join(sub, ".catalog.stored.json.tmp-9"),
	}
	kept := []string{
		filepath.Join(dir, "settings.json"),
		filepath.Join(dir, "notes.tmp-1"),         // not hidden: not ours
		filepath.Join(dir, ".tmp-1"),              // no base name
		filepath.Join(dir, ".settings.json.tmp-"), // no random part
		filepath.Join(deep, ".x.tmp-1"),           // below the depth asked for
	}
	for _, p := range append(append([]string{}, stale...), kept...) {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A real one, left by a write that died before its rename.
	if err := WriteFileAtomic(filepath.Join(dir, "settings.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := RemoveStaleTemps(dir, 1)
	if err != nil || n != len(stale) {
		t.Fatalf("RemoveStaleTemps = %d, %v; want %d, nil", n, err, len(stale))
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if n, err := RemoveStaleTemps(filepath.Join(dir, "missing"), 1); n != 0 || err != nil {
		t.Errorf("a missing dir: %d, %v; want 0, nil", n, err)
	}
}
