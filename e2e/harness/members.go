package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// stopGrace is how long a node or gateway gets to exit after SIGTERM.
const stopGrace = 15 * time.Second

// node is one storage node's fixed identity; proc changes as it is stopped
// and started.
type node struct {
	index                        int
	name, addr, dataDir, logPath string
	port                         int
	link                         *Link    // nil unless Options.NodeLinks; addr is then its address
	metricsPort                  int      // 0 unless Options.NodeMetrics
	profilerPort                 int      // 0 unless Options.Profilers
	proc                         *process // nil while stopped; guarded by Cluster.mu
}

func (c *Cluster) newNode(i int) (*node, error) {
	port := 0
	if i < len(c.opts.NodePorts) {
		port = c.opts.NodePorts[i]
	}
	if port == 0 {
		var err error
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	n := &node{
		index:   i,
		name:    fmt.Sprintf("storage-%d", i+1),
		addr:    fmt.Sprintf("127.0.0.1:%d", port),
		dataDir: filepath.Join(c.opts.Dir, fmt.Sprintf("node-%d", i+1)),
		logPath: filepath.Join(c.opts.Dir, fmt.Sprintf("node-%d.log", i+1)),
		port:    port,
	}
	if c.opts.NodeMetrics {
		var err error
		if n.metricsPort, err = FreePort(); err != nil {
			return nil, err
		}
	}
	if c.opts.Profilers {
		var err error
		if n.profilerPort, err = FreePort(); err != nil {
			return nil, err
		}
	}
	if c.opts.NodeLinks {
		var err error
		if n.link, err = newLink(n.addr); err != nil {
			return nil, err
		}
		n.addr = n.link.Addr()
	}
	return n, os.MkdirAll(n.dataDir, 0o755)
}

func (c *Cluster) nodeEnv(n *node) []string {
	env := []string{
		"GRPC_HOST=127.0.0.1",
		"GRPC_PORT=" + strconv.Itoa(n.port),
		"NODE_NAME=" + n.name,
		"NODE_ADDRESS=" + n.addr,
		"DATA_DIR=" + n.dataDir,
		"DATABASE_URL=" + c.dbURL,
		"HEARTBEAT_INTERVAL=" + c.opts.HeartbeatInterval.String(),
	}
	if n.metricsPort != 0 {
		env = append(env, "METRICS_PORT="+strconv.Itoa(n.metricsPort))
	}
	if n.profilerPort != 0 {
		env = append(env, "PPROF_ADDR="+profilerAddr(n.profilerPort))
	}
	if os.Getenv("GOMAXPROCS") == "" {
		env = append(env, "GOMAXPROCS="+strconv.Itoa(nodeProcs(runtime.NumCPU(), c.opts.Nodes)))
	}
	return append(env, c.opts.NodeEnv...)
}

// nodeProcs is the GOMAXPROCS of each of nodes storage nodes on a host of
// cpus cores: its share of them. Left at the default, each node's Go
// runtime keeps threads spinning for work on every core the host has,
// and six nodes on two cores spent more CPU on that than on their shards
// (BENCHMARKS.md, session of 2026-12-07 07:15 UTC: with their share, the
// nodes' CPU per operation fell by 10–27 %).
func nodeProcs(cpus, nodes int) int {
	return max(1, cpus/max(1, nodes))
}

// launchNode starts n's process without waiting for it; a process that
// crashed counts as stopped. Caller holds c.mu.
func (c *Cluster) launchNode(n *node) (*process, error) {
	if n.proc != nil && !n.proc.exited() {
		return nil, fmt.Errorf("harness: %s is already running", n.name)
	}
	p, err := startProcess(procSpec{
		name: n.name, path: c.bins.StorageNode, env: c.nodeEnv(n),
		dir: c.opts.Dir, logPath: n.logPath, deathSig: syscall.SIGKILL,
	})
	if err != nil {
		return nil, err
	}
	n.proc = p
	c.watch(p)
	return p, nil
}

func (c *Cluster) waitNode(ctx context.Context, n *node, p *process) error {
	listen := fmt.Sprintf("127.0.0.1:%d", n.port)
	return waitFor(ctx, p, c.opts.ReadyTimeout, "accepting connections on "+listen, dialProbe(listen))
}

// NodeLink is the relay in front of node i (Options.NodeLinks), or nil.
func (c *Cluster) NodeLink(i int) *Link { return c.mustNode(i).link }

func (c *Cluster) closeLinks() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, n := range c.nodes {
		if n.link != nil {
			errs = append(errs, n.link.close())
		}
	}
	return errs
}

