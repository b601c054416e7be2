package e2e_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
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
	// The blob's recorded checksum (the /files ETag) is the SHA-256 of the
	// bytes, whether the gateway hashed them or took the digest SigV4
	// computed while verifying a hex-signed payload.
	resp := c.get("/files/" + id)
	resp.Body.Close()
	if etag, want := resp.Header.Get("ETag"), `"`+sum(data)+`"`; etag != want {
		t.Errorf("GET /files/%s ETag = %s; want %s", id, etag, want)
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
