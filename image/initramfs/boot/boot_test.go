package boot

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseCmdline(t *testing.T) {
	for _, tc := range []struct {
		reason  string
		in      string
		want    Cmdline
		wantErr string
	}{
		{
			reason: "gokrazy MBR form with the Pi's console arguments",
			in:     "console=tty1 console=serial0,115200 root=PARTUUID=2A8D5D2C-02 init=/gokrazy/init rootwait panic=10 oops=panic",
			want:   Cmdline{Root: RootSpec{PartUUID: "2a8d5d2c-02"}, Init: "/gokrazy/init"},
		},
		{
			reason: "gokrazy GPT form: partition 1's GUID plus PARTNROFF",
			in:     "root=PARTUUID=60c24cc1-f3f9-427a-8199-2a8d5d2c0001/PARTNROFF=1 init=/gokrazy/init",
			want:   Cmdline{Root: RootSpec{PartUUID: "60c24cc1-f3f9-427a-8199-2a8d5d2c0001", PartNrOff: 1}, Init: "/gokrazy/init"},
		},
		{
			reason: "device path, rootfstype and no init= (default)",
			in:     "root=/dev/mmcblk0p2 rootfstype=squashfs ro",
			want:   Cmdline{Root: RootSpec{Device: "/dev/mmcblk0p2"}, RootFSType: "squashfs", Init: DefaultInit},
		},
		{
			reason: "the last root= wins, as in the kernel",
			in:     "root=/dev/sda2 root=PARTUUID=00000001-03",
			want:   Cmdline{Root: RootSpec{PartUUID: "00000001-03"}, Init: DefaultInit},
		},
		{reason: "no root", in: "console=ttyAMA0 init=/gokrazy/init", wantErr: "no root="},
		{reason: "label roots are not supported", in: "root=LABEL=gokrazy", wantErr: "want PARTUUID="},
		{reason: "short MBR id", in: "root=PARTUUID=2a8d-02", wantErr: "neither an MBR"},
		{reason: "bad offset", in: "root=PARTUUID=60c24cc1-f3f9-427a-8199-2a8d5d2c0001/PARTNROFF=x", wantErr: "bad PARTNROFF"},
		{reason: "unknown suffix", in: "root=PARTUUID=60c24cc1-f3f9-427a-8199-2a8d5d2c0001/FOO=1", wantErr: "unknown suffix"},
		{reason: "relative init", in: "root=/dev/sda2 init=gokrazy/init", wantErr: "not an absolute path"},
		{reason: "traversal in the device path", in: "root=/dev/../etc/passwd", wantErr: "want PARTUUID="},
	} {
		got, err := ParseCmdline(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: ParseCmdline(%q) error = %v, want one containing %q", tc.reason, tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: ParseCmdline(%q): %v", tc.reason, tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: ParseCmdline(%q) (-want +got):\n%s", tc.reason, tc.in, diff)
		}
	}
}

func TestReadPartitionsAndFindRoot(t *testing.T) {
	for _, tc := range []struct {
		reason   string
		disk     []byte
		root     string
		wantPart int
		wantOK   bool
	}{
		{reason: "MBR root A", disk: gokrazyMBR(), root: "PARTUUID=2a8d5d2c-02", wantPart: 2, wantOK: true},
		{reason: "MBR root B after an update", disk: gokrazyMBR(), root: "PARTUUID=2a8d5d2c-03", wantPart: 3, wantOK: true},
		{reason: "MBR of another disk", disk: gokrazyMBR(), root: "PARTUUID=deadbeef-02"},
		{reason: "MBR, no such partition", disk: gokrazyMBR(), root: "PARTUUID=2a8d5d2c-05"},
		{reason: "GPT with PARTNROFF=1 (gokrazy's root A)", disk: gokrazyGPT(), root: "PARTUUID=60c24cc1-f3f9-427a-8199-2a8d5d2c0001/PARTNROFF=1", wantPart: 2, wantOK: true},
		{reason: "GPT with PARTNROFF=2 (root B)", disk: gokrazyGPT(), root: "PARTUUID=60c24cc1-f3f9-427a-8199-2a8d5d2c0001/PARTNROFF=2", wantPart: 3, wantOK: true},
		{reason: "GPT by the partition's own GUID", disk: gokrazyGPT(), root: "PARTUUID=60c24cc1-f3f9-427a-8199-2a8d5d2c0004", wantPart: 4, wantOK: true},
		{reason: "GPT offset past the last partition", disk: gokrazyGPT(), root: "PARTUUID=60c24cc1-f3f9-427a-8199-2a8d5d2c0004/PARTNROFF=1"},
		{reason: "GPT disk's MBR-style id does not match", disk: gokrazyGPT(), root: "PARTUUID=00000000-02"},
	} {
		parts, err := ReadPartitions(bytes.NewReader(tc.disk))
		if err != nil {
			t.Errorf("%s: ReadPartitions: %v", tc.reason, err)
			continue
		}
		spec, err := ParseRoot(tc.root)
		if err != nil {
			t.Errorf("%s: ParseRoot(%q): %v", tc.reason, tc.root, err)
			continue
		}
		n, ok := FindRoot(spec, parts)
		if n != tc.wantPart || ok != tc.wantOK {
			t.Errorf("%s: FindRoot(%s) = %d, %v; want %d, %v", tc.reason, tc.root, n, ok, tc.wantPart, tc.wantOK)
		}
	}
}