// startNodes adds and launches count nodes together, then waits for each.
func (c *Cluster) startNodes(ctx context.Context, count int) error {
	nodes, procs, err := c.launchNewNodes(count)
	if err != nil {
		return err
	}
	for i, p := range procs {
		if err := c.waitNode(ctx, nodes[i], p); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.opts.Log, "cluster: %d storage nodes up\n", count)
	return nil
}

func (c *Cluster) launchNewNodes(count int) ([]*node, []*process, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var nodes []*node
	var procs []*process
	for range count {
		n, err := c.newNode(len(c.nodes))
		if err != nil {
			return nil, nil, err
		}
		c.nodes = append(c.nodes, n)
		p, err := c.launchNode(n)
		if err != nil {
			return nil, nil, err
		}
		nodes, procs = append(nodes, n), append(procs, p)
	}
	return nodes, procs, nil
}

// node returns node i, or an error naming the valid range.
func (c *Cluster) node(i int) (*node, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i < 0 || i >= len(c.nodes) {
		return nil, fmt.Errorf("harness: no node %d (have %d, numbered from 0)", i, len(c.nodes))
	}
	return c.nodes[i], nil
}

// mustNode is node for accessors whose only failure is a caller's bug.
func (c *Cluster) mustNode(i int) *node {
	n, err := c.node(i)
	if err != nil {
		panic(err)
	}
	return n
}

// takeNodeProc detaches node i's running process so that exactly one caller
// gets to stop it.
func (c *Cluster) takeNodeProc(i int) (*node, *process, error) {
	n, err := c.node(i)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := n.proc
	n.proc = nil
	if p == nil {
		return nil, nil, fmt.Errorf("harness: %s is not running", n.name)
	}
	return n, p, nil
}

// StopNode sends node i SIGTERM and waits for it to exit (SIGKILL after a
// grace period).
func (c *Cluster) StopNode(i int) error {
	_, p, err := c.takeNodeProc(i)
	if err != nil {
		return err
	}
	return p.stop(syscall.SIGTERM, stopGrace)
}

// KillNode sends node i SIGKILL and waits for it to be gone.
func (c *Cluster) KillNode(i int) error {
	_, p, err := c.takeNodeProc(i)
	if err != nil {
		return err
	}
	p.kill()
	return nil
}

// StartNode starts stopped node i again, with its old port and data dir, and
// waits until it accepts connections.
func (c *Cluster) StartNode(ctx context.Context, i int) error {
	n, err := c.node(i)
	if err != nil {
		return err
	}
	launched := time.Now()
	c.mu.Lock()
	p, err := c.launchNode(n)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := c.waitNode(ctx, n, p); err != nil {
		c.abandonNode(n, p)
		return err
	}
	if err := c.waitRegistered(ctx, n, p, launched); err != nil {
		c.abandonNode(n, p)
		return err
	}
	return nil
}

// waitRegistered waits for a restarted node to register again. A node
// listens before it checks its data directory against PostgreSQL, so an
// open port alone does not tell a node that is up from one about to refuse
// its volume and exit. Without the schema (the harness's own tests run
// stand-in nodes) the open port has to do.
func (c *Cluster) waitRegistered(ctx context.Context, n *node, p *process, launched time.Time) error {
	return waitFor(ctx, p, c.opts.ReadyTimeout, "registered in PostgreSQL as "+n.addr, func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, c.dbURL)
		if err != nil {
			return err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		var beat time.Time
		err = conn.QueryRow(ctx, `SELECT last_heartbeat FROM storage_servers WHERE address = $1`, n.addr).Scan(&beat)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" {
			return nil // no schema: a stand-in node that never registers
		}
		if err != nil {
			return err
		}
		if !beat.After(launched) {
			return fmt.Errorf("last heartbeat %s predates the launch", beat.Format(time.RFC3339Nano))
		}
		return nil
	})
}

