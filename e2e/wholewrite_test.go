package e2e_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWholeWriteNodeFailsShard: a small blob's shards go to their nodes
// whole, in WriteChunks calls, and a node that is up
// and healthy but cannot write a chunk file (its tmp/ replaced by a plain
// file, as a broken disk would fail it) costs the upload only that shard:
// the other seven make the write quorum, the failed one is recorded
// missing, and the object reads back whole.
func TestWholeWriteNodeFailsShard(t *testing.T) {
	// Eight nodes, one shard each: every upload places a shard on the
	// failing node, and losing it leaves exactly the 6+1 write quorum.
	opts := parityOptions(8, time.Hour)
	opts.NodeMetrics = true
	cl := startCluster(t, opts)
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	const victim = 3
	tmp := filepath.Join(cl.NodeDataDir(victim), "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := scrapeMetrics(t, cl.GatewayURL())
	victimURL := strings.TrimSuffix(cl.NodeMetricsURL(victim), "/metrics")
	victimBefore := scrapeMetrics(t, victimURL)

	sizes := []int64{1, 4096, 100000}
	files := map[string]faultFile{}
	for i, size := range sizes {
		seed := uint64(700 + i)
		r := faultUpload(c, 2*time.Minute, "raw", "w.bin", randomData(seed, size), size)
		if r.status != http.StatusCreated || r.up.Checksum != sha256Of(seed, size) {
			t.Fatalf("upload of %d bytes with a failing node = %d %q; want 201", size, r.status, faultShort(r.body))
		}
		t.Logf("upload of %d bytes with %s failing: %s", size, cl.NodeName(victim), r.dur.Round(time.Millisecond))
		files[r.up.FileID] = faultFile{sha: sha256Of(seed, size), size: size}
	}
	after := scrapeMetrics(t, cl.GatewayURL())
	shards := float64(len(sizes) * (dataShards + parityShards))
	if n := after.sum("sixfold_gateway_node_batched_shards_total", "method=WriteChunks") -
		before.sum("sixfold_gateway_node_batched_shards_total", "method=WriteChunks"); n < shards {
		t.Errorf("%v shards in WriteChunks calls; want at least %v (every shard)", n, shards)
	}
	// Each write fails on its own within its call: the node counts its
	// disk's failures.
	if n := scrapeMetrics(t, victimURL).sum("sixfold_storagenode_io_errors_total", "op=put") -
		victimBefore.sum("sixfold_storagenode_io_errors_total", "op=put"); n < float64(len(sizes)) {
		t.Errorf("the failing node counted %v failed puts; want at least %d (its shard of each upload)", n, len(sizes))
	}
	// The healer, kicked by each missing shard, may try the node again
	// (through a stream), so only the end state is checked: nothing stored
	// there, every object whole.
	if n := storedOn(t, p, victim); n != 0 {
		t.Errorf("%d shards recorded stored on the node that cannot write", n)
	}
	for id, f := range files {
		r := faultDo(c, time.Minute, http.MethodGet, "/files/"+id, nil, 0)
		if r.status != http.StatusOK || r.sha != f.sha {
			t.Errorf("GET %s (%d bytes) with a failing node = %d sha256 %s; want 200 %s", id, f.size, r.status, r.sha, f.sha)
		}
	}
}
