// Command permgrow is a one-shot gokrazy service: it grows the data
// partition mounted at -mount (/perm) and its ext4 file system to the end of
// the disk (package permgrow), so that a card larger than the image holds a
// larger library. It reads /proc/cmdline (the test-only pause), sysfs and
// the disk's device node, and writes the disk's partition table. It logs to
// stderr and to the kernel log (-kmsg), which the serial console shows.
//
// It exits 0 when /perm fills the disk, and 125 (gokrazy: do not restart)
// when it cannot grow it: the reason is logged and the next boot tries
// again, rather than gokrazy every second.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/atomicnetwork/atomicbox/image/permgrow"
)

func main() {
	mount := flag.String("mount", "/perm", "mount point of the data partition to grow")
	sys := flag.String("sys", "/sys", "sysfs mount point")
	dev := flag.String("dev", "/dev", "device node directory")
	cmdline := flag.String("cmdline", "/proc/cmdline", "kernel command line (atomicbox.permgrow.pause=DURATION: test only)")
	kmsg := flag.String("kmsg", "/dev/kmsg", "kernel log to copy messages to (empty: stderr only)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *mount, *sys, *dev, *cmdline, *kmsg); err != nil {
		log.Printf("permgrow: %v", err)
		os.Exit(125)
	}
}

func run(ctx context.Context, mount, sys, dev, cmdline, kmsg string) error {
	var out io.Writer = os.Stderr
	if kmsg != "" {
		if k, err := os.OpenFile(kmsg, os.O_WRONLY, 0); err == nil {
			defer k.Close()
			out = io.MultiWriter(os.Stderr, kmsgWriter{k})
		}
	}
	logger := log.New(out, "permgrow: ", 0)
	log.SetOutput(out)
	log.SetFlags(0)
	cfg := permgrow.Config{Mount: mount, Sys: sys, Dev: dev, Logf: logger.Printf}
	if b, err := os.ReadFile(cmdline); err == nil {
		if cfg.PauseAfterPartition, err = permgrow.PauseFromCmdline(string(b)); err != nil {
			return err
		}
	}
	res, err := permgrow.Grow(ctx, cfg)
	if err != nil {
		return err
	}
	fs := float64(res.FSBlocks*res.FSBlockBytes) / (1 << 30)
	if res.Table.Wrote || res.KernelGrown || res.FSBlocks != res.FSBlocksWas {
		logger.Printf("done: %s fills %s (%.2f GiB file system)", mount, res.Target.Disk, fs)
	} else {
		logger.Printf("%s already fills %s (%.2f GiB file system)", mount, res.Target.Disk, fs)
	}
	return nil
}

// kmsgWriter writes each line as one kernel log record at level notice
// (shown on the console at the default log level).
type kmsgWriter struct{ w io.Writer }

func (k kmsgWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if _, err := fmt.Fprintf(k.w, "<5>%s\n", line); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
