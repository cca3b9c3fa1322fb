// Command init is the initramfs /init for Debian's kernel on gokrazy: it
// reads /proc/cmdline and the device tree's compatible string, loads the
// board's modules from /lib/modules, waits for the root partition
// (root=PARTUUID=...), mounts it read-only on /newroot, moves /dev, /proc
// and /sys there and executes gokrazy's init (init=, default /gokrazy/init)
// as PID 1 with this process's arguments. On failure it prints the error on
// the console and reboots after a delay instead of hanging.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/atomicnetwork/atomicbox/image/initramfs/boot"
)

const (
	rootTimeout = 30 * time.Second // waiting for the root partition
	rebootDelay = 30 * time.Second // showing the error before rebooting
	newRoot     = "/newroot"
)

func main() {
	err := run(context.Background())
	msg := fmt.Sprintf("atomicbox initramfs: ERROR: %v; rebooting in %v", err, rebootDelay)
	fmt.Fprintln(os.Stderr, msg)
	// The kernel log reaches every console= (HDMI and serial), /dev/console
	// only the last one.
	if k, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0); err == nil {
		fmt.Fprintf(k, "<2>%s\n", msg)
		k.Close()
	}
	time.Sleep(rebootDelay)
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
	select {} // PID 1 must not exit
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "atomicbox initramfs: "+format+"\n", args...)
}

// run returns only on failure.
func run(ctx context.Context) error {
	start := time.Now()
	if err := boot.MountEarly(); err != nil {
		return err
	}
	// Without /dev/console in the archive the kernel gives init no output.
	if c, err := os.OpenFile("/dev/console", os.O_RDWR, 0); err == nil {
		os.Stdout, os.Stderr = c, c
	}
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return err
	}
	cmd, err := boot.ParseCmdline(string(b))
	if err != nil {
		return err
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return err
	}
	release := unix.ByteSliceToString(uts.Release[:])
	boards := boot.Boards()
	modules := boot.AllModules(boards)
	compat, err := os.ReadFile("/sys/firmware/devicetree/base/compatible")
	if board, ok := boot.DetectBoard(boards, compat); ok {
		logf("board %s (%s), kernel %s", board.Name, strings.ReplaceAll(strings.TrimRight(string(compat), "\x00"), "\x00", " "), release)
		modules = board.Modules
	} else {
		logf("unknown board (compatible %q, %v): loading every board's modules", compat, err)
	}
	if err := boot.LoadModules(ctx, os.Stderr, filepath.Join("/lib/modules", release), modules, boot.FinitLoader{}); err != nil {
		logf("some modules did not load (carrying on): %v", err)
	}
	logf("modules loaded after %v; waiting for root %s", time.Since(start).Round(time.Millisecond), cmd.Root)
	wctx, cancel := context.WithTimeout(ctx, rootTimeout)
	defer cancel()
	dev, err := boot.FindRootDevice(wctx, "/sys/class/block", "/dev", cmd.Root, 100*time.Millisecond)
	if err != nil {
		return err
	}
	if err := boot.MountRoot(dev, newRoot, cmd.RootFSType); err != nil {
		return err
	}
	logf("root %s mounted after %v; starting %s", dev, time.Since(start).Round(time.Millisecond), cmd.Init)
	args := append([]string{cmd.Init}, os.Args[1:]...)
	err = boot.SwitchRoot(newRoot, cmd.Init, args, os.Environ())
	return errors.Join(fmt.Errorf("switch root"), err)
}