func TestReadPartitionsLayout(t *testing.T) {
	got, err := ReadPartitions(bytes.NewReader(gokrazyGPT()))
	if err != nil {
		t.Fatal(err)
	}
	want := []Partition{
		{Number: 1, PartUUID: "60c24cc1-f3f9-427a-8199-2a8d5d2c0001", Start: 8192, Sectors: 204800},
		{Number: 2, PartUUID: "60c24cc1-f3f9-427a-8199-2a8d5d2c0002", Start: 212992, Sectors: 1024000},
		{Number: 3, PartUUID: "60c24cc1-f3f9-427a-8199-2a8d5d2c0003", Start: 1236992, Sectors: 1024000},
		{Number: 4, PartUUID: "60c24cc1-f3f9-427a-8199-2a8d5d2c0004", Start: 2260992, Sectors: 100000},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GPT partitions (-want +got):\n%s", diff)
	}
	got, err = ReadPartitions(bytes.NewReader(gokrazyMBR()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("2a8d5d2c-04", got[3].PartUUID); diff != "" {
		t.Errorf("MBR PARTUUID (-want +got):\n%s", diff)
	}
}

func TestReadPartitionsRejects(t *testing.T) {
	noSig := gokrazyMBR()
	noSig[510] = 0
	noHeader := gokrazyGPT()
	copy(noHeader[sectorSize:], "NOT GPT!")
	hugeCount := gokrazyGPT()
	hugeCount[sectorSize+80] = 0xff
	hugeCount[sectorSize+81] = 0xff
	backwards := gptDisk(testPart{guid: "60c24cc1-f3f9-427a-8199-2a8d5d2c0001", start: 100, n: 0})
	for _, tc := range []struct {
		reason string
		disk   []byte
		want   string
	}{
		{reason: "no boot signature", disk: noSig, want: "no partition table"},
		{reason: "protective MBR without a GPT header", disk: noHeader, want: "no GPT header"},
		{reason: "absurd entry count", disk: hugeCount, want: "out of range"},
		{reason: "last LBA before first", disk: backwards, want: "before first"},
		{reason: "short read", disk: make([]byte, 100), want: "read MBR"},
	} {
		_, err := ReadPartitions(bytes.NewReader(tc.disk))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want one containing %q", tc.reason, err, tc.want)
		}
	}
}

const testDep = `kernel/fs/ext4/ext4.ko.xz: kernel/fs/jbd2/jbd2.ko.xz kernel/fs/mbcache.ko.xz kernel/lib/crc16.ko.xz
kernel/fs/jbd2/jbd2.ko.xz:
kernel/fs/mbcache.ko.xz:
kernel/lib/crc16.ko.xz:
kernel/fs/squashfs/squashfs.ko.xz:
kernel/drivers/gpu/drm/vc4/vc4.ko.xz: kernel/drivers/gpu/drm/drm_kms_helper.ko.xz kernel/drivers/media/cec/core/cec.ko.xz kernel/drivers/gpu/drm/drm.ko.xz
kernel/drivers/gpu/drm/drm_kms_helper.ko.xz: kernel/drivers/gpu/drm/drm.ko.xz
kernel/drivers/gpu/drm/drm.ko.xz:
kernel/drivers/media/cec/core/cec.ko.xz:
kernel/drivers/gpu/drm/v3d/v3d.ko.xz: kernel/drivers/gpu/drm/drm.ko.xz
kernel/drivers/mmc/host/sdhci-iproc.ko.xz: kernel/drivers/mmc/host/sdhci-pltfm.ko.xz kernel/drivers/mmc/host/sdhci.ko.xz
kernel/drivers/mmc/host/sdhci-pltfm.ko.xz: kernel/drivers/mmc/host/sdhci.ko.xz
kernel/drivers/mmc/host/sdhci.ko.xz:
`

func TestOrder(t *testing.T) {
	d, err := ParseModulesDep(strings.NewReader(testDep))
	if err != nil {
		t.Fatal(err)
	}
	builtin := map[string]bool{"mmc_block": true}
	for _, tc := range []struct {
		reason  string
		names   []string
		want    []string
		wantErr string
	}{
		{
			reason: "dependencies before dependants, the shared drm once",
			names:  []string{"vc4", "v3d"},
			want: []string{
				"kernel/drivers/gpu/drm/drm.ko.xz", "kernel/drivers/gpu/drm/drm_kms_helper.ko.xz",
				"kernel/drivers/media/cec/core/cec.ko.xz", "kernel/drivers/gpu/drm/vc4/vc4.ko.xz",
				"kernel/drivers/gpu/drm/v3d/v3d.ko.xz",
			},
		},
		{
			reason: "a dependency listed after the module that needs it (sdhci-pltfm needs sdhci) is still loaded first",
			names:  []string{"sdhci-iproc", "squashfs"},
			want: []string{
				"kernel/drivers/mmc/host/sdhci.ko.xz", "kernel/drivers/mmc/host/sdhci-pltfm.ko.xz",
				"kernel/drivers/mmc/host/sdhci-iproc.ko.xz", "kernel/fs/squashfs/squashfs.ko.xz",
			},
		},
		{
			reason: "built-in modules are skipped, '-' and '_' are the same",
			names:  []string{"mmc-block", "ext4"},
			want: []string{
				"kernel/fs/jbd2/jbd2.ko.xz", "kernel/fs/mbcache.ko.xz", "kernel/lib/crc16.ko.xz", "kernel/fs/ext4/ext4.ko.xz",
			},
		},
		{
			reason:  "an unknown module is an error but the rest is still ordered",
			names:   []string{"nosuch", "squashfs"},
			want:    []string{"kernel/fs/squashfs/squashfs.ko.xz"},
			wantErr: "module nosuch: not in modules.dep",
		},
	} {
		got, err := d.Order(tc.names, builtin)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: Order(%v) error = %v, want %q", tc.reason, tc.names, err, tc.wantErr)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: Order(%v) (-want +got):\n%s", tc.reason, tc.names, diff)
		}
	}
}

