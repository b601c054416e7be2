package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"sixfold/e2e/harness"
)

// headersNotSignedMessage is S3's message for unsigned x-amz-* headers.
const headersNotSignedMessage = "There were headers present in the request which were not signed"

// newPlainS3Env points go-v2 and raw requests at a plain-HTTP cluster,
// signing with key and secret.
func newPlainS3Env(t *testing.T, c *harness.Cluster, key, secret string) *s3Env {
	t.Helper()
	e := &s3Env{cluster: c, url: c.GatewayURL(), key: key, secret: secret}
	e.http = &http.Client{Transport: e.transport()}
	e.s3 = newGoV2Client(t, e)
	return e
}

// TestHardeningPresignedPutCopySource: a presigned PUT URL cannot be turned
// into a copy of another object by adding an unsigned X-Amz-Copy-Source,
// nor can a header-signed PUT; nothing is written and the source is
// untouched. The same URL without the header still uploads, so the refusal
// is the header's doing.
func TestHardeningPresignedPutCopySource(t *testing.T) {
	c := sharedCluster(t)
	key, secret := c.Credentials()
	e := newPlainS3Env(t, c, key, secret)
	bucket := e.bucket(t, "harden-copy")
	source := randomBytes(1401, 200<<10+5)
	srcPut := e.put(t, bucket, "private/source.bin", bytes.NewReader(source))

	put, err := s3.NewPresignClient(e.s3).PresignPutObject(e.ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("upload/dest.bin")})
	if err != nil {
		t.Fatalf("PresignPutObject: %v", err)
	}
	before := takeResidue(t, e)
	copyHeader := http.Header{"X-Amz-Copy-Source": {bucket + "/private/source.bin"}}
	resp := doPresigned(t, e, put.Method, put.URL, mergeHeaders(put.SignedHeader, copyHeader), nil)
	wantHeadersNotSigned(t, resp, "x-amz-copy-source")
	e.wantNoObject(t, bucket, "upload/dest.bin")

	t.Run("header-signed PUT", func(t *testing.T) {
		req := e.signed(t, rawReq{method: http.MethodPut, path: bucket + "/upload/dest2.bin"})
		req.Header.Set("X-Amz-Copy-Source", bucket+"/private/source.bin")
		wantHeadersNotSigned(t, e.exchange(t, req), "x-amz-copy-source")
		e.wantNoObject(t, bucket, "upload/dest2.bin")
	})
	before.wantNothingNew(t, e)

	head, err := e.s3.HeadObject(e.ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("private/source.bin")})
	if err != nil || aws.ToString(head.ETag) != aws.ToString(srcPut.ETag) {
		t.Errorf("source HeadObject: ETag %q, %v; want %q", aws.ToString(head.ETag), err, aws.ToString(srcPut.ETag))
	}
	if got := e.getBytes(t, bucket, "private/source.bin"); !bytes.Equal(got, source) {
		t.Errorf("source after the refused copies: %d bytes sha256 %s; want %d bytes %s unchanged", len(got), sum(got), len(source), sum(source))
	}

	t.Run("the URL itself works", func(t *testing.T) {
		body := []byte("what the URL was made for")
		resp := doPresigned(t, e, put.Method, put.URL, put.SignedHeader, body)
		wantStatus(t, resp, http.StatusOK)
		if got := e.getBytes(t, bucket, "upload/dest.bin"); !bytes.Equal(got, body) {
			t.Errorf("GET after the presigned PUT = %q; want %q", got, body)
		}
	})
}

// mergeHeaders returns a copy of a with b's fields added.
func mergeHeaders(a, b http.Header) http.Header {
	h := a.Clone()
	for k, v := range b {
		h[k] = v
	}
	return h
}

// wantHeadersNotSigned checks S3's 403 for unsigned x-amz-* headers.
func wantHeadersNotSigned(t *testing.T, resp rawResponse, names string) {
	t.Helper()
	var doc struct{ Code, Message, HeadersNotSigned string }
	err := xml.Unmarshal(resp.Body, &doc)
	if resp.StatusCode != http.StatusForbidden || err != nil || doc.Code != "AccessDenied" ||
		doc.Message != headersNotSignedMessage || doc.HeadersNotSigned != names {
		t.Errorf("got %d %s (%v); want 403 AccessDenied %q naming %s", resp.StatusCode, resp.Body, err, headersNotSignedMessage, names)
	}
}

