// Package config defines the gateway's one Config: read from a YAML file,
// then overridden by environment variables, then by flags, and validated
// once at start so that a bad value stops the binary with the key it names.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"go.yaml.in/yaml/v3"

	"sixfold/db"
	"sixfold/gateway/iam"
)

// MaxObjectSize is the largest object sixfold stores: 10 GiB.
const MaxObjectSize int64 = 10 << 30

// Config is everything the gateway needs. Zero values are replaced by the
// defaults noted on each field.
type Config struct {
	Server struct {
		// Addr is the HTTP listen address; default 127.0.0.1:8080. Env
		// SIXFOLD_ADDR, flag -addr. It wins over Port.
		Addr string `yaml:"addr"`
		// Port is the seed's server.port: given without an Addr (in the
		// file, SIXFOLD_ADDR or -addr), the gateway listens on every
		// interface at this port, as the seed's deployments expect. After
		// Load it is the port of Addr.
		Port int `yaml:"port"`
		// ReadTimeout bounds reading a request's line and header; default
		// 10s. A body is bounded by BodyReadTimeout and BodyMinBytes
		// instead: a whole-request read deadline would cut off an honest
		// 10 GiB upload, and in net/http it would also cancel every
		// download still running when it passed.
		ReadTimeout time.Duration `yaml:"read_timeout"`
		// WriteTimeout bounds writes the client does not take: each 64 KiB
		// of a response must leave within it, or the connection is closed.
		// It bounds idle writes, not whole responses, so a 10 GiB download
		// at any steady pace never meets it. Default 5m.
		WriteTimeout time.Duration `yaml:"write_timeout"`
		// MaxUploadSize is the seed's name for Upload.MaxFileSize; after
		// Load it holds the same value.
		MaxUploadSize int64 `yaml:"max_upload_size"`
		// TLSCertFile and TLSKeyFile, when both set, make the port speak
		// HTTPS (HTTP/1.1 and HTTP/2). Env SIXFOLD_TLS_CERT / SIXFOLD_TLS_KEY.
		TLSCertFile string `yaml:"tls_cert_file"`
		TLSKeyFile  string `yaml:"tls_key_file"`
		// BodyReadTimeout and BodyMinBytes bound slow uploads: a request
		// body must deliver BodyMinBytes every BodyReadTimeout or the
		// request fails; defaults 30s and 64 KiB (about 2 KiB/s).
		BodyReadTimeout time.Duration `yaml:"body_read_timeout"`
		BodyMinBytes    int64         `yaml:"body_min_bytes"`
		// ShutdownTimeout bounds how long in-flight transfers may finish after
		// SIGTERM; default 30s.
		ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
		// AllowedCIDRs are the client networks served (CIDRs or single
		// addresses), matched against the connection's remote address;
		// empty serves everyone. Env SIXFOLD_ALLOWED_CIDRS (comma-separated).
		AllowedCIDRs []string `yaml:"allowed_cidrs"`
	} `yaml:"server"`

	Database db.Config `yaml:"database"`

	ConsistentHashing struct {
		// VirtualNodes per server; default 150. Nodes register their own
		// points, so the gateway does not use it: a file that sets it (or
		// the seed's virtual_nodes_per_server) gets a warning.
		VirtualNodes int `yaml:"virtual_nodes"`
		// VirtualNodesPerServer is the seed's name for VirtualNodes.
		VirtualNodesPerServer int `yaml:"virtual_nodes_per_server"`
		// RefreshInterval is how often the ring cache is rebuilt; default 30s.
		// Env RING_REFRESH_INTERVAL.
		RefreshInterval time.Duration `yaml:"refresh_interval"`
		// RingRefreshInterval is the seed's name for RefreshInterval; after
		// Load it holds the same value.
		RingRefreshInterval time.Duration `yaml:"ring_refresh_interval"`
	} `yaml:"consistent_hashing"`

	Upload struct {
		// MaxFileSize is the largest accepted object; default and maximum 10 GiB.
		MaxFileSize int64 `yaml:"max_file_size"`
		// SessionTimeout is how long an upload may go without progress
		// before its session expires; default 1h. Env SESSION_TIMEOUT.
		SessionTimeout time.Duration `yaml:"session_timeout"`
		// CleanupInterval is the period of the expired-session and
		// chunk-deletion jobs; default 5m. Env CLEANUP_INTERVAL.
		CleanupInterval time.Duration `yaml:"cleanup_interval"`
		// MultipartMaxAge: S3 multipart uploads neither completed nor
		// aborted this long after they began are aborted; default 24h.
		// Env MULTIPART_MAX_AGE.
		MultipartMaxAge time.Duration `yaml:"multipart_max_age"`
		// SpoolDir holds bodies of unknown length while they are measured;
		// default the OS temp dir. Env SPOOL_DIR.
		SpoolDir string `yaml:"spool_dir"`
		// SpoolMaxBytes bounds what all bodies staged in SpoolDir may take
		// at once: past it, uploads of unknown length get 503 (with
		// Retry-After) until space is freed, rather than filling the disk.
		// Default 16 GiB. Env SPOOL_MAX_BYTES.
		SpoolMaxBytes int64 `yaml:"spool_max_bytes"`
		// ChunkSize is the seed's upload.chunk_size, which no longer means
		// anything: objects are striped in durability.block_size blocks
		// over six data shards, so a shard is a sixth of its object. A file
		// that sets it gets a warning; the value is kept only to be shown.
		ChunkSize int64 `yaml:"chunk_size"`
	} `yaml:"upload"`

	Storage struct {
		// HeartbeatTimeout: a node silent this long takes no new chunks;
		// default 30s. Env HEARTBEAT_TIMEOUT.
		HeartbeatTimeout time.Duration `yaml:"heartbeat_timeout"`
		// NodeTimeout bounds connecting to a node before data flows; default 2s.
		NodeTimeout time.Duration `yaml:"node_timeout"`
		// StallTimeout: a node call that makes no progress this long is
		// given up; reads reconstruct the shard from parity, writes go on
		// without it while the write quorum holds. Default 5s. Env STALL_TIMEOUT.
		StallTimeout time.Duration `yaml:"stall_timeout"`
		// TLS, when set, makes node connections mutual TLS. Env
		// STORAGE_TLS_CERT / STORAGE_TLS_KEY / STORAGE_TLS_CA.
		TLS ClusterTLS `yaml:"tls"`
		// GRPCTimeout is the deadline of one call to a node; default 60s,
		// the seed's.
		GRPCTimeout time.Duration `yaml:"grpc_timeout"`
		// MaxRetries is how many times a call that failed with a transient
		// node error is tried again before the request fails over or
		// fails; default 3, and 0 (written in the file) means no retry.
		MaxRetries int `yaml:"max_retries"`
		// RetryDelay is the pause between those tries; default 1s, and 0
		// (written in the file) retries at once.
		RetryDelay time.Duration `yaml:"retry_delay"`
	} `yaml:"storage"`

	Durability struct {
		// ParityShards is P, the Reed-Solomon parity shards of every new
		// blob besides its six data shards; default 2, 0 for none. Each
		// blob records its own, so changing it affects new blobs only.
		// Env PARITY_SHARDS.
		ParityShards *int `yaml:"parity_shards"`
		// BlockSize is the stripe block of new blobs in bytes; default
		// 1 MiB. Each block is checksummed alone.
		BlockSize int64 `yaml:"block_size"`
	} `yaml:"durability"`

	Heal struct {
		// After: shards on a node silent this long are rebuilt elsewhere;
		// default 5m. Missing, corrupt and draining shards are rebuilt at
		// once. Env HEAL_AFTER.
		After time.Duration `yaml:"after"`
		// Interval is how often the healer looks for work; default 10s.
		// Env HEAL_INTERVAL.
		Interval time.Duration `yaml:"interval"`
		// BytesPerSecond caps what one gateway's healer writes; default
		// 64 MiB/s. Env HEAL_BYTES_PER_SECOND.
		BytesPerSecond int64 `yaml:"bytes_per_second"`
	} `yaml:"heal"`

	GC struct {
		// Retention is how long a deleted blob's chunks stay on their nodes
		// before they are deleted, so that metadata restored from a backup
		// to a point within it still finds every byte it references;
		// default 0 (deleted at once). Set it to the reach of your
		// point-in-time recovery. Env GC_RETENTION.
		Retention time.Duration `yaml:"retention"`
	} `yaml:"gc"`

	Admin struct {
		// StatsInterval is how often the stored-chunk counts of the
		// operator's view (GET /admin/cluster) are recomputed in the
		// background; default 15s. Env STATS_INTERVAL.
		StatsInterval time.Duration `yaml:"stats_interval"`
	} `yaml:"admin"`

	Console struct {
		// SessionTTL is how long a web console sign-in lasts before the
		// browser must sign in again; default 12h. Env CONSOLE_SESSION_TTL.
		SessionTTL time.Duration `yaml:"session_ttl"`
	} `yaml:"console"`

	Auth struct {
		// RootUser and RootPassword are the root key pair. Env
		// SIXFOLD_ROOT_USER / SIXFOLD_ROOT_PASSWORD. Required.
		RootUser     string `yaml:"root_user"`
		RootPassword string `yaml:"root_password"`
		// Keys are further access key pairs. Env SIXFOLD_KEYS=ak:sk:policy,…
		// adds more. A key acts under the built-in policy it names
		// (readwrite, readonly, writeonly, admin); one naming none may do
		// nothing.
		Keys []KeyPair `yaml:"keys"`
		// MasterKey seals the secret keys of users stored in PostgreSQL
		// (32 bytes as 64 hex digits or base64; openssl rand -hex 32).
		// Env SIXFOLD_MASTER_KEY, or MasterKeyFile (env
		// SIXFOLD_MASTER_KEY_FILE) naming a file that holds it. Every
		// gateway of a cluster needs the same one. Without it users can be
		// managed but no access key can be stored or used.
		MasterKey     string `yaml:"master_key"`
		MasterKeyFile string `yaml:"master_key_file"`
	} `yaml:"auth"`

	S3 struct {
		// Region is reported by GetBucketLocation; default us-east-1.
		// Env S3_REGION.
		Region string `yaml:"region"`
		// Domain enables virtual-host style addressing for
		// <bucket>.<domain>; empty means path style only. Env S3_DOMAIN.
		Domain string `yaml:"domain"`
	} `yaml:"s3"`

	Log struct {
		// Level is a zerolog level name; default info. Env LOG_LEVEL.
		Level string `yaml:"level"`
	} `yaml:"log"`

	Debug struct {
		// PprofAddr, when set, serves Go's profiler (/debug/pprof/) on
		// its own listener, so it is never reachable through the public
		// port; keep it on loopback. Default off. Env PPROF_ADDR.
		PprofAddr string `yaml:"pprof_addr"`
	} `yaml:"debug"`

	RateLimit RateLimit `yaml:"rate_limit"`

	// Warnings are what Load accepted but does not use as written (a key
	// that no longer means anything, or two names of one setting that
	// disagree), each saying why. The gateway logs them at start.
	Warnings []string `yaml:"-"`

	// fileKeys are the dotted keys the config file spelled out, so that a
	// 0 written there can mean 0 rather than "the default".
	fileKeys map[string]bool
}

