package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/e2e/harness"
)

func TestDeleteRemovesRowsAndChunkFiles(t *testing.T) {
	cl := sharedCluster(t)
	c := newClient(t, cl)
	pool := poolFor(t, cl.DatabaseURL())
	resp, up := c.rawUpload("d.bin", randomData(5, 3<<20), 3<<20)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload = %d", resp.StatusCode)
	}
	var chunkIDs []string
	rows, err := pool.Query(context.Background(), `SELECT id::text FROM chunks WHERE file_id = $1`, up.FileID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		chunkIDs = append(chunkIDs, id)
	}
	rows.Close()
	before := chunkFiles(t, cl)
	for _, id := range chunkIDs {
		if _, ok := before[id]; !ok {
			t.Fatalf("chunk %s not on any node before delete", id)
		}
	}
	if got := c.delete(up.FileID); got != http.StatusNoContent {
		t.Fatalf("DELETE = %d; want 204", got)
	}
	if n := count(t, pool, `SELECT count(*) FROM files WHERE id = $1`, up.FileID) + count(t, pool, `SELECT count(*) FROM chunks WHERE file_id = $1`, up.FileID); n != 0 {
		t.Errorf("%d rows left after delete", n)
	}
	eventually(t, 15*time.Second, "chunk files removed from every node", func() bool {
		after := chunkFiles(t, cl)
		for _, id := range chunkIDs {
			if _, ok := after[id]; ok {
				return false
			}
		}
		return true
	})
	if get := c.get("/files/" + up.FileID); get.StatusCode != http.StatusNotFound {
		t.Errorf("GET after delete = %d; want 404", get.StatusCode)
	}
	if got := c.delete(up.FileID); got != http.StatusNotFound {
		t.Errorf("second DELETE = %d; want 404", got)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	cl := sharedCluster(t)
	c := newClient(t, cl)
	pool := poolFor(t, cl.DatabaseURL())
	filesBefore := count(t, pool, `SELECT count(*) FROM files`)

	cases := []struct {
		name   string
		req    func() *http.Request
		auth   bool
		status int
		code   string
	}{
		{"bad uuid", func() *http.Request { return mustRequest(http.MethodGet, c.base+"/files/not-a-uuid") }, true, 400, "InvalidID"},
		{"unknown id", func() *http.Request {
			return mustRequest(http.MethodGet, c.base+"/files/6f1b8a52-8a4f-4a43-9d53-0f7c1a9e2b11")
		}, true, 404, "NotFound"},
		{"delete unknown id", func() *http.Request {
			return mustRequest(http.MethodDelete, c.base+"/files/6f1b8a52-8a4f-4a43-9d53-0f7c1a9e2b11")
		}, true, 404, "NotFound"},
		{"missing file field", func() *http.Request {
			body := "--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--B--\r\n"
			req, _ := http.NewRequest(http.MethodPost, c.base+"/files", strings.NewReader(body))
			req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
			return req
		}, true, 400, "MissingFile"},
		{"malformed form", func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, c.base+"/files", strings.NewReader("garbage without boundaries"))
			req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
			return req
		}, true, 400, "MalformedForm"},
		{"metadata not json", func() *http.Request {
			body := "--B\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{nope\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nx\r\n--B--\r\n"
			req, _ := http.NewRequest(http.MethodPost, c.base+"/files", strings.NewReader(body))
			req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
			return req
		}, true, 400, "InvalidMetadata"},
		{"no credentials", func() *http.Request { return mustRequest(http.MethodGet, c.base+"/files") }, false, 401, "Unauthorized"},
		{"wrong secret", func() *http.Request {
			req := mustRequest(http.MethodGet, c.base+"/files")
			req.SetBasicAuth(c.key, c.secret+"x")
			return req
		}, false, 401, "Unauthorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req()
			var resp *http.Response
			var err error
			if tc.auth {
				c.t = t
				resp = c.do(req)
			} else if resp, err = http.DefaultClient.Do(req); err != nil {
				t.Fatal(err)
			}
			body := readAll(resp)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(body, `"code":"`+tc.code+`"`) {
				t.Errorf("status %d body %s; want %d with code %s", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}

	t.Run("declared size over 10 GiB is refused before the body", func(t *testing.T) {
		status := rawExchange(t, c, "POST /files?filename=huge HTTP/1.1", "Content-Length: "+strconv.FormatInt(10<<30+1, 10), "")
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d; want 413", status)
		}
	})
	t.Run("body shorter than declared", func(t *testing.T) {
		status := rawExchange(t, c, "POST /files?filename=short HTTP/1.1", "Content-Length: 1000", strings.Repeat("x", 500))
		if status != http.StatusBadRequest {
			t.Errorf("status %d; want 400", status)
		}
	})
	t.Run("health is open", func(t *testing.T) {
		resp, err := http.Get(c.base + "/health")
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(resp)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(body, `"database":"connected"`) || !strings.Contains(body, `"storage_servers":6,`) {
			t.Errorf("GET /health = %d %s", resp.StatusCode, body)
		}
	})

	c.t = t
	eventually(t, time.Minute, "no file rows or upload sessions left behind by bad input", func() bool {
		return count(t, pool, `SELECT count(*) FROM files`) == filesBefore &&
			count(t, pool, `SELECT count(*) FROM upload_sessions WHERE status = 'active'`) == 0
	})
	if !within(time.Minute, func() bool { return count(t, pool, `SELECT count(*) FROM chunk_deletions`) == 0 }) {
		t.Errorf("after a minute, chunk deletions are still pending (every written chunk should be removed):\n%s", pendingDeletions(t, pool))
	}
	stored := count(t, pool, `SELECT count(*) FROM chunks`)
	if files := len(chunkFiles(t, cl)); files != stored {
		t.Errorf("%d chunk files on nodes but %d chunk rows", files, stored)
	}
}