// TestHardeningLogHasNoSecrets drives a gateway logging at debug level with
// header-signed requests (go-v2, minio-go with signed chunks, hand-signed),
// presigned GETs and PUTs (go-v2, minio-go, and the aws CLI and boto3 when
// installed), and presigned requests the gateway refuses; then reads its log.
// The log must hold a line for those requests, and none of the secret, the
// signatures sent or a presigned credential.
func TestHardeningLogHasNoSecrets(t *testing.T) {
	key, secret := "e2elogprobe", randomHex(t, 20)
	c := startCluster(t, harness.Options{GatewayEnv: []string{"LOG_LEVEL=debug", "SIXFOLD_KEYS=" + key + ":" + secret + ":readwrite"}})
	seen := &secretsSeen{}
	e := newPlainS3Env(t, c, key, secret)
	e.s3 = s3.New(e.s3.Options(), func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: seen.wrap(e.transport())} })
	e.http = &http.Client{Transport: seen.wrap(e.transport())}

	bucket := e.bucket(t, "harden-log")
	data := randomBytes(1402, 100<<10+3)
	e.put(t, bucket, "signed.bin", bytes.NewReader(data))
	e.getBytes(t, bucket, "signed.bin")
	wantStatus(t, e.exchange(t, e.signed(t, rawReq{method: http.MethodGet, path: bucket + "?list-type=2&prefix=signed"})), http.StatusOK)

	ps := s3.NewPresignClient(e.s3)
	put, err := ps.PresignPutObject(e.ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("presigned.bin")})
	if err != nil {
		t.Fatal(err)
	}
	seen.noteURL(put.URL)
	wantStatus(t, doPresigned(t, e, put.Method, put.URL, put.SignedHeader, data), http.StatusOK)
	get, err := ps.PresignGetObject(e.ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("presigned.bin")})
	if err != nil {
		t.Fatal(err)
	}
	seen.noteURL(get.URL)
	resp := doPresigned(t, e, get.Method, get.URL, get.SignedHeader, nil)
	wantStatus(t, resp, http.StatusOK)
	if !bytes.Equal(resp.Body, data) {
		t.Fatalf("presigned GET = %d bytes; want %d", len(resp.Body), len(data))
	}

	// Refused requests are logged too, and must leak no more.
	wantHeadersNotSigned(t, doPresigned(t, e, put.Method, put.URL,
		mergeHeaders(put.SignedHeader, http.Header{"X-Amz-Copy-Source": {bucket + "/signed.bin"}}), nil), "x-amz-copy-source")
	for _, m := range []struct {
		old, new string
		status   int
	}{
		{"&X-Amz-Signature=", ";X-Amz-Signature=", http.StatusBadRequest},
		// AuthorizationQueryParametersError, which S3 answers with 403.
		{"X-Amz-Signature=", "x-amz-signature=", http.StatusForbidden},
		// Decoded, the name is X-Amz-Signature: a valid spelling of it.
		{"X-Amz-Signature=", "X-Amz%2DSignature=", http.StatusOK},
	} {
		u := strings.Replace(get.URL, m.old, m.new, 1)
		if resp := doPresigned(t, e, get.Method, u, get.SignedHeader, nil); resp.StatusCode != m.status {
			t.Errorf("presigned GET %s: %d %s; want %d", u, resp.StatusCode, resp.Body, m.status)
		}
	}

	t.Run("minio-go", func(t *testing.T) { minioForLog(t, e, seen, bucket) })
	t.Run("aws CLI presign", func(t *testing.T) { cliPresignForLog(t, e, seen, bucket) })
	t.Run("boto3 presign", func(t *testing.T) { boto3PresignForLog(t, e, seen, bucket) })

	checkLogHasNoSecrets(t, c.GatewayLogPath(), bucket, secret, seen)
}

