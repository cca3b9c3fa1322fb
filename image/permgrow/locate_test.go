package permgrow

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sysTree lays out the sysfs files LocateDev reads for an SD card with
// /perm on partition 4, as a Pi's kernel shows them.
func sysTree(t *testing.T, lbs string) string {
	t.Helper()
	sys := t.TempDir()
	disk := filepath.Join(sys, "devices/platform/emmc2bus/fe340000.mmc/mmc_host/mmc0/mmc0:aaaa/block/mmcblk0")
	files := map[string]string{
		"size":                     "124735488\n",
		"queue/logical_block_size": lbs + "\n",
		"mmcblk0p4/partition":      "4\n",
		"mmcblk0p4/start":          "2260992\n",
		"mmcblk0p4/size":           "1933278\n",
		"mmcblk0p1/start":          "8192\n", // no partition file: not asked
	}
	for name, content := range files {
		path := filepath.Join(disk, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{"179:4": "mmcblk0p4", "179:0": ""}
	if err := os.MkdirAll(filepath.Join(sys, "dev/block"), 0o755); err != nil {
		t.Fatal(err)
	}
	for dev, part := range links {
		if err := os.Symlink(filepath.Join(disk, part), filepath.Join(sys, "dev/block", dev)); err != nil {
			t.Fatal(err)
		}
	}
	return sys
}

func TestLocateDev(t *testing.T) {
	for _, tc := range []struct {
		reason       string
		lbs          string
		major, minor uint32
		want         Target
		wantErr      string
	}{
		{
			reason: "partition 4 of the SD card", lbs: "512", major: 179, minor: 4,
			want: Target{Disk: "/dev/mmcblk0", PartDev: "/dev/mmcblk0p4", Partition: 4, Start: 2260992, Size: 1933278, DiskSectors: 124735488},
		},
		{reason: "the whole disk is not a partition", lbs: "512", major: 179, minor: 0, wantErr: `not a partition`},
		{reason: "an unknown device", lbs: "512", major: 8, minor: 1, wantErr: `not a partition`},
		{reason: "4 KiB logical sectors are not handled", lbs: "4096", major: 179, minor: 4, wantErr: `4096-byte sectors`},
	} {
		got, err := LocateDev(sysTree(t, tc.lbs), "/dev", tc.major, tc.minor)
		if tc.wantErr != "" {
			if err == nil || !regexp.MustCompile(tc.wantErr).MatchString(err.Error()) {
				t.Errorf("%s: err = %v, want one matching %q", tc.reason, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.reason, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
		}
	}
}

func TestLocateNotMounted(t *testing.T) {
	if _, err := Locate(t.TempDir(), "/sys", "/dev"); err == nil || !regexp.MustCompile(`not a mount point`).MatchString(err.Error()) {
		t.Errorf("Locate on a plain directory: %v, want a not-a-mount-point error", err)
	}
}
