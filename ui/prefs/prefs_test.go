package prefs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "prefs.json")
	if got, err := Load(path); err != nil || len(got) != 0 {
		t.Fatalf("missing file: %v, %v; want empty and no error", got, err)
	}
	want := map[string]Tracks{"orbit": {Audio: "deu", Sub: SubOff}, "deepfield": {Sub: "eng"}}
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if left, _ := filepath.Glob(path + ".tmp-*"); len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}
}

func TestLoadCorruptStartsFresh(t *testing.T) {
	tests := []struct {
		name, data, reason string
	}{
		{"truncated", `{"version":1,"shows":{"orbit":{"audio":"de`, "a write cut short by a power loss in an older build"},
		{"version", `{"version":2,"shows":{}}`, "a newer format is not guessed at"},
		{"empty id", `{"version":1,"shows":{"":{"audio":"deu"}}}`, "a show id is never empty"},
		{"long tag", `{"version":1,"shows":{"orbit":{"audio":"` + strings.Repeat("x", 40) + `"}}}`, "tags are short"},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "prefs.json")
		if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err == nil || len(got) != 0 {
			t.Errorf("%s (%s): got %v, %v; want empty and an error", tt.name, tt.reason, got, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":1,"shows":{"orbit":{"audio":"deu","sub":"off"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		shows, err := Parse(data)
		if err != nil {
			return
		}
		if len(shows) > MaxShows {
			t.Fatalf("%d shows accepted", len(shows))
		}
		// What parses must survive a save and load unchanged.
		path := filepath.Join(t.TempDir(), "p.json")
		if err := Save(path, shows); err != nil {
			t.Fatal(err)
		}
		again, err := Load(path)
		if err != nil {
			t.Fatalf("reload of %q: %v", data, err)
		}
		if diff := cmp.Diff(shows, again); diff != "" {
			t.Fatalf("reload differs (-first +again):\n%s", diff)
		}
	})
}
