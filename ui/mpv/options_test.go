package mpv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"periph.io/x/conn/v3/ir"

	"github.com/atomicnetwork/atomicbox/appliance/api"
)

func TestOptionsChooseOutput(t *testing.T) {
	tests := []struct {
		name   string
		env    Env
		want   map[string]string // options that must be present with these values
		absent []string
		reason string
	}{
		{"headless", Env{Profile: Headless, ConfigDir: "/c"}, map[string]string{"vo": "null", "ao": "null", "hwdec": "no", "idle": "yes", "keep-open": "yes", "input-default-bindings": "no", "osc": "no", "config-dir": "/c"},
			[]string{"force-window", "sub-font-provider"}, "tests need no window and no sound"},
		{"desktop", Env{Profile: Desktop, ConfigDir: "/c", Geometry: "1920x1080+0+0", Fullscreen: true, AudioOut: "null"},
			map[string]string{"vo": "gpu", "gpu-context": "x11egl", "gpu-sw": "yes", "force-window": "yes", "geometry": "1920x1080+0+0", "fullscreen": "yes", "ao": "null", "input-vo-keyboard": "yes"},
			nil, "Xvfb needs software GL allowed for window screenshots"},
		{"tv", Env{Profile: TV, ConfigDir: "/c", FontsDir: "/fonts"}, map[string]string{"vo": "gpu,drm", "gpu-context": "drm", "drm-mode": "1920x1080@60", "sub-font-provider": "none", "osd-font": DefaultFont},
			[]string{"geometry"}, "a bare console: DRM, and fonts without fontconfig"},
	}
	for _, tt := range tests {
		opts, err := Options(tt.env)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := map[string]string{}
		for _, o := range opts {
			got[o.Name] = o.Value
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s (%s): %s=%q, want %q", tt.name, tt.reason, k, got[k], v)
			}
		}
		for _, k := range tt.absent {
			if _, ok := got[k]; ok {
				t.Errorf("%s (%s): %s set, want absent", tt.name, tt.reason, k)
			}
		}
	}
	if _, err := Options(Env{Profile: "vga", ConfigDir: "/c"}); err == nil {
		t.Error("unknown profile accepted")
	}
	if _, err := Options(Env{Profile: Headless}); err == nil {
		t.Error("missing config dir accepted")
	}
}

// TestKeyBindingsAreSupportedKeys: every key the window can send is one
// the daemon's API accepts (api.Keys).
func TestKeyBindingsAreSupportedKeys(t *testing.T) {
	for name, k := range KeyBindings {
		if !api.Keys[k] {
			t.Errorf("mpv key %s maps to %s, which api.Keys does not hold", name, k)
		}
	}
	want := map[string]ir.Key{"UP": ir.KEY_UP, "ENTER": ir.KEY_ENTER, "KP_ENTER": ir.KEY_ENTER, "ESC": ir.KEY_ESC, "BS": ir.KEY_BACKSPACE, "SPACE": ir.KEY_SPACE, "p": ir.KEY_PLAYPAUSE}
	for name, k := range want {
		if diff := cmp.Diff(k, KeyBindings[name]); diff != "" {
			t.Errorf("binding for %s (-want +got):\n%s", name, diff)
		}
	}
}

func TestPrepareConfigDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mpv")
	fonts := t.TempDir()
	if err := PrepareConfigDir(dir, fonts); err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join(dir, "input.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), "RIGHT repeatable script-message atomictv-key KEY_RIGHT\n") {
		t.Errorf("input.conf lacks the RIGHT binding:\n%s", conf)
	}
	if target, err := os.Readlink(filepath.Join(dir, "fonts")); err != nil || target != fonts {
		t.Errorf("fonts link = %q, %v; want %q", target, err, fonts)
	}
	// A second start without fonts removes the link.
	if err := PrepareConfigDir(dir, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "fonts")); !os.IsNotExist(err) {
		t.Errorf("fonts link still there: %v", err)
	}
}