// abandonNode kills a node that never became ready.
func (c *Cluster) abandonNode(n *node, p *process) {
	p.kill()
	c.mu.Lock()
	if n.proc == p {
		n.proc = nil
	}
	c.mu.Unlock()
}

// AddNode starts one more storage node (storage-7 after six) on a free port
// and returns its index once it accepts connections.
func (c *Cluster) AddNode(ctx context.Context) (int, error) {
	nodes, procs, err := c.launchNewNodes(1)
	if err != nil {
		return 0, err
	}
	if err := c.waitNode(ctx, nodes[0], procs[0]); err != nil {
		c.abandonNode(nodes[0], procs[0])
		return 0, err
	}
	return nodes[0].index, nil
}

func (c *Cluster) stopAllNodes() []error {
	c.mu.Lock()
	count := len(c.nodes)
	c.mu.Unlock()
	errs := make([]error, count)
	var wg sync.WaitGroup
	for i := range count {
		wg.Go(func() {
			if _, p, err := c.takeNodeProc(i); err == nil {
				errs[i] = p.stop(syscall.SIGTERM, stopGrace)
			}
		})
	}
	wg.Wait()
	return errs
}

// NumNodes is how many nodes the cluster has, running or not.
func (c *Cluster) NumNodes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.nodes)
}

// NodeName is node i's NODE_NAME, storage-(i+1). It panics if i is out of range.
func (c *Cluster) NodeName(i int) string { return c.mustNode(i).name }

// NodeAddr is node i's gRPC host:port. It panics if i is out of range.
func (c *Cluster) NodeAddr(i int) string { return c.mustNode(i).addr }

// NodeDataDir is node i's DATA_DIR. It panics if i is out of range.
func (c *Cluster) NodeDataDir(i int) string { return c.mustNode(i).dataDir }

// NodeMetricsURL is node i's /metrics URL, or "" without Options.NodeMetrics.
func (c *Cluster) NodeMetricsURL(i int) string {
	if n := c.mustNode(i); n.metricsPort != 0 {
		return fmt.Sprintf("http://127.0.0.1:%d/metrics", n.metricsPort)
	}
	return ""
}

// NodeLogPath is where node i's output goes. It panics if i is out of range.
func (c *Cluster) NodeLogPath(i int) string { return c.mustNode(i).logPath }

// NodeRunning reports whether node i's process is running.
func (c *Cluster) NodeRunning(i int) bool {
	n := c.mustNode(i)
	c.mu.Lock()
	defer c.mu.Unlock()
	return n.proc != nil && !n.proc.exited()
}

// firstGatewayEnv is gatewayEnv with what only the first gateway gets.
func (c *Cluster) firstGatewayEnv() []string {
	env := c.gatewayEnv()
	if c.opts.gatewayProfiler != "" {
		env = append(env, "PPROF_ADDR="+c.opts.gatewayProfiler)
	}
	return env
}

// ProfilerAddrs are the host:port addresses where the first gateway and
// each node serve Go's profiler (/debug/pprof/), for Options.Profilers;
// empty otherwise.
func (c *Cluster) ProfilerAddrs() (gateway string, nodes []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.profilerPort != 0 {
			nodes = append(nodes, profilerAddr(n.profilerPort))
		}
	}
	return c.opts.gatewayProfiler, nodes
}

func profilerAddr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

