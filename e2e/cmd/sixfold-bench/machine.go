package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// machine is what the figures depend on besides the code: CPUs, memory,
// the disk under the data, the kernel, and how busy the machine was.
type machine struct {
	NProc      int       `json:"nproc"`
	CPU        string    `json:"cpu"`
	MemoryGiB  float64   `json:"memory_gib"`
	Kernel     string    `json:"kernel"`
	GoVersion  string    `json:"go"`
	Disk       disk      `json:"disk"`
	LoadBefore []float64 `json:"load_before"` // 1, 5 and 15 minute load averages
	LoadAfter  []float64 `json:"load_after"`
}

// disk is the filesystem holding a path, and the block device under it.
type disk struct {
	Path       string `json:"path"`
	Device     string `json:"device"`
	FSType     string `json:"fstype"`
	MountPoint string `json:"mount_point"`
	Model      string `json:"model,omitempty"`
	// Rotational is the kernel's guess (1 for many virtual disks too).
	Rotational string `json:"rotational,omitempty"`
}

// readMachine describes this machine, with the disk under dataDir.
func readMachine(dataDir string) machine {
	return machine{
		NProc:      runtime.NumCPU(),
		CPU:        cpuModel(),
		MemoryGiB:  memTotalGiB(),
		Kernel:     strings.TrimSpace(readString("/proc/sys/kernel/osrelease")),
		GoVersion:  runtime.Version(),
		Disk:       diskOf(dataDir),
		LoadBefore: loadAvg(),
	}
}

func (m machine) summary() string {
	d := m.Disk
	dev := d.Device + " " + d.FSType
	if d.Model != "" {
		dev += " (" + d.Model + ")"
	}
	return fmt.Sprintf("%d × %s, %.0f GiB RAM, kernel %s, %s; disk %s on %s; load %s before, %s after",
		m.NProc, m.CPU, m.MemoryGiB, m.Kernel, m.GoVersion, dev, d.MountPoint, formatLoad(m.LoadBefore), formatLoad(m.LoadAfter))
}

func formatLoad(l []float64) string {
	if len(l) < 3 {
		return "?"
	}
	return fmt.Sprintf("%.2f %.2f %.2f", l[0], l[1], l[2])
}

func readString(path string) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(raw)
}

func cpuModel() string {
	for line := range strings.Lines(readString("/proc/cpuinfo")) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotalGiB() float64 {
	kb, err := parseProcField([]byte(readString("/proc/meminfo")), "MemTotal:")
	if err != nil {
		return 0
	}
	return float64(kb) * kib / gib
}

func loadAvg() []float64 {
	var l [3]float64
	if _, err := fmt.Sscan(readString("/proc/loadavg"), &l[0], &l[1], &l[2]); err != nil {
		return nil
	}
	return l[:]
}

// diskOf finds the mount holding path (the longest mount point that
// prefixes it) in /proc/self/mounts, and the device's model in /sys.
func diskOf(path string) disk {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	d := disk{Path: abs}
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return d
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || !under(abs, fields[1]) || len(fields[1]) < len(d.MountPoint) {
			continue
		}
		d.Device, d.MountPoint, d.FSType = fields[0], fields[1], fields[2]
	}
	block := filepath.Base(d.Device)
	d.Model = strings.TrimSpace(readString("/sys/class/block/" + block + "/device/model"))
	d.Rotational = strings.TrimSpace(readString("/sys/class/block/" + block + "/queue/rotational"))
	return d
}

func under(path, mount string) bool {
	return mount == "/" || path == mount || strings.HasPrefix(path, mount+"/")
}
