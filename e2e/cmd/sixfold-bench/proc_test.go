package main

import (
	"os"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	// The name holds spaces and a ')' of its own; utime 250 and stime 50
	// ticks are fields 14 and 15.
	stat := []byte("1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 0 0")
	got, err := parseStatCPU(stat)
	if err != nil || got != 3.0 {
		t.Errorf("parseStatCPU = %v, %v; want 3 s", got, err)
	}
	if _, err := parseStatCPU([]byte("1234 (x) S 1")); err == nil {
		t.Error("a truncated stat line was accepted")
	}
}

func TestParseProcField(t *testing.T) {
	raw := []byte("rchar: 10\nwchar: 20\nwrite_bytes: 4096\ncancelled_write_bytes: 0\n")
	if got, err := parseProcField(raw, "write_bytes:"); err != nil || got != 4096 {
		t.Errorf("write_bytes = %d, %v; want 4096", got, err)
	}
	status := []byte("Name:\tgateway\nVmHWM:\t   81920 kB\nVmRSS:\t 1000 kB\n")
	if got, err := parseProcField(status, "VmHWM:"); err != nil || got != 81920 {
		t.Errorf("VmHWM = %d, %v; want 81920", got, err)
	}
	if _, err := parseProcField(raw, "read_bytes:"); err == nil {
		t.Error("a missing field was found")
	}
}

func TestReadsThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := readUsage(os.Getpid()); err != nil {
		t.Errorf("readUsage(self): %v", err)
	}
	if rss, err := peakRSS(os.Getpid()); err != nil || rss <= 0 {
		t.Errorf("peakRSS(self) = %d, %v", rss, err)
	}
}

func TestUsageDeltaSkipsProcessesNotInBoth(t *testing.T) {
	before := map[int]procUsage{1: {cpu: 1, writeBytes: 100}, 2: {cpu: 5}}
	after := map[int]procUsage{1: {cpu: 3, writeBytes: 400}, 3: {cpu: 9}}
	if d := usageDelta(before, after); d.cpu != 2 || d.writeBytes != 300 {
		t.Errorf("usageDelta = %+v; want cpu 2, 300 bytes (pid 1 only)", d)
	}
}