func TestOrderErrors(t *testing.T) {
	for _, tc := range []struct {
		reason string
		dep    string
		want   string
	}{
		{reason: "cycle", dep: "a.ko: b.ko\nb.ko: a.ko\n", want: "dependency cycle"},
		{reason: "missing dependency line", dep: "a.ko: b.ko\n", want: "b.ko (needed by a.ko) is not in modules.dep"},
	} {
		d, err := ParseModulesDep(strings.NewReader(tc.dep))
		if err != nil {
			t.Errorf("%s: %v", tc.reason, err)
			continue
		}
		if _, err := d.Order([]string{"a"}, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want one containing %q", tc.reason, err, tc.want)
		}
	}
	for _, bad := range []string{"no colon here\n", "a.ko:\na.ko:\n", ": x.ko\n"} {
		if _, err := ParseModulesDep(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseModulesDep(%q) succeeded, want an error", bad)
		}
	}
}

func TestBoards(t *testing.T) {
	boards := Boards()
	for _, tc := range []struct {
		reason     string
		compatible string
		want       string
	}{
		{reason: "Pi 4 B", compatible: "raspberrypi,4-model-b\x00brcm,bcm2711\x00", want: "pi4"},
		{reason: "Pi 400", compatible: "raspberrypi,400\x00brcm,bcm2711\x00", want: "pi4"},
		{reason: "Pi 5 (D0 stepping tree)", compatible: "raspberrypi,5-model-b\x00brcm,bcm2712d0\x00brcm,bcm2712\x00", want: "pi5"},
		{reason: "QEMU virt", compatible: "linux,dummy-virt\x00", want: "virt"},
		{reason: "unknown", compatible: "raspberrypi,3-model-b\x00brcm,bcm2837\x00", want: ""},
		{reason: "no device tree", compatible: "", want: ""},
	} {
		b, ok := DetectBoard(boards, []byte(tc.compatible))
		if b.Name != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: DetectBoard(%q) = %q, %v; want %q", tc.reason, tc.compatible, b.Name, ok, tc.want)
		}
	}
	// Every board needs the root file system and its storage.
	for _, b := range boards {
		names := map[string]bool{}
		for _, m := range b.Modules {
			names[ModuleName(m)] = true
		}
		for _, m := range []string{"squashfs", "ext4"} {
			if !names[m] {
				t.Errorf("board %s does not load %s before root", b.Name, m)
			}
		}
	}
	if _, err := ParseBoards(strings.NewReader("pi4 brcm,bcm2711\n")); err == nil {
		t.Errorf("ParseBoards accepted a board without modules")
	}
	if _, err := ParseBoards(strings.NewReader("a x m\na y m\n")); err == nil {
		t.Errorf("ParseBoards accepted a board listed twice")
	}
}