// minioForLog uploads with signed aws-chunks and reads back through a
// presigned GET.
func minioForLog(t *testing.T, e *s3Env, seen *secretsSeen, bucket string) {
	host := strings.TrimPrefix(e.url, "http://")
	mc, err := minio.New(host, &minio.Options{Creds: miniocreds.NewStaticV4(e.key, e.secret, ""),
		Region: "us-east-1", Transport: seen.wrap(e.transport()), MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(1403, 70<<10)
	if _, err := mc.PutObject(e.ctx(t), bucket, "minio.bin", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("minio PutObject: %v", err)
	}
	u, err := mc.PresignedGetObject(e.ctx(t), bucket, "minio.bin", 10*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen.noteURL(u.String())
	resp := doPresigned(t, e, http.MethodGet, u.String(), nil, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(resp.Body, data) {
		t.Fatalf("minio presigned GET: %d, %d bytes; want 200, %d bytes", resp.StatusCode, len(resp.Body), len(data))
	}
}

// cliPresignForLog fetches `aws s3 presign` URLs (botocore) with
// net/http. The CLI v1 signs them with SigV2 unless told s3v4: sixfold
// refuses those, but their signature must stay out of the log all the same.
func cliPresignForLog(t *testing.T, e *s3Env, seen *secretsSeen, bucket string) {
	cli := newAWSCLI(t, e)
	presign := func() string {
		u := strings.TrimSpace(cli.must(t, "s3", "presign", "s3://"+bucket+"/presigned.bin", "--expires-in", "600"))
		seen.noteURL(u)
		return u
	}
	if resp := doPresigned(t, e, http.MethodGet, presign(), nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("aws s3 presign URL (SigV2): %d %s; want 403", resp.StatusCode, resp.Body)
	}
	for _, kv := range cli.env {
		if path, ok := strings.CutPrefix(kv, "AWS_CONFIG_FILE="); ok {
			if err := os.WriteFile(path, []byte("[default]\ns3 =\n    signature_version = s3v4\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	u := presign()
	if !strings.Contains(u, "X-Amz-Signature=") {
		t.Fatalf("aws s3 presign with s3v4 configured gave %s; want a SigV4 URL", u)
	}
	resp := doPresigned(t, e, http.MethodGet, u, nil, nil)
	if resp.StatusCode != http.StatusOK || len(resp.Body) == 0 {
		t.Fatalf("aws s3 presign URL (SigV4): %d %s; want 200 with the object", resp.StatusCode, resp.Body)
	}
}

// boto3PresignForLog makes a presigned PUT and GET with boto3 and uses them
// with net/http.
func boto3PresignForLog(t *testing.T, e *s3Env, seen *secretsSeen, bucket string) {
	python := requireTool(t, "python3", "-c", "import boto3")
	const script = `import sys, boto3
from botocore.config import Config
c = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3],
                 config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
for op in ("put_object", "get_object"):
    print(c.generate_presigned_url(op, Params={"Bucket": sys.argv[4], "Key": "boto3.bin"}, ExpiresIn=600))
`
	ctx, cancel := context.WithTimeout(e.ctx(t), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", script, e.url, e.key, e.secret, bucket)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3 presign: %v", err)
	}
	urls := strings.Fields(string(out))
	if len(urls) != 2 {
		t.Fatalf("boto3 printed %q; want two URLs", out)
	}
	seen.noteURL(urls[0])
	seen.noteURL(urls[1])
	data := randomBytes(1404, 3000)
	wantStatus(t, doPresigned(t, e, http.MethodPut, urls[0], nil, data), http.StatusOK)
	resp := doPresigned(t, e, http.MethodGet, urls[1], nil, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(resp.Body, data) {
		t.Fatalf("boto3 presigned GET: %d, %d bytes; want 200, %d bytes", resp.StatusCode, len(resp.Body), len(data))
	}
}

// secretsSeen collects every signature and presigned credential clients
// sent, from Authorization headers and from URLs.
type secretsSeen struct {
	mu          sync.Mutex
	requests    int // sent through wrap
	signatures  map[string]bool
	credentials map[string]bool
}

var authSignature = regexp.MustCompile(`Signature=([0-9a-f]{64})`)

func (s *secretsSeen) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if m := authSignature.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
			s.add(m[1], "")
		}
		s.noteURL(req.URL.String())
		s.mu.Lock()
		s.requests++
		s.mu.Unlock()
		return next.RoundTrip(req)
	})
}

// noteURL records a URL's signature (SigV4, or SigV2's Signature) and
// X-Amz-Credential.
func (s *secretsSeen) noteURL(raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	q := u.Query()
	s.add(q.Get("X-Amz-Signature"), q.Get("X-Amz-Credential"))
	s.add(q.Get("Signature"), "")
}

func (s *secretsSeen) add(sig, cred string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signatures == nil {
		s.signatures, s.credentials = map[string]bool{}, map[string]bool{}
	}
	if sig != "" {
		s.signatures[sig] = true
	}
	if cred != "" {
		s.credentials[cred] = true
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// secretParam finds a secret query parameter and its value in a log; the
// only value allowed is REDACTED.
var secretParam = regexp.MustCompile(`(?i)(x-amz-(?:signature|credential|security-token)|(?:[?&;]|\\u0026)signature)(?:=|%3D)([^&;"\s\\]*)`)

// checkLogHasNoSecrets reads the gateway log once it holds the request
// lines of the presigned GETs, then looks for anything secret.
func checkLogHasNoSecrets(t *testing.T, path, bucket, secret string, seen *secretsSeen) {
	t.Helper()
	seen.mu.Lock()
	sent := seen.requests
	seen.mu.Unlock()
	var raw []byte
	eventually(t, 10*time.Second, fmt.Sprintf("the gateway log has a request line for each of the %d requests sent", sent), func() bool {
		raw, _ = os.ReadFile(path)
		return requestLines(raw, "/"+bucket) >= sent
	})
	log := string(raw)
	if sent < 10 {
		t.Fatalf("%d requests sent; the test meant to send more", sent)
	}
	if !hasPresignedRequestLine(raw, "/"+bucket+"/presigned.bin") {
		t.Errorf("no request line for the presigned GET with its signature and credential redacted")
	}
	if strings.Contains(log, secret) {
		t.Errorf("the gateway log holds the secret key")
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	if len(seen.signatures) < 8 || len(seen.credentials) == 0 {
		t.Fatalf("collected %d signatures and %d credentials; the test meant to send more", len(seen.signatures), len(seen.credentials))
	}
	for sig := range seen.signatures {
		if strings.Contains(log, sig) || strings.Contains(log, url.QueryEscape(sig)) {
			t.Errorf("the gateway log holds signature %s", sig)
		}
	}
	for cred := range seen.credentials {
		if strings.Contains(log, cred) || strings.Contains(log, url.QueryEscape(cred)) {
			t.Errorf("the gateway log holds credential %s", cred)
		}
	}
	for _, m := range secretParam.FindAllStringSubmatch(log, -1) {
		if m[2] != "REDACTED" {
			t.Errorf("the gateway log holds %s with value %q", m[1], m[2])
		}
	}
	if m := authSignature.FindString(log); m != "" {
		t.Errorf("the gateway log holds an Authorization signature: %s", m)
	}
}

// requestLines counts the request lines for URIs under prefix.
func requestLines(log []byte, prefix string) int {
	n := 0
	for line := range bytes.Lines(log) {
		var entry struct{ Message, URI string }
		if json.Unmarshal(line, &entry) == nil && entry.Message == "request" && strings.HasPrefix(entry.URI, prefix) {
			n++
		}
	}
	return n
}

// hasPresignedRequestLine reports whether the log has a request line for a
// GET of path by presigned URL, with its signature and credential redacted.
func hasPresignedRequestLine(log []byte, path string) bool {
	for line := range bytes.Lines(log) {
		var entry struct{ Message, Method, URI string }
		if json.Unmarshal(line, &entry) != nil || entry.Message != "request" || entry.Method != http.MethodGet {
			continue
		}
		if strings.HasPrefix(entry.URI, path+"?") && strings.Contains(entry.URI, "X-Amz-Signature=REDACTED") &&
			strings.Contains(entry.URI, "X-Amz-Credential=REDACTED") {
			return true
		}
	}
	return false
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
