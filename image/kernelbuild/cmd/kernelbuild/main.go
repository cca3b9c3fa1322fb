// Command kernelbuild is the deciding half of scripts/kernel-build.sh
// (which keeps apt-get, dpkg-deb, depmod, dtc, cpio and xz). It reads only
// the files it is given and prints one item a line:
//
//	kernelbuild release LOCK            the kernel release of kernel.lock
//	kernelbuild suites LOCK             the Debian suites of its pins
//	kernelbuild pins LOCK               "name version arch suite sha256", checked
//	kernelbuild closure -mods DIR [-list modules.txt] [-boards boards.txt]
//	                                    the module files (relative to DIR) the
//	                                    listed modules need, dependencies included
//
// It exits 1 with a message on stderr when a file is malformed or a module
// is neither in modules.dep nor built in, and 2 on a usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/atomicnetwork/atomicbox/image/kernelbuild"
)

var errUsage = errors.New("usage: kernelbuild release|suites|pins LOCK | closure -mods DIR [-list FILE] [-boards FILE]")

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kernelbuild:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "release", "suites", "pins":
		if len(args) != 2 {
			return errUsage
		}
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		lock, err := kernelbuild.ParseLock(f)
		if err != nil {
			return fmt.Errorf("%s: %w", args[1], err)
		}
		switch args[0] {
		case "release":
			fmt.Fprintln(out, lock.Release)
		case "suites":
			for _, s := range lock.Suites() {
				fmt.Fprintln(out, s)
			}
		case "pins":
			for _, p := range lock.Pins {
				fmt.Fprintln(out, p.Name, p.Version, p.Arch, p.Suite, p.SHA256)
			}
		}
		return nil
	case "closure":
		fs := flag.NewFlagSet("closure", flag.ContinueOnError)
		mods := fs.String("mods", "", "the /lib/modules/<release> tree (with modules.dep and modules.builtin)")
		list := fs.String("list", "", "a module list (modules.txt)")
		boards := fs.String("boards", "", "the initramfs's boards.txt: every board's modules")
		if err := fs.Parse(args[1:]); err != nil || *mods == "" || fs.NArg() != 0 || (*list == "") == (*boards == "") {
			return fmt.Errorf("%w (closure takes -mods and one of -list or -boards)", errUsage)
		}
		var names []string
		if *list != "" {
			f, err := os.Open(*list)
			if err != nil {
				return err
			}
			defer f.Close()
			if names, err = kernelbuild.ReadModuleList(f); err != nil {
				return fmt.Errorf("%s: %w", *list, err)
			}
		} else {
			data, err := os.ReadFile(*boards)
			if err != nil {
				return err
			}
			if names, err = kernelbuild.BoardModules(data); err != nil {
				return fmt.Errorf("%s: %w", *boards, err)
			}
		}
		files, err := kernelbuild.Closure(*mods, names)
		if err != nil {
			return err
		}
		for _, f := range files {
			fmt.Fprintln(out, f)
		}
		return nil
	}
	return errUsage
}