// fakeLoader records module loads; names in fail fail.
type fakeLoader struct {
	loaded []string
	fail   map[string]bool
}

func (f *fakeLoader) Load(p string) error {
	if f.fail[ModuleName(p)] {
		return errors.New("ENODEV")
	}
	f.loaded = append(f.loaded, filepath.Base(p))
	return nil
}

func TestLoadModules(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(testDep), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte("kernel/drivers/mmc/core/mmc_block.ko\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := &fakeLoader{fail: map[string]bool{"cec": true}}
	var log bytes.Buffer
	err := LoadModules(context.Background(), &log, dir, []string{"mmc_block", "vc4", "squashfs"}, l)
	if err == nil || !strings.Contains(log.String(), "module cec: ENODEV") {
		t.Errorf("LoadModules error = %v, log %q; want the cec failure reported", err, log.String())
	}
	want := []string{"drm.ko.xz", "drm_kms_helper.ko.xz", "vc4.ko.xz", "squashfs.ko.xz"}
	if diff := cmp.Diff(want, l.loaded); diff != "" {
		t.Errorf("loaded (-want +got):\n%s", diff)
	}
}

// fakeSys builds a /sys/class/block and /dev pair: disks and their
// partitions (name -> number), with each disk's image as its /dev node.
func fakeSys(t *testing.T, disks map[string][]byte, parts map[string]map[string]int) (sysBlock, dev string) {
	t.Helper()
	root := t.TempDir()
	sysBlock, dev = filepath.Join(root, "sys/class/block"), filepath.Join(root, "dev")
	for name, img := range disks {
		mustWrite(t, filepath.Join(dev, name), img)
		mustWrite(t, filepath.Join(sysBlock, name, "size"), []byte("0\n"))
		for p, n := range parts[name] {
			mustWrite(t, filepath.Join(sysBlock, name, p, "partition"), []byte(itoa(n)+"\n"))
			mustWrite(t, filepath.Join(sysBlock, p, "partition"), []byte(itoa(n)+"\n"))
			mustWrite(t, filepath.Join(dev, p), nil)
		}
	}
	return sysBlock, dev
}

func itoa(n int) string { return string(rune('0' + n)) }

func mustWrite(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindRootDevice(t *testing.T) {
	sysBlock, dev := fakeSys(t,
		map[string][]byte{"sda": gokrazyMBR(), "mmcblk0": gokrazyGPT(), "ram0": make([]byte, 4096)},
		map[string]map[string]int{
			"sda":     {"sda1": 1, "sda2": 2, "sda3": 3, "sda4": 4},
			"mmcblk0": {"mmcblk0p1": 1, "mmcblk0p2": 2, "mmcblk0p3": 3, "mmcblk0p4": 4},
		})
	for _, tc := range []struct {
		reason string
		root   string
		want   string
	}{
		{reason: "GPT on the SD card, root B", root: "PARTUUID=60c24cc1-f3f9-427a-8199-2a8d5d2c0001/PARTNROFF=2", want: "mmcblk0p3"},
		{reason: "MBR on a USB disk, root A", root: "PARTUUID=2a8d5d2c-02", want: "sda2"},
	} {
		spec, err := ParseRoot(tc.root)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		got, err := FindRootDevice(ctx, sysBlock, dev, spec, 10*time.Millisecond)
		cancel()
		if err != nil {
			t.Errorf("%s: %v", tc.reason, err)
			continue
		}
		if diff := cmp.Diff(filepath.Join(dev, tc.want), got); diff != "" {
			t.Errorf("%s: device (-want +got):\n%s", tc.reason, diff)
		}
	}
	// A root that never appears ends with the context and names the disks.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := FindRootDevice(ctx, sysBlock, dev, RootSpec{PartUUID: "deadbeef-02"}, 10*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "mmcblk0") {
		t.Errorf("missing root: error = %v, want a deadline error naming the disks", err)
	}
}

// gokrazy writes a hybrid MBR: the FAT boot partition in entry 1 (for the
// Pi firmware), then the protective 0xee entry; the GPT is authoritative.
func TestReadPartitionsHybridMBR(t *testing.T) {
	d := gokrazyGPT()
	e := d[446:]
	copy(e[16:32], e[0:16]) // protective entry moves to slot 2
	for i := range 16 {
		e[i] = 0
	}
	e[4] = 0x0c
	e[8], e[9] = 0x00, 0x20 // start 8192
	got, err := ReadPartitions(bytes.NewReader(d))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[1].PartUUID != "60c24cc1-f3f9-427a-8199-2a8d5d2c0002" {
		t.Errorf("hybrid MBR: got %+v, want the 4 GPT partitions", got)
	}
}
