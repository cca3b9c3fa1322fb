// Package procstat reads what the lab measures of processes and of the
// machine from /proc: a process's memory and CPU time, and the machine's
// CPU idle time.
package procstat

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// ClockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat times:
// 100 on every Linux configuration this project runs on (amd64, arm64).
const ClockTicks = 100

// ProcSample is one reading of a process's memory and CPU time.
type ProcSample struct {
	RSS, HWM int64 // VmRSS and VmHWM, bytes
	CPUTicks int64 // utime + stime, in 1/ClockTicks s
}

// ReadProc reads /proc/<pid>/status and /proc/<pid>/stat (root is "/proc"
// unless a test passes another tree).
func ReadProc(root string, pid int) (ProcSample, error) {
	var s ProcSample
	status, err := os.ReadFile(fmt.Sprintf("%s/%d/status", root, pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &s.RSS
		case "VmHWM":
			dst = &s.HWM
		default:
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return s, fmt.Errorf("%s/%d/status: bad %s line %q", root, pid, k, line)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return s, fmt.Errorf("%s/%d/status: %s: %w", root, pid, k, err)
		}
		*dst = n << 10
	}
	stat, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", root, pid))
	if err != nil {
		return s, err
	}
	ticks, err := ParseStatCPU(stat)
	if err != nil {
		return s, fmt.Errorf("%s/%d/stat: %w", root, pid, err)
	}
	s.CPUTicks = ticks
	return s, nil
}

// ParseStatCPU returns utime+stime (fields 14 and 15) of a /proc/<pid>/stat
// line. The command name (field 2) may hold spaces and parentheses, so the
// fields are counted from its last ')'.
func ParseStatCPU(stat []byte) (int64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command name in stat line")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat line has %d fields after the name, want at least 13", len(f))
	}
	u, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("utime: %w", err)
	}
	st, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stime: %w", err)
	}
	if u < 0 || st < 0 || u > math.MaxInt64-st {
		return 0, fmt.Errorf("CPU times out of range: %d, %d", u, st)
	}
	return u + st, nil
}

// MachineCPU is the machine's CPU time, all CPUs together, from the first
// line of /proc/stat, in 1/ClockTicks s.
type MachineCPU struct {
	Idle  uint64 // idle and iowait: time no runnable task wanted the CPU
	Total uint64 // user, nice, system, idle, iowait, irq, softirq and steal
}

// ParseMachineCPU reads the "cpu" line of /proc/stat. It needs the first
// eight counters (user to steal); guest time, which Linux already counts in
// user and nice, is not added again.
func ParseMachineCPU(stat []byte) (MachineCPU, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) == 0 || f[0] != "cpu" {
		return MachineCPU{}, fmt.Errorf("first line of /proc/stat is not the \"cpu\" line: %.40q", line)
	}
	if len(f) < 9 {
		return MachineCPU{}, fmt.Errorf("\"cpu\" line has %d counters, want at least 8", len(f)-1)
	}
	var c MachineCPU
	for i, s := range f[1:9] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return MachineCPU{}, fmt.Errorf("\"cpu\" counter %d: %w", i+1, err)
		}
		if c.Total > math.MaxUint64-v {
			return MachineCPU{}, fmt.Errorf("\"cpu\" counters overflow")
		}
		c.Total += v
		if i == 3 || i == 4 { // idle, iowait
			c.Idle += v
		}
	}
	return c, nil
}

// ReadMachineCPU reads path (normally /proc/stat).
func ReadMachineCPU(path string) (MachineCPU, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return MachineCPU{}, err
	}
	c, err := ParseMachineCPU(data)
	if err != nil {
		return MachineCPU{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// IdleShare is the share (0..1) of the CPU time between a and a later
// reading b that was idle; NaN when no time passed or the counters went
// backwards.
func IdleShare(a, b MachineCPU) float64 {
	if b.Total <= a.Total || b.Idle < a.Idle {
		return math.NaN()
	}
	return min(float64(b.Idle-a.Idle)/float64(b.Total-a.Total), 1)
}
