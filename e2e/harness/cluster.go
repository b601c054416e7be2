package harness

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// TLSFiles names a PEM certificate and its key.
type TLSFiles struct{ CertFile, KeyFile string }

// Options configure StartCluster. Only Dir is required.
type Options struct {
	// Dir holds everything the cluster writes: node data (node-N), logs
	// (gateway.log, node-N.log, pg.log), the private PostgreSQL (pg) and
	// built binaries (bin). Created if missing.
	Dir string
	// Nodes is the number of storage nodes. Default 6.
	Nodes int
	// NodePorts fixes node i's gRPC port; a missing or zero entry means a
	// free port.
	NodePorts []int
	// GatewayAddr is the gateway's host:port. Default: a free 127.0.0.1 port.
	GatewayAddr string
	// Gateways is how many gateways run over the same database and nodes.
	// Default 1. Gateway i ≥ 1 listens on ExtraGatewayAddrs[i-1], or on a
	// free port, and logs to gateway-(i+1).log.
	Gateways          int
	ExtraGatewayAddrs []string
	// DatabaseURL is used as is; the caller owns the database. Default: a
	// fresh database on the server in SIXFOLD_TEST_DATABASE_URL, dropped on
	// Close; without that variable, a private PostgreSQL under Dir, stopped on
	// Close.
	DatabaseURL string
	// PrivatePostgres starts a private PostgreSQL even when
	// SIXFOLD_TEST_DATABASE_URL is set, for tests that stop or restart the
	// database (see Cluster.Postgres) and must not take a shared server down.
	PrivatePostgres bool
	// Standby starts a private PostgreSQL (as PrivatePostgres) together with
	// a streaming standby that every commit waits for (Cluster.Standby), and
	// gives gateways and nodes a URL naming both with
	// target_session_attrs=read-write, so that after the standby is promoted
	// they find it without a restart.
	Standby bool
	// Binaries are the programs to run. Default: those in SIXFOLD_BIN_DIR, or
	// else built from the workspace into Dir/bin. Tests that start many
	// clusters build once with BuildBinaries and pass the result here.
	Binaries *Binaries
	// HeartbeatInterval is the nodes' HEARTBEAT_INTERVAL. Default 10s.
	HeartbeatInterval time.Duration
	// RingRefreshInterval, HeartbeatTimeout, SessionTimeout and
	// CleanupInterval set the gateway variables of the same (upper-case)
	// names. Zero leaves the gateway's own default.
	RingRefreshInterval, HeartbeatTimeout, SessionTimeout, CleanupInterval time.Duration
	// NodeMetrics gives every node a metrics port (NodeMetricsURL).
	NodeMetrics bool
	// Profilers has the first gateway and every node serve Go's profiler
	// on a loopback port of its own (ProfilerAddrs).
	Profilers bool
	// NodeLinks puts a Link (a TCP relay a test can cut) between the
	// gateways and every node; NodeLink(i) returns it.
	NodeLinks bool
	// GatewayTLS, when set, makes the gateway serve HTTPS with this
	// certificate and key (PEM files); GatewayURL then says https.
	GatewayTLS *TLSFiles
	// GatewayEnv and NodeEnv are extra KEY=VALUE entries for those
	// processes; they win over what the harness sets.
	GatewayEnv, NodeEnv []string
	// ReadyTimeout bounds each wait for a process to become ready. Default 60s.
	ReadyTimeout time.Duration
	// Log receives progress lines. Nil discards them.
	Log io.Writer

	gatewayProfiler string // the first gateway's PPROF_ADDR, set by withDefaults for Profilers
}

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("harness: Options.Dir is required")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, err
	}
	o.Dir = dir
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return o, err
	}
	o.Nodes = cmp.Or(o.Nodes, 6)
	o.Gateways = max(o.Gateways, 1)
	o.HeartbeatInterval = cmp.Or(o.HeartbeatInterval, 10*time.Second)
	o.ReadyTimeout = cmp.Or(o.ReadyTimeout, 60*time.Second)
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.GatewayAddr == "" {
		port, err := FreePort()
		if err != nil {
			return o, err
		}
		o.GatewayAddr = fmt.Sprintf("127.0.0.1:%d", port)
	}
	if o.Profilers && o.gatewayProfiler == "" {
		port, err := FreePort()
		if err != nil {
			return o, err
		}
		o.gatewayProfiler = fmt.Sprintf("127.0.0.1:%d", port)
	}
	return o, nil
}

