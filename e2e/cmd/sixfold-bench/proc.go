package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// userHZ is the unit of utime and stime in /proc/PID/stat: USER_HZ, which
// Linux fixes at 100 for user space on every architecture Go supports.
const userHZ = 100

// procUsage is what one process has consumed so far.
type procUsage struct {
	cpu        float64 // seconds of user + system time, all threads
	writeBytes int64   // bytes it caused to be written to storage
	readChars  int64   // bytes its read calls returned: files (cached or not) and sockets
}

// readUsage reads /proc/PID/stat and /proc/PID/io.
func readUsage(pid int) (procUsage, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procUsage{}, err
	}
	cpu, err := parseStatCPU(stat)
	if err != nil {
		return procUsage{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	io, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return procUsage{}, err
	}
	wb, err := parseProcField(io, "write_bytes:")
	if err != nil {
		return procUsage{}, err
	}
	rc, err := parseProcField(io, "rchar:")
	return procUsage{cpu: cpu, writeBytes: wb, readChars: rc}, err
}

// procStat is what /proc/PID/stat says of a process's parent and CPU time.
type procStat struct {
	ppid      int
	cpu       float64 // its own user + system seconds, all threads
	reapedCPU float64 // the same of the children it has waited for
}

// parseStat reads /proc/PID/stat's fields. The command name (field 2) is
// in parentheses and may itself hold spaces or parentheses, so fields are
// counted from the last ')'.
func parseStat(stat []byte) (procStat, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("no ')' in %q", stat)
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3]: ppid is field 4,
	// utime and stime 14 and 15, cutime and cstime 16 and 17.
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("only %d fields after the name", len(f))
	}
	var ticks [4]uint64
	for j := range ticks {
		v, err := strconv.ParseUint(f[11+j], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("field %d: %q", 14+j, f[11+j])
		}
		ticks[j] = v
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, fmt.Errorf("ppid %q", f[1])
	}
	return procStat{ppid: ppid, cpu: float64(ticks[0]+ticks[1]) / userHZ,
		reapedCPU: float64(ticks[2]+ticks[3]) / userHZ}, nil
}

// parseStatCPU is utime + stime in seconds.
func parseStatCPU(stat []byte) (float64, error) {
	st, err := parseStat(stat)
	return st.cpu, err
}

// treeCPU is the CPU seconds of pid and of its children, live or reaped.
// PostgreSQL does its work in backends the postmaster forks, one per
// connection, which may end at any time: only this sum grows steadily
// between two samples.
func treeCPU(pid int) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	root, err := parseStat(raw)
	if err != nil {
		return 0, err
	}
	total := root.cpu + root.reapedCPU
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, p := range procs {
		child, err := strconv.Atoi(p.Name())
		if err != nil || child == pid {
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue // ended since the listing
		}
		if st, err := parseStat(raw); err == nil && st.ppid == pid {
			total += st.cpu + st.reapedCPU
		}
	}
	return total, nil
}

// parseProcField is the number after key on its line of a /proc file, as in
// "write_bytes: 123" or "VmHWM:   4567 kB" (the unit is the caller's).
func parseProcField(raw []byte, key string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %q line", key)
}

// peakRSS is VmHWM, the process's resident-set high-water mark, in bytes.
func peakRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	kb, err := parseProcField(raw, "VmHWM:")
	return kb * kib, err
}

// resetPeakRSS lowers VmHWM to the current RSS ("5" in clear_refs, Linux
// 4.0+), so the next peakRSS is the peak of what happened since.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// selfCPU is this process's user + system time in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
}

func tvSeconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}
