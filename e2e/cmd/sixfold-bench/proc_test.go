package main

import (
	"os"
	"os/exec"
	"testing"
	"time"
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

func TestParseStatParentAndReapedChildren(t *testing.T) {
	// ppid 77 (field 4); cutime 120 and cstime 30 ticks (fields 16, 17).
	stat := []byte("1234 (postgres) S 77 1234 1234 0 -1 4194560 100 0 0 0 250 50 120 30 20 0 8 0 100 0 0")
	got, err := parseStat(stat)
	if err != nil || got != (procStat{ppid: 77, cpu: 3, reapedCPU: 1.5}) {
		t.Errorf("parseStat = %+v, %v; want ppid 77, cpu 3 s, reaped 1.5 s", got, err)
	}
}

// TestTreeCPUCountsChildren runs a child that burns CPU and checks that
// treeCPU of this process counts it while it lives and after it is reaped.
func TestTreeCPUCountsChildren(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	before, err := treeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command("sh", "-c", "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; sleep 60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill() //nolint:errcheck // also ended below
	var childCPU float64
	for deadline := time.Now().Add(20 * time.Second); childCPU < 0.2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the child used only %.2f s of CPU in 20 s", childCPU)
		}
		if childCPU, err = readCPU(child.Process.Pid); err != nil {
			t.Fatal(err)
		}
	}
	live, err := treeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if live-before < childCPU {
		t.Errorf("with the child alive the tree grew %.2f s; the child alone used %.2f s", live-before, childCPU)
	}
	_ = child.Process.Kill()
	_ = child.Wait()
	reaped, err := treeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if reaped-before < childCPU {
		t.Errorf("with the child reaped the tree grew %.2f s; the child alone used %.2f s", reaped-before, childCPU)
	}
}

func readCPU(pid int) (float64, error) {
	u, err := readUsage(pid)
	return u.cpu, err
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
