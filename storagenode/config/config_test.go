package config

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sixfold/storagenode/chunkstore"
)

var envKeys = []string{
	"GRPC_HOST", "GRPC_PORT", "NODE_NAME", "NODE_ADDRESS", "DATA_DIR", "HEARTBEAT_INTERVAL", "VIRTUAL_NODES",
	"METRICS_PORT", "SCRUB_INTERVAL", "SCRUB_BYTES_PER_SECOND", "SWEEP_INTERVAL", "SWEEP_MIN_AGE",
	"NODE_TLS_CERT", "NODE_TLS_KEY", "NODE_TLS_CA", "NODE_ALLOW_INSECURE", "NODE_TLS_GATEWAY_NAME", "SIXFOLD_CONFIG", "PPROF_ADDR",
	"DATABASE_URL", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_USER", "DATABASE_PASSWORD", "DATABASE_NAME", "DATABASE_SSLMODE",
}

// clearEnv unsets every variable Load reads, restoring them after the test.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range envKeys {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "storagenode.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	clearEnv(t)
	cfg, err := Load(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Server.Name = "storage-9001"
	want.Server.Address = "127.0.0.1:9001"
	want.Server.DataDir = want.Storage.DataDir
	want.Storage.CleanupOrphanedInterval = want.Sweep.Interval
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("Load() = %+v; want %+v", cfg, want)
	}
}

