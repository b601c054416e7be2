package db

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// A primary and its standby are named together, so a pool finds whichever
// is primary now: pgx tries the hosts in order and, with
// target_session_attrs=read-write, skips one that is in recovery. The
// config must reach pgx with both hosts and the check intact.
func TestMultiHostDSNReachesPgx(t *testing.T) {
	for _, dsn := range []string{
		"host=pg-a,pg-b port=5432,5433 user=sixfold dbname=sixfold target_session_attrs=read-write",
		"postgres://sixfold@pg-a:5432,pg-b:5433/sixfold?target_session_attrs=read-write",
	} {
		cfg := Config{URL: dsn, SSLMode: "disable"}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Validate(%q): %v", dsn, err)
		}
		pc, err := pgxpool.ParseConfig(cfg.DSN())
		if err != nil {
			t.Fatalf("ParseConfig(%q): %v", cfg.DSN(), err)
		}
		cc := pc.ConnConfig
		if cc.Host != "pg-a" || cc.Port != 5432 || len(cc.Fallbacks) != 1 || cc.Fallbacks[0].Host != "pg-b" || cc.Fallbacks[0].Port != 5433 {
			t.Fatalf("%q: hosts %s:%d + %d fallbacks; want pg-a:5432 then pg-b:5433", dsn, cc.Host, cc.Port, len(cc.Fallbacks))
		}
		if cc.ValidateConnect == nil {
			t.Fatalf("%q: target_session_attrs=read-write was dropped", dsn)
		}
	}
}

// A write on a connection whose server became a standby is a 503 to retry,
// not a 500.
func TestReadOnlyServerIsUnavailable(t *testing.T) {
	err := Translate(&pgconn.PgError{Code: "25006", Message: "cannot execute INSERT in a read-only transaction"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Translate(25006) = %v; want ErrUnavailable", err)
	}
}
