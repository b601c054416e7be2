package e2e_test

// Hostile input: requests crafted to escape paths, overflow limits, lie
// about their length, break multipart framing, or tie up the server by
// sending slowly or not at all. Each answer must be a clear 4xx (or the
// connection closed within a stated bound), and each case checks that
// nothing changed in storage: the same rows, the same chunk files, the
// same files around the nodes' data directories.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"sixfold/e2e/harness"
)

// hostileBodyTimeout is the gateway's BODY_READ_TIMEOUT in these tests: a
// body must keep arriving (64 KiB per window by default) or the request fails.
const hostileBodyTimeout = 3 * time.Second

// hostileHeaderTimeout is the gateway's ReadHeaderTimeout (not configurable).
const hostileHeaderTimeout = 10 * time.Second

func TestHostileInput(t *testing.T) {
	cl := startCluster(t, harness.Options{GatewayEnv: []string{"BODY_READ_TIMEOUT=" + hostileBodyTimeout.String()}})
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	h := &hostile{cl: cl, c: c, p: p}
	files := faultUploadSet(t, c, 90, 1000, 1<<20+5)
	h.plantSentinels(t)
	baseline := h.snapshot(t)

	run := func(name string, f func(t *testing.T, h *hostile)) {
		t.Run(name, func(t *testing.T) {
			c.t = t
			f(t, h)
			h.unchanged(t, baseline)
		})
	}
	run("path traversal in ids", hostileTraversal)
	run("huge request header", hostileHugeHeader)
	run("Content-Length larger than the body", hostileLongerCL)
	run("Content-Length smaller than the body", hostileShorterCL)
	run("bad Content-Length", hostileBadCL)
	run("malformed multipart", hostileMalformedForm)
	run("S3 user metadata over 2 KiB", hostileS3Metadata)
	run("slow body", hostileSlowBody)
	run("slow headers", hostileSlowHeaders)
	run("1000 idle connections", hostileIdleConnections)
	// Last: it stores objects, which changes the baseline on purpose.
	t.Run("S3 keys with dot-dot are just keys", func(t *testing.T) { hostileS3Keys(t, h) })

	c.t = t
	faultCheckSet(t, c, files)
}

// hostile carries one cluster through the hostile cases.
type hostile struct {
	cl *harness.Cluster
	c  *client
	p  *faultProbe
}

// ---------------------------------------------------------------------------
// Path traversal.

func hostileTraversal(t *testing.T, h *hostile) {
	victim := h.someFile(t)
	paths := []string{
		"/files/../x",
		"/files/..%2fx",
		"/files/%2e%2e%2fx",
		"/files/%2e%2e/%2e%2e/etc/passwd",
		"/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		`/files/..\x`,
		`/files/..\..\x`,
		"/files/%5c..%5cx",
		"/files/%00",
		"/files/x%00",
		"/files/" + victim + "%00",
		"/files/" + victim + "%00/../x",
		"/files/x/../" + victim,
		"/files/..%2f" + victim,
		"/files/%2e%2e%2ffiles%2f" + victim,
		"/files/" + victim + "/..",
		"/files/" + victim + "/../info",
		"/files/../files/" + victim + "/info",
	}
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		for _, path := range paths {
			r := h.exchange(t, method+" "+path+" HTTP/1.1", "", "", true)
			if r.err != nil {
				t.Errorf("%s %s: %v", method, path, r.err)
				continue
			}
			if r.status != http.StatusBadRequest && r.status != http.StatusNotFound {
				t.Errorf("%s %s = %d %q; want 400 or 404", method, path, r.status, faultShort(r.body))
			}
		}
	}
	if g := faultDo(h.c, 30*time.Second, http.MethodGet, "/files/"+victim, nil, 0); g.status != http.StatusOK {
		t.Errorf("the file addressed through traversals reads %d; want 200 (untouched)", g.status)
	}
}

// ---------------------------------------------------------------------------
// Limits on the request head.

