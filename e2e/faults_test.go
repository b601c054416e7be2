package e2e_test

// Fault tests: processes are killed (kill -9), stopped and added while
// traffic flows, PostgreSQL goes away, bytes rot on disk. Every test runs
// its own cluster, compares data by SHA-256, and ends by checking that
// nothing is left behind: no file, chunk, upload-session or deletion row
// that should not be there, no chunk file without its row (or row without
// its file), no temp file on any node.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/e2e/harness"
)

// ---------------------------------------------------------------------------
// 1. kill -9 the gateway in the middle of a 500 MiB upload.

func TestFaultGatewayKilledMidUpload(t *testing.T) {
	cl := startCluster(t, harness.Options{SessionTimeout: 3 * time.Second, CleanupInterval: time.Second})
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	before := faultUploadSet(t, c, 10, 0, 1000, 5<<20+7)

	const size = 500 << 20
	done := make(chan faultResult, 1)
	// Paced at about 50 MiB/s, so that the kill lands mid-body: all shards
	// stream at once, so a fast upload would be over before the kill.
	body := &pacedReader{r: randomData(11, size), every: 1 << 20, pause: 20 * time.Millisecond}
	go func() {
		done <- faultUpload(c, 10*time.Minute, "raw", "big.bin", body, size)
	}()
	// Kill once the session records progress, so that every node is
	// writing a shard that must be cleaned up.
	up := p.waitUploading(t, 30*time.Second, 10*time.Second)
	if err := cl.KillGateway(); err != nil {
		t.Fatal(err)
	}
	res := faultAwait(t, done, 30*time.Second)
	if res.status == http.StatusCreated {
		t.Fatalf("upload acknowledged although the gateway was killed mid-body: %+v", res.up)
	}
	t.Logf("killed the gateway with %d MiB of %d MiB recorded (file %s); client got status %d err %v; %d of its chunk files on disk",
		up.received>>20, size>>20, up.fileID, res.status, res.err, p.onDisk(t, up.chunkIDs))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cl.RestartGateway(ctx); err != nil {
		t.Fatal(err)
	}
	gone := p.waitNoTrace(t, 30*time.Second, up.fileID, up.chunkIDs)
	t.Logf("abandoned upload cleaned up %s after the gateway came back (SESSION_TIMEOUT 3s, CLEANUP_INTERVAL 1s)", gone.Round(time.Millisecond))
	p.settle(t, 30*time.Second)
	faultCheckSet(t, c, before)
}

// ---------------------------------------------------------------------------
// 2. kill -9 a storage node in the middle of an upload.

func TestFaultNodeKilledMidUpload(t *testing.T) {
	// Without parity (PARITY_SHARDS=0) a node lost mid-upload fails it;
	// TestParityNodeKilledMidUpload shows the upload surviving with parity.
	cl := startCluster(t, harness.Options{
		HeartbeatInterval: time.Second, HeartbeatTimeout: 3 * time.Second, RingRefreshInterval: time.Second,
		SessionTimeout: 5 * time.Second, CleanupInterval: time.Second, GatewayEnv: []string{"PARITY_SHARDS=0"},
	})
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	cases := []struct {
		name string
		door string
		// victim is the shard whose node dies once the first stripe has
		// been sent; all shards stream at once, so the cases differ only
		// in which node and door.
		victim int
	}{
		{"raw/node of a chunk awaiting its fsync", "raw", 0},
		{"raw/node of the chunk being streamed", "raw", 1},
		{"form/node of a chunk not yet begun", "form", 5},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			faultNodeKilledMidUpload(t, cl, c, p, tc.door, tc.victim, uint64(20+i))
		})
	}
}

func faultNodeKilledMidUpload(t *testing.T, cl *harness.Cluster, c *client, p *faultProbe, door string, victimChunk int, seed uint64) {
	const size = 150 << 20
	done := make(chan faultResult, 1)
	go func() { done <- faultUpload(c, 5*time.Minute, door, "n.bin", randomData(seed, size), size) }()
	up := p.waitUploading(t, 30*time.Second, time.Second)
	victim := p.nodeOfChunk(t, up.chunkIDs[victimChunk])
	killed := time.Now()
	if err := cl.KillNode(victim); err != nil {
		t.Fatal(err)
	}
	res := faultAwait(t, done, time.Minute)
	t.Logf("killed %s (chunk %d) at %d MiB recorded; client got %d %q after %s", cl.NodeName(victim), victimChunk,
		up.received>>20, res.status, faultShort(res.body), time.Since(killed).Round(time.Millisecond))
	switch res.status {
	case http.StatusCreated:
		t.Logf("the node's chunk was already durable: upload completed as %s", res.up.FileID)
	case http.StatusServiceUnavailable:
		if problem := faultErrorProblem(res, http.StatusServiceUnavailable, "StorageUnavailable"); problem != "" {
			t.Errorf("upload with a node killed mid-way: %s", problem)
		}
	default:
		t.Errorf("upload with a node killed mid-way = %d %q (err %v); want 503 (or 201); gateway log:\n%s", res.status, faultShort(res.body), res.err,
			strings.Join(faultLogLines(cl, res.requestID), "\n"))
	}
	if res.status != http.StatusCreated {
		if listed := faultListed(t, c); listed[up.fileID] {
			t.Errorf("failed upload %s is listed by GET /files", up.fileID)
		}
		if r := faultDo(c, 10*time.Second, http.MethodGet, "/files/"+up.fileID, nil, 0); r.status != http.StatusNotFound {
			t.Errorf("GET of the failed upload = %d (%d bytes); want 404", r.status, r.n)
		}
	}

	dataDir := cl.NodeDataDir(victim)
	t.Logf("while down, %s has %d temp files", cl.NodeName(victim), len(faultDirEntries(filepath.Join(dataDir, "tmp"))))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.StartNode(ctx, victim); err != nil {
		t.Fatal(err)
	}
	if tmp := faultDirEntries(filepath.Join(dataDir, "tmp")); len(tmp) > 0 {
		t.Errorf("%s restarted with temp files left: %v", cl.NodeName(victim), tmp)
	}
	p.checkNodeChunks(t, victim, true)
	p.settle(t, 60*time.Second)
	p.checkNodeChunks(t, victim, false)
	if res.status == http.StatusCreated {
		r := faultDo(c, time.Minute, http.MethodGet, "/files/"+res.up.FileID, nil, 0)
		if want := sha256Of(seed, size); r.status != http.StatusOK || r.sha != want || r.n != size {
			t.Errorf("acknowledged upload reads back %d, %d bytes sha256 %s (err %v); want 200, %d bytes %s", r.status, r.n, r.sha, r.err, size, want)
		}
	}
}