func TestExampleFileIsTheDefaults(t *testing.T) {
	clearEnv(t)
	cfg, err := Load([]string{"-config", "../config.example.yaml"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	def, _ := Load(nil, io.Discard)
	cfg.Database = def.Database
	if !reflect.DeepEqual(cfg, def) {
		t.Fatalf("example file = %+v; want the defaults %+v", cfg, def)
	}
}

func TestLayering(t *testing.T) {
	clearEnv(t)
	path := writeFile(t, `
server: {host: 10.0.0.5, grpc_port: 9100, name: from-file}
tls: {allow_insecure: true}
database: {url: "postgres://file@db:5432/sixfold"}
heartbeat: {interval: 3s}
storage: {data_dir: /file, virtual_nodes: 10}
scrub: {interval: 1h, bytes_per_second: 1000}
sweep: {interval: 5m, min_age: 3h}
log: {level: warn}
`)
	t.Setenv("GRPC_PORT", "9200")
	t.Setenv("LOG_LEVEL", "debug")
	t.Setenv("DATA_DIR", "/env")
	t.Setenv("HEARTBEAT_INTERVAL", "4s")
	t.Setenv("DATABASE_URL", "postgres://env@db:5432/sixfold")
	t.Setenv("METRICS_PORT", "9300")
	t.Setenv("SCRUB_BYTES_PER_SECOND", "2000")
	t.Setenv("SWEEP_MIN_AGE", "90m")
	t.Setenv("SCRUB_INTERVAL", "0s")
	cfg, err := Load([]string{"-config", path, "-data-dir", "/flag", "-virtual-nodes", "20", "-metrics-port", "9400"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Server:    Server{Host: "10.0.0.5", GRPCPort: 9200, Name: "from-file", Address: "10.0.0.5:9200", MetricsPort: 9400, DataDir: "/flag"},
		Heartbeat: Heartbeat{Interval: 4 * time.Second, Timeout: 5 * time.Second},
		Storage:   Storage{DataDir: "/flag", VirtualNodes: 20, MaxChunkSize: chunkstore.MaxChunkSize, CleanupOrphanedInterval: 5 * time.Minute},
		Scrub:     Scrub{Interval: 0, BytesPerSecond: 2000},
		Sweep:     Sweep{Interval: 5 * time.Minute, MinAge: 90 * time.Minute},
		TLS:       TLS{AllowInsecure: true},
		Log:       Log{Level: "debug"},
	}
	want.Database.URL = "postgres://env@db:5432/sixfold"
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("Load = %+v; want %+v", cfg, want)
	}
	if got := cfg.MetricsAddress(); got != "10.0.0.5:9400" {
		t.Fatalf("MetricsAddress = %q; want 10.0.0.5:9400", got)
	}
}

func TestMetricsOffByDefault(t *testing.T) {
	clearEnv(t)
	cfg, err := Load(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.MetricsAddress(); got != "" {
		t.Fatalf("MetricsAddress = %q; want \"\" (off)", got)
	}
}

func TestDerivedFromFinalPort(t *testing.T) {
	clearEnv(t)
	t.Setenv("GRPC_PORT", "9004")
	cfg, err := Load([]string{"-host", "localhost"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Name != "storage-9004" || cfg.Server.Address != "localhost:9004" {
		t.Fatalf("name %q, address %q; want storage-9004, localhost:9004", cfg.Server.Name, cfg.Server.Address)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		file string
		want string
	}{
		{"zero heartbeat", nil, []string{"-heartbeat-interval", "0s"}, "", "heartbeat.interval: must be > 0"},
		{"bad heartbeat env", map[string]string{"HEARTBEAT_INTERVAL": "10"}, nil, "", "HEARTBEAT_INTERVAL"},
		{"bad port env", map[string]string{"GRPC_PORT": "x"}, nil, "", "GRPC_PORT"},
		{"port out of range", nil, []string{"-grpc-port", "70000"}, "", "server.grpc_port"},
		{"wildcard host without address", map[string]string{"GRPC_HOST": "0.0.0.0"}, nil, "", "server.address"},
		{"address without port", nil, []string{"-address", "node1"}, "", "server.address"},
		{"no virtual nodes", map[string]string{"VIRTUAL_NODES": "0"}, nil, "", "storage.virtual_nodes"},
		{"empty data dir", nil, []string{"-data-dir", ""}, "", "storage.data_dir"},
		{"metrics port out of range", map[string]string{"METRICS_PORT": "-1"}, nil, "", "server.metrics_port"},
		{"metrics port is the grpc port", nil, []string{"-metrics-port", "9001"}, "", "server.metrics_port"},
		{"bad metrics port env", map[string]string{"METRICS_PORT": "x"}, nil, "", "METRICS_PORT"},
		{"negative scrub interval", map[string]string{"SCRUB_INTERVAL": "-1s"}, nil, "", "scrub.interval"},
		{"bad scrub interval env", map[string]string{"SCRUB_INTERVAL": "daily"}, nil, "", "SCRUB_INTERVAL"},
		{"negative scrub rate", map[string]string{"SCRUB_BYTES_PER_SECOND": "-5"}, nil, "", "scrub.bytes_per_second"},
		{"bad scrub rate env", map[string]string{"SCRUB_BYTES_PER_SECOND": "50MiB"}, nil, "", "SCRUB_BYTES_PER_SECOND"},
		{"negative sweep interval", nil, nil, "sweep: {interval: -1h}\n", "sweep.interval"},
		{"sweep min age too small", map[string]string{"SWEEP_MIN_AGE": "30s"}, nil, "", "sweep.min_age"},
		{"bad sweep min age env", map[string]string{"SWEEP_MIN_AGE": "2"}, nil, "", "SWEEP_MIN_AGE"},
		{"bad sslmode", map[string]string{"DATABASE_SSLMODE": "sometimes"}, nil, "", "database.sslmode"},
		{"unknown log level", map[string]string{"LOG_LEVEL": "verbose"}, nil, "", "log.level"},
		{"empty log level", nil, nil, "log: {level: \"\"}\n", "log.level"},
		{"unknown file key", nil, nil, "storage: {data_dri: /x}\n", "data_dri"},
		{"missing file", nil, []string{"-config", "/nonexistent/x.yaml"}, "", "config file"},
		{"stray argument", nil, []string{"extra"}, "", "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := tt.args
			if tt.file != "" {
				args = append(args, "-config", writeFile(t, tt.file))
			}
			_, err := Load(args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v; want one naming %q", err, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	clearEnv(t)
	var out strings.Builder
	_, err := Load([]string{"-h"}, &out)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "-grpc-port") {
		t.Fatalf("Load(-h) = %v, output %q", err, out.String())
	}
}
