package config

import (
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"sixfold/storagenode/chunkstore"
)

// privateCopy copies a file to a temp file only its owner can read: a file
// holding database.password is refused otherwise, and git checks files out
// readable by all.
func privateCopy(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, string(raw))
}

// TestSeedConfigLoads loads the seed design's storage server config.yaml
// as written and checks every setting it names, under both names where it
// has two.
func TestSeedConfigLoads(t *testing.T) {
	clearEnv(t)
	cfg, err := Load([]string{"-config", privateCopy(t, "testdata/seed-config.yaml")}, io.Discard)
	if err != nil {
		t.Fatalf("the seed's config.yaml does not load: %v", err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"server.grpc_port", cfg.Server.GRPCPort, 9001},
		{"server.data_dir", cfg.Server.DataDir, "/data/chunks"},
		{"storage.data_dir", cfg.Storage.DataDir, "/data/chunks"},
		{"database.host", cfg.Database.Host, "postgres"},
		{"database.port", cfg.Database.Port, 5432},
		{"database.database", cfg.Database.Database, "s3storage"},
		{"database.name", cfg.Database.Name, "s3storage"},
		{"database.user", cfg.Database.User, "s3user"},
		{"database.password", cfg.Database.Password, "s3password"},
		{"database DSN", cfg.Database.DSN(), "postgres://s3user:s3password@postgres:5432/s3storage?sslmode=disable"},
		{"heartbeat.interval", cfg.Heartbeat.Interval, 10 * time.Second},
		{"heartbeat.timeout", cfg.Heartbeat.Timeout, 5 * time.Second},
		{"storage.max_chunk_size", cfg.Storage.MaxChunkSize, int64(2 << 30)},
		{"storage.cleanup_orphaned_interval", cfg.Storage.CleanupOrphanedInterval, time.Hour},
		{"sweep.interval", cfg.Sweep.Interval, time.Hour},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v; want %#v", c.key, c.got, c.want)
		}
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings %q; the seed's file has nothing to warn about", cfg.Warnings)
	}
}

// TestSeedNamesAndTodaysNames covers the rules between the two spellings of
// one setting and the value the node cannot honour.
func TestSeedNamesAndTodaysNames(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        map[string]string
		check      func(Config) bool
		warning    string // a substring of the only warning; "" wants none
	}{
		{"storage.data_dir wins over server.data_dir", "server: {data_dir: /seed}\nstorage: {data_dir: /today}\n", nil,
			func(c Config) bool { return c.Storage.DataDir == "/today" && c.Server.DataDir == "/today" },
			`server.data_dir "/seed" is not used: storage.data_dir "/today"`},
		{"DATA_DIR wins over server.data_dir", "server: {data_dir: /seed}\n", map[string]string{"DATA_DIR": "/env"},
			func(c Config) bool { return c.Storage.DataDir == "/env" && c.Server.DataDir == "/env" }, ""},
		{"sweep.interval wins over cleanup_orphaned_interval", "storage: {cleanup_orphaned_interval: 2h}\nsweep: {interval: 30m}\n", nil,
			func(c Config) bool { return c.Sweep.Interval == 30*time.Minute },
			"storage.cleanup_orphaned_interval 2h0m0s is not used: sweep.interval 30m0s"},
		{"cleanup_orphaned_interval 0 turns the sweep off", "storage: {cleanup_orphaned_interval: 0s}\n", nil,
			func(c Config) bool { return c.Sweep.Interval == 0 }, ""},
		{"a max_chunk_size the store cannot honour", "storage: {max_chunk_size: 1048576}\n", nil,
			func(c Config) bool { return c.Storage.MaxChunkSize == chunkstore.MaxChunkSize },
			"storage.max_chunk_size 1048576 is not used: the chunk store's limit is fixed at 2147483648 bytes"},
		{"heartbeat.timeout", "heartbeat: {interval: 10s, timeout: 2s}\n", nil,
			func(c Config) bool { return c.Heartbeat.Timeout == 2*time.Second }, ""},
		{"database.name wins over database.database", "database: {name: today, database: seed}\n", nil,
			func(c Config) bool { return c.Database.Name == "today" }, `database.database "seed" is not used`},
		{"SIXFOLD_CONFIG names the file", "", map[string]string{"SIXFOLD_CONFIG": "set below"},
			func(c Config) bool { return c.Storage.DataDir == "/from-env-file" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := []string{"-config", writeFile(t, tt.yaml)}
			if _, ok := tt.env["SIXFOLD_CONFIG"]; ok {
				t.Setenv("SIXFOLD_CONFIG", writeFile(t, "server: {data_dir: /from-env-file}\n"))
				args = nil
			}
			cfg, err := Load(args, io.Discard)
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

func TestHeartbeatTimeoutMustBePositive(t *testing.T) {
	clearEnv(t)
	_, err := Load([]string{"-config", writeFile(t, "heartbeat: {timeout: 0s}\n")}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "heartbeat.timeout") {
		t.Errorf("Load = %v; want an error naming heartbeat.timeout", err)
	}
}
