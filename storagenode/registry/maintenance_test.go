package registry

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// setStatus plays the operator (gateway/admin), who owns maintenance,
// draining and removed.
func setStatus(t *testing.T, pool *pgxpool.Pool, id uuid.UUID, status string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `UPDATE storage_servers SET status = $2 WHERE id = $1`, id, status); err != nil {
		t.Fatal(err)
	}
}

// operatorStatuses are the statuses only an operator sets or clears.
var operatorStatuses = []string{"maintenance", "draining", "removed"}

// TestOperatorStatusesOutliveTheNode checks that nothing the node does on
// its own — shutting down, heartbeating, registering again after a restart,
// with or without its data directory checked — undoes an operator's
// maintenance, draining or removed, whether the node was running or had
// been marked inactive when the operator chose it.
func TestOperatorStatusesOutliveTheNode(t *testing.T) {
	pool := testDB(t)
	ctx := context.Background()
	r, _ := newRegistry(t, pool, Options{})
	id, err := r.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"shutdown", func() error { return r.Deactivate(ctx) }},
		{"heartbeat", func() error { return r.Heartbeat(ctx) }},
		{"restart", func() error {
			r2, _ := newRegistry(t, pool, Options{})
			_, err := r2.Register(ctx)
			return err
		}},
		{"restart with data dir", func() error {
			r2, _ := newRegistry(t, pool, Options{DataDir: t.TempDir()})
			return r2.RegisterWithRetry(ctx)
		}},
	}
	for _, operator := range operatorStatuses {
		for _, before := range []string{"active", "inactive"} {
			for _, step := range steps {
				t.Run(operator+"/"+before+"/"+step.name, func(t *testing.T) {
					setStatus(t, pool, id, before)
					setStatus(t, pool, id, operator)
					if err := step.do(); err != nil {
						t.Fatal(err)
					}
					if got := readServer(t, pool, id).status; got != operator {
						t.Fatalf("status after %s = %q; want %s", step.name, got, operator)
					}
				})
			}
		}
	}
}