func (c *Cluster) gatewayEnv() []string {
	env := []string{
		"SIXFOLD_ADDR=" + c.opts.GatewayAddr,
		// Bodies of unknown length are spooled inside the cluster's dir.
		"SPOOL_DIR=" + c.opts.Dir,
		"DATABASE_URL=" + c.dbURL,
		EnvRootUser + "=" + c.user,
		EnvRootPassword + "=" + c.password,
		"SIXFOLD_MASTER_KEY_FILE=" + c.MasterKeyPath(),
		// Every test client is on loopback, and many send bad signatures
		// on purpose: the gateway's guessing throttle would make them
		// wait on each other. Tests of the throttle set their own.
		"AUTH_FAILURE_RPS=1000", "AUTH_FAILURE_BURST=1000",
	}
	if t := c.opts.GatewayTLS; t != nil {
		env = append(env, "SIXFOLD_TLS_CERT="+t.CertFile, "SIXFOLD_TLS_KEY="+t.KeyFile)
	}
	for name, d := range map[string]time.Duration{
		"RING_REFRESH_INTERVAL": c.opts.RingRefreshInterval,
		"HEARTBEAT_TIMEOUT":     c.opts.HeartbeatTimeout,
		"SESSION_TIMEOUT":       c.opts.SessionTimeout,
		"CLEANUP_INTERVAL":      c.opts.CleanupInterval,
	} {
		if d != 0 {
			env = append(env, name+"="+d.String())
		}
	}
	return append(env, c.opts.GatewayEnv...)
}

// startGateway launches the gateway and waits for GET /health: for a 200
// when every node runs, and for any answer otherwise, since the gateway
// rightly reports itself unhealthy while nodes are down.
func (c *Cluster) startGateway(ctx context.Context) error {
	c.mu.Lock()
	if c.gateway != nil && !c.gateway.exited() {
		c.mu.Unlock()
		return errors.New("harness: gateway is already running")
	}
	p, err := startProcess(procSpec{
		name: "gateway", path: c.bins.Gateway, env: c.firstGatewayEnv(),
		dir: c.opts.Dir, logPath: c.GatewayLogPath(), deathSig: syscall.SIGKILL,
	})
	if err == nil {
		c.gateway = p
		c.watch(p)
	}
	wantNodes := 0
	if c.allNodesRunningLocked() {
		wantNodes = len(c.nodes)
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.waitGateway(ctx, p, wantNodes)
}

func (c *Cluster) waitGateway(ctx context.Context, p *process, wantNodes int) error {
	what := "answering GET /health"
	if wantNodes > 0 {
		what = fmt.Sprintf("healthy with %d active nodes (GET /health)", wantNodes)
	}
	err := waitFor(ctx, p, c.opts.ReadyTimeout, what, healthProbe(c.GatewayURL()+"/health", wantNodes))
	if err != nil {
		p.kill()
		c.mu.Lock()
		if c.gateway == p {
			c.gateway = nil
		}
		c.mu.Unlock()
	}
	return err
}

func (c *Cluster) allNodesRunningLocked() bool {
	for _, n := range c.nodes {
		if n.proc == nil || n.proc.exited() {
			return false
		}
	}
	return true
}

func (c *Cluster) takeGateway() *process {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.gateway
	c.gateway = nil
	return p
}

// GatewayRunning reports whether the gateway's process is running.
func (c *Cluster) GatewayRunning() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gateway != nil && !c.gateway.exited()
}

// StopGateway sends the gateway SIGTERM and waits for it to exit. Stopping a
// stopped gateway does nothing.
func (c *Cluster) StopGateway() error {
	if p := c.takeGateway(); p != nil {
		return p.stop(syscall.SIGTERM, stopGrace)
	}
	return nil
}

// KillGateway sends the gateway SIGKILL and waits for it to be gone.
func (c *Cluster) KillGateway() error {
	p := c.takeGateway()
	if p == nil {
		return errors.New("harness: gateway is not running")
	}
	p.kill()
	return nil
}

// RestartGateway stops the gateway if it runs, starts it again on the same
// address, and waits until it answers GET /health (with 200 if all nodes run).
func (c *Cluster) RestartGateway(ctx context.Context) error {
	if err := c.StopGateway(); err != nil {
		return err
	}
	return c.startGateway(ctx)
}

// GatewayPID is the gateway's process id (for /proc/PID/status), or 0 when
// it is not running.
func (c *Cluster) GatewayPID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gateway == nil || c.gateway.exited() {
		return 0
	}
	return c.gateway.pid()
}

// NodePID is node i's process id, or 0 when it is not running.
func (c *Cluster) NodePID(i int) int {
	n := c.mustNode(i)
	c.mu.Lock()
	defer c.mu.Unlock()
	if n.proc == nil || n.proc.exited() {
		return 0
	}
	return n.proc.pid()
}