// DefaultSpoolMaxBytes is upload.spool_max_bytes when unset.
const DefaultSpoolMaxBytes = 16 << 30

// DefaultParityShards is P when the configuration names none: with six
// nodes, any one may be lost; with eight or more, any two.
const DefaultParityShards = 2

// ParityShards is durability.parity_shards after defaults.
func (c *Config) ParityShards() int {
	if c.Durability.ParityShards == nil {
		return DefaultParityShards
	}
	return *c.Durability.ParityShards
}

func (c *Config) applyDurabilityEnv() error {
	ints := map[string]func(int64){
		"PARITY_SHARDS":         func(v int64) { p := int(v); c.Durability.ParityShards = &p },
		"HEAL_BYTES_PER_SECOND": func(v int64) { c.Heal.BytesPerSecond = v },
		"SPOOL_MAX_BYTES":       func(v int64) { c.Upload.SpoolMaxBytes = v },
	}
	for key, set := range ints {
		if v, ok := os.LookupEnv(key); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not a whole number", key, v)
			}
			set(n)
		}
	}
	return nil
}

func (c *Config) validateDurability() error {
	if p := c.ParityShards(); p < 0 || p > 16 {
		return fmt.Errorf("durability.parity_shards: must be between 0 and 16, got %d", p)
	}
	if b := c.Durability.BlockSize; b < 4<<10 || b > 4<<20 {
		return fmt.Errorf("durability.block_size: must be between 4096 and 4194304 bytes, got %d", b)
	}
	if c.Heal.After < c.Storage.HeartbeatTimeout {
		// A live node between two heartbeats must not look lost.
		return fmt.Errorf("heal.after: must be at least storage.heartbeat_timeout (%s), got %s", c.Storage.HeartbeatTimeout, c.Heal.After)
	}
	if c.Heal.BytesPerSecond < 1 {
		return fmt.Errorf("heal.bytes_per_second: must be >= 1, got %d", c.Heal.BytesPerSecond)
	}
	return nil
}

