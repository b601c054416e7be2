package e2e_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"sixfold/e2e/harness"
)

// TestIntakeHalfClose sends each door a chunked body and half-closes after
// it: both must answer and store the bytes exactly.
func TestIntakeHalfClose(t *testing.T) {
	e := newS3Env(t, false, nil)
	body := randomBytes(7, 3<<20)
	bucket := "intake-halfclose"
	if _, err := e.s3.CreateBucket(e.ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}

	put := chunkedRequest(t, http.MethodPut, e.url+"/"+bucket+"/k", body)
	put.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: e.key, SecretAccessKey: e.secret}
	if err := signer.SignHTTP(e.ctx(t), creds, put, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if resp, raw := halfClosed(t, e.url, put); resp.StatusCode != http.StatusOK {
		t.Fatalf("S3 PUT then half-close = %d %s; want 200", resp.StatusCode, raw)
	}
	got, err := e.s3.GetObject(e.ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil {
		t.Fatalf("S3 GET: %v", err)
	}
	stored, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(stored, body) {
		t.Errorf("S3 stored %d bytes (sha256 %s); sent %d (sha256 %s)", len(stored), sum(stored), len(body), sum(body))
	}

	post := chunkedRequest(t, http.MethodPost, e.url+"/files?filename=halfclose", body)
	post.SetBasicAuth(e.key, e.secret)
	resp, raw := halfClosed(t, e.url, post)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("/files POST then half-close = %d %s; want 201", resp.StatusCode, raw)
	}
	var up struct {
		ID string `json:"file_id"`
	}
	if err := json.Unmarshal(raw, &up); err != nil || up.ID == "" {
		t.Fatalf("/files answer %s: %v", raw, err)
	}
	c := newClient(t, e.cluster)
	dl := c.do(mustRequest(http.MethodGet, e.url+"/files/"+up.ID))
	stored, _ = io.ReadAll(dl.Body)
	dl.Body.Close()
	if !bytes.Equal(stored, body) {
		t.Errorf("/files stored %d bytes (sha256 %s); sent %d (sha256 %s)", len(stored), sum(stored), len(body), sum(body))
	}
}

