package e2e_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithymiddleware "github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// filesDoor checks that an object stored through S3 is served by
// GET /files/{id} with HTTP Basic and the same key and secret.
func filesDoor(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "files-door")
	key := "door/obj.bin"
	data := randomBytes(1301, 3<<20+5)
	put := e.put(t, bucket, key, bytes.NewReader(data))
	head, err := e.s3.HeadObject(e.ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	id := sixfoldID(put.ResultMetadata, head.ResultMetadata)
	if id == "" || id != blobIDOf(t, e, bucket, key) {
		t.Fatalf("x-sixfold-object-id = %q; want the object's blob id %s", id, blobIDOf(t, e, bucket, key))
	}
	c := &client{t: t, base: e.url, key: e.key, secret: e.secret, http: e.http}
	got, n := c.download(id)
	if want := sum(data); got != want || n != int64(len(data)) {
		t.Fatalf("GET /files/%s = %d bytes sha256 %s; want %d bytes %s", id, n, got, len(data), want)
	}
	// The blob records a SHA-256 (the /files ETag) only when the S3 door
	// computed one anyway, for a hex-signed payload; the SDK signs its
	// payload over HTTP and sends it unsigned with a trailer over HTTPS.
	resp := c.get("/files/" + id)
	resp.Body.Close()
	if etag := resp.Header.Get("ETag"); etag != "" && etag != `"`+sum(data)+`"` {
		t.Errorf("GET /files/%s ETag = %s; want none or %q", id, etag, sum(data))
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: e.key, SecretAccessKey: e.secret}
	for i, tt := range []struct {
		name     string
		unsigned bool
	}{{"hex-signed payload", false}, {"UNSIGNED-PAYLOAD", true}} {
		t.Run(tt.name, func(t *testing.T) {
			body := randomBytes(uint64(1302+i), 2<<20+9)
			hash, etag := sum(body), `"`+sum(body)+`"`
			if tt.unsigned {
				// S3 needs only an unsigned body's MD5: no SHA-256 is computed.
				hash, etag = "UNSIGNED-PAYLOAD", ""
			}
			key := fmt.Sprintf("door/payload-%d.bin", i)
			req, err := http.NewRequestWithContext(e.ctx(t), http.MethodPut, e.url+"/"+bucket+"/"+key, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Content-Sha256", hash)
			if err := signer.SignHTTP(e.ctx(t), creds, req, hash, "s3", "us-east-1", time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
			put, err := e.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			put.Body.Close()
			if put.StatusCode != http.StatusOK {
				t.Fatalf("PUT = %d; want 200", put.StatusCode)
			}
			id := blobIDOf(t, e, bucket, key)
			if got, n := c.download(id); got != sum(body) || n != int64(len(body)) {
				t.Fatalf("GET /files/%s = %d bytes sha256 %s; want %d bytes %s", id, n, got, len(body), sum(body))
			}
			resp := c.get("/files/" + id)
			resp.Body.Close()
			if got := resp.Header.Get("ETag"); got != etag {
				t.Errorf("GET /files/%s ETag = %q; want %q", id, got, etag)
			}
		})
	}
}

// sixfoldID returns the value of the first X-Sixfold-* response header
// found in the responses, or "".
func sixfoldID(metas ...smithymiddleware.Metadata) string {
	for _, m := range metas {
		resp, ok := awsmiddleware.GetRawResponse(m).(*smithyhttp.Response)
		if !ok {
			continue
		}
		for name, v := range resp.Header {
			if strings.HasPrefix(http.CanonicalHeaderKey(name), "X-Sixfold-") && len(v) > 0 {
				return v[0]
			}
		}
	}
	return ""
}

// blobIDOf is the blob behind a single-PUT object.
func blobIDOf(t *testing.T, e *s3Env, bucket, key string) string {
	t.Helper()
	var id string
	err := poolFor(t, e.cluster.DatabaseURL()).QueryRow(e.ctx(t),
		`SELECT p.file_id::text FROM objects o JOIN object_parts p ON p.object_id = o.id
		 WHERE o.bucket = $1 AND o.key = $2 AND p.part_number = 1`, bucket, key).Scan(&id)
	if err != nil {
		t.Fatalf("blob of %s/%s: %v", bucket, key, err)
	}
	return id
}
