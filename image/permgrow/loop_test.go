package permgrow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/atomicnetwork/atomicbox/appliance/library"
)

// permOffset is where gok puts /perm (sector 2260992), as image-build.sh
// formats it.
const permOffset = 1157627904

// TestGrowMounted grows a mounted /perm on this machine's kernel: gok's
// table and an ext4 made as scripts/image-build.sh makes it, on a loop
// device of a 16 GiB sparse file (the 2 GiB image written to a larger
// card). The partition table (sgdisk -v), the kernel's partition
// (BLKPG), the file system (EXT4_IOC_RESIZE_FS) and the daemon's disk
// budget must all follow, with the files kept; a second run does nothing.
func TestGrowMounted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loop devices and mounts need root; the online grow was NOT tested")
	}
	for _, tool := range []string{"losetup", "mkfs.ext4", "sgdisk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (scripts/setup-debian.sh test installs it): %v", tool, err)
		}
	}
	img := filepath.Join(t.TempDir(), "card.img")
	fix, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(fixtureBytes); err == nil {
		_, err = f.WriteAt(fix[:34*SectorSize], 0)
		if err == nil {
			_, err = f.WriteAt(fix[34*SectorSize:], fixtureBytes-33*SectorSize)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	permKiB := (fixtureBytes/SectorSize - 34 - permOffset/SectorSize) / 2
	run(t, "mkfs.ext4", "-q", "-F", "-L", "perm", "-E", fmt.Sprintf("offset=%d", permOffset), img, fmt.Sprint(permKiB))
	if err := os.Truncate(img, 16*gib); err != nil {
		t.Fatal(err)
	}

	loop := strings.TrimSpace(run(t, "losetup", "-f", "--show", "-P", img))
	t.Cleanup(func() { exec.Command("losetup", "-d", loop).Run() })
	part := loop + "p4"
	// The kernel that runs the tests may lack the GPT parser (this
	// machine's has no CONFIG_EFI_PARTITION): add partition 4 as the box's
	// kernel finds it at boot, at gok's offset with the image's size.
	addPartition(t, loop, 4, permOffset/SectorSize, fixtureBytes/SectorSize-34-permOffset/SectorSize)
	for i := 0; ; i++ {
		if _, err := os.Stat(part); err == nil {
			break
		} else if i == 50 {
			t.Fatalf("%s did not appear: %v", part, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	mnt := t.TempDir()
	if err := unix.Mount(part, mnt, "ext4", 0, ""); err != nil {
		t.Fatalf("mount %s: %v", part, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	kept := bytes.Repeat([]byte("paired token and resume position\n"), 1000)
	if err := os.WriteFile(filepath.Join(mnt, "pairing.json"), kept, 0o600); err != nil {
		t.Fatal(err)
	}
	budget := library.NewBudget(mnt, library.BudgetOptions{})
	before, err := budget.Usage()
	if err != nil {
		t.Fatal(err)
	}

	var logs []string
	logf := func(format string, args ...any) { logs = append(logs, fmt.Sprintf(format, args...)) }
	start := time.Now()
	res, err := Grow(context.Background(), Config{Mount: mnt, Sys: "/sys", Dev: "/dev", Logf: logf})
	took := time.Since(start)
	t.Logf("grow log:\n%s", strings.Join(logs, "\n"))
	noFS := false
	if err != nil {
		if !errors.Is(err, unix.EPERM) || hasCap(t, unix.CAP_SYS_RESOURCE) {
			t.Fatal(err)
		}
		// Containers often drop CAP_SYS_RESOURCE, which EXT4_IOC_RESIZE_FS
		// needs; gokrazy's services have it.
		noFS = true
	}
	wantLast := uint64(16*gib/SectorSize - 34)
	if !res.Table.Wrote || !res.KernelGrown || res.Table.NewLastLBA != wantLast {
		t.Errorf("first run: %+v; want the table written, the kernel told, partition 4 to LBA %d", res, wantLast)
	}
	if size, err := readUint(filepath.Join("/sys/class/block", filepath.Base(part), "size")); err != nil || size != wantLast-permOffset/SectorSize+1 {
		t.Errorf("kernel's %s: %d sectors (%v), want %d", part, size, err, wantLast-permOffset/SectorSize+1)
	}
	unix.Sync()
	if out := run(t, "sgdisk", "-v", img); !strings.Contains(out, "No problems found") {
		t.Errorf("sgdisk -v after the grow:\n%s", out)
	}
	if noFS {
		if !t.Failed() {
			t.Skip("table and kernel partition grown; the file system part did NOT run: this process lacks CAP_SYS_RESOURCE (make image-test grows /perm in QEMU)")
		}
		return
	}
	after, err := budget.Usage()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("file system %.2f GiB -> %.2f GiB in %v; budget total %d -> %d bytes", float64(res.FSBlocksWas*res.FSBlockBytes)/gib,
		float64(res.FSBlocks*res.FSBlockBytes)/gib, took.Round(time.Millisecond), before.Total, after.Total)
	if after.Total < 15*gib || before.Total > gib {
		t.Errorf("the budget saw the file system at %d then %d bytes; want under 1 GiB, then over 15 GiB", before.Total, after.Total)
	}
	if got, err := os.ReadFile(filepath.Join(mnt, "pairing.json")); err != nil || !bytes.Equal(got, kept) {
		t.Errorf("pairing.json after the grow: %v, %d bytes; want it unchanged", err, len(got))
	}

	again, err := Grow(context.Background(), Config{Mount: mnt, Sys: "/sys", Dev: "/dev"})
	if err != nil || again.Table.Wrote || again.KernelGrown || again.FSBlocks != again.FSBlocksWas {
		t.Errorf("second run: %+v, %v; want nothing done", again, err)
	}
}

// addPartition makes the kernel see partition part of the loop device at
// sectors [start, start+size) (BLKPG_ADD_PARTITION), if it does not yet.
func addPartition(t *testing.T, loop string, part int, start, size uint64) {
	t.Helper()
	if _, err := os.Stat(fmt.Sprintf("%sp%d", loop, part)); err == nil {
		return
	}
	f, err := os.OpenFile(loop, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := unix.BlkpgPartition{Start: int64(start * SectorSize), Length: int64(size * SectorSize), Pno: int32(part)}
	a := unix.BlkpgIoctlArg{Op: unix.BLKPG_ADD_PARTITION, Datalen: int32(unsafe.Sizeof(p)), Data: (*byte)(unsafe.Pointer(&p))}
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKPG, uintptr(unsafe.Pointer(&a))); errno != 0 {
		t.Fatalf("BLKPG_ADD_PARTITION %s %d: %v", loop, part, errno)
	}
	runtime.KeepAlive(&p)
}

// hasCap reports whether this process has capability c in its effective set.
func hasCap(t *testing.T, c int) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && n&(1<<c) != 0
		}
	}
	return false
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
