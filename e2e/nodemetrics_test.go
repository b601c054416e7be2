package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"sixfold/e2e/harness"
)

// TestNodeMetricsMatchDatabase scrapes every node's /metrics after some
// uploads and a delete: each node's chunk gauge equals the chunk rows
// PostgreSQL records on it.
func TestNodeMetricsMatchDatabase(t *testing.T) {
	cl := startCluster(t, harness.Options{NodeMetrics: true})
	c := newClient(t, cl)
	pool := poolFor(t, cl.DatabaseURL())
	var ids []string
	for i := range 5 {
		resp, up := c.rawUpload("m.bin", randomData(uint64(700+i), 1<<20+int64(i)), 1<<20+int64(i))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload = %d", resp.StatusCode)
		}
		ids = append(ids, up.FileID)
	}
	if got := c.delete(ids[0]); got != http.StatusNoContent {
		t.Fatalf("DELETE = %d", got)
	}
	eventually(t, 15*time.Second, "deleted chunks gone from the nodes", func() bool {
		return count(t, pool, `SELECT count(*) FROM chunk_deletions`) == 0
	})
	for i := range cl.NumNodes() {
		var serverID string
		if err := pool.QueryRow(context.Background(), `SELECT id::text FROM storage_servers WHERE address = $1`, cl.NodeAddr(i)).Scan(&serverID); err != nil {
			t.Fatal(err)
		}
		want := count(t, pool, `SELECT count(*) FROM chunks WHERE storage_server_id = $1`, serverID)
		got := scrapeMetrics(t, strings.TrimSuffix(cl.NodeMetricsURL(i), "/metrics"))
		if n := int(got.sum("sixfold_storagenode_chunks")); n != want {
			t.Errorf("%s: sixfold_storagenode_chunks = %d; PostgreSQL records %d chunks on it", cl.NodeName(i), n, want)
		}
		if got.sum("sixfold_storagenode_available_bytes") <= 0 {
			t.Errorf("%s: sixfold_storagenode_available_bytes is not positive", cl.NodeName(i))
		}
	}
}