// rawExchange writes a request by hand (so the body can lie about its
// length), half-closes, and returns the response status.
func rawExchange(t *testing.T, c *client, requestLine, header, body string) int {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := mustRequest(http.MethodGet, c.base)
	req.SetBasicAuth(c.key, c.secret)
	fmt.Fprintf(conn, "%s\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/octet-stream\r\n%s\r\n\r\n%s",
		requestLine, req.Header.Get("Authorization"), header, body)
	conn.(*net.TCPConn).CloseWrite()
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRestartGatewayThenNode(t *testing.T) {
	cl := startCluster(t, harness.Options{})
	c := newClient(t, cl)
	want := map[string]string{}
	for i, size := range []int64{0, 100, 1 << 20, 7<<20 + 1} {
		resp, up := c.rawUpload("x", randomData(uint64(200+i), size), size)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload = %d", resp.StatusCode)
		}
		want[up.FileID] = up.Checksum
	}
	checkAll := func(when string) {
		for id, sum := range want {
			if got, _ := c.download(id); got != sum {
				t.Errorf("%s: file %s reads back %s; want %s", when, id, got, sum)
			}
		}
	}
	ctx := context.Background()
	if err := cl.RestartGateway(ctx); err != nil {
		t.Fatal(err)
	}
	checkAll("after gateway restart")
	if err := cl.StopNode(2); err != nil {
		t.Fatal(err)
	}
	if err := cl.StartNode(ctx, 2); err != nil {
		t.Fatal(err)
	}
	checkAll("after storage node restart")
}

