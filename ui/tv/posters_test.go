package tv

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// TestPrunePosters: beyond the limit the least recently wanted posters
// lose their entries and files; posters the last render wanted and posters
// still loading stay.
func TestPrunePosters(t *testing.T) {
	dir := t.TempDir()
	a := &App{log: slog.Default(), posters: map[string]*posterState{}, renders: 10}
	for i := range 8 {
		f := filepath.Join(dir, fmt.Sprint(i, ".bgra"))
		if err := os.WriteFile(f, make([]byte, 1024), 0o644); err != nil {
			t.Fatal(err)
		}
		a.posters[fmt.Sprint(i)] = &posterState{file: f, used: uint64(i + 3)} // 7 was wanted by render 10
	}
	a.posters["loading"] = &posterState{loading: true, used: 1}
	a.prunePosters(5)
	if len(a.posters) != 5 {
		t.Errorf("%d posters kept, want 5", len(a.posters))
	}
	for _, k := range []string{"loading", "7", "6", "5", "4"} {
		if a.posters[k] == nil {
			t.Errorf("poster %s pruned; want the most recent and the loading one kept", k)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.bgra"))
	if len(files) != 4 {
		t.Errorf("%d files left, want 4 (the pruned ones deleted): %v", len(files), files)
	}
}
