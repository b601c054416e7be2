package harness

// MemberState is what a member process is doing now.
type MemberState string

const (
	// StateRunning: the process is up.
	StateRunning MemberState = "running"
	// StateFrozen: the process exists but is stopped by SIGSTOP (FreezeNode,
	// or kill -STOP by hand); its sockets accept but nothing answers.
	StateFrozen MemberState = "frozen"
	// StateStopped: the harness stopped or killed it, or it never started.
	StateStopped MemberState = "stopped"
	// StateDied: it exited without the harness asking (see CrashError).
	StateDied MemberState = "died"
)

// Member describes one process of a cluster as it is now.
type Member struct {
	Name    string // "gateway", "storage-N", "postgres"
	Addr    string // host:port it serves on
	PID     int    // 0 unless running or frozen
	State   MemberState
	Status  string // how it exited, for StateDied: "signal: killed"
	LogPath string
}

// memberOf describes a member whose current process is p (nil: none).
func memberOf(name, addr, logPath string, p *process) Member {
	m := Member{Name: name, Addr: addr, LogPath: logPath, State: StateStopped}
	switch {
	case p == nil:
	case p.exited():
		if !p.expected.Load() {
			m.State, m.Status = StateDied, p.exitStatus()
		}
	case p.isFrozen():
		m.State, m.PID = StateFrozen, p.pid()
	default:
		m.State, m.PID = StateRunning, p.pid()
	}
	return m
}

// Members describes the cluster's processes as they are now: the gateways,
// then the nodes in order, then the PostgreSQL the cluster started, if any.
func (c *Cluster) Members() []Member {
	c.mu.Lock()
	members := []Member{memberOf("gateway", c.opts.GatewayAddr, c.GatewayLogPath(), c.gateway)}
	for i, g := range c.extra {
		members = append(members, memberOf(g.name(i), g.addr, g.logPath, g.proc))
	}
	for _, n := range c.nodes {
		members = append(members, memberOf(n.name, n.addr, n.logPath, n.proc))
	}
	c.mu.Unlock()
	if c.pg != nil {
		members = append(members, c.pg.Member())
	}
	if c.standby != nil {
		members = append(members, c.standby.Member())
	}
	return members
}