func TestNodeDownBeforeUploadIsSkipped(t *testing.T) {
	cl := startCluster(t, harness.Options{
		HeartbeatInterval:   time.Second,
		HeartbeatTimeout:    3 * time.Second,
		RingRefreshInterval: time.Second,
	})
	c := newClient(t, cl)
	pool := poolFor(t, cl.DatabaseURL())
	var deadID string
	if err := pool.QueryRow(context.Background(), `SELECT id::text FROM storage_servers WHERE address = $1`, cl.NodeAddr(3)).Scan(&deadID); err != nil {
		t.Fatal(err)
	}
	if err := cl.KillNode(3); err != nil {
		t.Fatal(err)
	}
	// Still on the ring (its heartbeat is fresh): placement must notice the
	// dead connection and walk on to the next distinct server.
	for i := range 8 {
		resp, up := c.rawUpload("s", randomData(uint64(300+i), 60000), 60000)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload with a dead node = %d: %s", resp.StatusCode, readAll(resp))
		}
		info := c.info(up.FileID)
		for _, ch := range info.Chunks {
			if ch.ServerID == deadID {
				t.Fatalf("chunk %d placed on the dead node", ch.Number)
			}
		}
		if got, _ := c.download(up.FileID); got != up.Checksum {
			t.Fatalf("download %s; want %s", got, up.Checksum)
		}
	}
	eventually(t, 10*time.Second, "the silent node is marked inactive", func() bool {
		return count(t, pool, `SELECT count(*) FROM storage_servers WHERE id = $1 AND status = 'inactive'`, deadID) == 1
	})
	for i := range 8 {
		_, up := c.rawUpload("s", randomData(uint64(400+i), 6000), 6000)
		for _, ch := range c.info(up.FileID).Chunks {
			if ch.ServerID == deadID {
				t.Fatalf("chunk placed on a node with a stale heartbeat")
			}
		}
	}
	if err := cl.StartNode(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the returning node takes chunks again", func() bool {
		_, up := c.rawUpload("s", randomData(500, 6000), 6000)
		for _, ch := range c.info(up.FileID).Chunks {
			if ch.ServerID == deadID {
				return true
			}
		}
		return false
	})
}

// TestMemoryBoundedFor2GiB streams 2 GiB up and down through /files and
// asserts the gateway's peak RSS stays under 200 MiB: bodies stream, they
// are never held whole.
func TestMemoryBoundedFor2GiB(t *testing.T) {
	if testing.Short() {
		t.Skip("2 GiB transfer skipped in -short mode")
	}
	cl := startCluster(t, harness.Options{})
	c := newClient(t, cl)
	const size = 2 << 30
	start := time.Now()
	resp, up := c.formUpload("two-gib.bin", randomData(77, size), size)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload = %d: %s", resp.StatusCode, readAll(resp))
	}
	upTime := time.Since(start)
	start = time.Now()
	got, n := c.download(up.FileID)
	downTime := time.Since(start)
	if want := sha256Of(77, size); got != want || up.Checksum != want || n != size {
		t.Fatalf("2 GiB round trip: %d bytes, sha256 %s, upload said %s; want %s", n, got, up.Checksum, want)
	}
	hwm := vmHWM(t, cl.GatewayPID())
	t.Logf("2 GiB: upload %.0f MiB/s, download %.0f MiB/s, gateway VmHWM %d MiB",
		float64(size>>20)/upTime.Seconds(), float64(size>>20)/downTime.Seconds(), hwm>>20)
	if hwm > 200<<20 {
		t.Errorf("gateway peak RSS %d MiB; want under 200 MiB", hwm>>20)
	}
}

func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if v, ok := strings.CutPrefix(string(line), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// within polls cond until it holds or d has passed.
func within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
	return true
}

// pendingDeletions describes the queued chunk deletions, for a failure
// message.
func pendingDeletions(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT d.chunk_id::text, s.address, s.status, d.attempts, coalesce(d.last_error, ''),
		d.enqueued_at::text, d.next_attempt_at::text FROM chunk_deletions d JOIN storage_servers s ON s.id = d.storage_server_id ORDER BY d.enqueued_at LIMIT 20`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, addr, status, lastErr, enq, next string
		var attempts int
		if err := rows.Scan(&id, &addr, &status, &attempts, &lastErr, &enq, &next); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "  chunk %s on %s (%s): %d attempts, last error %q, queued %s, next %s\n", id, addr, status, attempts, lastErr, enq, next)
	}
	return b.String()
}
