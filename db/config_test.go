package db

import (
	"strings"
	"testing"
)

func TestConfigDSN(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"defaults", Config{}, "postgres://sixfold@127.0.0.1:5432/sixfold?sslmode=disable"},
		{"parts", Config{Host: "db", Port: 6543, User: "u", Password: "p@ss", Name: "n", SSLMode: "require"}, "postgres://u:p%40ss@db:6543/n?sslmode=require"},
		{"url wins", Config{URL: "postgres://x@h/d", Host: "ignored"}, "postgres://x@h/d"},
		{"sslmode added to a url", Config{URL: "postgres://x@h/d", SSLMode: "verify-full"}, "postgres://x@h/d?sslmode=verify-full"},
		{"sslmode added to a url with parameters", Config{URL: "postgres://x@h/d?connect_timeout=5", SSLMode: "require"}, "postgres://x@h/d?connect_timeout=5&sslmode=require"},
		{"the url's own sslmode wins", Config{URL: "postgres://x@h/d?sslmode=disable", SSLMode: "require"}, "postgres://x@h/d?sslmode=disable"},
		{"sslmode added to key/value", Config{URL: "host=h user=x", SSLMode: "require"}, "host=h user=x sslmode=require"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.DSN(); got != tt.want {
				t.Errorf("DSN() = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestConfigValidateNamesKey(t *testing.T) {
	for key, cfg := range map[string]Config{
		"database.sslmode": {SSLMode: "sometimes"},
		"database.url":     {URL: "postgres://x@h:notaport/d"},
		"database.port":    {Port: 70000},
	} {
		err := cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), key) {
			t.Errorf("Validate(%+v) = %v; want an error naming %s", cfg, err, key)
		}
	}
}

func TestPgx5URL(t *testing.T) {
	if got := pgx5URL("postgres://u@h:1/d?sslmode=disable"); got != "pgx5://u@h:1/d?sslmode=disable" {
		t.Errorf("pgx5URL = %q", got)
	}
	if got := pgx5URL("postgresql://u@h/d"); got != "pgx5://u@h/d" {
		t.Errorf("pgx5URL = %q", got)
	}
}
