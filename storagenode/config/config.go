// Package config loads a storage node's settings: defaults, then an optional
// YAML file, then environment variables, then command-line flags, each
// overriding the one before. The result is validated once, with errors that
// name the offending key.
package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/storagenode/chunkstore"
)

// Config is everything a storage node is told.
type Config struct {
	Server    Server    `yaml:"server"`
	Database  db.Config `yaml:"database"` // how to reach PostgreSQL; see db.Config
	Heartbeat Heartbeat `yaml:"heartbeat"`
	Storage   Storage   `yaml:"storage"`
	Scrub     Scrub     `yaml:"scrub"`
	Sweep     Sweep     `yaml:"sweep"`
	TLS       TLS       `yaml:"tls"` // mutual TLS on the gRPC port; see TLS
	Log       Log       `yaml:"log"`
	Debug     Debug     `yaml:"debug"`

	// Warnings are what Load accepted but does not use as written (two
	// names of one setting that disagree, a value the node cannot honour),
	// each saying why. The node logs them at start.
	Warnings []string `yaml:"-"`
}

// Server says where the node listens and how it is known to the cluster.
type Server struct {
	// Host is the address the gRPC server listens on. Default 127.0.0.1;
	// env GRPC_HOST, flag -host.
	Host string `yaml:"host"`
	// GRPCPort is the port the gRPC server listens on. Default 9001;
	// env GRPC_PORT, flag -grpc-port.
	GRPCPort int `yaml:"grpc_port"`
	// Name is a label for humans. Default storage-<grpc_port>;
	// env NODE_NAME, flag -name.
	Name string `yaml:"name"`
	// Address is the host:port gateways dial, registered in PostgreSQL; it
	// identifies the node across restarts. Default host:grpc_port, and
	// required when host is a wildcard such as 0.0.0.0.
	// env NODE_ADDRESS, flag -address.
	Address string `yaml:"address"`
	// MetricsPort is the port of the HTTP server that serves Prometheus
	// metrics at /metrics, on Host. Default 0: no metrics server;
	// env METRICS_PORT, flag -metrics-port.
	MetricsPort int `yaml:"metrics_port"`
	// DataDir is the seed's server.data_dir, another name for
	// storage.data_dir, which wins when a file gives both. After Load it
	// holds the same value.
	DataDir string `yaml:"data_dir"`
}

// Heartbeat says how often the node reports itself alive.
type Heartbeat struct {
	// Interval between heartbeats. Default 10s; env HEARTBEAT_INTERVAL (a Go
	// duration), flag -heartbeat-interval.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one heartbeat's write to PostgreSQL; one that takes
	// longer fails and the next tick tries again. It is not how long a
	// silent node is trusted: gateways decide that (their
	// storage.heartbeat_timeout, 30s). Default 5s, the seed's.
	Timeout time.Duration `yaml:"timeout"`
}

// Storage says where chunks live and how the node sits on the ring.
type Storage struct {
	// DataDir holds chunks/, tmp/, node-id and the identity marker
	// node-id.json, which must stay with the chunks: a node refuses a
	// directory that is not its own. Default ./data; env DATA_DIR, flag
	// -data-dir.
	DataDir string `yaml:"data_dir"`
	// VirtualNodes is the number of ring points the node registers.
	// Default 150; env VIRTUAL_NODES, flag -virtual-nodes.
	VirtualNodes int `yaml:"virtual_nodes"`
	// MaxChunkSize is the largest chunk the node stores, in bytes. The
	// chunk store's limit is fixed at chunkstore.MaxChunkSize (2 GiB,
	// above the 1.7 GiB shards of a 10 GiB object); another value is
	// accepted with a warning and this field then holds the limit in
	// force.
	MaxChunkSize int64 `yaml:"max_chunk_size"`
	// CleanupOrphanedInterval is the seed's name for sweep.interval, which
	// wins when a file gives both. After Load it holds the same value.
	CleanupOrphanedInterval time.Duration `yaml:"cleanup_orphaned_interval"`
}

// Scrub says how often and how fast the node re-hashes its chunk files
// against the SHA-256 recorded in PostgreSQL.
type Scrub struct {
	// Interval is the pause between the end of one pass and the start of
	// the next. Default 24h; 0 turns the scrub off. env SCRUB_INTERVAL.
	Interval time.Duration `yaml:"interval"`
	// BytesPerSecond caps how fast a pass reads chunk files. Default
	// 52428800 (50 MiB/s); 0 means no cap. env SCRUB_BYTES_PER_SECOND.
	BytesPerSecond int64 `yaml:"bytes_per_second"`
}

// Log says what the node logs.
type Log struct {
	// Level is a zerolog level name. At debug the node logs every call it
	// served, a line per shard read or written; at info (the default)
	// only failed calls and its own events, because under load those
	// per-call lines cost a write to stderr each, about a twentieth of a
	// busy node's CPU. Env LOG_LEVEL.
	Level string `yaml:"level"`
}

// Debug holds settings for looking inside a running node.
type Debug struct {
	// PprofAddr, when set, serves Go's profiler (/debug/pprof/) on its own
	// listener, never on the gRPC or metrics port; keep it on loopback.
	// Default off. env PPROF_ADDR.
	PprofAddr string `yaml:"pprof_addr"`
}

