// Command boottest is the deciding half of scripts/image-test.sh and
// scripts/kernel-test.sh (which start QEMU, daemons, curl downloads and gok):
// "wait" polls one probe until it holds, the QEMU process (-pid) exits or
// -timeout passes, and prints the probe's detail; the other modes judge
// JSON the scripts saved. It reads only what its arguments name and writes
// only the pictures the screen probes are told to write. Exit 1 with the
// reason on stderr when a check does not hold.
//
// Usage:
//
//	boottest wait -timeout 240s [-interval 1s] [-pid N] [-token T] [-user U:P] PROBE ARGS...
//	  status URL CODE           URL answers CODE (0: any answer)
//	  catalog URL               a verified catalog with shows ("NETWORK / N shows")
//	  has-episode URL ID        the catalog lists episode ID
//	  complete URL ID           /api/stats: episode ID at completion 1
//	  console FILE REGEXP       a console line matches (prints the first submatch)
//	  coldplug URL MODULE...    gokrazy's /log of coldplug: those modules loaded
//	  screen SOCK DIR GOLDEN.png SET MIN_DB OUT.png  every region of SET (home: all that carries
//	                            meaning; chrome: channel name and settings button) matches the
//	                            golden at MIN_DB or more (prints the lowest region PSNR)
//	  settled SOCK DIR CONSOLE.png OUT.png        the TV left the console and held still 10 s
//	  playing SOCK DIR HOME.png OUT.png           the TV left the home screen and its picture moves
//	  resume URL                /api/resume/{episode}: the TV reported its playback (prints it)
//	  storage URL MIN_BYTES     /api/settings: the data file system holds at least MIN_BYTES (prints GiB)
//	  version URL [WANT]        /api/settings: the daemon's build id (is WANT) (prints it)
//	  root-switched FILE N      the serial console shows a boot after its first N (those before the
//	                            update) into another root partition than boot N's (prints "A -> B")
//	boottest shot SOCK DIR OUT.png             one picture of the TV
//	boottest catalog-info CATALOG.json         prints the first episode's id and duration
//	boottest seeded LEECHER-STATS.json BOX-STATS.json ID   prints the box's bytes uploaded
//	boottest kept STATS.json ID RESUME-BEFORE.json RESUME-AFTER.json
//	boottest boots FILE                          the number of boots on a serial console log
//	boottest same-bytes WANT GOT                 GOT has WANT's bytes (prints how many were compared)
//	boottest kernel-arg IMG CMDLINE.txt [ARG]  sets the one extra kernel argument in
//	                            IMG's boot partition (CMDLINE.txt: gok's cmdline.txt); no ARG: none
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"time"

	"github.com/atomicnetwork/atomicbox/image/boottest"
)