// KeyPair is one access key and its secret.
type KeyPair struct {
	AccessKey string `yaml:"access_key"`
	SecretKey string `yaml:"secret_key"`
	// Policy is a built-in policy name; empty allows nothing.
	Policy string `yaml:"policy"`
}

// Load reads the file named by -config (or SIXFOLD_CONFIG), applies env and
// flag overrides, fills defaults and validates.
func Load(args []string) (*Config, error) {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	path := fs.String("config", os.Getenv("SIXFOLD_CONFIG"), "path to a YAML config file")
	addr := fs.String("addr", "", "HTTP listen address (overrides server.addr)")
	dsn := fs.String("database-url", "", "PostgreSQL URL (overrides database.*)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	cfg := &Config{}
	if *path != "" {
		if err := cfg.readFile(*path); err != nil {
			return nil, err
		}
	}
	if err := cfg.foldSeedNames(); err != nil {
		return nil, err
	}
	if err := cfg.applyEnv(); err != nil {
		return nil, err
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	if *dsn != "" {
		cfg.Database.URL = *dsn
	}
	cfg.fillDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.mirrorSeedNames()
	return cfg, nil
}

func (c *Config) readFile(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // an empty file means all defaults
		return fmt.Errorf("config %s: %v", path, db.RedactYAML(err))
	}
	c.fileKeys = db.YAMLKeys(raw)
	return db.RefuseExposedSecrets(path, c.fileSecrets())
}

func (c *Config) applyEnv() error {
	str := map[string]*string{
		"SIXFOLD_ADDR":            &c.Server.Addr,
		"SIXFOLD_TLS_CERT":        &c.Server.TLSCertFile,
		"SIXFOLD_TLS_KEY":         &c.Server.TLSKeyFile,
		"SIXFOLD_ROOT_USER":       &c.Auth.RootUser,
		"SIXFOLD_ROOT_PASSWORD":   &c.Auth.RootPassword,
		"SIXFOLD_MASTER_KEY":      &c.Auth.MasterKey,
		"SIXFOLD_MASTER_KEY_FILE": &c.Auth.MasterKeyFile,
		"SPOOL_DIR":               &c.Upload.SpoolDir,
		"LOG_LEVEL":               &c.Log.Level,
		"PPROF_ADDR":              &c.Debug.PprofAddr,
		"S3_REGION":               &c.S3.Region,
		"S3_DOMAIN":               &c.S3.Domain,
	}
	for key, dst := range str {
		if v, ok := os.LookupEnv(key); ok {
			*dst = v
		}
	}
	durations := map[string]*time.Duration{
		"RING_REFRESH_INTERVAL": &c.ConsistentHashing.RefreshInterval,
		"SESSION_TIMEOUT":       &c.Upload.SessionTimeout,
		"CLEANUP_INTERVAL":      &c.Upload.CleanupInterval,
		"MULTIPART_MAX_AGE":     &c.Upload.MultipartMaxAge,
		"HEARTBEAT_TIMEOUT":     &c.Storage.HeartbeatTimeout,
		"SHUTDOWN_TIMEOUT":      &c.Server.ShutdownTimeout,
		"BODY_READ_TIMEOUT":     &c.Server.BodyReadTimeout,
		"STALL_TIMEOUT":         &c.Storage.StallTimeout,
		"HEAL_AFTER":            &c.Heal.After,
		"HEAL_INTERVAL":         &c.Heal.Interval,
		"STATS_INTERVAL":        &c.Admin.StatsInterval,
		"CONSOLE_SESSION_TTL":   &c.Console.SessionTTL,
		"GC_RETENTION":          &c.GC.Retention,
	}
	for key, dst := range durations {
		if v, ok := os.LookupEnv(key); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s: %q is not a duration (e.g. 30s)", key, v)
			}
			*dst = d
		}
	}
	if err := c.applyDurabilityEnv(); err != nil {
		return err
	}
	if v, ok := os.LookupEnv("SIXFOLD_KEYS"); ok && v != "" {
		keys, err := parseKeyList(v)
		if err != nil {
			return err
		}
		c.Auth.Keys = append(c.Auth.Keys, keys...)
	}
	if err := c.applySecurityEnv(); err != nil {
		return err
	}
	return c.Database.ApplyEnv()
}

