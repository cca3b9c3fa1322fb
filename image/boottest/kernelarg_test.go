package boottest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetKernelArg(t *testing.T) {
	base := "console=ttyS0,115200 root=PARTUUID=60c24cc1-f3f9-427a-8199-0422c8c90001/PARTNROFF=1 ro init=/gokrazy/init" + strings.Repeat(" ", 40)
	img := bytes.Repeat([]byte{0}, 4096)
	copy(img[1000:], base)
	copy(img[3000:], "\noptions "+base)
	path := filepath.Join(t.TempDir(), "img")
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		reason, arg string
		want        int
		wantErr     bool
	}{
		{"both copies (cmdline.txt and the loader entry) get the argument", "atomicbox.permgrow.pause=600s", 2, false},
		{"a second argument replaces the first", "x=1", 2, false},
		{"an empty argument restores gok's line", "", 2, false},
		{"an argument longer than the padding is refused", strings.Repeat("y", 41), 0, true},
	} {
		n, err := SetKernelArg(f, f, 4096, base, tc.arg)
		if (err != nil) != tc.wantErr || n != tc.want {
			t.Fatalf("%s: SetKernelArg = %d, %v; want %d copies, error %v", tc.reason, n, err, tc.want, tc.wantErr)
		}
		if tc.wantErr {
			continue
		}
		got, _ := os.ReadFile(path)
		want := strings.TrimRight(base, " ")
		if tc.arg != "" {
			want += " " + tc.arg
		}
		for _, at := range []int{1000, 3009} {
			if line := string(got[at : at+len(base)]); strings.TrimRight(line, " ") != want || len(line) != len(base) {
				t.Errorf("%s: at byte %d: %q, want %q padded", tc.reason, at, line, want)
			}
		}
	}
	if _, err := SetKernelArg(bytes.NewReader(make([]byte, 100)), f, 100, base, "x"); err == nil {
		t.Error("an image without the command line: no error")
	}
}

func TestSettingsAtLeast(t *testing.T) {
	var s Settings
	s.Storage.TotalBytes = 15 << 30
	if d, err := s.AtLeast(14 << 30); err != nil || d != "15.00" {
		t.Errorf("15 GiB against 14: %q, %v", d, err)
	}
	if _, err := s.AtLeast(16 << 30); err == nil {
		t.Error("15 GiB against 16: no error")
	}
}
