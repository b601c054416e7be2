package main

// snapshot is the CPU and disk usage of every server process, and of this
// one, at one moment.
type snapshot struct {
	client         float64
	gateway, nodes map[int]procUsage
	// postgres is the CPU seconds of the cluster's own PostgreSQL (its
	// postmaster and every backend); postgresPID 0 when there is none to
	// read: a shared server's time is other work's too.
	postgres    float64
	postgresPID int
}

func (b *bench) snapshot() snapshot {
	gw, nodes := b.t.pids()
	s := snapshot{client: selfCPU(), gateway: readUsages(gw), nodes: readUsages(nodes)}
	if pid := b.t.postgresPID(); pid != 0 {
		if cpu, err := treeCPU(pid); err == nil {
			s.postgres, s.postgresPID = cpu, pid
		}
	}
	return s
}

// postgresDelta is the PostgreSQL CPU seconds between two samples of the
// same server, or nil.
func postgresDelta(before, after snapshot) *float64 {
	if before.postgresPID == 0 || before.postgresPID != after.postgresPID {
		return nil
	}
	d := after.postgres - before.postgres
	return &d
}

// readUsages reads each pid; one that cannot be read (gone, or not ours)
// is left out.
func readUsages(pids []int) map[int]procUsage {
	out := make(map[int]procUsage, len(pids))
	for _, pid := range pids {
		if u, err := readUsage(pid); err == nil {
			out[pid] = u
		}
	}
	return out
}

// usageDelta sums what each process seen in both samples used in between;
// a process that started or ended in between is left out.
func usageDelta(before, after map[int]procUsage) procUsage {
	var d procUsage
	for pid, a := range after {
		if b, ok := before[pid]; ok {
			d.cpu += a.cpu - b.cpu
			d.writeBytes += a.writeBytes - b.writeBytes
			d.readChars += a.readChars - b.readChars
		}
	}
	return d
}

// resetPeaks starts a new peak-RSS window in every server process; where
// the kernel refuses, the peak stays the process's lifetime peak.
func (b *bench) resetPeaks() {
	gw, nodes := b.t.pids()
	for _, pid := range append(gw, nodes...) {
		_ = resetPeakRSS(pid)
	}
}

// peaks are the gateway's peak RSS (the largest, if several processes were
// named) and each node's, in bytes; 0 where unreadable.
func (b *bench) peaks() (gateway int64, nodes []int64) {
	gw, nodePIDs := b.t.pids()
	for _, pid := range gw {
		rss, _ := peakRSS(pid)
		gateway = max(gateway, rss)
	}
	nodes = []int64{}
	for _, pid := range nodePIDs {
		rss, _ := peakRSS(pid)
		nodes = append(nodes, rss)
	}
	return gateway, nodes
}
