package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sixfold/e2e/harness"
)

// The parity suite (issue 8): with six data and two parity shards per
// blob, losing, freezing or corrupting a node costs clients nothing, and
// the healer makes every blob whole again.

// parityStall is the gateway's STALL_TIMEOUT in these tests: a frozen node
// costs a read at most about this long.
const parityStall = 2 * time.Second

// parityCluster starts nodes storage nodes with fast heartbeats and a
// healer that rebuilds a silent node's shards after healAfter.
func parityCluster(t *testing.T, nodes int, healAfter time.Duration) *harness.Cluster {
	return startCluster(t, parityOptions(nodes, healAfter))
}

// parityOptions are parityCluster's, for a test that adds to them.
func parityOptions(nodes int, healAfter time.Duration) harness.Options {
	return harness.Options{
		Nodes: nodes, HeartbeatInterval: time.Second, HeartbeatTimeout: 3 * time.Second, RingRefreshInterval: 2 * time.Second,
		SessionTimeout: 20 * time.Second, CleanupInterval: time.Second,
		GatewayEnv: []string{"HEAL_AFTER=" + healAfter.String(), "HEAL_INTERVAL=1s", "STALL_TIMEOUT=" + parityStall.String(),
			"HEAL_BYTES_PER_SECOND=1073741824"},
	}
}

// paritySizes straddle every layout edge: empty, tiny, a block, a stripe
// (6 MiB), and several stripes with a short last one.
var paritySizes = []int64{0, 1, 1000, 1<<20 - 1, 1 << 20, 1<<20 + 1, 6<<20 - 1, 6 << 20, 6<<20 + 1, 20<<20 + 3}

