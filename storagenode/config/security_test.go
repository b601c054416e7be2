package config

import (
	"io"
	"os"
	"strings"
	"testing"
)

func TestTLSAllThreeOrNone(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // "" = loads
	}{
		{"none", nil, ""},
		{"all three", map[string]string{"NODE_TLS_CERT": "/c.pem", "NODE_TLS_KEY": "/k.pem", "NODE_TLS_CA": "/ca.pem"}, ""},
		{"no CA", map[string]string{"NODE_TLS_CERT": "/c.pem", "NODE_TLS_KEY": "/k.pem"}, "tls.ca_file is not"},
		{"only the CA", map[string]string{"NODE_TLS_CA": "/ca.pem"}, "tls.cert_file, tls.key_file is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := Load(nil, io.Discard)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Load = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Load = %v; want an error containing %q", err, tt.wantErr)
			case tt.wantErr == "" && cfg.TLS.Enabled() != (len(tt.env) > 0):
				t.Fatalf("TLS.Enabled = %v with %v", cfg.TLS.Enabled(), tt.env)
			}
		})
	}
}

func TestTLSFromFile(t *testing.T) {
	clearEnv(t)
	path := writeFile(t, "tls: {cert_file: /c.pem, key_file: /k.pem, ca_file: /ca.pem}\n")
	cfg, err := Load([]string{"-config", path}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := (TLS{CertFile: "/c.pem", KeyFile: "/k.pem", CAFile: "/ca.pem"}); cfg.TLS != want {
		t.Errorf("TLS = %+v; want %+v", cfg.TLS, want)
	}
}

func TestWorldReadableFileWithSecretsRefused(t *testing.T) {
	tests := []struct {
		name, yaml string
		mode       os.FileMode
		wantErr    bool
	}{
		{"password, world-readable", "database: {password: hunter22}\n", 0o644, true},
		{"url with password, world-readable", "database: {url: \"postgres://u:hunter22@h/d\"}\n", 0o604, true},
		{"password, owner and group only", "database: {password: hunter22}\n", 0o640, false},
		{"no secret, world-readable", "database: {host: db}\n", 0o644, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			path := writeFile(t, tt.yaml)
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := Load([]string{"-config", path}, io.Discard)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Load = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Load accepted a world-readable file holding a password")
			}
			for _, want := range []string{path, "chmod 600", "database."} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "hunter22") {
				t.Errorf("error %q quotes the password", err)
			}
		})
	}
}

func TestFileErrorsHideValues(t *testing.T) {
	clearEnv(t)
	path := writeFile(t, "database:\n  port: hunter22-secret\n") // a password under the wrong key
	_, err := Load([]string{"-config", path}, io.Discard)
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("Load = %v; want an error naming line 2 without the value", err)
	}
}

func TestPlaintextOnlyOnLoopback(t *testing.T) {
	tlsOn := TLS{CertFile: "c", KeyFile: "k", CAFile: "ca"}
	for _, c := range []struct {
		host string
		tls  TLS
		ok   bool
	}{
		{"127.0.0.1", TLS{}, true},
		{"::1", TLS{}, true},
		{"localhost", TLS{}, true},
		{"0.0.0.0", TLS{}, false},
		{"10.0.0.5", TLS{}, false},
		{"storage-1", TLS{}, false},
		{"0.0.0.0", TLS{AllowInsecure: true}, true},
		{"0.0.0.0", tlsOn, true},
	} {
		err := c.tls.refusePlaintext(c.host)
		if (err == nil) != c.ok {
			t.Errorf("host %s, tls %+v: %v; want ok=%v", c.host, c.tls, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "allow_insecure") {
			t.Errorf("the refusal does not say how to proceed: %v", err)
		}
	}
}