func parseKeyList(v string) ([]KeyPair, error) {
	var keys []KeyPair
	for _, pair := range strings.Split(v, ",") {
		ak, sk, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || ak == "" || sk == "" {
			return nil, errors.New("SIXFOLD_KEYS: want access:secret[:policy] entries separated by commas")
		}
		// A secret may hold colons; only a known policy name after the
		// last one is taken as the policy.
		policy := ""
		if i := strings.LastIndexByte(sk, ':'); i >= 0 {
			if _, known := iam.Builtin(sk[i+1:]); known {
				sk, policy = sk[:i], sk[i+1:]
			}
		}
		keys = append(keys, KeyPair{AccessKey: ak, SecretKey: sk, Policy: policy})
	}
	return keys, nil
}

func (c *Config) fillDefaults() {
	setDuration := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	if c.Server.Addr == "" {
		c.Server.Addr = "127.0.0.1:8080"
	}
	setDuration(&c.Server.ReadTimeout, 10*time.Second)
	setDuration(&c.Server.WriteTimeout, 5*time.Minute)
	setDuration(&c.Server.ShutdownTimeout, 30*time.Second)
	setDuration(&c.Server.BodyReadTimeout, 30*time.Second)
	if c.Server.BodyMinBytes == 0 {
		c.Server.BodyMinBytes = 64 << 10
	}
	if c.ConsistentHashing.VirtualNodes == 0 {
		c.ConsistentHashing.VirtualNodes = 150
	}
	setDuration(&c.ConsistentHashing.RefreshInterval, 30*time.Second)
	if c.Upload.MaxFileSize == 0 {
		c.Upload.MaxFileSize = MaxObjectSize
	}
	setDuration(&c.Upload.SessionTimeout, time.Hour)
	setDuration(&c.Upload.CleanupInterval, 5*time.Minute)
	setDuration(&c.Upload.MultipartMaxAge, 24*time.Hour)
	if c.Upload.SpoolDir == "" {
		c.Upload.SpoolDir = os.TempDir()
	}
	if c.Upload.SpoolMaxBytes == 0 {
		c.Upload.SpoolMaxBytes = DefaultSpoolMaxBytes
	}
	setDuration(&c.Storage.HeartbeatTimeout, 30*time.Second)
	setDuration(&c.Storage.NodeTimeout, 2*time.Second)
	setDuration(&c.Storage.StallTimeout, 5*time.Second)
	c.fillStorageCallDefaults()
	if c.Database.MaxConns == 0 && !c.Database.URLSetsPoolSize() {
		c.Database.MaxConns = db.DefaultMaxConns
	}
	if c.Durability.ParityShards == nil {
		p := DefaultParityShards
		c.Durability.ParityShards = &p
	}
	if c.Durability.BlockSize == 0 {
		c.Durability.BlockSize = 1 << 20
	}
	setDuration(&c.Heal.After, 5*time.Minute)
	setDuration(&c.Heal.Interval, 10*time.Second)
	setDuration(&c.Admin.StatsInterval, 15*time.Second)
	setDuration(&c.Console.SessionTTL, 12*time.Hour)
	if c.Heal.BytesPerSecond == 0 {
		c.Heal.BytesPerSecond = 64 << 20
	}
	if c.S3.Region == "" {
		c.S3.Region = "us-east-1"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	c.fillSecurityDefaults()
}

// Validate reports the first bad value by its config key.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Server.Addr); err != nil {
		return fmt.Errorf("server.addr: %q is not host:port", c.Server.Addr)
	}
	if (c.Server.TLSCertFile == "") != (c.Server.TLSKeyFile == "") {
		return errors.New("server.tls_cert_file / server.tls_key_file: set both or neither")
	}
	positive := map[string]time.Duration{
		"server.shutdown_timeout":             c.Server.ShutdownTimeout,
		"server.read_timeout":                 c.Server.ReadTimeout,
		"server.write_timeout":                c.Server.WriteTimeout,
		"storage.grpc_timeout":                c.Storage.GRPCTimeout,
		"server.body_read_timeout":            c.Server.BodyReadTimeout,
		"consistent_hashing.refresh_interval": c.ConsistentHashing.RefreshInterval,
		"upload.session_timeout":              c.Upload.SessionTimeout,
		"upload.cleanup_interval":             c.Upload.CleanupInterval,
		"upload.multipart_max_age":            c.Upload.MultipartMaxAge,
		"storage.heartbeat_timeout":           c.Storage.HeartbeatTimeout,
		"storage.node_timeout":                c.Storage.NodeTimeout,
		"storage.stall_timeout":               c.Storage.StallTimeout,
		"heal.after":                          c.Heal.After,
		"heal.interval":                       c.Heal.Interval,
		"admin.stats_interval":                c.Admin.StatsInterval,
		"console.session_ttl":                 c.Console.SessionTTL,
	}
	for key, d := range positive {
		if d <= 0 {
			return fmt.Errorf("%s: must be > 0, got %s", key, d)
		}
	}
	if c.GC.Retention < 0 {
		return fmt.Errorf("gc.retention: must be >= 0, got %s", c.GC.Retention)
	}
	if c.Server.BodyMinBytes < 1 {
		return fmt.Errorf("server.body_min_bytes: must be >= 1, got %d", c.Server.BodyMinBytes)
	}
	if c.ConsistentHashing.VirtualNodes < 1 {
		return fmt.Errorf("consistent_hashing.virtual_nodes: must be >= 1, got %d", c.ConsistentHashing.VirtualNodes)
	}
	if c.Upload.SpoolMaxBytes < 0 {
		return fmt.Errorf("upload.spool_max_bytes: must be > 0, got %d", c.Upload.SpoolMaxBytes)
	}
	if c.Upload.MaxFileSize < 0 || c.Upload.MaxFileSize > MaxObjectSize {
		return fmt.Errorf("upload.max_file_size: must be between 0 and %d, got %d", MaxObjectSize, c.Upload.MaxFileSize)
	}
	if err := c.validateDurability(); err != nil {
		return err
	}
	if err := c.validateStorageCalls(); err != nil {
		return err
	}
	if c.Auth.RootUser == "" || c.Auth.RootPassword == "" {
		return errors.New("auth.root_user / auth.root_password: required (or SIXFOLD_ROOT_USER / SIXFOLD_ROOT_PASSWORD)")
	}
	if len(c.Auth.RootPassword) < 8 {
		return errors.New("auth.root_password: must be at least 8 characters")
	}
	for i, k := range c.Auth.Keys {
		// Named by position and access key, never by secret.
		if k.AccessKey == "" {
			return fmt.Errorf("auth.keys[%d]: access_key is empty", i)
		}
		if len(k.SecretKey) < 8 {
			return fmt.Errorf("auth.keys[%d] (%s): secret_key must be at least 8 characters", i, k.AccessKey)
		}
		if _, known := iam.Builtin(k.Policy); k.Policy != "" && !known {
			return fmt.Errorf("auth.keys[%d] (%s): policy %q is not one of readwrite, readonly, writeonly, admin", i, k.AccessKey, k.Policy)
		}
	}
	if _, err := zerolog.ParseLevel(c.Log.Level); err != nil {
		return fmt.Errorf("log.level: %q is not one of trace, debug, info, warn, error", c.Log.Level)
	}
	if err := c.validateSecurity(); err != nil {
		return err
	}
	return c.Database.Validate()
}