// serverID is node i's id in storage_servers.
func serverID(t *testing.T, p *faultProbe, i int) string {
	t.Helper()
	var id string
	if err := p.pool.QueryRow(context.Background(), `SELECT id::text FROM storage_servers WHERE address = $1`, p.cl.NodeAddr(i)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// wholeAgain reports whether every completed blob has all its shards
// stored, none of them on the servers listed.
func wholeAgain(t *testing.T, p *faultProbe, notOn ...string) bool {
	t.Helper()
	bad := count(t, p.pool, `SELECT count(*) FROM chunks c JOIN files f ON f.id = c.file_id
		WHERE f.status = 'completed' AND (c.status <> 'stored' OR c.storage_server_id::text = ANY($1))`, notOn)
	short := count(t, p.pool, `SELECT count(*) FROM files f WHERE f.status = 'completed'
		AND (SELECT count(*) FROM chunks c WHERE c.file_id = f.id) <> f.data_shards + f.parity_shards`)
	return bad == 0 && short == 0
}

// storedOn counts the stored shards PostgreSQL records on node i.
func storedOn(t *testing.T, p *faultProbe, i int) int {
	t.Helper()
	return count(t, p.pool, `SELECT count(*) FROM chunks c JOIN storage_servers s ON s.id = c.storage_server_id
		WHERE s.address = $1 AND c.status = 'stored'`, p.cl.NodeAddr(i))
}

func TestParityNodeKilled(t *testing.T) {
	cl := parityCluster(t, 6, 4*time.Second)
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	files := faultUploadSet(t, c, 100, paritySizes...)
	const victim = 2
	victimID := serverID(t, p, victim)
	if err := cl.KillNode(victim); err != nil {
		t.Fatal(err)
	}
	// Every object reads back whole at once, before any healing.
	start := time.Now()
	faultCheckSet(t, c, files)
	t.Logf("all %d objects read back with %s killed in %s", len(files), cl.NodeName(victim), time.Since(start).Round(time.Millisecond))
	// Uploads of 0 B to 100 MiB go on with five nodes.
	more := faultUploadSet(t, c, 200, 0, 1, 5<<20+7, 100<<20)
	faultCheckSet(t, c, more)
	for id, f := range more {
		files[id] = f
	}
	healStart := time.Now()
	eventually(t, 3*time.Minute, "every blob whole again, nothing on the killed node", func() bool { return wholeAgain(t, p, victimID) })
	t.Logf("healer made every blob whole %s after the node was lost", time.Since(healStart).Round(time.Millisecond))
	for id := range files {
		info := c.info(id)
		for _, ch := range info.Chunks {
			if ch.ServerID == victimID || ch.Status != "stored" {
				t.Errorf("after healing, %s shard %d is %s on %s", id, ch.Number, ch.Status, ch.ServerAddress)
			}
		}
	}
	// The node's return changes nothing readers see, and its stale shards go.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.StartNode(ctx, victim); err != nil {
		t.Fatal(err)
	}
	faultCheckSet(t, c, files)
	if !wholeAgain(t, p, victimID) {
		t.Error("the node's return put shards back on it or left blobs short")
	}
	p.settle(t, time.Minute)
}

func TestParityFrozenNode(t *testing.T) {
	cl := parityCluster(t, 6, time.Hour)
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	files := faultUploadSet(t, c, 300, 1, 1<<20+1, 6<<20+1, 20<<20+3)
	const victim = 4
	pid := cl.NodePID(victim)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	// A frozen node accepts connections but answers nothing: each read
	// waits at most one stall timeout for it, then reconstructs.
	const bound = 3*parityStall + 5*time.Second
	for id, f := range files {
		r := faultDo(c, time.Minute, http.MethodGet, "/files/"+id, nil, 0)
		if r.status != http.StatusOK || r.sha != f.sha || r.err != nil {
			t.Errorf("GET %s with a frozen node = %d sha256 %s err %v; want 200 %s", id, r.status, r.sha, r.err, f.sha)
		}
		if r.dur > bound {
			t.Errorf("GET %s with a frozen node took %s; want under %s", id, r.dur.Round(time.Millisecond), bound)
		}
		t.Logf("GET %d bytes with %s frozen: %s", f.size, cl.NodeName(victim), r.dur.Round(time.Millisecond))
	}
	for i, size := range []int64{1, 3<<20 + 1, 30 << 20} {
		seed := uint64(400 + i)
		r := faultUpload(c, 2*time.Minute, "raw", "f.bin", randomData(seed, size), size)
		if r.status != http.StatusCreated || r.up.Checksum != sha256Of(seed, size) {
			t.Errorf("upload of %d bytes with a frozen node = %d %q; want 201", size, r.status, faultShort(r.body))
			continue
		}
		t.Logf("upload of %d bytes with %s frozen: %s", size, cl.NodeName(victim), r.dur.Round(time.Millisecond))
		files[r.up.FileID] = faultFile{sha: sha256Of(seed, size), size: size}
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	faultCheckSet(t, c, files)
	eventually(t, 2*time.Minute, "shards missed while the node was frozen are rebuilt", func() bool { return wholeAgain(t, p) })
}

func TestParityNodeKilledMidUpload(t *testing.T) {
	cl := parityCluster(t, 6, time.Hour)
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	const size = 100 << 20
	const seed = 500
	done := make(chan faultResult, 1)
	// Paced at about 25 MiB/s, so that the kill lands mid-body.
	body := &pacedReader{r: randomData(seed, size), every: 1 << 20, pause: 40 * time.Millisecond}
	go func() { done <- faultUpload(c, 5*time.Minute, "raw", "m.bin", body, size) }()
	up := p.waitUploading(t, 30*time.Second, time.Second)
	time.Sleep(time.Second)
	// Six nodes hold eight shards: two nodes hold two. Losing one of those
	// leaves six shards, under the 6+1 write quorum (a retryable 503); a
	// node that holds one shard must cost the upload nothing.
	shardsOn := map[int][]int{}
	for number, id := range up.chunkIDs {
		n := p.nodeOfChunk(t, id)
		shardsOn[n] = append(shardsOn[n], number)
	}
	victim := -1
	for n, numbers := range shardsOn {
		if len(numbers) == 1 && numbers[0] < dataShards && (victim < 0 || n < victim) {
			victim = n
		}
	}
	if victim < 0 {
		t.Fatalf("no node holds exactly one data shard of the upload: %v", shardsOn)
	}
	if err := cl.KillNode(victim); err != nil {
		t.Fatal(err)
	}
	res := faultAwait(t, done, 3*time.Minute)
	t.Logf("killed %s (holding data shard %d) at %d MiB recorded; client got %d after %s", cl.NodeName(victim), shardsOn[victim][0], up.received>>20, res.status, res.dur.Round(time.Millisecond))
	if res.status != http.StatusCreated || res.up.Checksum != sha256Of(seed, size) {
		t.Fatalf("upload with a node killed mid-way = %d %q; want 201", res.status, faultShort(res.body))
	}
	r := faultDo(c, time.Minute, http.MethodGet, "/files/"+res.up.FileID, nil, 0)
	if r.status != http.StatusOK || r.sha != sha256Of(seed, size) {
		t.Errorf("the upload reads back %d sha256 %s; want 200 %s", r.status, r.sha, sha256Of(seed, size))
	}
	// The shard that missed its node is rebuilt on another one.
	eventually(t, 2*time.Minute, "the shard lost mid-upload is rebuilt", func() bool { return wholeAgain(t, p, serverID(t, p, victim)) })
}

func TestParityEightNodesTwoLost(t *testing.T) {
	cl := parityCluster(t, 8, time.Hour)
	c := newClient(t, cl)
	files := faultUploadSet(t, c, 600, paritySizes...)
	for _, victim := range []int{1, 6} {
		if err := cl.KillNode(victim); err != nil {
			t.Fatal(err)
		}
	}
	faultCheckSet(t, c, files)
}

func TestParityFlippedBytes(t *testing.T) {
	cl := startCluster(t, harness.Options{NodeEnv: []string{"SCRUB_INTERVAL=0s"},
		GatewayEnv: []string{"HEAL_INTERVAL=1s", "STALL_TIMEOUT=" + parityStall.String()}})
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	const size = 13<<20 + 77
	const seed = 700
	data := randomBytes(seed, size)
	r := faultUpload(c, time.Minute, "raw", "rot.bin", randomData(seed, size), size)
	if r.status != http.StatusCreated {
		t.Fatalf("upload = %d", r.status)
	}
	// Rot data shard 1 inside the block of stripe 1: blob bytes
	// [7 MiB, 8 MiB).
	ids := p.chunkIDs(t, r.up.FileID)
	node := p.nodeOfChunk(t, ids[1])
	path := filepath.Join(cl.NodeDataDir(node), "chunks", ids[1][:2], ids[1])
	faultFlipByte(t, path, (frameHeader+blockSize)+frameHeader+12345)
	whole := faultDo(c, time.Minute, http.MethodGet, "/files/"+r.up.FileID, nil, 0)
	if whole.status != http.StatusOK || whole.sha != sum(data) {
		t.Errorf("full GET over a rotten block = %d sha256 %s; want 200 %s", whole.status, whole.sha, sum(data))
	}
	const from, to = 7<<20 + 100, 7<<20 + 200000
	rg := faultDo(c, time.Minute, http.MethodGet, "/files/"+r.up.FileID, nil, 0, "Range", fmt.Sprintf("bytes=%d-%d", from, to))
	if rg.status != http.StatusPartialContent || rg.sha != sum(data[from:to+1]) {
		t.Errorf("range GET over the rotten block = %d sha256 %s; want 206 %s", rg.status, rg.sha, sum(data[from:to+1]))
	}
	eventually(t, time.Minute, "the rotten shard is rebuilt under a new id", func() bool {
		return count(t, p.pool, `SELECT count(*) FROM chunks WHERE id = $1`, ids[1]) == 0 && wholeAgain(t, p)
	})
	again := faultDo(c, time.Minute, http.MethodGet, "/files/"+r.up.FileID, nil, 0)
	if again.status != http.StatusOK || again.sha != sum(data) {
		t.Errorf("GET after healing = %d sha256 %s; want 200 %s", again.status, again.sha, sum(data))
	}
	if bad := grepLog(cl.GatewayLogPath(), "chunk failed verification"); bad == 0 {
		t.Error("the gateway never logged the failed verification it repaired")
	}
}

func grepLog(path, what string) int {
	raw, _ := os.ReadFile(path)
	return strings.Count(string(raw), what)
}

// setNodeStatus asks the admin API to put node i into status.
func setNodeStatus(t *testing.T, c *client, id, status string) {
	t.Helper()
	r := faultDo(c, 30*time.Second, http.MethodPut, "/admin/nodes/"+id+"/status", strings.NewReader(`{"status":"`+status+`"}`), -1,
		"Content-Type", "application/json")
	if r.status != http.StatusOK {
		t.Fatalf("PUT /admin/nodes/%s/status %s = %d %q", id, status, r.status, faultShort(r.body))
	}
}

func TestParityWipedNodeRefusesToStart(t *testing.T) {
	cl := parityCluster(t, 6, time.Hour)
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	files := faultUploadSet(t, c, 800, 1, 2<<20+3, 13<<20+5)
	// The node holding the most stored shards: on a loaded machine a slow
	// node may have had its shards of these few blobs recorded missing
	// (the write quorum held without it), and a node PostgreSQL expects
	// nothing of may rightly start empty.
	victim := -1
	for i := range cl.NumNodes() {
		if victim < 0 || storedOn(t, p, i) > storedOn(t, p, victim) {
			victim = i
		}
	}
	if storedOn(t, p, victim) == 0 {
		t.Fatal("no node holds a stored shard")
	}
	victimID := serverID(t, p, victim)
	if err := cl.StopNode(victim); err != nil {
		t.Fatal(err)
	}
	// An unmounted volume: the directory is there, and empty.
	dir := cl.NodeDataDir(victim)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.StartNode(ctx, victim); err == nil {
		t.Fatal("a node whose data directory was wiped started; want it to refuse")
	}
	if log := tail(cl.NodeLogPath(victim), 20); !strings.Contains(log, "drain") {
		t.Errorf("the refusing node's log does not say what to do (drain or replace):\n%s", log)
	}
	faultCheckSet(t, c, files)
	// The operator drains it: its shards are rebuilt elsewhere and it ends
	// removed; everything is readable and fully redundant again.
	setNodeStatus(t, c, victimID, "draining")
	eventually(t, 2*time.Minute, "the wiped node is drained and removed", func() bool {
		return count(t, p.pool, `SELECT count(*) FROM storage_servers WHERE id = $1 AND status = 'removed'`, victimID) == 1
	})
	if !wholeAgain(t, p, victimID) {
		t.Error("blobs not whole after the drain")
	}
	faultCheckSet(t, c, files)
}

func TestParityDrainUnderTraffic(t *testing.T) {
	cl := parityCluster(t, 7, time.Hour)
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	files := faultUploadSet(t, c, 900, 1, 1<<20+1, 7<<20+3, 25<<20)
	const victim = 0
	victimID := serverID(t, p, victim)

	ctx, cancel := context.WithCancel(context.Background())
	var failedReads, failedWrites, reads, writes atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() { // a reader
		for ctx.Err() == nil {
			mu.Lock()
			var id string
			var f faultFile
			for id, f = range files {
				break
			}
			mu.Unlock()
			r := faultDo(c, time.Minute, http.MethodGet, "/files/"+id, nil, 0)
			reads.Add(1)
			if r.status != http.StatusOK || r.sha != f.sha {
				failedReads.Add(1)
				t.Logf("read during drain: %d %q", r.status, faultShort(r.body))
			}
		}
	})
	wg.Go(func() { // a writer
		for i := uint64(0); ctx.Err() == nil; i++ {
			size := int64(1+i%3) << 20
			r := faultUpload(c, time.Minute, "raw", "d.bin", randomData(1000+i, size), size)
			writes.Add(1)
			if r.status != http.StatusCreated {
				failedWrites.Add(1)
				t.Logf("write during drain: %d %q", r.status, faultShort(r.body))
				continue
			}
			mu.Lock()
			files[r.up.FileID] = faultFile{sha: sha256Of(1000+i, size), size: size}
			mu.Unlock()
		}
	})
	time.Sleep(2 * time.Second)
	setNodeStatus(t, c, victimID, "draining")
	eventually(t, 3*time.Minute, "the node is drained and removed", func() bool {
		return count(t, p.pool, `SELECT count(*) FROM storage_servers WHERE id = $1 AND status = 'removed'`, victimID) == 1
	})
	cancel()
	wg.Wait()
	t.Logf("during the drain: %d reads (%d failed), %d writes (%d failed)", reads.Load(), failedReads.Load(), writes.Load(), failedWrites.Load())
	if failedReads.Load() != 0 || failedWrites.Load() != 0 {
		t.Errorf("%d reads and %d writes failed during the drain; want 0", failedReads.Load(), failedWrites.Load())
	}
	if reads.Load() == 0 || writes.Load() == 0 {
		t.Errorf("no traffic during the drain (%d reads, %d writes)", reads.Load(), writes.Load())
	}
	if n := count(t, p.pool, `SELECT count(*) FROM chunks WHERE storage_server_id = $1`, victimID); n != 0 {
		t.Errorf("the drained node still holds %d shards", n)
	}
	faultCheckSet(t, c, files)
}

// pacedReader pauses after every every bytes, to make a body last.
type pacedReader struct {
	r     io.Reader
	every int64
	pause time.Duration
	since int64
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if p.since >= p.every {
		time.Sleep(p.pause)
		p.since = 0
	}
	n, err := p.r.Read(b[:min(int64(len(b)), p.every-p.since)])
	p.since += int64(n)
	return n, err
}