func hostileHugeHeader(t *testing.T, h *hostile) {
	for _, size := range []int{9 << 10, 64 << 10} {
		header := "X-Filler: " + strings.Repeat("a", size)
		r := h.exchange(t, "GET /files HTTP/1.1", header, "", true)
		if r.err != nil || (r.status != http.StatusRequestHeaderFieldsTooLarge && r.status != http.StatusBadRequest) {
			t.Errorf("GET /files with a %d KiB header = %d (err %v); want 431 or 400", size>>10, r.status, r.err)
		}
		r = h.exchange(t, "POST /files?filename=h HTTP/1.1", header+"\r\nContent-Length: 5", "hello", true)
		if r.err != nil || (r.status != http.StatusRequestHeaderFieldsTooLarge && r.status != http.StatusBadRequest) {
			t.Errorf("POST /files with a %d KiB header = %d (err %v); want 431 or 400", size>>10, r.status, r.err)
		}
	}
}

// ---------------------------------------------------------------------------
// Bodies that lie about their length.

func hostileLongerCL(t *testing.T, h *hostile) {
	form := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n" + strings.Repeat("x", 500)
	cases := []struct{ name, line, header, body string }{
		{"raw", "POST /files?filename=long HTTP/1.1", "Content-Length: 1000", strings.Repeat("x", 500)},
		{"raw, large", "POST /files?filename=long HTTP/1.1", "Content-Length: 20000000", strings.Repeat("x", 1<<20)},
		{"form", "POST /files HTTP/1.1", "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 2000", form},
	}
	for _, tc := range cases {
		r := h.exchange(t, tc.line, tc.header, tc.body, true)
		if r.err != nil || r.status != http.StatusBadRequest {
			t.Errorf("%s: %d of the declared bytes, then end of stream = %d %q (err %v); want 400", tc.name, len(tc.body), r.status, faultShort(r.body), r.err)
		}
	}
}

func hostileShorterCL(t *testing.T, h *hostile) {
	body := randomBytes(91, 1000)
	// No half-close here: net/http takes the end of the client's stream for
	// the client going away and cancels the request (499).
	conn, br := h.send(t, "POST /files?filename=short HTTP/1.1", "Content-Length: 500", string(body), false)
	defer conn.Close()
	first, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("first response: %v", err)
	}
	raw, _ := io.ReadAll(first.Body)
	first.Body.Close()
	var up uploaded
	_ = json.Unmarshal(raw, &up)
	if first.StatusCode != http.StatusCreated || up.Size != 500 || up.Checksum != sum(body[:500]) {
		t.Errorf("Content-Length 500 with 1000 bytes sent = %d %q; want 201 storing exactly the first 500 bytes (sha256 %s)", first.StatusCode, faultShort(raw), sum(body[:500]))
	}
	// The other 500 bytes are the next "request" on the connection: garbage.
	if second, err := http.ReadResponse(br, nil); err == nil {
		second.Body.Close()
		if second.StatusCode != http.StatusBadRequest {
			t.Errorf("the 500 bytes beyond Content-Length, read as a request = %d; want 400 (or the connection closed)", second.StatusCode)
		}
	}
	if up.FileID != "" {
		if g := faultDo(h.c, 30*time.Second, http.MethodGet, "/files/"+up.FileID, nil, 0); g.sha != sum(body[:500]) {
			t.Errorf("stored file reads back sha256 %s; want %s", g.sha, sum(body[:500]))
		}
		if got := h.c.delete(up.FileID); got != http.StatusNoContent {
			t.Errorf("DELETE of the stored part = %d", got)
		}
	}
}

func hostileBadCL(t *testing.T, h *hostile) {
	for _, value := range []string{"-5", "-1", "99999999999999999999", "18446744073709551616", "abc", "1e3", "+5", "0x10", "5, 6", "12 34"} {
		r := h.exchange(t, "POST /files?filename=cl HTTP/1.1", "Content-Length: "+value, "hello", true)
		if r.err != nil || r.status != http.StatusBadRequest {
			t.Errorf("Content-Length: %s = %d %q (err %v); want 400", value, r.status, faultShort(r.body), r.err)
		}
	}
	r := h.exchange(t, "POST /files?filename=cl HTTP/1.1", "Content-Length: 5\r\nContent-Length: 3", "hello", true)
	if r.err != nil || r.status != http.StatusBadRequest {
		t.Errorf("two different Content-Length headers = %d (err %v); want 400", r.status, r.err)
	}
}

