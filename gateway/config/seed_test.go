package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// clearEnv unsets every variable Load reads, restoring them after the test,
// so that the machine's environment cannot change what a file says.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range EnvVars {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("SIXFOLD_ROOT_USER", "root")
	t.Setenv("SIXFOLD_ROOT_PASSWORD", "root-secret")
}

// privateCopy copies a file to a temp file only its owner can read: a file
// holding database.password is refused otherwise, and git checks files out
// readable by all.
func privateCopy(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return writeConfig(t, string(raw))
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSeedConfigLoads loads the seed design's config.yaml as written and
// checks every setting it names, under both names where it has two.
func TestSeedConfigLoads(t *testing.T) {
	clearEnv(t)
	cfg, err := Load([]string{"-config", privateCopy(t, "testdata/seed-config.yaml")})
	if err != nil {
		t.Fatalf("the seed's config.yaml does not load: %v", err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"server.port", cfg.Server.Port, 8080},
		{"server.addr (from server.port: every interface)", cfg.Server.Addr, ":8080"},
		{"server.read_timeout", cfg.Server.ReadTimeout, 300 * time.Second},
		{"server.write_timeout", cfg.Server.WriteTimeout, 300 * time.Second},
		{"server.max_upload_size", cfg.Server.MaxUploadSize, int64(10 << 30)},
		{"upload.max_file_size", cfg.Upload.MaxFileSize, int64(10 << 30)},
		{"database.host", cfg.Database.Host, "postgres"},
		{"database.port", cfg.Database.Port, 5432},
		{"database.database", cfg.Database.Database, "s3storage"},
		{"database.name", cfg.Database.Name, "s3storage"},
		{"database.user", cfg.Database.User, "s3user"},
		{"database.password", cfg.Database.Password, "s3password"},
		{"database.max_connections", cfg.Database.MaxConnections, int32(50)},
		{"database.max_conns", cfg.Database.MaxConns, int32(50)},
		{"database.max_idle_connections", cfg.Database.MaxIdleConnections, int32(10)},
		{"database DSN", cfg.Database.DSN(), "postgres://s3user:s3password@postgres:5432/s3storage?sslmode=disable"},
		{"consistent_hashing.virtual_nodes_per_server", cfg.ConsistentHashing.VirtualNodesPerServer, 150},
		{"consistent_hashing.ring_refresh_interval", cfg.ConsistentHashing.RingRefreshInterval, 30 * time.Second},
		{"consistent_hashing.refresh_interval", cfg.ConsistentHashing.RefreshInterval, 30 * time.Second},
		{"upload.chunk_size", cfg.Upload.ChunkSize, int64(1789569706)},
		{"upload.session_timeout", cfg.Upload.SessionTimeout, time.Hour},
		{"upload.cleanup_interval", cfg.Upload.CleanupInterval, 5 * time.Minute},
		{"storage.grpc_timeout", cfg.Storage.GRPCTimeout, 60 * time.Second},
		{"storage.max_retries", cfg.Storage.MaxRetries, 3},
		{"storage.retry_delay", cfg.Storage.RetryDelay, time.Second},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v; want %#v", c.key, c.got, c.want)
		}
	}
	wantWarnings := []string{"consistent_hashing.virtual_nodes_per_server is not used", "upload.chunk_size is not used"}
	if len(cfg.Warnings) != len(wantWarnings) {
		t.Fatalf("warnings %q; want %d", cfg.Warnings, len(wantWarnings))
	}
	for i, w := range wantWarnings {
		if !strings.HasPrefix(cfg.Warnings[i], w) {
			t.Errorf("warning %q; want one starting %q", cfg.Warnings[i], w)
		}
	}
}

func TestDefaultsOfTheSeedsSettings(t *testing.T) {
	clearEnv(t)
	cfg, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"server.port", cfg.Server.Port, 8080},
		{"server.read_timeout", cfg.Server.ReadTimeout, 10 * time.Second},
		{"server.write_timeout", cfg.Server.WriteTimeout, 5 * time.Minute},
		{"database.max_conns", cfg.Database.MaxConns, int32(50)},
		{"database.max_idle_connections", cfg.Database.MaxIdleConnections, int32(0)},
		{"storage.grpc_timeout", cfg.Storage.GRPCTimeout, DefaultGRPCTimeout},
		{"storage.max_retries", cfg.Storage.MaxRetries, DefaultMaxRetries},
		{"storage.retry_delay", cfg.Storage.RetryDelay, DefaultRetryDelay},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v; want %#v", c.key, c.got, c.want)
		}
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings %q without a file; want none", cfg.Warnings)
	}
}

