package mpv

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"periph.io/x/conn/v3/ir"
)

// Profile names a display environment.
type Profile string

const (
	// Desktop: an X11 window (a developer's desktop or Xvfb), OpenGL through
	// EGL with software rendering allowed, so window screenshots work.
	Desktop Profile = "desktop"
	// Headless: no video or audio output (tests, benchmarks).
	Headless Profile = "headless"
	// TV: the appliance on a bare console (DRM/KMS), no X11.
	TV Profile = "tv"
)

// Env describes where mpv runs. Options is the only place that turns it
// into video output and decoder choices.
type Env struct {
	Profile    Profile
	Video      Playback // TV only: the path ChoosePlayback picked; the zero value tries vo=gpu then drm with hwdec=auto-safe
	ConfigDir  string   // mpv's config dir; PrepareConfigDir fills it (key bindings, fonts link). Required.
	FontsDir   string   // directory of TTF files; when set mpv reads fonts from there, without fontconfig
	Font       string   // OSD font family; default "DejaVu Sans"
	Geometry   string   // window geometry for Desktop, e.g. "1920x1080+0+0"
	Fullscreen bool     // Desktop only; TV is always full screen
	AudioOut   string   // mpv ao; "" means the profile's default (null for Headless, auto otherwise)
}

// DefaultFont is the family named in every ASS overlay and used for mpv's OSD.
const DefaultFont = "DejaVu Sans"

// Options returns the mpv options for env, in order. It is the single
// place where vo, gpu context and hwdec are chosen.
func Options(env Env) ([]Option, error) {
	if env.ConfigDir == "" {
		return nil, fmt.Errorf("mpv options: no config dir")
	}
	font := env.Font
	if font == "" {
		font = DefaultFont
	}
	o := []Option{
		{"terminal", "no"},
		{"config", "yes"},
		{"config-dir", env.ConfigDir},
		{"idle", "yes"},
		{"keep-open", "yes"},
		{"input-default-bindings", "no"},
		{"osc", "no"},
		{"osd-level", "0"},
		{"osd-font", font},
		{"sub-font", font}, // without fontconfig (gokrazy) libass finds no "sans-serif"
		{"image-display-duration", "inf"},
		{"cache", "yes"},
		{"demuxer-max-bytes", "64MiB"},
		{"demuxer-readahead-secs", "20"},
		{"network-timeout", "30"},
		{"screenshot-format", "png"},
	}
	if env.FontsDir != "" {
		o = append(o, Option{"sub-font-provider", "none"})
	}
	ao := env.AudioOut
	switch env.Profile {
	case Headless:
		if ao == "" {
			ao = "null"
		}
		o = append(o, Option{"vo", "null"}, Option{"hwdec", "no"})
	case Desktop:
		o = append(o,
			Option{"vo", "gpu"}, Option{"gpu-api", "opengl"}, Option{"gpu-context", "x11egl"},
			Option{"gpu-sw", "yes"}, // Xvfb only has software GL
			Option{"hwdec", "no"},
			Option{"force-window", "yes"},
			Option{"input-vo-keyboard", "yes"},
		)
		if env.Geometry != "" {
			o = append(o, Option{"geometry", env.Geometry})
		}
		if env.Fullscreen {
			o = append(o, Option{"fullscreen", "yes"})
		}
	case TV:
		v := env.Video
		if v.VO == "" {
			// Nothing probed: try the GPU, fall back to software scaling.
			v = Playback{VO: "gpu,drm", GPUContext: "drm", HWDec: "auto-safe"}
		}
		o = append(o, Option{"vo", v.VO})
		if v.GPUContext != "" {
			o = append(o, Option{"gpu-context", v.GPUContext})
		}
		mode := v.DRMMode
		if mode == "" {
			mode = DefaultDRMMode
		}
		o = append(o,
			Option{"drm-mode", mode},
			Option{"hwdec", cmp.Or(v.HWDec, "no")},
			Option{"force-window", "yes"},
			Option{"fullscreen", "yes"},
			Option{"input-vo-keyboard", "yes"},
		)
	default:
		return nil, fmt.Errorf("mpv options: unknown profile %q (want desktop, headless or tv)", env.Profile)
	}
	if ao != "" {
		o = append(o, Option{"ao", ao})
	}
	return o, nil
}

// KeyMessage is the script-message name the key bindings send; the
// argument is the Linux key name.
const KeyMessage = "atomictv-key"

// KeyBindings maps mpv key names (as in input.conf) to Linux key names.
var KeyBindings = map[string]ir.Key{
	"UP": ir.KEY_UP, "DOWN": ir.KEY_DOWN, "LEFT": ir.KEY_LEFT, "RIGHT": ir.KEY_RIGHT,
	"ENTER": ir.KEY_ENTER, "KP_ENTER": ir.KEY_ENTER,
	"ESC": ir.KEY_ESC, "BS": ir.KEY_BACKSPACE, "q": ir.KEY_BACK,
	"SPACE": ir.KEY_SPACE, "p": ir.KEY_PLAYPAUSE,
	"PLAY": ir.KEY_PLAY, "PAUSE": ir.KEY_PAUSE, "PLAYPAUSE": ir.KEY_PLAYPAUSE, "STOP": ir.KEY_STOP,
	"FORWARD": ir.KEY_FASTFORWARD, "REWIND": ir.KEY_REWIND, "NEXT": ir.KEY_NEXT, "PREV": ir.KEY_PREVIOUS,
	"HOME": ir.KEY_HOME, "MENU": ir.KEY_MENU, "m": ir.KEY_MENU, "i": ir.KEY_INFO, "h": ir.KEY_HOME,
	"VOLUME_UP": ir.KEY_VOLUMEUP, "VOLUME_DOWN": ir.KEY_VOLUMEDOWN, "MUTE": ir.KEY_MUTE,
	"0": ir.KEY_0, "1": ir.KEY_1, "2": ir.KEY_2, "3": ir.KEY_3, "4": ir.KEY_4,
	"5": ir.KEY_5, "6": ir.KEY_6, "7": ir.KEY_7, "8": ir.KEY_8, "9": ir.KEY_9,
}

// InputConf returns an input.conf binding every key in KeyBindings to
// "script-message atomictv-key KEY_..." (repeatable, so held keys repeat).
func InputConf() string {
	names := make([]string, 0, len(KeyBindings))
	for n := range KeyBindings {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("# generated by atomictv: every key becomes a script-message for the UI\n")
	for _, n := range names {
		fmt.Fprintf(&b, "%s repeatable script-message %s %s\n", n, KeyMessage, KeyBindings[n])
	}
	return b.String()
}

// PrepareConfigDir writes input.conf into dir and, when fontsDir is set,
// makes dir/fonts point at it (mpv hands "~~/fonts" to libass). dir is
// owned by the caller and rewritten on every start.
func PrepareConfigDir(dir, fontsDir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mpv config dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "input.conf"), []byte(InputConf()), 0o644); err != nil {
		return fmt.Errorf("mpv config dir: %w", err)
	}
	link := filepath.Join(dir, "fonts")
	if err := os.RemoveAll(link); err != nil {
		return fmt.Errorf("mpv config dir: %w", err)
	}
	if fontsDir == "" {
		return nil
	}
	abs, err := filepath.Abs(fontsDir)
	if err != nil {
		return fmt.Errorf("mpv fonts dir: %w", err)
	}
	if err := os.Symlink(abs, link); err != nil {
		return fmt.Errorf("mpv fonts dir: %w", err)
	}
	return nil
}