// ---------------------------------------------------------------------------
// Malformed multipart/form-data.

func hostileMalformedForm(t *testing.T, h *hostile) {
	part := "Content-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n" + strings.Repeat("z", 100000)
	cases := []struct{ name, contentType, body string }{
		{"no boundary parameter", "multipart/form-data", "--B\r\n" + part + "\r\n--B--\r\n"},
		{"empty boundary", "multipart/form-data; boundary=", "--\r\n" + part + "\r\n----\r\n"},
		{"body uses another boundary", "multipart/form-data; boundary=B", "--C\r\n" + part + "\r\n--C--\r\n"},
		{"unterminated file part", "multipart/form-data; boundary=B", "--B\r\n" + part},
		{"unterminated part head", "multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-da"},
		{"garbage part head", "multipart/form-data; boundary=B", "--B\r\nthis is not a header\r\n\r\nx\r\n--B--\r\n"},
		{"closing boundary only", "multipart/form-data; boundary=B", "--B--\r\n"},
		{"file part cut by a broken boundary", "multipart/form-data; boundary=B", "--B\r\n" + part + "\r\n--Bnot-a-boundary"},
		{"unparsable Content-Type", `multipart/form-data; boundary="B`, "--B\r\n" + part + "\r\n--B--\r\n"},
	}
	for _, tc := range cases {
		header := "Content-Type: " + tc.contentType + "\r\nContent-Length: " + strconv.Itoa(len(tc.body))
		r := h.exchange(t, "POST /files HTTP/1.1", header, tc.body, true)
		if r.err != nil || r.status != http.StatusBadRequest {
			t.Errorf("%s = %d %q (err %v); want 400", tc.name, r.status, faultShort(r.body), r.err)
		}
	}
}

// ---------------------------------------------------------------------------
// The S3 door: metadata over its limit, keys that look like paths.

func hostileS3Metadata(t *testing.T, h *hostile) {
	s3c := h.s3(t)
	ctx := context.Background()
	bucket := "hostile-meta"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	defer s3c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}) //nolint:errcheck // the unchanged check sees a leftover
	cases := []map[string]string{
		{"big": strings.Repeat("m", 2100)},
		{"a": strings.Repeat("m", 1100), "b": strings.Repeat("n", 1100)},
		{"c": strings.Repeat("m", 5000)},
	}
	for _, meta := range cases {
		_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("m"),
			Body: bytes.NewReader(randomBytes(92, 4096)), Metadata: meta})
		var ae smithy.APIError
		var re *awshttp.ResponseError
		code, status := "", 0
		if errors.As(err, &ae) {
			code = ae.ErrorCode()
		}
		if errors.As(err, &re) {
			status = re.HTTPStatusCode()
		}
		total := 0
		for k, v := range meta {
			total += len(k) + len(v)
		}
		if status != http.StatusBadRequest || code != "MetadataTooLarge" {
			t.Errorf("PutObject with %d bytes of user metadata: status %d code %q (err %v); want 400 MetadataTooLarge", total, status, code, err)
		}
	}
	if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("m")}); err == nil {
		t.Errorf("the refused object exists")
	}
}