func main() {
	fl := flag.NewFlagSet("boottest", flag.ExitOnError)
	timeout := fl.Duration("timeout", time.Minute, "wait: give up after this long")
	interval := fl.Duration("interval", time.Second, "wait: pause between attempts")
	pid := fl.Int("pid", 0, "wait: fail as soon as this process (QEMU) has exited; 0: none")
	token := fl.String("token", "", "bearer token for atomicboxd's API")
	user := fl.String("user", "", "user:password for gokrazy's web interface")
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: boottest wait|shot|catalog-info|seeded|kept ...")
		os.Exit(2)
	}
	fl.Parse(os.Args[2:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c := &boottest.Client{Token: *token, User: *user}
	out, err := run(ctx, os.Args[1], fl.Args(), c, *timeout, *interval, *pid)
	if out != "" {
		fmt.Println(out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run does one mode and returns what to print.
func run(ctx context.Context, mode string, args []string, c *boottest.Client, timeout, interval time.Duration, pid int) (string, error) {
	switch mode {
	case "wait":
		if len(args) == 0 {
			return "", errors.New("wait: no probe")
		}
		check, err := probe(args[0], args[1:], c)
		if err != nil {
			return "", err
		}
		var alive func() error
		if pid != 0 {
			alive = boottest.ProcessAlive("/proc", pid)
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		d, err := boottest.Wait(ctx, interval, alive, check)
		if errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("not within %v: %w", timeout, err)
		}
		return d, err
	case "shot":
		if len(args) != 3 {
			return "", errors.New("usage: shot SOCK DIR OUT.png")
		}
		_, err := boottest.Screen{Monitor: args[0], Dir: args[1]}.Shot(ctx, args[2])
		return "", err
	case "catalog-info":
		if len(args) != 1 {
			return "", errors.New("usage: catalog-info CATALOG.json")
		}
		var cat boottest.Catalog
		if err := readJSON(args[0], &cat); err != nil {
			return "", err
		}
		if _, err := cat.Verified(); err != nil {
			return "", err
		}
		if len(cat.Shows[0].Episodes) == 0 {
			return "", errors.New("the first show has no episodes")
		}
		e := cat.Shows[0].Episodes[0]
		return e.ID + " " + strconv.FormatFloat(e.DurationSeconds, 'f', -1, 64), nil
	case "seeded":
		if len(args) != 3 {
			return "", errors.New("usage: seeded LEECHER-STATS.json BOX-STATS.json ID")
		}
		var leecher, box boottest.Stats
		if err := readJSON(args[0], &leecher); err != nil {
			return "", err
		}
		if err := readJSON(args[1], &box); err != nil {
			return "", err
		}
		if err := leecher.FromPeersOnly(args[2]); err != nil {
			return "", fmt.Errorf("host daemon did not get %s from the box: %w", args[2], err)
		}
		if err := box.Uploaded(); err != nil {
			return "", err
		}
		return strconv.FormatInt(box.Total.BytesUploaded, 10), nil
	case "kernel-arg":
		if len(args) != 2 && len(args) != 3 {
			return "", errors.New("usage: kernel-arg IMG CMDLINE.txt [ARG]")
		}
		base, err := os.ReadFile(args[1])
		if err != nil {
			return "", err
		}
		f, err := os.OpenFile(args[0], os.O_RDWR, 0)
		if err != nil {
			return "", err
		}
		defer f.Close()
		arg := ""
		if len(args) == 3 {
			arg = args[2]
		}
		// gok's boot partition is the first 100 MB after sector 8192.
		n, err := boottest.SetKernelArg(f, f, 8192*512+100e6, string(base), arg)
		if err != nil {
			return "", err
		}
		return strconv.Itoa(n), f.Sync()
	case "boots":
		if len(args) != 1 {
			return "", errors.New("usage: boots FILE")
		}
		b, err := os.ReadFile(args[0])
		if err != nil {
			return "", err
		}
		roots, err := boottest.BootRoots(b)
		if err != nil {
			return "", err
		}
		return strconv.Itoa(len(roots)), nil
	case "same-bytes":
		if len(args) != 2 {
			return "", errors.New("usage: same-bytes WANT GOT")
		}
		n, err := boottest.SameBytes(args[0], args[1])
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(n, 10), nil
	case "kept":
		if len(args) != 4 {
			return "", errors.New("usage: kept STATS.json ID RESUME-BEFORE.json RESUME-AFTER.json")
		}
		var s boottest.Stats
		if err := readJSON(args[0], &s); err != nil {
			return "", err
		}
		if err := s.NotDownloaded(args[1]); err != nil {
			return "", err
		}
		a, err := os.ReadFile(args[2])
		if err != nil {
			return "", err
		}
		b, err := os.ReadFile(args[3])
		if err != nil {
			return "", err
		}
		return "", boottest.SameResume(a, b)
	}
	return "", fmt.Errorf("unknown mode %q", mode)
}

// probe builds the check that wait polls.
func probe(name string, args []string, c *boottest.Client) (boottest.Check, error) {
	n := map[string]int{"status": 2, "catalog": 1, "has-episode": 2, "complete": 2, "console": 2, "screen": 6, "settled": 4, "playing": 4, "resume": 1, "storage": 2, "root-switched": 2}
	if want, ok := n[name]; ok && len(args) != want {
		return nil, fmt.Errorf("probe %s: %d arguments, want %d", name, len(args), want)
	}
	switch name {
	case "status":
		code, err := strconv.Atoi(args[1])
		if err != nil {
			return nil, fmt.Errorf("probe status: code %q", args[1])
		}
		return c.Status(args[0], code), nil
	case "catalog":
		return boottest.JSON(c, args[0], boottest.Catalog.Verified), nil
	case "has-episode":
		return boottest.JSON(c, args[0], func(cat boottest.Catalog) (string, error) { return cat.HasEpisode(args[1]) }), nil
	case "complete":
		return boottest.JSON(c, args[0], func(s boottest.Stats) (string, error) { return s.Complete(args[1]) }), nil
	case "console":
		re, err := regexp.Compile(args[1])
		if err != nil {
			return nil, err
		}
		return boottest.ConsoleLine(args[0], re), nil
	case "coldplug":
		if len(args) < 2 {
			return nil, errors.New("probe coldplug: URL MODULE...")
		}
		c.Timeout = 5 * time.Second // the log streams: read it this long
		return c.Coldplug(args[0], args[1:]...), nil
	case "screen":
		golden, err := boottest.ReadImage(args[2])
		if err != nil {
			return nil, err
		}
		regions, ok := boottest.RegionSets[args[3]]
		if !ok {
			return nil, fmt.Errorf("probe screen: no region set %q", args[3])
		}
		min, err := strconv.ParseFloat(args[4], 64)
		if err != nil {
			return nil, fmt.Errorf("probe screen: MIN_DB %q", args[4])
		}
		return boottest.Screen{Monitor: args[0], Dir: args[1]}.Shows(golden, regions, min, args[5]), nil
	case "playing":
		home, err := boottest.ReadImage(args[2])
		if err != nil {
			return nil, err
		}
		return boottest.Screen{Monitor: args[0], Dir: args[1]}.Playing(home, time.Second, args[3]), nil
	case "resume":
		return boottest.JSON(c, args[0], boottest.Resume.Stored), nil
	case "storage":
		min, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("probe storage: MIN_BYTES %q", args[1])
		}
		return boottest.JSON(c, args[0], func(s boottest.Settings) (string, error) { return s.AtLeast(min) }), nil
	case "version":
		if len(args) != 1 && len(args) != 2 {
			return nil, errors.New("probe version: URL [WANT]")
		}
		want := ""
		if len(args) == 2 {
			want = args[1]
		}
		return boottest.JSON(c, args[0], func(s boottest.Settings) (string, error) { return s.BoxVersion(want) }), nil
	case "root-switched":
		before, err := strconv.Atoi(args[1])
		if err != nil {
			return nil, fmt.Errorf("probe root-switched: N %q", args[1])
		}
		return boottest.RootSwitched(args[0], before), nil
	case "settled":
		console, err := boottest.ReadImage(args[2])
		if err != nil {
			return nil, err
		}
		return boottest.Screen{Monitor: args[0], Dir: args[1]}.Settled(console, 10*time.Second, args[3]), nil
	}
	return nil, fmt.Errorf("unknown probe %q", name)
}

func readJSON(name string, v any) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
