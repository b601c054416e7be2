package db

import (
	"reflect"
	"strings"
	"testing"
)

func TestFoldSeedNames(t *testing.T) {
	tests := []struct {
		name      string
		in, want  Config
		wantWarns []string // substrings, one per warning
	}{
		{"seed names alone", Config{Database: "s3storage", MaxConnections: 50},
			Config{Name: "s3storage", Database: "s3storage", MaxConns: 50, MaxConnections: 50}, nil},
		{"today's names alone", Config{Name: "sixfold", MaxConns: 7}, Config{Name: "sixfold", MaxConns: 7}, nil},
		{"both, agreeing", Config{Name: "a", Database: "a", MaxConns: 9, MaxConnections: 9},
			Config{Name: "a", Database: "a", MaxConns: 9, MaxConnections: 9}, nil},
		{"both, disagreeing: today's wins", Config{Name: "a", Database: "b", MaxConns: 9, MaxConnections: 50},
			Config{Name: "a", Database: "b", MaxConns: 9, MaxConnections: 50},
			[]string{`database.database "b" is not used: database.name "a"`, "database.max_connections 50 is not used: database.max_conns 9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in
			warns := got.FoldSeedNames()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FoldSeedNames: %+v; want %+v", got, tt.want)
			}
			if len(warns) != len(tt.wantWarns) {
				t.Fatalf("warnings %q; want %d", warns, len(tt.wantWarns))
			}
			for i, w := range tt.wantWarns {
				if !strings.Contains(warns[i], w) {
					t.Errorf("warning %q; want it to contain %q", warns[i], w)
				}
			}
		})
	}
}

func TestValidatePool(t *testing.T) {
	for key, cfg := range map[string]Config{
		"database.max_conns":            {MaxConns: -1},
		"database.max_idle_connections": {MaxConns: 5, MaxIdleConnections: 6},
	} {
		err := cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), key) {
			t.Errorf("Validate(%+v) = %v; want an error naming %s", cfg, err, key)
		}
	}
	if err := (&Config{MaxConns: 50, MaxIdleConnections: 10}).Validate(); err != nil {
		t.Errorf("Validate(50 max, 10 idle) = %v", err)
	}
}
