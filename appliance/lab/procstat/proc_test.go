package procstat

import (
	"math"
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

func TestParseMachineCPU(t *testing.T) {
	for _, tc := range []struct {
		stat    string
		want    MachineCPU
		wantErr bool
		reason  string
	}{
		{"cpu  100 5 50 800 20 3 2 0 7 0\ncpu0 50 2 25 400 10 1 1 0 3 0\n", MachineCPU{Idle: 820, Total: 980}, false, "idle+iowait over user..steal; guest not added again"},
		{"cpu 1 2 3 4 5 6 7 8", MachineCPU{Idle: 9, Total: 36}, false, "an older kernel without guest columns"},
		{"cpu0 1 2 3 4 5 6 7 8\n", MachineCPU{}, true, "not the all-CPU line"},
		{"cpu 1 2 3\n", MachineCPU{}, true, "too few counters"},
		{"cpu 1 2 3 x 5 6 7 8\n", MachineCPU{}, true, "not a number"},
		{"cpu 18446744073709551615 1 0 0 0 0 0 0\n", MachineCPU{}, true, "overflow"},
		{"", MachineCPU{}, true, "empty"},
	} {
		got, err := ParseMachineCPU([]byte(tc.stat))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("%s: ParseMachineCPU(%q) = %+v, %v; want %+v, error %t", tc.reason, tc.stat, got, err, tc.want, tc.wantErr)
		}
	}
	if _, err := ReadMachineCPU("/proc/stat"); err != nil {
		t.Errorf("this machine's /proc/stat: %v", err)
	}
}

func TestIdleShare(t *testing.T) {
	a := MachineCPU{Idle: 1000, Total: 4000}
	if got := IdleShare(a, MachineCPU{Idle: 1050, Total: 4200}); got != 0.25 {
		t.Errorf("50 idle of 200 ticks: %v, want 0.25", got)
	}
	if got := IdleShare(a, a); !math.IsNaN(got) {
		t.Errorf("no time passed: %v, want NaN", got)
	}
	if got := IdleShare(a, MachineCPU{Idle: 900, Total: 4200}); !math.IsNaN(got) {
		t.Errorf("idle went backwards: %v, want NaN", got)
	}
}

func FuzzParseMachineCPU(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseMachineCPU(b)
		if err == nil && c.Idle > c.Total {
			t.Errorf("ParseMachineCPU(%q) = %+v: more idle than total", b, c)
		}
	})
}
