package db

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestConfigSecrets(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"none", Config{Host: "db", User: "u"}, nil},
		{"password", Config{Password: "p"}, []string{"database.password"}},
		{"url with password", Config{URL: "postgres://u:p@h/d"}, []string{"database.url"}},
		{"url without password", Config{URL: "postgresql://u@h/d?sslmode=require"}, nil},
		{"url with password parameter", Config{URL: "postgres://u@h/d?password=p"}, []string{"database.url"}},
		{"key/value with password", Config{URL: "host=h user=u password=p"}, []string{"database.url"}},
		{"key/value without password", Config{URL: "host=h user=u"}, nil},
		{"both", Config{Password: "p", URL: "postgres://u:p@h/d"}, []string{"database.password", "database.url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.Secrets(); !slices.Equal(got, tt.want) {
				t.Errorf("Secrets() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestRedactDSN(t *testing.T) {
	cause := errors.New("boom")
	tests := []struct{ dsn, secret string }{
		{"postgres://u:s3cr3t-pass@h:5432/d", "s3cr3t-pass"},
		{"postgres://u:se cret@h:99999999/d%zz", "se cret"},    // not a URL url.Parse accepts
		{"postgres://u:p%40ss-word@h/d", "p@ss-word"},          // decoded form
		{"postgres://u@h/d?password=qwerty-123", "qwerty-123"}, // as a parameter
		{"host=h password='x y z' user=u", "x y z"},
		{"host=h password=hunter22 user=u", "hunter22"},
	}
	for _, tt := range tests {
		err := redactDSN(errors.Join(errors.New("cannot use "+tt.dsn+" ("+tt.secret+")"), cause), tt.dsn)
		if strings.Contains(err.Error(), tt.secret) {
			t.Errorf("redactDSN(%q) = %q; still holds the password", tt.dsn, err)
		}
		if !errors.Is(err, cause) {
			t.Errorf("redactDSN(%q) lost the error chain", tt.dsn)
		}
	}
	if err := redactDSN(cause, "postgres://u:pw@h/d"); err != cause {
		t.Errorf("an error without the password came back changed: %v", err)
	}
}

func TestMigrateErrorHidesPassword(t *testing.T) {
	err := Migrate("postgres://sixfold:top secret@127.0.0.1:1/x")
	if err == nil {
		t.Fatal("Migrate with an unparseable URL succeeded")
	}
	if strings.Contains(err.Error(), "top secret") {
		t.Errorf("Migrate error %q holds the password", err)
	}
}
