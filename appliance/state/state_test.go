package state

import (
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