// ---------------------------------------------------------------------------
// 3. kill -9 a storage node, then read.

func TestFaultNodeDownReads(t *testing.T) {
	// Seven nodes, so that every blob (six shards on six distinct nodes)
	// misses one and some objects have nothing on the killed node. Without
	// parity (PARITY_SHARDS=0) a lost shard is a fast 503;
	// TestParityNodeKilled shows reads going on with parity.
	cl := startCluster(t, harness.Options{Nodes: 7, GatewayEnv: []string{"PARITY_SHARDS=0"}})
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	files := faultUploadSet(t, c, 30, 1, 2, 5, 1000, 60000, 1<<20+1, 3<<20, 6000, 70000, 123456, 2<<20+5, 40000, 90000, 777777)
	victim, affected := p.pickVictim(t, files)
	if err := cl.KillNode(victim); err != nil {
		t.Fatal(err)
	}
	var slowest time.Duration
	for id, f := range files {
		r := faultDo(c, 15*time.Second, http.MethodGet, "/files/"+id, nil, 0)
		if affected[id] {
			slowest = max(slowest, r.dur)
			if r.dur > 2*time.Second {
				t.Errorf("GET %s (a chunk on the dead node) took %s; want an answer within 2s", id, r.dur.Round(time.Millisecond))
			}
			if problem := faultErrorProblem(r, http.StatusServiceUnavailable, "StorageUnavailable"); problem != "" {
				t.Errorf("GET %s (a chunk on the dead node): %s", id, problem)
			}
			continue
		}
		if r.status != http.StatusOK || r.sha != f.sha || r.err != nil {
			t.Errorf("GET %s (nothing on the dead node) = %d, sha256 %s, err %v; want 200 %s", id, r.status, r.sha, r.err, f.sha)
		}
	}
	t.Logf("%s killed: %d of %d objects need it; slowest 503 took %s", cl.NodeName(victim), len(affected), len(files), slowest.Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.StartNode(ctx, victim); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	for id, f := range files {
		var r faultResult
		ok := faultRetry(15*time.Second, func() bool {
			r = faultDo(c, 15*time.Second, http.MethodGet, "/files/"+id, nil, 0)
			return r.status == http.StatusOK && r.sha == f.sha && r.err == nil
		})
		if !ok {
			t.Errorf("after restart GET %s = %d sha256 %s err %v; want 200 %s", id, r.status, r.sha, r.err, f.sha)
		}
	}
	t.Logf("all objects readable again %s after the node restarted", time.Since(started).Round(time.Millisecond))
	p.settle(t, 30*time.Second)
}

// ---------------------------------------------------------------------------
// 4. A client that disconnects half-way through its body.

func TestFaultClientDisconnectMidBody(t *testing.T) {
	// The session timeout stays at its default (1h): cleanup must come from
	// the failed request itself, not from session expiry.
	cl := startCluster(t, harness.Options{})
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	for _, door := range []string{"raw", "form"} {
		t.Run(door, func(t *testing.T) {
			c.t = t
			const size, sent = 24 << 20, 12<<20 + 123
			conn := faultSendHead(t, c, door, size)
			if _, err := io.Copy(conn, randomData(40, sent)); err != nil {
				t.Fatalf("sending half the body: %v", err)
			}
			up := p.waitUploading(t, 30*time.Second, 5*time.Second)
			_ = conn.Close()
			hungUp := time.Now()
			gone := p.waitNoTrace(t, 5*time.Second, up.fileID, up.chunkIDs)
			p.settle(t, 5*time.Second)
			t.Logf("%s: client hung up after %d of %d bytes; upload %s gone %s later", door, sent, size, up.fileID,
				min(gone, time.Since(hungUp)).Round(time.Millisecond))
		})
	}
}

// faultSendHead opens a connection and writes an authenticated POST /files
// head announcing a body of size bytes (for a form: its file part), and for
// a form the part's own head. The caller writes the rest.
func faultSendHead(t *testing.T, c *client, door string, size int64) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	contentType, prefix, length := "application/octet-stream", "", size
	target := "/files?filename=half.bin"
	if door == "form" {
		const boundary = "faultboundary"
		contentType = "multipart/form-data; boundary=" + boundary
		prefix = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"half.bin\"\r\n" +
			"Content-Type: application/octet-stream\r\n\r\n"
		length = int64(len(prefix)) + size + int64(len("\r\n--"+boundary+"--\r\n"))
		target = "/files"
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		target, faultBasic(c), contentType, length, prefix)
	return conn
}

func faultBasic(c *client) string {
	req, _ := http.NewRequest(http.MethodGet, c.base, nil)
	req.SetBasicAuth(c.key, c.secret)
	return req.Header.Get("Authorization")
}

// ---------------------------------------------------------------------------
// 5. PostgreSQL stops for 10 s during traffic.