func hostileS3Keys(t *testing.T, h *hostile) {
	s3c := h.s3(t)
	ctx := context.Background()
	bucket := "hostile-keys"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	before := h.outsideChunks(t)
	keys := []string{
		"../x",
		"../../etc/passwd",
		"../../../../../../tmp/sixfold-hostile",
		"a/../../b",
		"./c",
		"d/./e/../f",
		`..\..\y`,
		"..",
		"...",
		"%2e%2e/z",
		"trailing/..",
		"../" + strings.Repeat("deep/", 40) + "k",
	}
	want := map[string]string{}
	for i, key := range keys {
		data := randomBytes(uint64(900+i), int64(1000+i*997))
		want[key] = sum(data)
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
			t.Errorf("PutObject %q: %v", key, err)
			delete(want, key)
		}
	}
	for key, sha := range want {
		out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Errorf("GetObject %q: %v", key, err)
			continue
		}
		raw, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil || sum(raw) != sha {
			t.Errorf("GetObject %q = sha256 %s (err %v); want %s", key, sum(raw), err, sha)
		}
	}
	listed, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	var got []string
	for _, o := range listed.Contents {
		got = append(got, aws.ToString(o.Key))
	}
	if wantKeys := slices.Sorted(maps.Keys(want)); !slices.Equal(slices.Sorted(slices.Values(got)), wantKeys) {
		t.Errorf("ListObjectsV2 = %q; want exactly %q", got, wantKeys)
	}
	h.chunkLayout(t)
	if after := h.outsideChunks(t); !slices.Equal(after, before) {
		t.Errorf("files outside chunks/ changed: before %q, after %q", before, after)
	}
	if _, err := os.Stat("/tmp/sixfold-hostile"); err == nil {
		t.Errorf("/tmp/sixfold-hostile exists: a key reached the filesystem")
	}
}

// ---------------------------------------------------------------------------
// Clients that hold connections: slow bodies, slow heads, idle sockets.

func hostileSlowBody(t *testing.T, h *hostile) {
	bound := hostileBodyTimeout + 3*time.Second
	cases := []struct{ name, line, header, head string }{
		{"raw", "POST /files?filename=slow HTTP/1.1", "Content-Length: 1000", ""},
		{"form", "POST /files HTTP/1.1", "Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 1200",
			"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s\"\r\n\r\n"},
	}
	for _, tc := range cases {
		conn, br := h.send(t, tc.line, tc.header, tc.head, false)
		start := time.Now()
		stop := make(chan struct{})
		go func() { // one byte a second, until the server gives up on us
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
				}
				if _, err := conn.Write([]byte("s")); err != nil {
					return
				}
			}
		}()
		_ = conn.SetReadDeadline(time.Now().Add(bound + 5*time.Second))
		resp, err := http.ReadResponse(br, nil)
		took := time.Since(start)
		close(stop)
		conn.Close()
		status := 0
		if err == nil {
			status = resp.StatusCode
			resp.Body.Close()
		}
		t.Logf("%s: a body at one byte a second was answered %d (err %v) after %s (BODY_READ_TIMEOUT %s)", tc.name, status, err, took.Round(time.Millisecond), hostileBodyTimeout)
		if took > bound {
			t.Errorf("%s: the server held a one-byte-a-second upload for %s; want it cut off within %s", tc.name, took.Round(time.Millisecond), bound)
		}
		if err == nil && status/100 != 4 {
			t.Errorf("%s: a body too slow to finish = %d; want a 4xx (or the connection closed)", tc.name, status)
		}
	}
}

