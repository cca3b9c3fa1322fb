// Command coldplug is a one-shot gokrazy service: it loads the kernel
// modules for the devices present (modules.alias against /sys/bus/*/devices)
// and the TV box's explicit modules from /lib/modules/<release>, optionally
// the kernel's IR receiver, then exits 0 so gokrazy does not restart it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/atomicnetwork/atomicbox/image/coldplug"
	"github.com/atomicnetwork/atomicbox/image/initramfs/boot"
)

func main() {
	ir := flag.Bool("ir", false, "load gpio-ir-recv and the IR decoders and enable NEC, RC-5, RC-6 and Sony")
	sys := flag.String("sys", "/sys", "sysfs mount point")
	modDir := flag.String("modules", "", "module directory (default /lib/modules/<running release>)")
	flag.Parse()
	if err := run(context.Background(), *ir, *sys, *modDir); err != nil {
		log.Print(err)
	}
	// Exit 0 either way: gokrazy must not restart a one-shot loader.
}

func run(ctx context.Context, ir bool, sys, modDir string) error {
	if modDir == "" {
		var uts unix.Utsname
		if err := unix.Uname(&uts); err != nil {
			return err
		}
		modDir = filepath.Join("/lib/modules", unix.ByteSliceToString(uts.Release[:]))
	}
	explicit := coldplug.TVModules
	if ir {
		explicit = append(explicit, coldplug.IRModules...)
	}
	start := time.Now()
	loaded, err := coldplug.Run(ctx, coldplug.Config{
		SysDir: sys, ModDir: modDir, Explicit: explicit, Loader: boot.FinitLoader{}, Log: os.Stderr,
	})
	log.Printf("coldplug: %d modules in %v: %v", len(loaded), time.Since(start).Round(time.Millisecond), loaded)
	if err != nil {
		log.Printf("coldplug: some modules failed: %v", err)
	}
	if ir {
		if err := coldplug.EnableIRProtocols(sys); err != nil {
			return fmt.Errorf("IR protocols: %w", err)
		}
	}
	return nil
}
