package rssbench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		line    string
		want    int64
		wantErr bool
		reason  string
	}{
		{"1234 (atomicboxd) S 1 1234 1234 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 12 0 100 0 0", 325, false, "utime 250 + stime 75"},
		{"1234 (a b) c)) R 1 1234 1234 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 0 0", 10, false, "name with spaces and parentheses"},
		{"1234 atomicboxd S 1", 0, true, "no parenthesised name"},
		{"1234 (x) S 1 2 3", 0, true, "too few fields"},
		{"1234 (x) S 1 1 1 0 -1 0 0 0 0 0 -5 3 0", 0, true, "negative utime"},
		{"1234 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 3 0", 0, true, "utime not a number"},
	} {
		got, err := ParseStatCPU([]byte(tc.line))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseStatCPU(%q) = %d, %v; want %d, error %t: %s", tc.line, got, err, tc.want, tc.wantErr, tc.reason)
		}
	}
}

func TestReadProc(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "42")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "status"), []byte("Name:\tatomicboxd\nVmHWM:\t  81920 kB\nVmRSS:\t   40960 kB\nThreads:\t12\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "stat"), []byte("42 (atomicboxd) S 1 42 42 0 -1 0 0 0 0 0 100 20 0 0 20 0 12 0 1 0 0\n"), 0o644)
	got, err := ReadProc(root, 42)
	if err != nil {
		t.Fatal(err)
	}
	want := ProcSample{RSS: 40 << 20, HWM: 80 << 20, CPUTicks: 120}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ReadProc (-want +got):\n%s", d)
	}
	if _, err := ReadProc("/proc", os.Getpid()); err != nil {
		t.Errorf("ReadProc of this process: %v", err)
	}
}

func FuzzParseStatCPU(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseStatCPU(b)
		if err == nil && n < 0 {
			t.Errorf("ParseStatCPU(%q) = %d without error", b, n)
		}
	})
}
