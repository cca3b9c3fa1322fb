// Package coldplug loads the kernel modules for the devices present and the
// few a TV box always needs, like udev's coldplug, on a system without udev.
package coldplug

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/atomicnetwork/atomicbox/image/initramfs/boot"
)

// TVModules are loaded whether or not a device asks for them: input
// handlers and helpers that no modalias names. The display, GPU, CEC,
// audio, Ethernet and Wi-Fi drivers come from the device tree's modaliases;
// they are listed too so that a box whose device tree lacks them says so.
var TVModules = []string{
	"vc4", "v3d", "cec", "snd-soc-hdmi-codec",
	"genet", "macb", "brcmfmac",
	"evdev", "usbhid", "hid-generic", "uinput",
	"pwm-fan", "bcm2835_wdt", "raspberrypi-cpufreq", "bcm2711_thermal",
}

// IRModules are the kernel's IR receiver on a GPIO and its decoders; load
// them only when the IR source is the kernel's (the line is then taken
// from the GPIO character device).
var IRModules = []string{
	"gpio-ir-recv", "ir-nec-decoder", "ir-rc5-decoder", "ir-rc6-decoder", "ir-sony-decoder",
}

// Alias is one "alias PATTERN MODULE" line of modules.alias.
type Alias struct {
	Pattern string // shell glob (fnmatch) over a device's modalias
	Module  string
}

// ParseAliases parses modules.alias as depmod writes it.
func ParseAliases(r io.Reader) ([]Alias, error) {
	var out []Alias
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 3 || f[0] != "alias" {
			return nil, fmt.Errorf("modules.alias line %d: want \"alias PATTERN MODULE\"", line)
		}
		if _, err := path.Match(f[1], ""); err != nil {
			return nil, fmt.Errorf("modules.alias line %d: pattern %q: %w", line, f[1], err)
		}
		out = append(out, Alias{Pattern: f[1], Module: boot.ModuleName(f[2])})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read modules.alias: %w", err)
	}
	return out, nil
}

// Match returns the modules whose patterns match modalias, each once, in
// the order of aliases.
func Match(aliases []Alias, modalias string) []string {
	var out []string
	for _, a := range aliases {
		// Modaliases have no '/', so path.Match is fnmatch here.
		if ok, _ := path.Match(a.Pattern, modalias); ok && !slices.Contains(out, a.Module) {
			out = append(out, a.Module)
		}
	}
	return out
}

// Modaliases returns the modalias of every device under sysDir/bus/*/devices
// (sysDir is /sys), sorted and each once.
func Modaliases(sysDir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(sysDir, "bus", "*", "devices", "*", "modalias"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the device went away
		}
		for _, l := range strings.Split(string(b), "\n") {
			// A device tree node's modalias may list several "of:" aliases.
			if l = strings.TrimSpace(l); l != "" && !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Config is where Run looks and what it loads.
type Config struct {
	SysDir   string            // /sys
	ModDir   string            // /lib/modules/<release>
	Explicit []string          // modules loaded whether or not a device asks (TVModules, IRModules)
	Loader   boot.ModuleLoader // boot.FinitLoader{} on a real system
	Log      io.Writer
}

// Run loads the modules the present devices' modaliases match plus
// cfg.Explicit (explicit ones first, then devices in sorted modalias order,
// each module after its dependencies), and returns the module names it asked
// the loader for. A module that fails is logged and skipped; the error
// joins every failure. Run blocks until each module's init returned.
func Run(ctx context.Context, cfg Config) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(cfg.ModDir, "modules.alias"))
	if err != nil {
		return nil, err
	}
	aliases, err := ParseAliases(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	mods, err := Modaliases(cfg.SysDir)
	if err != nil {
		return nil, err
	}
	want := slices.Clone(cfg.Explicit)
	for _, m := range mods {
		for _, name := range Match(aliases, m) {
			if !slices.Contains(want, name) {
				want = append(want, name)
			}
		}
	}
	rec := &recorder{next: cfg.Loader, sysModule: filepath.Join(cfg.SysDir, "module")}
	err = boot.LoadModules(ctx, cfg.Log, cfg.ModDir, want, rec)
	return rec.loaded, err
}

// recorder skips modules the kernel already has (/sys/module/<name>: loaded
// by the initramfs or built in; finit_module would decompress them only to
// return EEXIST) and records the others.
type recorder struct {
	next      boot.ModuleLoader
	sysModule string
	loaded    []string
}

func (r *recorder) Load(p string) error {
	name := boot.ModuleName(p)
	if _, err := os.Stat(filepath.Join(r.sysModule, name)); err == nil {
		return nil
	}
	r.loaded = append(r.loaded, name)
	return r.next.Load(p)
}

// EnableIRProtocols enables the NEC, RC-5, RC-6 and Sony decoders on every
// rc device under sysDir/class/rc (rc-core starts a "rc-empty" receiver with
// none) so that /dev/lirc0 reports scancodes.
func EnableIRProtocols(sysDir string) error {
	files, err := filepath.Glob(filepath.Join(sysDir, "class", "rc", "rc*", "protocols"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no IR receiver under %s/class/rc", sysDir)
	}
	var errs []error
	for _, f := range files {
		if err := os.WriteFile(f, []byte("nec rc-5 rc-6 sony\n"), 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
