package box

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadHomeSettings: whatever the settings file holds (a hand edit, a
// damaged card), loading never fails or panics and yields settings the
// box accepts. Seeds: testdata/fuzz/FuzzLoadHomeSettings.
func FuzzLoadHomeSettings(f *testing.F) {
	f.Add([]byte(`{"keepFreePercent":20,"video":{"mode":"1920x1080@60"},"household":{"timeZone":"Europe/Berlin","language":"de","setUp":true}}`))
	f.Add([]byte(`{"keepFreePercent":0,"video":{"mode":"x; rm -rf /"}}`))
	f.Add([]byte(`{"keepFreePercent":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), SettingsFile)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		st := loadHomeSettings(path, slog.New(slog.DiscardHandler))
		if err := checkKeepFree(st.KeepFreePercent); err != nil {
			t.Fatalf("loaded keep-free %d: %v", st.KeepFreePercent, err)
		}
		if err := checkVideo(st.Video); err != nil {
			t.Fatalf("loaded video mode %q: %v", st.Video.Mode, err)
		}
	})
}