// TestSeedNamesAndTodaysNames covers the rules between the two spellings
// of one setting, and the keys that no longer mean anything.
func TestSeedNamesAndTodaysNames(t *testing.T) {
	tests := []struct {
		name, yaml, env string
		check           func(*Config) bool
		warning         string // a substring of the only warning; "" wants none
	}{
		{"server.addr wins over server.port", "server: {addr: 127.0.0.1:9090, port: 8080}\n", "",
			func(c *Config) bool { return c.Server.Addr == "127.0.0.1:9090" && c.Server.Port == 9090 },
			"server.port 8080 is not used: the listen address 127.0.0.1:9090"},
		{"SIXFOLD_ADDR wins over server.port", "server: {port: 8080}\n", "SIXFOLD_ADDR=127.0.0.1:7070",
			func(c *Config) bool { return c.Server.Addr == "127.0.0.1:7070" }, "server.port 8080 is not used"},
		{"server.port agreeing with SIXFOLD_ADDR", "server: {port: 8080}\n", "SIXFOLD_ADDR=0.0.0.0:8080",
			func(c *Config) bool { return c.Server.Addr == "0.0.0.0:8080" && c.Server.Port == 8080 }, ""},
		{"max_file_size wins over max_upload_size", "server: {max_upload_size: 1000}\nupload: {max_file_size: 2000}\n", "",
			func(c *Config) bool { return c.Upload.MaxFileSize == 2000 && c.Server.MaxUploadSize == 2000 },
			"server.max_upload_size 1000 is not used: upload.max_file_size 2000"},
		{"max_upload_size alone", "server: {max_upload_size: 1000}\n", "",
			func(c *Config) bool { return c.Upload.MaxFileSize == 1000 }, ""},
		{"RING_REFRESH_INTERVAL wins over ring_refresh_interval", "consistent_hashing: {ring_refresh_interval: 1m}\n", "RING_REFRESH_INTERVAL=5s",
			func(c *Config) bool {
				return c.ConsistentHashing.RefreshInterval == 5*time.Second && c.ConsistentHashing.RingRefreshInterval == 5*time.Second
			}, ""},
		{"today's virtual_nodes warns too", "consistent_hashing: {virtual_nodes: 150}\n", "",
			func(c *Config) bool { return c.ConsistentHashing.VirtualNodes == 150 },
			"consistent_hashing.virtual_nodes is not used by the gateway: each storage node registers its own ring points"},
		{"chunk_size", "upload: {chunk_size: 64}\n", "",
			func(c *Config) bool { return c.Upload.ChunkSize == 64 }, "upload.chunk_size is not used: objects are striped"},
		{"max_retries 0 means no retry", "storage: {max_retries: 0, retry_delay: 0s}\n", "",
			func(c *Config) bool { return c.Storage.MaxRetries == 0 && c.Storage.RetryDelay == 0 }, ""},
		{"max_idle_connections is the pool's MinConns", "database: {max_connections: 20, max_idle_connections: 5}\n", "",
			func(c *Config) bool { return c.Database.MaxConns == 20 && c.Database.MaxIdleConnections == 5 }, ""},
		{"a URL's pool_max_conns is not overridden by the default", "", "DATABASE_URL=postgres://u@h/d?pool_max_conns=7",
			func(c *Config) bool { return c.Database.MaxConns == 0 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			if k, v, ok := strings.Cut(tt.env, "="); ok {
				t.Setenv(k, v)
			}
			cfg, err := Load([]string{"-config", writeConfig(t, tt.yaml)})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(cfg) {
				t.Errorf("Load = %+v", cfg)
			}
			switch {
			case tt.warning == "" && len(cfg.Warnings) != 0:
				t.Errorf("warnings %q; want none", cfg.Warnings)
			case tt.warning != "" && (len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], tt.warning)):
				t.Errorf("warnings %q; want one containing %q", cfg.Warnings, tt.warning)
			}
		})
	}
}

func TestSeedNamesBadValuesNameTheirKey(t *testing.T) {
	tests := []struct{ name, yaml, wantKey string }{
		{"port out of range", "server: {port: 70000}\n", "server.port"},
		{"upload size over 10 GiB", "server: {max_upload_size: 10737418241}\n", "server.max_upload_size"},
		{"negative read timeout", "server: {read_timeout: -1s}\n", "server.read_timeout"},
		{"negative write timeout", "server: {write_timeout: -1s}\n", "server.write_timeout"},
		{"negative grpc timeout", "storage: {grpc_timeout: -1s}\n", "storage.grpc_timeout"},
		{"negative retries", "storage: {max_retries: -1}\n", "storage.max_retries"},
		{"negative retry delay", "storage: {retry_delay: -1s}\n", "storage.retry_delay"},
		{"more idle than max", "database: {max_connections: 5, max_idle_connections: 6}\n", "database.max_idle_connections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			_, err := Load([]string{"-config", writeConfig(t, tt.yaml)})
			if err == nil || !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("Load = %v; want an error naming %s", err, tt.wantKey)
			}
		})
	}
}