func hostileSlowHeaders(t *testing.T, h *hostile) {
	bound := hostileHeaderTimeout + 3*time.Second
	conn, err := net.Dial("tcp", h.cl.GatewayAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	go func() {
		for _, b := range []byte("GET /files HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("s", 60)) {
			if _, err := conn.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(time.Second)
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	_, err = io.ReadAll(conn)
	took := time.Since(start)
	t.Logf("a head sent one byte a second was cut off after %s (err %v)", took.Round(time.Millisecond), err)
	if took > bound {
		t.Errorf("the server waited %s for a request head; want it closed within %s", took.Round(time.Millisecond), bound)
	}
}

func hostileIdleConnections(t *testing.T, h *hostile) {
	const idle = 1000
	hostileRaiseNoFile(t, 2*idle+256)
	bound := hostileHeaderTimeout + 5*time.Second
	start := time.Now()
	closedAfter := make([]time.Duration, idle)
	var wg sync.WaitGroup
	for i := range idle {
		conn, err := net.DialTimeout("tcp", h.cl.GatewayAddr(), 10*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		wg.Go(func() {
			defer conn.Close()
			_ = conn.SetReadDeadline(time.Now().Add(bound + 30*time.Second))
			_, _ = io.Copy(io.Discard, conn)
			closedAfter[i] = time.Since(start)
		})
	}
	opened := time.Since(start)
	// The server keeps serving meanwhile.
	var slowest time.Duration
	for i := range 5 {
		size := int64(100<<10 + i)
		r := faultUpload(h.c, 10*time.Second, "raw", "busy.bin", randomData(uint64(95+i), size), size)
		if r.status != http.StatusCreated {
			t.Errorf("upload with %d idle connections open = %d (err %v) after %s", idle, r.status, r.err, r.dur)
			continue
		}
		g := faultDo(h.c, 10*time.Second, http.MethodGet, "/files/"+r.up.FileID, nil, 0)
		if g.status != http.StatusOK || g.sha != sha256Of(uint64(95+i), size) {
			t.Errorf("download with %d idle connections open = %d sha256 %s (err %v)", idle, g.status, g.sha, g.err)
		}
		slowest = max(slowest, r.dur, g.dur)
		if d := h.c.delete(r.up.FileID); d != http.StatusNoContent {
			t.Errorf("DELETE = %d", d)
		}
	}
	if hr := faultDo(h.c, 10*time.Second, http.MethodGet, "/health", nil, 0); hr.status != http.StatusOK {
		t.Errorf("GET /health with %d idle connections open = %d (err %v)", idle, hr.status, hr.err)
	}
	wg.Wait()
	last := slices.Max(closedAfter)
	t.Logf("%d idle connections opened in %s; normal requests meanwhile took at most %s; the server closed the last idle one after %s",
		idle, opened.Round(time.Millisecond), slowest.Round(time.Millisecond), last.Round(time.Millisecond))
	if slowest > 5*time.Second {
		t.Errorf("a normal request took %s while idle connections were open; want under 5s", slowest)
	}
	if last > bound {
		t.Errorf("idle connections were still open %s after they were made; want them closed within %s", last.Round(time.Millisecond), bound)
	}
}

// hostileRaiseNoFile lifts this process's open-file limit to at least n.
func hostileRaiseNoFile(t *testing.T, n uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Skipf("RLIMIT_NOFILE hard limit %d is below the %d this test needs", lim.Max, n)
	}
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
}

// ---------------------------------------------------------------------------
// Helpers.

// hostileResult is one raw exchange's answer.
type hostileResult struct {
	status int
	body   []byte
	err    error
}

// send opens a connection and writes an authenticated request by hand:
// the request line, extra header lines (CRLF-separated, no trailing CRLF),
// and body. With closeWrite it then half-closes, so the server sees the
// end of the stream right after body.
func (h *hostile) send(t *testing.T, line, header, body string, closeWrite bool) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", h.cl.GatewayAddr())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\r\nHost: %s\r\nAuthorization: %s\r\n", line, h.cl.GatewayAddr(), faultBasic(h.c))
	if header != "" {
		b.WriteString(header + "\r\n")
	}
	if !strings.Contains(strings.ToLower(header), "content-type") {
		b.WriteString("Content-Type: application/octet-stream\r\n")
	}
	b.WriteString("\r\n" + body)
	go func() { // the server may answer (and close) before reading it all
		_, _ = io.WriteString(conn, b.String())
		if closeWrite {
			_ = conn.(*net.TCPConn).CloseWrite()
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	return conn, bufio.NewReader(conn)
}

// exchange sends a request by hand and reads one response.
func (h *hostile) exchange(t *testing.T, line, header, body string, closeWrite bool) hostileResult {
	t.Helper()
	conn, br := h.send(t, line, header, body, closeWrite)
	defer conn.Close()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return hostileResult{err: err}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return hostileResult{status: resp.StatusCode, body: raw}
}

// s3 is an aws-sdk-go-v2 client for the gateway, path style, no retries.
func (h *hostile) s3(t *testing.T) *s3.Client {
	key, secret := h.cl.Credentials()
	return s3.New(s3.Options{
		BaseEndpoint:     aws.String(h.cl.GatewayURL()),
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		UsePathStyle:     true,
		RetryMaxAttempts: 1,
	})
}

// someFile is the id of one completed /files upload.
func (h *hostile) someFile(t *testing.T) string {
	var id string
	if err := h.p.pool.QueryRow(context.Background(), `SELECT id::text FROM files WHERE owner = 'files' AND status = 'completed' ORDER BY id LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// plantSentinels puts files where a traversal out of a data directory
// would land, so the snapshot notices if one is read, replaced or removed.
func (h *hostile) plantSentinels(t *testing.T) {
	for _, name := range []string{"x", "y", "z", "b", "passwd"} {
		if err := os.WriteFile(filepath.Join(h.cl.Dir(), name), []byte("sentinel "+name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot renders everything the hostile cases must not change: files,
// chunks and S3 objects rows, chunk files on every node, and the sentinels.
func (h *hostile) snapshot(t *testing.T) []string {
	var lines []string
	for _, q := range []string{
		`SELECT 'file ' || id || ' ' || status || ' ' || size || ' ' || coalesce(checksum, '-') FROM files`,
		`SELECT 'chunk ' || id || ' ' || storage_server_id || ' ' || size || ' ' || status FROM chunks`,
		`SELECT 'object ' || bucket || '/' || key || ' ' || size || ' ' || etag FROM objects`,
		`SELECT 'bucket ' || name FROM buckets`,
		`SELECT 'session ' || id || ' ' || status FROM upload_sessions`,
	} {
		rows, err := h.p.pool.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			lines = append(lines, s)
		}
		rows.Close()
	}
	for id, size := range chunkFiles(t, h.cl) {
		lines = append(lines, fmt.Sprintf("disk %s %d", id, size))
	}
	for _, name := range []string{"x", "y", "z", "b", "passwd"} {
		raw, err := os.ReadFile(filepath.Join(h.cl.Dir(), name))
		lines = append(lines, fmt.Sprintf("sentinel %s %q %v", name, raw, err))
	}
	slices.Sort(lines)
	return lines
}

// unchanged waits for background jobs to settle, then compares the
// storage snapshot with want.
func (h *hostile) unchanged(t *testing.T, want []string) {
	t.Helper()
	h.p.settle(t, 30*time.Second)
	var got []string
	if faultRetry(10*time.Second, func() bool { got = h.snapshot(t); return slices.Equal(got, want) }) {
		return
	}
	var gone, added []string
	for _, l := range want {
		if !slices.Contains(got, l) {
			gone = append(gone, l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			added = append(added, l)
		}
	}
	t.Errorf("storage changed: gone %q; new %q", gone, added)
}

var (
	hostileUUID  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	hostileShard = regexp.MustCompile(`^[0-9a-f]{2}$`)
)

// chunkLayout checks that every node keeps only UUID-named chunk files, in
// the shard named by their first two hex digits.
func (h *hostile) chunkLayout(t *testing.T) {
	for i := range h.cl.NumNodes() {
		root := filepath.Join(h.cl.NodeDataDir(i), "chunks")
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || path == root {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			parts := strings.Split(rel, string(filepath.Separator))
			switch {
			case d.IsDir() && len(parts) == 1 && hostileShard.MatchString(parts[0]):
			case !d.IsDir() && len(parts) == 2 && hostileUUID.MatchString(parts[1]) && strings.HasPrefix(parts[1], parts[0]):
			default:
				t.Errorf("%s: unexpected %s in chunks/", h.cl.NodeName(i), rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// outsideChunks lists every path in the cluster's directory except the
// chunk store, temp files, logs and PostgreSQL's data: what a key that
// escaped into the filesystem would add to.
func (h *hostile) outsideChunks(t *testing.T) []string {
	var paths []string
	root := h.cl.Dir()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, path)
		base := filepath.Base(rel)
		if d.IsDir() && (base == "chunks" || base == "tmp" || base == "pg" || base == "bin") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(base, ".log") || strings.HasPrefix(base, "sixfold-spool-") || base == "node-id.tmp" {
			return nil
		}
		paths = append(paths, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	return paths
}