// chunkedRequest is a request whose body has no declared length, so it
// goes out with Transfer-Encoding: chunked; it sets no Content-Type.
func chunkedRequest(t *testing.T, method, url string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, io.NopCloser(bytes.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	req.TransferEncoding = []string{"chunked"}
	return req
}

// halfClosed writes req on a fresh connection, closes the connection's
// write side (as a client that has nothing more to send may) and reads
// the answer.
func halfClosed(t *testing.T, base string, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("%s %s then half-close: no answer: %v", req.Method, req.URL.Path, err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, raw
}

// TestIntakeDefaultContentType uploads a body without a Content-Type through
// each door and reads it back through both: every answer names the one
// default type.
func TestIntakeDefaultContentType(t *testing.T) {
	const want = "application/octet-stream"
	e := newS3Env(t, false, nil)
	c := newClient(t, e.cluster)
	bucket := e.bucket(t, "intake-type")
	body := randomBytes(11, 70<<10)

	put := chunkedRequest(t, http.MethodPut, e.url+"/"+bucket+"/untyped", body)
	put.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: e.key, SecretAccessKey: e.secret}
	if err := signer.SignHTTP(e.ctx(t), creds, put, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if put.Header.Get("Content-Type") != "" {
		t.Fatal("the S3 PUT carries a Content-Type")
	}
	if resp := e.exchange(t, put); resp.StatusCode != http.StatusOK {
		t.Fatalf("untyped S3 PUT = %d %s", resp.StatusCode, resp.Body)
	}
	head, err := e.s3.HeadObject(e.ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("untyped")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(head.ContentType); got != want {
		t.Errorf("S3 HEAD of an untyped S3 PUT: Content-Type %q; want %q", got, want)
	}
	viaFiles := c.get("/files/" + blobIDOf(t, e, bucket, "untyped"))
	stored, _ := io.ReadAll(viaFiles.Body)
	viaFiles.Body.Close()
	if got := viaFiles.Header.Get("Content-Type"); viaFiles.StatusCode != http.StatusOK || got != want || !bytes.Equal(stored, body) {
		t.Errorf("GET /files of an untyped S3 PUT = %d, Content-Type %q, %d bytes; want 200, %q, the %d bytes sent",
			viaFiles.StatusCode, got, len(stored), want, len(body))
	}

	post := chunkedRequest(t, http.MethodPost, e.url+"/files?filename=untyped", body)
	resp, up := c.decodeUpload(c.do(post))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("untyped POST /files = %d", resp.StatusCode)
	}
	if up.ContentType != want {
		t.Errorf("POST /files answered content_type %q; want %q", up.ContentType, want)
	}
	got := c.get("/files/" + up.FileID)
	got.Body.Close()
	if ct := got.Header.Get("Content-Type"); got.StatusCode != http.StatusOK || ct != want {
		t.Errorf("GET /files of an untyped /files upload = %d, Content-Type %q; want 200, %q", got.StatusCode, ct, want)
	}
}

// TestIntakeSizeLimit runs a gateway whose upload limit is 1 MiB and sends
// each door a body one byte over it, declared and of unknown length: every
// one is refused with the door's own 4xx and leaves nothing stored, while
// a body of exactly the limit is stored.
func TestIntakeSizeLimit(t *testing.T) {
	const limit = 1 << 20
	config := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(config, []byte("upload:\n  max_file_size: 1048576\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &s3Env{cluster: startCluster(t, harness.Options{GatewayEnv: []string{"SIXFOLD_CONFIG=" + config}})}
	e.url = e.cluster.GatewayURL()
	e.key, e.secret = e.cluster.Credentials()
	e.http = &http.Client{Transport: e.transport()}
	e.s3 = newGoV2Client(t, e)
	c := newClient(t, e.cluster)
	pool := poolFor(t, e.cluster.DatabaseURL())
	bucket := e.bucket(t, "intake-limit")
	over, exact := randomBytes(21, limit+1), randomBytes(22, limit)

	s3Put := func(key string, body []byte, chunked bool) *http.Request {
		var req *http.Request
		if chunked {
			req = chunkedRequest(t, http.MethodPut, e.url+"/"+bucket+"/"+key, body)
		} else {
			req = mustRequest(http.MethodPut, e.url+"/"+bucket+"/"+key)
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		}
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		creds := aws.Credentials{AccessKeyID: e.key, SecretAccessKey: e.secret}
		if err := signer.SignHTTP(e.ctx(t), creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		return req
	}
	filesPost := func(name string, body []byte, chunked bool) *http.Request {
		if chunked {
			return chunkedRequest(t, http.MethodPost, e.url+"/files?filename="+name, body)
		}
		req := mustRequest(http.MethodPost, e.url+"/files?filename="+name)
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		return req
	}

	filesBefore := count(t, pool, `SELECT count(*) FROM files`)
	for _, chunked := range []bool{false, true} {
		resp := e.exchange(t, s3Put("over", over, chunked))
		wantS3Error(t, resp, http.StatusBadRequest, "EntityTooLarge")

		fresp := c.do(filesPost("over", over, chunked))
		raw := readAll(fresp)
		fresp.Body.Close()
		if fresp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(raw, `"code":"TooLarge"`) {
			t.Errorf("POST /files of %d bytes (chunked %v) = %d %s; want 413 TooLarge", len(over), chunked, fresp.StatusCode, raw)
		}
	}
	if _, err := e.s3.HeadObject(e.ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("over")}); err == nil {
		t.Error("an over-limit S3 PUT left an object behind")
	}
	eventually(t, time.Minute, "no file rows or active sessions left by over-limit uploads", func() bool {
		return count(t, pool, `SELECT count(*) FROM files`) == filesBefore &&
			count(t, pool, `SELECT count(*) FROM upload_sessions WHERE status = 'active'`) == 0
	})

	if resp := e.exchange(t, s3Put("exact", exact, true)); resp.StatusCode != http.StatusOK {
		t.Fatalf("S3 PUT of exactly the limit = %d %s", resp.StatusCode, resp.Body)
	}
	got, err := e.s3.GetObject(e.ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("exact")})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(stored, exact) {
		t.Errorf("S3 stored %d bytes (sha256 %s); sent %d (%s)", len(stored), sum(stored), len(exact), sum(exact))
	}
	resp, up := c.decodeUpload(c.do(filesPost("exact", exact, true)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /files of exactly the limit = %d", resp.StatusCode)
	}
	if digest, n := c.download(up.FileID); digest != sum(exact) || n != limit {
		t.Errorf("/files stored %d bytes (sha256 %s); sent %d (%s)", n, digest, limit, sum(exact))
	}
}