func TestFaultPostgresOutage(t *testing.T) {
	cl := startCluster(t, harness.Options{
		PrivatePostgres: true, HeartbeatInterval: time.Second,
		SessionTimeout: 5 * time.Second, CleanupInterval: time.Second,
	})
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	files := faultUploadSet(t, c, 50, 1000, 256<<10, 1<<20+3)
	ids := slices.Sorted(maps.Keys(files))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &faultLog{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { faultTraffic(ctx, c, w, files, ids, log) })
	}
	time.Sleep(2 * time.Second)
	const outage = 10 * time.Second
	stopped := time.Now()
	restartedCh, err := cl.Postgres().StopFor(context.Background(), outage)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(outage / 2)
	health := faultDo(c, 15*time.Second, http.MethodGet, "/health", nil, 0)
	if err := <-restartedCh; err != nil {
		t.Fatalf("restarting PostgreSQL: %v", err)
	}
	restarted := time.Now()
	time.Sleep(10 * time.Second)
	cancel()
	wg.Wait()

	if health.status != http.StatusServiceUnavailable || health.dur > 5*time.Second {
		t.Errorf("GET /health during the outage = %d after %s; want 503 within 5s", health.status, health.dur.Round(time.Millisecond))
	}
	during, after := log.split(stopped.Add(500*time.Millisecond), stopped.Add(outage-500*time.Millisecond), restarted.Add(5*time.Second))
	if len(during) == 0 || len(after) == 0 {
		t.Fatalf("%d requests during the outage and %d after recovery; want some of each", len(during), len(after))
	}
	var slowest time.Duration
	for _, r := range during {
		slowest = max(slowest, r.dur)
		if r.dur > 5*time.Second {
			t.Errorf("%s during the outage took %s; want an answer within 5s", r.op, r.dur.Round(time.Millisecond))
		}
		if problem := faultErrorProblem(r.faultResult, http.StatusServiceUnavailable, "MetadataUnavailable"); problem != "" {
			t.Errorf("%s during the outage: %s", r.op, problem)
		}
	}
	for _, r := range after {
		if !r.ok {
			t.Errorf("%s %s after recovery = %d %q (err %v); want success", r.op, r.started.Sub(restarted).Round(time.Millisecond), r.status, faultShort(r.body), r.err)
		}
	}
	recovered := log.firstSuccessAfter(restarted)
	t.Logf("outage %s: %d requests failed over it (slowest %s), health %d in %s; first success %s after PostgreSQL was back; %d requests after recovery",
		outage, len(during), slowest.Round(time.Millisecond), health.status, health.dur.Round(time.Millisecond),
		recovered.Round(time.Millisecond), len(after))
	if bad := log.wrong(); len(bad) > 0 {
		t.Errorf("reads with a 200 but wrong bytes: %v", bad)
	}

	eventually(t, 15*time.Second, "every node heartbeats again after the outage", func() bool {
		return count(t, p.pool, `SELECT count(*) FROM storage_servers WHERE status = 'active' AND last_heartbeat > $1`, restarted) == cl.NumNodes()
	})
	faultCheckSet(t, c, files)
	p.settle(t, 30*time.Second)
}

// faultCall is one request of faultTraffic.
type faultCall struct {
	op      string
	started time.Time
	faultResult
	ok    bool // 201 for an upload; 200 with the right SHA-256 for a read
	wrong bool // 200 and a whole body, but the wrong bytes
}

type faultLog struct {
	mu    sync.Mutex // protects calls
	calls []faultCall
}

func (l *faultLog) add(call faultCall) {
	l.mu.Lock()
	l.calls = append(l.calls, call)
	l.mu.Unlock()
}

// split returns the calls begun within [from, to] and those begun after
// recovered.
func (l *faultLog) split(from, to, recovered time.Time) (during, after []faultCall) {
	for _, call := range l.calls {
		switch {
		case !call.started.Before(from) && !call.started.After(to):
			during = append(during, call)
		case call.started.After(recovered):
			after = append(after, call)
		}
	}
	return during, after
}

// spanning describes the calls that started before at and ended after it,
// with the gateway's log lines for each: what a window without new calls
// was waiting for.
func (l *faultLog) spanning(at time.Time, cl *harness.Cluster) []string {
	var lines []string
	for _, call := range l.calls {
		if call.started.Before(at) && call.started.Add(call.dur).After(at) {
			lines = append(lines, fmt.Sprintf("%s: started %s before, took %s, status %d, err %v",
				call.op, at.Sub(call.started).Round(time.Millisecond), call.dur.Round(time.Millisecond), call.status, call.err))
			lines = append(lines, failoverLogLines(cl, call.requestID)...)
		}
	}
	return lines
}

func (l *faultLog) firstSuccessAfter(at time.Time) time.Duration {
	first := time.Duration(-1)
	for _, call := range l.calls {
		if call.ok && call.started.After(at) && (first < 0 || call.started.Add(call.dur).Sub(at) < first) {
			first = call.started.Add(call.dur).Sub(at)
		}
	}
	return first
}

func (l *faultLog) wrong() []string {
	var bad []string
	for _, call := range l.calls {
		if call.wrong {
			bad = append(bad, call.op)
		}
	}
	return bad
}