// Cluster is a running sixfold cluster: storage nodes and a gateway as child
// processes, and possibly the PostgreSQL it started. Nodes are numbered from
// 0; node i is named storage-(i+1) and keeps its data in Dir/node-(i+1).
// Methods are safe for concurrent use.
type Cluster struct {
	opts           Options
	bins           Binaries
	dbURL          string
	user, password string
	pg             *Postgres                       // nil unless the cluster started it
	standby        *Postgres                       // nil unless Options.Standby
	pgTemp         string                          // PostgreSQL parent dir outside Dir, removed on Close
	dropDB         func(ctx context.Context) error // drops a database made on an external server
	crashes        chan error
	closeOnce      sync.Once
	closeErr       error
	mu             sync.Mutex // protects nodes (and each node's proc) and gateway
	nodes          []*node
	gateway        *process        // nil while stopped
	extra          []*extraGateway // gateways 2…Options.Gateways
}

// StartCluster starts a database (see Options.DatabaseURL), opts.Nodes
// storage nodes and a gateway, and returns once every node accepts TCP
// connections and the gateway's GET /health answers 200. On error everything
// already started is shut down again.
func StartCluster(ctx context.Context, opts Options) (_ *Cluster, err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, crashes: make(chan error, 16)}
	c.user, c.password = rootCredentials()
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Close())
		}
	}()
	if err := c.resolveBinaries(ctx); err != nil {
		return nil, err
	}
	if err := c.ensureMasterKey(); err != nil {
		return nil, err
	}
	if err := c.setUpDatabase(ctx); err != nil {
		return nil, err
	}
	if err := c.startNodes(ctx, opts.Nodes); err != nil {
		return nil, err
	}
	if err := c.newExtraGateways(); err != nil {
		return nil, err
	}
	// The first gateway migrates the schema; the others start on it.
	if err := c.startGateway(ctx); err != nil {
		return nil, err
	}
	if err := c.startExtraGateways(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(opts.Log, "cluster: ready at %s with %d nodes and %d gateway(s)\n", c.GatewayURL(), opts.Nodes, opts.Gateways)
	return c, nil
}

// MasterKeyPath is the file holding the gateways' master key (which seals
// stored users' secrets): made on the cluster's first start and kept, so
// a restart over the same directory and database opens what it sealed.
func (c *Cluster) MasterKeyPath() string { return filepath.Join(c.opts.Dir, "master.key") }

func (c *Cluster) ensureMasterKey() error {
	if _, err := os.Stat(c.MasterKeyPath()); err == nil {
		return nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	return os.WriteFile(c.MasterKeyPath(), []byte(hex.EncodeToString(key)+"\n"), 0o600)
}

func rootCredentials() (user, password string) {
	return cmp.Or(os.Getenv(EnvRootUser), DefaultRootUser), cmp.Or(os.Getenv(EnvRootPassword), DefaultRootPassword)
}

func (c *Cluster) resolveBinaries(ctx context.Context) error {
	if c.opts.Binaries != nil {
		c.bins = *c.opts.Binaries
		return c.bins.check()
	}
	root, err := FindRepoRoot()
	if err != nil && os.Getenv(EnvBinDir) == "" {
		return err
	}
	fmt.Fprintf(c.opts.Log, "cluster: building binaries\n")
	c.bins, err = BuildBinaries(ctx, root, filepath.Join(c.opts.Dir, "bin"))
	return err
}

func (c *Cluster) setUpDatabase(ctx context.Context) error {
	switch server := os.Getenv(EnvTestDatabaseURL); {
	case c.opts.DatabaseURL != "":
		c.dbURL = c.opts.DatabaseURL
		return nil
	case server != "" && !c.opts.PrivatePostgres && !c.opts.Standby:
		return c.createExternalDatabase(ctx, server)
	default:
		return c.startPrivatePostgres(ctx)
	}
}

func (c *Cluster) createExternalDatabase(ctx context.Context, server string) error {
	name := UniqueDatabaseName("sixfold_e2e")
	dbURL, err := CreateDatabaseAt(ctx, server, name)
	if err != nil {
		return err
	}
	c.dbURL = dbURL
	c.dropDB = func(ctx context.Context) error { return DropDatabaseAt(ctx, server, name) }
	fmt.Fprintf(c.opts.Log, "cluster: using database %s on %s\n", name, redact(server))
	return nil
}

func (c *Cluster) startPrivatePostgres(ctx context.Context) error {
	parent, err := c.postgresParent()
	if err != nil {
		return err
	}
	if c.pg, err = StartPostgres(ctx, filepath.Join(parent, "pg"), c.opts.Log); err != nil {
		return err
	}
	if c.dbURL, err = c.pg.CreateDatabase(ctx, "sixfold"); err != nil || !c.opts.Standby {
		return err
	}
	if c.standby, err = c.pg.StartStandby(ctx, filepath.Join(parent, "pg-standby")); err != nil {
		return err
	}
	c.dbURL = MultiHostURL("sixfold", c.pg, c.standby)
	return nil
}

// postgresParent is Dir, unless the harness runs as root and the postgres
// user cannot reach into Dir (t.TempDir() makes 0700 dirs): then it is a
// fresh dir under the system temp dir, removed on Close.
func (c *Cluster) postgresParent() (string, error) {
	user, err := currentServerUser()
	if err != nil {
		return "", err
	}
	if user.checkReachable(filepath.Join(c.opts.Dir, "pg")) == nil {
		return c.opts.Dir, nil
	}
	dir, err := os.MkdirTemp("", "sixfold-pg-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		return "", fmt.Errorf("harness: postgres dir: %w", err)
	}
	c.pgTemp = dir
	fmt.Fprintf(c.opts.Log, "postgres: user postgres cannot reach %s; keeping its data in %s\n", c.opts.Dir, dir)
	return dir, nil
}

// Close stops the gateway, then the nodes (SIGTERM, then SIGKILL after a
// grace period), then the PostgreSQL the cluster started, and drops the
// database it created on an external server. Node data stays in Dir. Calling
// Close again returns the first call's result.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.shutdown() })
	return c.closeErr
}

