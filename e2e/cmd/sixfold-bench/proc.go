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

// parseStatCPU is utime + stime in seconds. The command name (field 2) is
// in parentheses and may itself hold spaces or parentheses, so fields are
// counted from the last ')'.
func parseStatCPU(stat []byte) (float64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("no ')' in %q", stat)
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("only %d fields after the name", len(f))
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("utime %q stime %q", f[11], f[12])
	}
	return float64(utime+stime) / userHZ, nil
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
