package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestExampleFileLoadsToDefaults(t *testing.T) {
	t.Setenv("SIXFOLD_ROOT_USER", "root")
	t.Setenv("SIXFOLD_ROOT_PASSWORD", "root-secret")
	fromFile, err := Load([]string{"-config", "../config.example.yaml"})
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	defaults, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if fromFile.Upload != defaults.Upload || !reflect.DeepEqual(fromFile.Server, defaults.Server) || fromFile.S3 != defaults.S3 ||
		fromFile.Storage != defaults.Storage || fromFile.ConsistentHashing != defaults.ConsistentHashing ||
		fromFile.RateLimit != defaults.RateLimit {
		t.Errorf("example file = %+v; want the defaults %+v", fromFile, defaults)
	}
	if len(fromFile.Warnings) != 0 {
		t.Errorf("the example file draws warnings: %q", fromFile.Warnings)
	}
}

func TestBadValuesNameTheirKey(t *testing.T) {
	tests := []struct {
		name, yaml, env, wantKey string
	}{
		{"unknown key", "upload:\n  sesion_timeout: 1h\n", "", "sesion_timeout"},
		{"negative duration", "upload:\n  session_timeout: -1s\n", "", "upload.session_timeout"},
		{"size over 10 GiB", "upload:\n  max_file_size: 10737418241\n", "", "upload.max_file_size"},
		{"bad address", "server:\n  addr: nocolon\n", "", "server.addr"},
		{"half a TLS pair", "server:\n  tls_cert_file: /x.pem\n", "", "server.tls_cert_file"},
		{"bad sslmode", "database:\n  sslmode: sometimes\n", "", "database.sslmode"},
		{"bad env duration", "", "CLEANUP_INTERVAL=soon", "CLEANUP_INTERVAL"},
		{"bad key list", "", "SIXFOLD_KEYS=nocolon", "SIXFOLD_KEYS"},
		{"bad log level", "log:\n  level: loud\n", "", "log.level"},
		{"short key secret", "", "SIXFOLD_KEYS=app:short", "auth.keys[0] (app)"},
		{"empty access key", "auth:\n  keys: [{access_key: '', secret_key: long-enough-secret}]\n", "", "auth.keys[0]"},
		{"unknown policy", "auth:\n  keys: [{access_key: app, secret_key: long-enough-secret, policy: god}]\n", "", "auth.keys[0] (app)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SIXFOLD_ROOT_USER", "root")
			t.Setenv("SIXFOLD_ROOT_PASSWORD", "root-secret")
			if k, v, ok := strings.Cut(tt.env, "="); ok {
				t.Setenv(k, v)
			}
			path := filepath.Join(t.TempDir(), "gateway.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load([]string{"-config", path})
			if err == nil || !strings.Contains(err.Error(), tt.wantKey) {
				t.Errorf("Load = %v; want an error naming %s", err, tt.wantKey)
			}
		})
	}
}

func TestRootCredentialsRequired(t *testing.T) {
	t.Setenv("SIXFOLD_ROOT_USER", "")
	t.Setenv("SIXFOLD_ROOT_PASSWORD", "")
	if _, err := Load(nil); err == nil || !strings.Contains(err.Error(), "root_user") {
		t.Errorf("Load without root credentials = %v; want an error naming auth.root_user", err)
	}
}

func TestParseKeyListPolicy(t *testing.T) {
	keys, err := parseKeyList("ro:ro-secret:readonly, plain:plain-secret, colon:a:b:c, rw:x:y:readwrite")
	if err != nil {
		t.Fatal(err)
	}
	want := []KeyPair{
		{AccessKey: "ro", SecretKey: "ro-secret", Policy: "readonly"},
		{AccessKey: "plain", SecretKey: "plain-secret"},
		{AccessKey: "colon", SecretKey: "a:b:c"},
		{AccessKey: "rw", SecretKey: "x:y", Policy: "readwrite"},
	}
	if len(keys) != len(want) {
		t.Fatalf("got %+v", keys)
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, keys[i], want[i])
		}
	}
}