func (c *Cluster) shutdown() error {
	errs := append(c.stopExtraGateways(), c.StopGateway())
	errs = append(errs, c.stopAllNodes()...)
	errs = append(errs, c.closeLinks()...)
	if c.pg != nil {
		errs = append(errs, c.pg.Stop())
	}
	if c.standby != nil {
		errs = append(errs, c.standby.Stop())
	}
	if c.dropDB != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		errs = append(errs, c.dropDB(ctx))
		cancel()
	}
	if c.pgTemp != "" {
		errs = append(errs, os.RemoveAll(c.pgTemp))
	}
	return errors.Join(errs...)
}

// watch reports p's exit on Crashes unless the harness asked for it.
func (c *Cluster) watch(p *process) { reportCrash(p, c.crashes) }

// Crashes yields a *CrashError, whose message carries the end of its log,
// for each gateway or node process that exited without the harness asking it
// to. The harness itself does nothing more about a crash: the rest of the
// cluster keeps running, and whether to stop is the caller's choice. A
// crashed node can be started again with StartNode, a crashed gateway with
// RestartGateway. The private PostgreSQL reports on its own Crashes.
func (c *Cluster) Crashes() <-chan error { return c.crashes }

// GatewayURL is the gateway's base URL, e.g. http://127.0.0.1:8080.
func (c *Cluster) GatewayURL() string {
	if c.opts.GatewayTLS != nil {
		return "https://" + c.opts.GatewayAddr
	}
	return "http://" + c.opts.GatewayAddr
}

// GatewayAddr is the gateway's host:port.
func (c *Cluster) GatewayAddr() string { return c.opts.GatewayAddr }

// DatabaseURL is the URL of the database the cluster uses.
func (c *Cluster) DatabaseURL() string { return c.dbURL }

// Credentials are the gateway's root access key and secret (also the
// /files basic-auth user and password).
func (c *Cluster) Credentials() (key, secret string) { return c.user, c.password }

// Postgres is the server the cluster started, or nil if it uses an external one.
func (c *Cluster) Postgres() *Postgres { return c.pg }

// Standby is the streaming standby of Options.Standby, or nil.
func (c *Cluster) Standby() *Postgres { return c.standby }

// Dir is the absolute directory holding everything the cluster writes.
func (c *Cluster) Dir() string { return c.opts.Dir }

// GatewayLogPath is where the gateway's output goes.
func (c *Cluster) GatewayLogPath() string { return filepath.Join(c.opts.Dir, "gateway.log") }
