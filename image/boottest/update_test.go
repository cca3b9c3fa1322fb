package boottest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRootPartition(t *testing.T) {
	for _, tc := range []struct {
		cmdline string
		want    int // 0: an error
		reason  string
	}{
		{"console=ttyS0,115200 root=PARTUUID=60c24cc1-f3f9-427a-8199-0422c8c90001/PARTNROFF=1 ro init=/gokrazy/init", 2, "gok's GPT image, root A"},
		{"root=PARTUUID=60c24cc1-f3f9-427a-8199-0422c8c90001/PARTNROFF=2 ro", 3, "gok's GPT image after a switch, root B"},
		{"root=PARTUUID=2e18c40c-03 rootwait", 3, "an MBR disk id with the partition as two hex digits"},
		{"root=/dev/mmcblk0p2 ro", 2, "an SD card device name"},
		{"root=/dev/vda3", 3, "a virtio disk"},
		{"root=/dev/sda2 root=/dev/sda3", 3, "the kernel takes the last root="},
		{"console=ttyS0 ro", 0, "no root at all"},
		{"root=PARTUUID=60c24cc1-f3f9-427a-8199-0422c8c90001", 0, "a GPT partition UUID alone names no number"},
		{"root=PARTUUID=x/PARTNROFF=z", 0, "a PARTNROFF that is not a number"},
	} {
		got, err := RootPartition(tc.cmdline)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("RootPartition(%q) = %d, want an error (%s)", tc.cmdline, got, tc.reason)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("RootPartition(%q) = %d, %v; want %d (%s)", tc.cmdline, got, err, tc.want, tc.reason)
		}
	}
}

// console is a serial log with one boot per root in roots, as QEMU's
// -serial file: keeps them across a reboot.
func console(roots ...int) string {
	var b strings.Builder
	for _, r := range roots {
		b.WriteString("[    0.000000] Linux version 7.1.3\r\n")
		b.WriteString("[    0.000000] Kernel command line: console=tty1 console=ttyS0,115200 root=PARTUUID=60c24cc1-f3f9-427a-8199-0422c8c90001/PARTNROFF=")
		b.WriteString(string(rune('0' + r - 1)))
		b.WriteString(" ro init=/gokrazy/init\r\n2026/12/07 00:00:00 gokrazy: booting\r\n")
	}
	return b.String()
}

func TestRootSwitched(t *testing.T) {
	for _, tc := range []struct {
		log    string
		before int    // boots before the update
		want   string // "": an error
		reason string
	}{
		{console(2, 3), 1, "2 -> 3", "updated from root A into root B"},
		{console(3, 2), 1, "3 -> 2", "updated from root B into root A"},
		{console(2, 3, 2), 2, "3 -> 2", "the second update, from B back to A"},
		{console(2, 2, 3), 2, "2 -> 3", "a kernel panic rebooted root A before the update"},
		{console(2, 3, 3), 1, "2 -> 3", "the updated root panicked once and booted again"},
		{console(2, 2), 1, "", "the update rebooted into the old root: the switch did not happen"},
		{console(2, 2, 2), 2, "", "the old root again after a panic before the update"},
		{console(2), 1, "", "no reboot yet"},
		{console(2), 2, "", "fewer boots than before the update: another log"},
		{console(2, 3), 0, "", "no boot before the update makes no sense"},
		{"", 1, "", "nothing on the console"},
	} {
		f := filepath.Join(t.TempDir(), "serial.log")
		if err := os.WriteFile(f, []byte(tc.log), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := RootSwitched(f, tc.before)(context.Background())
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s: RootSwitched = %q, want an error", tc.reason, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: RootSwitched = %q, %v; want %q", tc.reason, got, err, tc.want)
		}
	}
}

func TestBoxVersion(t *testing.T) {
	var s Settings
	s.Box.Version = "imagetest-20261207T000000-123"
	if v, err := s.BoxVersion("imagetest-20261207T000000-123"); err != nil || v != s.Box.Version {
		t.Errorf("the build asked for: %q, %v", v, err)
	}
	if _, err := s.BoxVersion("imagetest-other"); err == nil {
		t.Error("the old build passed as the updated one")
	}
	if v, err := s.BoxVersion(""); err != nil || v != s.Box.Version {
		t.Errorf("any build: %q, %v", v, err)
	}
	s.Box.Version = ""
	if _, err := s.BoxVersion(""); err == nil {
		t.Error("no version passed")
	}
}

func TestSameBytes(t *testing.T) {
	dir := t.TempDir()
	want := make([]byte, 200<<10+17) // more than one read buffer, not a multiple of it
	for i := range want {
		want[i] = byte(i * 7)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wf := write("published.mp4", want)
	flipped := append([]byte(nil), want...)
	flipped[150<<10+3] ^= 1
	for _, tc := range []struct {
		got    []byte
		ok     bool
		errHas string
		reason string
	}{
		{want, true, "", "the same bytes"},
		{flipped, false, "at byte 153603", "one bit flipped past the first buffer"},
		{want[:len(want)-1], false, "ends at byte 204816", "one byte short"},
		{append(append([]byte(nil), want...), 0), false, "ends at byte 204817", "one byte more"},
		{nil, false, "ends at byte 0", "empty"},
	} {
		n, err := SameBytes(wf, write("got.mp4", tc.got))
		if tc.ok {
			if err != nil || n != int64(len(want)) {
				t.Errorf("%s: %d bytes, %v; want %d compared", tc.reason, n, err, len(want))
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: %d, %v; want an error with %q", tc.reason, n, err, tc.errHas)
		}
	}
	empty := write("empty", nil)
	if _, err := SameBytes(empty, empty); err == nil {
		t.Error("two empty files passed: nothing was compared")
	}
}