// faultTraffic alternates small uploads and reads of known files until ctx
// ends, logging every call; each has a 20 s client timeout so a hang shows.
func faultTraffic(ctx context.Context, c *client, worker int, files map[string]faultFile, ids []string, log *faultLog) {
	for i := 0; ctx.Err() == nil; i++ {
		call := faultCall{started: time.Now()}
		if (worker+i)%2 == 0 {
			seed, size := uint64(10000+worker*1000+i), int64(64<<10+i*1000)
			call.op = fmt.Sprintf("upload %d bytes", size)
			call.faultResult = faultUpload(c, 20*time.Second, "raw", "t.bin", randomData(seed, size), size)
			call.ok = call.status == http.StatusCreated && call.up.Checksum == sha256Of(seed, size)
		} else {
			id := ids[(worker+i)%len(ids)]
			call.op = "GET /files/" + id
			call.faultResult = faultDo(c, 20*time.Second, http.MethodGet, "/files/"+id, nil, 0)
			call.ok = call.status == http.StatusOK && call.err == nil && call.sha == files[id].sha
			call.wrong = call.status == http.StatusOK && call.err == nil && call.n == files[id].size && call.sha != files[id].sha
		}
		log.add(call)
		time.Sleep(100 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// 6. A seventh node joins.

func TestFaultNodeJoinTakesChunks(t *testing.T) {
	const refresh = 15 * time.Second
	cl := startCluster(t, harness.Options{RingRefreshInterval: refresh})
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	added := time.Now()
	idx, err := cl.AddNode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	listening := time.Since(added)
	var newID string
	eventually(t, 10*time.Second, "the new node registers", func() bool {
		return p.pool.QueryRow(context.Background(), `SELECT id::text FROM storage_servers WHERE address = $1`, cl.NodeAddr(idx)).Scan(&newID) == nil
	})
	registered := time.Since(added)

	files := map[string]faultFile{}
	var first time.Duration
	for seed := uint64(600); first == 0 && time.Since(added) < refresh+5*time.Second; seed++ {
		r := faultUpload(c, 30*time.Second, "raw", "j.bin", randomData(seed, 6000), 6000)
		if r.status != http.StatusCreated {
			t.Fatalf("upload while a node joins = %d %q", r.status, faultShort(r.body))
		}
		files[r.up.FileID] = faultFile{sha: sha256Of(seed, 6000), size: 6000}
		for _, ch := range c.info(r.up.FileID).Chunks {
			if ch.ServerID == newID {
				first = time.Since(added)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if first == 0 {
		t.Fatalf("no chunk on %s within %s of its start (ring refresh interval %s)", cl.NodeName(idx), refresh+5*time.Second, refresh)
	}
	t.Logf("%s listening after %s, registered after %s, took its first chunk %s after it was started (ring refresh interval %s)",
		cl.NodeName(idx), listening.Round(time.Millisecond), registered.Round(time.Millisecond), first.Round(time.Millisecond), refresh)
	if first > refresh {
		t.Errorf("first chunk on the new node after %s; want within the ring refresh interval %s", first.Round(time.Millisecond), refresh)
	}
	if first > registered+3*time.Second {
		t.Errorf("first chunk on the new node %s after it registered; want within 3s (the gateway refreshes its ring on NOTIFY sixfold_ring)",
			(first - registered).Round(time.Millisecond))
	}
	faultCheckSet(t, c, files)
	p.settle(t, 30*time.Second)
}

// ---------------------------------------------------------------------------
// 7. One byte of a chunk file flips on disk.

func TestFaultCorruptChunkIsDetected(t *testing.T) {
	t.Run("a read flags it", func(t *testing.T) {
		// The node scrub is off, so only the gateway's read path can flag.
		// Without parity the rot cannot be repaired, only refused;
		// TestParityFlippedBytes shows it repaired.
		cl := startCluster(t, harness.Options{NodeEnv: []string{"SCRUB_INTERVAL=0s"}, GatewayEnv: []string{"PARITY_SHARDS=0"}})
		c := newClient(t, cl)
		p := newFaultProbe(t, cl)
		rot := faultRotChunk(t, cl, c, p, 70, 2)
		for attempt := 1; attempt <= 2; attempt++ {
			faultWantNoWholeBody(t, c, rot, fmt.Sprintf("GET #%d", attempt))
		}
		eventually(t, 5*time.Second, "the chunk is flagged corrupt in PostgreSQL after a read", func() bool {
			return count(t, p.pool, `SELECT count(*) FROM chunks WHERE id = $1 AND status = 'corrupt'`, rot.chunkID) == 1
		})
		// Bytes of the intact chunks are still served.
		first := c.info(rot.fileID).Chunks[0]
		rg := faultDo(c, time.Minute, http.MethodGet, "/files/"+rot.fileID, nil, 0, "Range", fmt.Sprintf("bytes=0-%d", first.Size-1))
		if want := sum(randomBytes(70, first.Size)); rg.status != http.StatusPartialContent || rg.sha != want {
			t.Errorf("GET of the intact chunk 0's range = %d sha256 %s; want 206 %s", rg.status, rg.sha, want)
		}
	})
	t.Run("the node scrub flags it", func(t *testing.T) {
		const every = 2 * time.Second
		cl := startCluster(t, harness.Options{NodeEnv: []string{"SCRUB_INTERVAL=" + every.String(), "SCRUB_BYTES_PER_SECOND=0"},
			GatewayEnv: []string{"PARITY_SHARDS=0"}})
		c := newClient(t, cl)
		p := newFaultProbe(t, cl)
		rot := faultRotChunk(t, cl, c, p, 71, 4)
		flipped := time.Now()
		// Nobody reads the file: only the scrub can find the rot.
		eventually(t, 10*every+10*time.Second, "the node scrub flags the chunk corrupt (SCRUB_INTERVAL "+every.String()+")", func() bool {
			return count(t, p.pool, `SELECT count(*) FROM chunks WHERE id = $1 AND status = 'corrupt'`, rot.chunkID) == 1
		})
		t.Logf("scrub flagged the rotten chunk %s after the flip", time.Since(flipped).Round(time.Millisecond))
		if n := count(t, p.pool, `SELECT count(*) FROM chunks WHERE status = 'corrupt'`); n != 1 {
			t.Errorf("%d chunks flagged corrupt; want only the rotten one", n)
		}
		faultWantNoWholeBody(t, c, rot, "GET after the scrub")
	})
}

// faultRot is an uploaded file with one flipped byte in one chunk file.
type faultRot struct {
	fileID, chunkID string
	size            int64
	sha             string // of the bytes uploaded
}

// faultRotChunk uploads a file and flips one byte in the middle of chunk
// number's file on its node.
func faultRotChunk(t *testing.T, cl *harness.Cluster, c *client, p *faultProbe, seed uint64, number int) faultRot {
	t.Helper()
	const size = 6<<20 + 12345
	r := faultUpload(c, time.Minute, "raw", "rot.bin", randomData(seed, size), size)
	if r.status != http.StatusCreated {
		t.Fatalf("upload = %d %q", r.status, faultShort(r.body))
	}
	rot := faultRot{fileID: r.up.FileID, chunkID: p.chunkIDs(t, r.up.FileID)[number], size: size, sha: sha256Of(seed, size)}
	node := p.nodeOfChunk(t, rot.chunkID)
	path := filepath.Join(cl.NodeDataDir(node), "chunks", rot.chunkID[:2], rot.chunkID)
	faultFlipByte(t, path, c.info(rot.fileID).Chunks[number].Size/2)
	return rot
}

// faultWantNoWholeBody reads a rotten file: the answer must be an error
// status or a body cut off before its Content-Length, never all of it.
func faultWantNoWholeBody(t *testing.T, c *client, rot faultRot, what string) {
	t.Helper()
	g := faultDo(c, time.Minute, http.MethodGet, "/files/"+rot.fileID, nil, 0)
	t.Logf("%s of a file with a flipped byte: status %d, %d of %d bytes (Content-Length %d), err %v", what, g.status, g.n, rot.size, g.contentLength, g.err)
	if g.status/100 == 2 && g.err == nil && (g.n == rot.size || g.n == g.contentLength) {
		t.Errorf("%s delivered a whole %d-byte body (sha256 %s; uploaded %s); want an error status or a cut-off body", what, g.n, g.sha, rot.sha)
	}
}

func faultFlipByte(t *testing.T, path string, at int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{0}
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

// ---------------------------------------------------------------------------
// 8. Delete while one of the file's nodes is down.

func TestFaultDeleteWhileNodeDown(t *testing.T) {
	cl := startCluster(t, harness.Options{})
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	const size = 3<<20 + 1
	r := faultUpload(c, time.Minute, "raw", "del.bin", randomData(80, size), size)
	if r.status != http.StatusCreated {
		t.Fatalf("upload = %d %q", r.status, faultShort(r.body))
	}
	id := r.up.FileID
	chunkIDs := p.chunkIDs(t, id)
	downChunk := chunkIDs[2]
	victim := p.nodeOfChunk(t, downChunk)
	if err := cl.StopNode(victim); err != nil {
		t.Fatal(err)
	}
	d := faultDo(c, 30*time.Second, http.MethodDelete, "/files/"+id, nil, 0)
	if d.status != http.StatusNoContent {
		t.Fatalf("DELETE with %s down = %d %q (err %v); want 204", cl.NodeName(victim), d.status, faultShort(d.body), d.err)
	}
	t.Logf("DELETE with %s down answered 204 in %s", cl.NodeName(victim), d.dur.Round(time.Millisecond))
	if n := count(t, p.pool, `SELECT count(*) FROM files WHERE id = $1`, id) + count(t, p.pool, `SELECT count(*) FROM chunks WHERE file_id = $1`, id); n != 0 {
		t.Errorf("%d file/chunk rows left after DELETE; want 0", n)
	}
	if g := faultDo(c, 10*time.Second, http.MethodGet, "/files/"+id, nil, 0); g.status != http.StatusNotFound {
		t.Errorf("GET after DELETE = %d; want 404", g.status)
	}
	// With six nodes and eight shards the stopped node may hold two.
	var downChunks, others []string
	for _, ch := range chunkIDs {
		if ch == downChunk || p.nodeOfChunkFile(ch) == victim {
			downChunks = append(downChunks, ch)
		} else {
			others = append(others, ch)
		}
	}
	eventually(t, 10*time.Second, "the chunk files on running nodes are deleted", func() bool { return p.onDisk(t, others) == 0 })
	if n := count(t, p.pool, `SELECT count(*) FROM chunk_deletions`); n != len(downChunks) {
		t.Errorf("%d chunk deletions queued while the node is down; want %d (its shards)", n, len(downChunks))
	}
	if got := p.onDisk(t, downChunks); got != len(downChunks) {
		t.Errorf("%d of the stopped node's %d shards are on its disk; want all", got, len(downChunks))
	}
	time.Sleep(3 * time.Second) // let a retry or two fail against the stopped node

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.StartNode(ctx, victim); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	eventually(t, 40*time.Second, "the returned node's chunk of the deleted file is removed (chunk_deletions drains)", func() bool {
		return p.onDisk(t, downChunks) == 0 && count(t, p.pool, `SELECT count(*) FROM chunk_deletions`) == 0
	})
	t.Logf("queued deletion done %s after %s returned", time.Since(back).Round(time.Millisecond), cl.NodeName(victim))
	p.settle(t, 10*time.Second)
}

// ---------------------------------------------------------------------------
// Helpers shared by the fault, hostile and soak tests.

// faultResult is what one request got; it never fails the test, so it can
// be used off the test goroutine.
type faultResult struct {
	status        int
	body          []byte // the body's first 64 KiB
	n             int64  // body bytes read
	sha           string // SHA-256 of the bytes read
	contentLength int64
	contentType   string
	requestID     string // the gateway's X-Request-Id, to find its log lines
	retryAfter    string // the Retry-After header
	err           error  // transport error, or the error that ended the body
	dur           time.Duration
	up            uploaded // the decoded 201 body of an upload
}

// faultDo sends an authenticated request with a client timeout and reads
// the whole answer. header is name, value pairs.
func faultDo(c *client, timeout time.Duration, method, path string, body io.Reader, size int64, header ...string) faultResult {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return faultResult{err: err}
	}
	if body != nil {
		req.ContentLength = size
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	req.SetBasicAuth(c.key, c.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return faultResult{err: err, dur: time.Since(start)}
	}
	defer resp.Body.Close()
	r := faultResult{status: resp.StatusCode, contentLength: resp.ContentLength, contentType: resp.Header.Get("Content-Type"),
		requestID: resp.Header.Get("X-Request-Id"), retryAfter: resp.Header.Get("Retry-After")}
	h := sha256.New()
	var kept bytes.Buffer
	r.n, r.err = io.Copy(io.MultiWriter(h, &faultCapped{buf: &kept, max: 64 << 10}), resp.Body)
	r.sha, r.dur = hex.EncodeToString(h.Sum(nil)), time.Since(start)
	r.body = kept.Bytes()
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(kept.Bytes(), &r.up); err != nil && r.err == nil {
			r.err = fmt.Errorf("upload answer %q: %w", faultShort(kept.Bytes()), err)
		}
	}
	return r
}

type faultCapped struct {
	buf *bytes.Buffer
	max int
}

func (w *faultCapped) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// faultUpload posts size bytes of data through door "raw" or "form" (with
// an exact Content-Length, as curl does).
func faultUpload(c *client, timeout time.Duration, door, filename string, data io.Reader, size int64) faultResult {
	if door == "raw" {
		return faultDo(c, timeout, http.MethodPost, "/files?filename="+filename, data, size, "Content-Type", "application/x-test")
	}
	const boundary = "sixfoldfaultboundary"
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"
	foot := "\r\n--" + boundary + "--\r\n"
	body := io.MultiReader(strings.NewReader(head), data, strings.NewReader(foot))
	return faultDo(c, timeout, http.MethodPost, "/files", body, int64(len(head))+size+int64(len(foot)),
		"Content-Type", "multipart/form-data; boundary="+boundary)
}

func faultAwait(t *testing.T, done <-chan faultResult, within time.Duration) faultResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(within):
		t.Fatalf("the client's request did not end within %s", within)
		return faultResult{}
	}
}

// faultErrorProblem says what is wrong with r as a JSON error answer of
// the /files door with this status and code; "" when nothing is. The body
// must arrive whole, as the Content-Length it declares.
func faultErrorProblem(r faultResult, status int, code string) string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	switch {
	case r.status != status:
		return fmt.Sprintf("status %d %q (err %v); want %d %s", r.status, faultShort(r.body), r.err, status, code)
	case r.err != nil:
		return fmt.Sprintf("status %d but the body broke off after %d bytes (Content-Length %d, body %q): %v", r.status, r.n, r.contentLength, faultShort(r.body), r.err)
	case json.Unmarshal(r.body, &e) != nil || e.Error.Code != code:
		return fmt.Sprintf("status %d body %q; want a JSON error with code %s", r.status, faultShort(r.body), code)
	case !strings.HasPrefix(r.contentType, "application/json"):
		return fmt.Sprintf("status %d with Content-Type %q; want application/json", r.status, r.contentType)
	}
	return ""
}

// faultLogLines are the gateway's log lines that mention any of the
// request ids.
func faultLogLines(cl *harness.Cluster, ids ...string) []string {
	raw, _ := os.ReadFile(cl.GatewayLogPath())
	var lines []string
	for _, line := range strings.Split(string(raw), "\n") {
		for _, id := range ids {
			if id != "" && strings.Contains(line, id) {
				lines = append(lines, line)
				break
			}
		}
	}
	return lines
}

func faultShort(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// faultFile is an object the test knows the bytes of.
type faultFile struct {
	sha  string
	size int64
}

// faultUploadSet uploads one raw file per size (seeds from seed on) and
// returns them by id.
func faultUploadSet(t *testing.T, c *client, seed uint64, sizes ...int64) map[string]faultFile {
	t.Helper()
	files := map[string]faultFile{}
	for i, size := range sizes {
		s := seed + uint64(i)
		r := faultUpload(c, 2*time.Minute, "raw", "pre.bin", randomData(s, size), size)
		want := sha256Of(s, size)
		if r.status != http.StatusCreated || r.up.Checksum != want {
			t.Fatalf("upload of %d bytes = %d %q (checksum %s); want 201 with %s", size, r.status, faultShort(r.body), r.up.Checksum, want)
		}
		files[r.up.FileID] = faultFile{sha: want, size: size}
	}
	return files
}

// faultCheckSet reads every file back whole and compares SHA-256.
func faultCheckSet(t *testing.T, c *client, files map[string]faultFile) {
	t.Helper()
	for id, f := range files {
		r := faultDo(c, 2*time.Minute, http.MethodGet, "/files/"+id, nil, 0)
		if r.status != http.StatusOK || r.err != nil || r.sha != f.sha || r.n != f.size {
			t.Errorf("GET %s = %d, %d bytes, sha256 %s, err %v; want 200, %d bytes, %s", id, r.status, r.n, r.sha, r.err, f.size, f.sha)
		}
	}
}

// faultListed is every file id GET /files lists.
func faultListed(t *testing.T, c *client) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	cursor := ""
	for {
		r := faultDo(c, 30*time.Second, http.MethodGet, "/files?limit=1000&cursor="+cursor, nil, 0)
		if r.status != http.StatusOK {
			t.Fatalf("GET /files = %d %q", r.status, faultShort(r.body))
		}
		var page struct {
			Files []struct {
				FileID string `json:"file_id"`
			} `json:"files"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatalf("GET /files: %v", err)
		}
		for _, f := range page.Files {
			ids[f.FileID] = true
		}
		if page.NextCursor == "" {
			return ids
		}
		cursor = page.NextCursor
	}
}

// faultRetry calls try every 200 ms until it reports true or within passes.
func faultRetry(within time.Duration, try func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if try() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// faultDirEntries lists the names in dir (none if it does not exist).
func faultDirEntries(dir string) []string {
	entries, _ := os.ReadDir(dir)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// faultProbe looks at a cluster's PostgreSQL rows and its nodes' disks.
type faultProbe struct {
	cl   *harness.Cluster
	pool *pgxpool.Pool
}

func newFaultProbe(t *testing.T, cl *harness.Cluster) *faultProbe {
	return &faultProbe{cl: cl, pool: poolFor(t, cl.DatabaseURL())}
}

// faultUploading is an upload in flight as PostgreSQL records it.
type faultUploading struct {
	fileID   string
	chunkIDs []string // by chunk number
	received int64    // the session's bytes_received
}

// waitUploading waits for the one upload in flight to appear, then until
// its session records progress or patience has passed since it appeared.
func (p *faultProbe) waitUploading(t *testing.T, within, patience time.Duration) faultUploading {
	t.Helper()
	deadline := time.Now().Add(within)
	var up faultUploading
	var seen time.Time
	for {
		err := p.pool.QueryRow(context.Background(), `SELECT f.id::text, s.bytes_received FROM files f
			JOIN upload_sessions s ON s.file_id = f.id WHERE f.status = 'uploading' AND s.status = 'active'
			ORDER BY s.started_at DESC LIMIT 1`).Scan(&up.fileID, &up.received)
		if err == nil && seen.IsZero() {
			seen = time.Now()
		}
		if err == nil && (up.received > 0 || time.Since(seen) >= patience) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no upload in progress within %s (last error %v)", within, err)
		}
		time.Sleep(5 * time.Millisecond) // a chunk's fsync window is a few tens of ms
	}
	up.chunkIDs = p.chunkIDs(t, up.fileID)
	if len(up.chunkIDs) < 6 {
		t.Fatalf("upload %s has %d chunk rows; want 6 data shards and any parity", up.fileID, len(up.chunkIDs))
	}
	return up
}

// chunkIDs are a file's chunk ids by chunk number.
func (p *faultProbe) chunkIDs(t *testing.T, fileID string) []string {
	t.Helper()
	rows, err := p.pool.Query(context.Background(), `SELECT id::text FROM chunks WHERE file_id = $1 ORDER BY chunk_number`, fileID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// nodeOfChunkFile is the index of the node whose data dir holds the chunk
// file, or -1: for shards whose rows are already gone.
func (p *faultProbe) nodeOfChunkFile(chunkID string) int {
	for i := range p.cl.NumNodes() {
		if _, err := os.Stat(filepath.Join(p.cl.NodeDataDir(i), "chunks", chunkID[:2], chunkID)); err == nil {
			return i
		}
	}
	return -1
}

// nodeOfChunk is the index of the node a chunk row points at.
func (p *faultProbe) nodeOfChunk(t *testing.T, chunkID string) int {
	t.Helper()
	var addr string
	err := p.pool.QueryRow(context.Background(), `SELECT s.address FROM chunks c JOIN storage_servers s ON s.id = c.storage_server_id
		WHERE c.id = $1`, chunkID).Scan(&addr)
	if err != nil {
		t.Fatalf("chunk %s: %v", chunkID, err)
	}
	for i := range p.cl.NumNodes() {
		if p.cl.NodeAddr(i) == addr {
			return i
		}
	}
	t.Fatalf("chunk %s is on %s, which is no node of this cluster", chunkID, addr)
	return -1
}

// pickVictim chooses the node that the most of files do not touch (no
// non-empty chunk on it), and returns it with the set of files that do.
func (p *faultProbe) pickVictim(t *testing.T, files map[string]faultFile) (int, map[string]bool) {
	t.Helper()
	users := map[string]map[string]bool{} // address -> files with bytes there
	rows, err := p.pool.Query(context.Background(), `SELECT c.file_id::text, s.address FROM chunks c
		JOIN storage_servers s ON s.id = c.storage_server_id JOIN files f ON f.id = c.file_id
		WHERE CASE WHEN f.block_size = 0 THEN c.size > 0
		           -- a data shard holds blob bytes when its first block starts
		           -- before the blob's end (the last stripe's blocks are
		           -- ceil(L/6) bytes)
		           ELSE c.chunk_number < f.data_shards AND c.chunk_number *
		                ceil(least(f.size, f.data_shards::bigint * f.block_size)::numeric / f.data_shards) < f.size END`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var file, addr string
		if err := rows.Scan(&file, &addr); err != nil {
			t.Fatal(err)
		}
		if _, ok := files[file]; ok {
			if users[addr] == nil {
				users[addr] = map[string]bool{}
			}
			users[addr][file] = true
		}
	}
	rows.Close()
	best := -1
	for i := range p.cl.NumNodes() {
		if best < 0 || len(users[p.cl.NodeAddr(i)]) < len(users[p.cl.NodeAddr(best)]) {
			best = i
		}
	}
	affected := users[p.cl.NodeAddr(best)]
	if len(affected) == 0 || len(affected) == len(files) {
		t.Fatalf("%s holds bytes of %d of %d files; need some that do and some that do not", p.cl.NodeName(best), len(affected), len(files))
	}
	return best, affected
}

// onDisk counts how many of the chunk ids exist as files on any node.
func (p *faultProbe) onDisk(t *testing.T, chunkIDs []string) int {
	files := chunkFiles(t, p.cl)
	n := 0
	for _, id := range chunkIDs {
		if _, ok := files[id]; ok {
			n++
		}
	}
	return n
}

// trace describes what is left of a file: rows naming it or its chunks,
// and chunk files; "" when nothing is.
func (p *faultProbe) trace(t *testing.T, fileID string, chunkIDs []string) string {
	var left []string
	for _, q := range []struct{ what, sql string }{
		{"files", `SELECT count(*) FROM files WHERE id = $1`},
		{"chunks", `SELECT count(*) FROM chunks WHERE file_id = $1`},
		{"upload_sessions", `SELECT count(*) FROM upload_sessions WHERE file_id = $1`},
	} {
		if n := count(t, p.pool, q.sql, fileID); n > 0 {
			left = append(left, fmt.Sprintf("%d %s rows", n, q.what))
		}
	}
	if n := count(t, p.pool, `SELECT count(*) FROM chunk_deletions WHERE chunk_id::text = ANY($1)`, chunkIDs); n > 0 {
		left = append(left, fmt.Sprintf("%d chunk_deletions rows", n))
	}
	if n := p.onDisk(t, chunkIDs); n > 0 {
		left = append(left, fmt.Sprintf("%d chunk files", n))
	}
	return strings.Join(left, ", ")
}

// waitNoTrace waits until nothing is left of a file and returns how long
// that took.
func (p *faultProbe) waitNoTrace(t *testing.T, within time.Duration, fileID string, chunkIDs []string) time.Duration {
	t.Helper()
	start := time.Now()
	var left string
	if !faultRetry(within, func() bool { left = p.trace(t, fileID, chunkIDs); return left == "" }) {
		t.Fatalf("after %s, upload %s still has %s; want nothing", within, fileID, left)
	}
	return time.Since(start)
}

// leftovers describes everything in the cluster that should not be there
// once background jobs have settled; "" when the cluster is clean:
// unfinished files, active sessions, queued deletions, temp files, chunk
// files without a row and rows without a chunk file.
func (p *faultProbe) leftovers(t *testing.T) string {
	var left []string
	for _, q := range []struct{ what, sql string }{
		{"files not completed", `SELECT count(*) FROM files WHERE status <> 'completed'`},
		{"active upload_sessions", `SELECT count(*) FROM upload_sessions WHERE status = 'active'`},
		{"chunk_deletions", `SELECT count(*) FROM chunk_deletions`},
		{"chunks not stored", `SELECT count(*) FROM chunks WHERE status <> 'stored'`},
	} {
		if n := count(t, p.pool, q.sql); n > 0 {
			left = append(left, fmt.Sprintf("%d %s", n, q.what))
		}
	}
	rows := map[string]bool{}
	r, err := p.pool.Query(context.Background(), `SELECT id::text FROM chunks`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id string
		_ = r.Scan(&id)
		rows[id] = true
	}
	r.Close()
	disk := chunkFiles(t, p.cl)
	var orphans, missing []string
	for id := range disk {
		if !rows[id] {
			orphans = append(orphans, id)
		}
	}
	for id := range rows {
		if _, ok := disk[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(orphans) > 0 {
		sort.Strings(orphans)
		left = append(left, fmt.Sprintf("%d chunk files without a row (e.g. %s)", len(orphans), orphans[0]))
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		left = append(left, fmt.Sprintf("%d chunk rows without a file (e.g. %s)", len(missing), missing[0]))
	}
	for i := range p.cl.NumNodes() {
		if tmp := faultDirEntries(filepath.Join(p.cl.NodeDataDir(i), "tmp")); len(tmp) > 0 {
			left = append(left, fmt.Sprintf("%d temp files on %s", len(tmp), p.cl.NodeName(i)))
		}
	}
	return strings.Join(left, "; ")
}

// settle waits until leftovers reports nothing.
func (p *faultProbe) settle(t *testing.T, within time.Duration) {
	t.Helper()
	var left string
	if !faultRetry(within, func() bool { left = p.leftovers(t); return left == "" }) {
		t.Fatalf("after %s the cluster still has: %s", within, left)
	}
}

// checkNodeChunks checks every chunk file on node i against its row: same
// size and SHA-256. With queuedOK, a file whose chunk is queued for
// deletion (and so has no row) passes too.
func (p *faultProbe) checkNodeChunks(t *testing.T, i int, queuedOK bool) {
	t.Helper()
	root := filepath.Join(p.cl.NodeDataDir(i), "chunks")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		id := d.Name()
		var size int64
		var hash *string
		err = p.pool.QueryRow(context.Background(), `SELECT size, hash FROM chunks WHERE id::text = $1`, id).Scan(&size, &hash)
		if err != nil {
			if queuedOK && count(t, p.pool, `SELECT count(*) FROM chunk_deletions WHERE chunk_id::text = $1`, id) == 1 {
				return nil
			}
			t.Errorf("%s: chunk file %s has no row (%v) and is not queued for deletion", p.cl.NodeName(i), id, err)
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// A shard's row holds the CRC32C of its file (8 hex digits), a
		// pre-parity chunk's its SHA-256.
		got := sum(raw)
		if hash != nil && len(*hash) == 8 {
			got = fmt.Sprintf("%08x", crc32.Checksum(raw, crc32.MakeTable(crc32.Castagnoli)))
		}
		if int64(len(raw)) != size || hash == nil || got != *hash {
			t.Errorf("%s: chunk file %s is %d bytes with digest %s; its row says %d bytes %v", p.cl.NodeName(i), id, len(raw), got, size, faultDeref(hash))
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}

func faultDeref(s *string) string {
	if s == nil {
		return "(null)"
	}
	return *s
}
