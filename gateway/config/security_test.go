package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// loadWith runs Load with the root pair set, the given KEY=VALUE
// variables, and yaml (when not empty) as the config file, mode 0600.
func loadWith(t *testing.T, yaml string, env ...string) (*Config, error) {
	t.Helper()
	t.Setenv("SIXFOLD_ROOT_USER", "root")
	t.Setenv("SIXFOLD_ROOT_PASSWORD", "root-secret")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	var args []string
	if yaml != "" {
		path := filepath.Join(t.TempDir(), "gateway.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		args = []string{"-config", path}
	}
	return Load(args)
}

func TestSecuritySettingsNameTheirKey(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        []string
		wantKey    string
	}{
		{"storage TLS without CA", "storage:\n  tls: {cert_file: /c.pem, key_file: /k.pem}\n", nil, "storage.tls.ca_file"},
		{"storage TLS only CA by env", "", []string{"STORAGE_TLS_CA=/ca.pem"}, "storage.tls.cert_file"},
		{"bad CIDR", "server:\n  allowed_cidrs: [10.0.0.0/8, 10.0.0.0/33]\n", nil, "server.allowed_cidrs"},
		{"bad CIDR by env", "", []string{"SIXFOLD_ALLOWED_CIDRS=10.0.0.0/8,nowhere"}, "server.allowed_cidrs"},
		{"negative rate", "rate_limit: {requests_per_second: -1}\n", nil, "rate_limit.requests_per_second"},
		{"infinite rate", "", []string{"RATE_LIMIT_RPS=+Inf"}, "rate_limit.requests_per_second"},
		{"rate not a number", "", []string{"RATE_LIMIT_RPS=fast"}, "RATE_LIMIT_RPS"},
		{"negative burst", "rate_limit: {requests_per_second: 5, burst: -2}\n", nil, "rate_limit.burst"},
		{"burst not a number", "", []string{"RATE_LIMIT_BURST=1.5"}, "RATE_LIMIT_BURST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadWith(t, tt.yaml, tt.env...)
			if err == nil || !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("Load = %v; want an error naming %s", err, tt.wantKey)
			}
		})
	}
}

func TestSecuritySettingsLoad(t *testing.T) {
	cfg, err := loadWith(t, `
server:
  allowed_cidrs: [10.0.0.0/8]
storage:
  tls: {cert_file: /c.pem, key_file: /k.pem, ca_file: /ca.pem}
rate_limit: {requests_per_second: 2.5}
`, "SIXFOLD_ALLOWED_CIDRS= 192.0.2.0/24 , 127.0.0.1 ,", "STORAGE_TLS_CA=/env-ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"192.0.2.0/24", "127.0.0.1"}; !slices.Equal(cfg.Server.AllowedCIDRs, want) {
		t.Errorf("allowed_cidrs = %q; want the env's %q", cfg.Server.AllowedCIDRs, want)
	}
	if want := (ClusterTLS{CertFile: "/c.pem", KeyFile: "/k.pem", CAFile: "/env-ca.pem"}); cfg.Storage.TLS != want || !cfg.Storage.TLS.Enabled() {
		t.Errorf("storage.tls = %+v; want %+v", cfg.Storage.TLS, want)
	}
	if cfg.RateLimit.RequestsPerSecond != 2.5 || cfg.RateLimit.Burst != 3 {
		t.Errorf("rate_limit = %+v; want 2.5/s with the default burst 3 (one second's worth)", cfg.RateLimit)
	}
}

// TestSecurityDefaultsAreOff: what could lock out a legitimate deployment
// is off by default; only the failed-authentication throttle is on.
func TestSecurityDefaultsAreOff(t *testing.T) {
	cfg, err := loadWith(t, "")
	if err != nil {
		t.Fatal(err)
	}
	throttle := RateLimit{AuthFailuresPerSecond: DefaultAuthFailuresPerSecond, AuthFailureBurst: DefaultAuthFailureBurst}
	if cfg.Server.AllowedCIDRs != nil || cfg.Storage.TLS.Enabled() || cfg.RateLimit != throttle {
		t.Errorf("defaults: allowed_cidrs %q, storage.tls %+v, rate_limit %+v; want all off",
			cfg.Server.AllowedCIDRs, cfg.Storage.TLS, cfg.RateLimit)
	}
}

func TestWorldReadableFileWithSecretsRefused(t *testing.T) {
	tests := []struct {
		name, yaml string
		mode       os.FileMode
		wantKeys   []string // nil: the file loads
	}{
		{"root password", "auth: {root_user: r, root_password: hunter22-secret}\n", 0o644, []string{"auth.root_password"}},
		{"keys", "auth:\n  keys: [{access_key: a, secret_key: hunter22-secret}]\n", 0o666, []string{"auth.keys"}},
		{"database password", "database: {password: hunter22-secret}\n", 0o604, []string{"database.password"}},
		{"database url with password", "database: {url: \"postgres://u:hunter22-secret@h/d\"}\n", 0o644, []string{"database.url"}},
		{"several", "auth: {root_password: hunter22-secret}\ndatabase: {password: hunter22-secret}\n", 0o644,
			[]string{"auth.root_password", "database.password"}},
		{"secrets, owner only", "auth: {root_password: hunter22-secret}\n", 0o600, nil},
		{"secrets, group may read", "auth: {root_password: hunter22-secret}\n", 0o640, nil},
		{"no secrets, world-readable", "database: {host: db, url: \"postgres://u@h/d\"}\n", 0o644, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SIXFOLD_ROOT_USER", "root")
			t.Setenv("SIXFOLD_ROOT_PASSWORD", "root-secret")
			path := filepath.Join(t.TempDir(), "gateway.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := Load([]string{"-config", path})
			if tt.wantKeys == nil {
				if err != nil {
					t.Fatalf("Load = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Load accepted a world-readable file holding secrets")
			}
			for _, want := range append([]string{path, "chmod 600"}, tt.wantKeys...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "hunter22") {
				t.Errorf("error %q quotes a secret", err)
			}
		})
	}
}

func TestFileErrorsHideValues(t *testing.T) {
	// A secret under the wrong key: the decoder's message would quote it.
	_, err := loadWith(t, "auth:\n  keys: \"reader:hunter22-secret\"\n")
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("Load = %v; want an error naming line 2 without the value", err)
	}
}

func TestAuthFailureThrottleOff(t *testing.T) {
	t.Setenv("AUTH_FAILURE_RPS", "0")
	cfg, err := loadWith(t, "")
	if err != nil || cfg.RateLimit.AuthFailuresPerSecond != 0 {
		t.Errorf("AUTH_FAILURE_RPS=0: %v, %+v; want the throttle off", err, cfg.RateLimit)
	}
	t.Setenv("AUTH_FAILURE_RPS", "-1")
	if _, err := loadWith(t, ""); err == nil || !strings.Contains(err.Error(), "auth_failures_per_second") {
		t.Errorf("AUTH_FAILURE_RPS=-1: %v; want refused", err)
	}
}