// Sweep says how often the node reconciles its chunk files with the chunks
// rows: it removes files no row knows and flags rows whose file is gone.
type Sweep struct {
	// Interval is the pause between passes. Default 1h; 0 turns the sweep
	// off. env SWEEP_INTERVAL.
	Interval time.Duration `yaml:"interval"`
	// MinAge is how old a file without a row must be before it is removed.
	// Keep it above the gateway's upload.session_timeout. Default 2h, at
	// least 1m: a gateway records a blob written whole within 30 s of
	// sending its shards, or gives it up. env SWEEP_MIN_AGE.
	MinAge time.Duration `yaml:"min_age"`
}

// Default returns the settings used where nothing overrides them. Name and
// Address are derived in Load once the host and port are final.
func Default() Config {
	return Config{
		Server:    Server{Host: "127.0.0.1", GRPCPort: 9001},
		Heartbeat: Heartbeat{Interval: 10 * time.Second, Timeout: 5 * time.Second},
		Storage:   Storage{DataDir: "./data", VirtualNodes: 150, MaxChunkSize: chunkstore.MaxChunkSize},
		Scrub:     Scrub{Interval: 24 * time.Hour, BytesPerSecond: 50 << 20},
		Sweep:     Sweep{Interval: time.Hour, MinAge: 2 * time.Hour},
		Log:       Log{Level: "info"},
	}
}

// ListenAddress is the host:port the gRPC server binds.
func (c Config) ListenAddress() string {
	return net.JoinHostPort(c.Server.Host, strconv.Itoa(c.Server.GRPCPort))
}

// MetricsAddress is the host:port the metrics server binds, or "" when it
// is off.
func (c Config) MetricsAddress() string {
	if c.Server.MetricsPort == 0 {
		return ""
	}
	return net.JoinHostPort(c.Server.Host, strconv.Itoa(c.Server.MetricsPort))
}

// fillDerived sets Name and Address from the final host and port when they
// were not given.
func (c *Config) fillDerived() {
	if c.Server.Name == "" {
		c.Server.Name = "storage-" + strconv.Itoa(c.Server.GRPCPort)
	}
	if c.Server.Address == "" {
		c.Server.Address = c.ListenAddress()
	}
}

// Validate reports the first bad setting by its key.
func (c Config) Validate() error {
	if c.Server.GRPCPort < 1 || c.Server.GRPCPort > 65535 {
		return fmt.Errorf("server.grpc_port: %d is not a port number", c.Server.GRPCPort)
	}
	if err := validateAddress(c.Server.Address); err != nil {
		return fmt.Errorf("server.address: %w", err)
	}
	if c.Server.Name == "" {
		return errors.New("server.name: must not be empty")
	}
	if c.Heartbeat.Interval <= 0 {
		return errors.New("heartbeat.interval: must be > 0")
	}
	if c.Heartbeat.Timeout <= 0 {
		return errors.New("heartbeat.timeout: must be > 0")
	}
	if c.Storage.DataDir == "" {
		return errors.New("storage.data_dir: must not be empty")
	}
	if c.Storage.VirtualNodes < 1 || c.Storage.VirtualNodes > 10000 {
		return fmt.Errorf("storage.virtual_nodes: %d is not in 1..10000", c.Storage.VirtualNodes)
	}
	if _, err := zerolog.ParseLevel(c.Log.Level); err != nil || c.Log.Level == "" {
		return fmt.Errorf("log.level: %q is not one of trace, debug, info, warn, error", c.Log.Level)
	}
	if err := c.validateMetricsPort(); err != nil {
		return err
	}
	if err := c.validateJobs(); err != nil {
		return err
	}
	if err := c.TLS.validate(); err != nil {
		return err
	}
	if err := c.TLS.refusePlaintext(c.Server.Host); err != nil {
		return err
	}
	return c.Database.Validate()
}

// validateMetricsPort accepts 0 (off) or a port other than the gRPC one.
func (c Config) validateMetricsPort() error {
	p := c.Server.MetricsPort
	if p < 0 || p > 65535 {
		return fmt.Errorf("server.metrics_port: %d is not a port number (0 turns metrics off)", p)
	}
	if p != 0 && p == c.Server.GRPCPort {
		return fmt.Errorf("server.metrics_port: %d is already server.grpc_port", p)
	}
	return nil
}

// validateJobs checks the scrub and sweep settings.
func (c Config) validateJobs() error {
	switch {
	case c.Scrub.Interval < 0:
		return errors.New("scrub.interval: must be >= 0 (0 turns the scrub off)")
	case c.Scrub.BytesPerSecond < 0:
		return errors.New("scrub.bytes_per_second: must be >= 0 (0 means no cap)")
	case c.Sweep.Interval < 0:
		return errors.New("sweep.interval: must be >= 0 (0 turns the sweep off)")
	case c.Sweep.MinAge < time.Minute:
		return fmt.Errorf("sweep.min_age: %v is below 1m; keep it above the longest upload session", c.Sweep.MinAge)
	}
	return nil
}

// validateAddress accepts a host:port that another machine could dial.
func validateAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%q has no valid port", addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return fmt.Errorf("%q is not dialable; set it when server.host is a wildcard", addr)
	}
	return nil
}
