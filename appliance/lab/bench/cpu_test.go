package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCPUReportInvalid: a phase is valid only when every interval had at
// least MinCPUIdle idle and something was measured.
func TestCPUReportInvalid(t *testing.T) {
	for _, tc := range []struct {
		r      CPUReport
		want   string // substring of the reason; "" = valid
		reason string
	}{
		{CPUReport{Samples: []float64{0.5, 0.4, 0.45}, Min: 0.4}, "", "a quiet machine"},
		{CPUReport{Samples: []float64{0.5, 0.1, 0.45}, Min: 0.1}, "fell to 10%", "one starved second is enough"},
		{CPUReport{Samples: []float64{0.15}, Min: 0.15}, "", "exactly at the bound"},
		{CPUReport{}, "no sample", "nothing measured"},
		{CPUReport{Err: "open /proc/stat: no such file"}, "not measured", "the file could not be read"},
	} {
		got := tc.r.Invalid()
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: Invalid() = %q, want %q", tc.reason, got, tc.want)
		}
	}
}

// TestCPUWatchReadsAFile: the watch turns successive /proc/stat readings
// into idle shares.
func TestCPUWatchReadsAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stat")
	write := func(idle, total int) {
		busy := total - idle
		data := []byte(fmt.Sprintf("cpu  %d 0 0 %d 0 0 0 0 0 0\n", busy, idle))
		if err := os.WriteFile(path+".tmp", data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
	}
	write(0, 0)
	w := WatchCPU(path, 20*time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	write(30, 100) // the first interval: 30% idle
	time.Sleep(60 * time.Millisecond)
	r := w.Stop()
	if len(r.Samples) == 0 || r.Samples[0] != 0.3 || r.Min != 0.3 {
		t.Fatalf("report %+v, want a first sample of 0.3", r)
	}
}

// TestLoadedMachineIsInvalid is the benchmark's guard, measured for real:
// with every CPU of this machine kept busy by spinning goroutines, the
// watch of /proc/stat reports the phase invalid; alone it does not.
func TestLoadedMachineIsInvalid(t *testing.T) {
	if testing.Short() {
		t.Skip("keeps every CPU busy for a second")
	}
	// One spinner per CPU that /proc/stat counts (the machine's, which may
	// be more than this process's GOMAXPROCS), plus one.
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	cpus := 0
	for _, line := range strings.Split(string(stat), "\n") {
		if strings.HasPrefix(line, "cpu") && !strings.HasPrefix(line, "cpu ") {
			cpus++
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(cpus, runtime.NumCPU())))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range max(cpus, runtime.NumCPU()) + 1 {
		wg.Go(func() {
			for ctx.Err() == nil {
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // the spinners are running
	w := WatchCPU("/proc/stat", 250*time.Millisecond)
	time.Sleep(time.Second)
	loaded := w.Stop()
	cancel()
	wg.Wait()
	t.Logf("loaded: idle min %.2f mean %.2f over %d samples", loaded.Min, loaded.Mean, len(loaded.Samples))
	if loaded.Invalid() == "" {
		t.Errorf("a machine with every CPU spinning was reported valid: %+v", loaded)
	}
}
