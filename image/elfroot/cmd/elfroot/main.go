// Command elfroot is the deciding half of scripts/runtime-tar.sh (which
// keeps apt-get, dpkg-deb and tar). "stage" copies the shared-library
// closure of the given root-relative paths from an unpacked Debian root
// (-src) into a staging tree (-dst), plus the -data directories whole, then
// turns hard links into symlinks. "check" reads a tree and reports on stderr
// every DT_NEEDED entry it does not satisfy, exiting 1 if any (or if a
// -require path is missing). Messages start with "runtime-tar:", as the
// script's own.
//
// Usage: elfroot stage -arch A -triplet T -src DIR -dst DIR [-data "DIR ..."] PATH...
//
//	elfroot check -arch A -triplet T [-require PATH] DIR
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/atomicnetwork/atomicbox/image/elfroot"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: elfroot stage|check [flags] ...")
		os.Exit(2)
	}
	fl := flag.NewFlagSet("elfroot "+os.Args[1], flag.ExitOnError)
	arch := fl.String("arch", "", "Debian architecture (amd64, arm64), for messages")
	triplet := fl.String("triplet", "", "multiarch triplet of the libraries (x86_64-linux-gnu)")
	src := fl.String("src", "", "stage: the unpacked root to copy from")
	dst := fl.String("dst", "", "stage: the staging tree to copy to")
	data := fl.String("data", "", "stage: space-separated directories (relative to -src) copied whole")
	require := fl.String("require", "", "check: a path (relative to DIR) that must be a file")
	fl.Parse(os.Args[2:])
	if *triplet == "" {
		fmt.Fprintln(os.Stderr, "elfroot: -triplet is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c := config{arch: *arch, triplet: *triplet, src: *src, dst: *dst, data: strings.Fields(*data), require: *require}
	if err := run(ctx, os.Args[1], c, fl.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "runtime-tar: %v\n", err)
		os.Exit(1)
	}
}

// config is the flags of both modes.
type config struct {
	arch, triplet, src, dst, require string
	data                             []string
}

// run does one mode: "stage" with args the closure roots, "check" with args
// the one tree to check.
func run(ctx context.Context, mode string, c config, args []string) error {
	switch mode {
	case "stage":
		s := &elfroot.Stager{Src: c.src, Dst: c.dst, Triplet: c.triplet}
		if err := stage(ctx, s, args, c.data); err != nil {
			return fmt.Errorf("%s: %w", c.arch, err)
		}
		return nil
	case "check":
		if len(args) != 1 {
			return errors.New("usage: elfroot check -arch A -triplet T [-require PATH] DIR")
		}
		return check(ctx, c.arch, c.triplet, args[0], c.require)
	}
	return fmt.Errorf("unknown mode %q (want stage or check)", mode)
}

// stage copies the closure of roots, then the data directories, then
// replaces hard links in the staging tree.
func stage(ctx context.Context, s *elfroot.Stager, roots, data []string) error {
	if s.Src == "" || s.Dst == "" {
		return errors.New("-src and -dst are required")
	}
	if err := s.Closure(ctx, roots); err != nil {
		return err
	}
	for _, d := range data {
		if err := s.CopyTree(ctx, d); err != nil {
			return err
		}
	}
	return elfroot.HardLinksToSymlinks(ctx, s.Dst)
}

// check prints one line per unsatisfied DT_NEEDED entry and a summary.
func check(ctx context.Context, arch, triplet, dir, require string) error {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if root, err = filepath.Abs(root); err != nil {
		return err
	}
	res, err := elfroot.Check(ctx, root, triplet)
	if err != nil {
		return err
	}
	for _, m := range res.Missing {
		fmt.Fprintf(os.Stderr, "runtime-tar: MISSING %s (needed by /%s)\n", m.Name, m.By)
	}
	if n := len(res.Missing); n > 0 {
		return fmt.Errorf("%d unsatisfied DT_NEEDED entries in %s", n, root)
	}
	if require != "" {
		if fi, err := os.Stat(filepath.Join(root, require)); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("no %s", require)
		}
	}
	fmt.Fprintf(os.Stderr, "runtime-tar: %s: every DT_NEEDED satisfied (%d ELF files)\n", arch, res.ELFs)
	return nil
}
