package s3api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// rawResponse is a status, headers and the whole body.
type rawResponse struct {
	status int
	header http.Header
	body   string
}

// do sends a request, signed with SigV4 unless unsigned, and reads the
// answer whole.
func do(t *testing.T, srv *testServer, method, path, body string, header map[string]string, signed bool) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if signed {
		sum := sha256.Sum256([]byte(body))
		hash := hex.EncodeToString(sum[:])
		req.Header.Set("X-Amz-Content-Sha256", hash)
		creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := srv.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

// errorCode reads the Code of an <Error> body.
func errorCode(t *testing.T, body string) string {
	t.Helper()
	var doc struct{ Code, RequestId string }
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("not an error document: %q", body)
	}
	if doc.RequestId == "" {
		t.Errorf("error document without RequestId: %q", body)
	}
	return doc.Code
}

func TestRawHTTP(t *testing.T) {
	srv := newTestServer(t, serverOptions{})
	if r := do(t, srv, "PUT", "/raw", "", nil, true); r.status != 200 || r.header.Get("Location") != "/raw" {
		t.Fatalf("CreateBucket: %d %v %s", r.status, r.header, r.body)
	}
	if r := do(t, srv, "PUT", "/raw/k", "0123456789", nil, true); r.status != 200 || r.header.Get("ETag") != `"781e5e245d69b566979b86e28d23f2c7"` {
		t.Fatalf("PutObject: %d %v %s", r.status, r.header, r.body)
	}
	cases := []struct {
		name, method, path, body string
		header                   map[string]string
		signed                   bool
		status                   int
		code                     string
	}{
		{"unsigned", "GET", "/raw/k", "", nil, false, 403, "AccessDenied"},
		{"unsigned listing", "GET", "/", "", nil, false, 403, "AccessDenied"},
		{"unsatisfiable range", "GET", "/raw/k", "", map[string]string{"Range": "bytes=10-"}, true, 416, "InvalidRange"},
		{"malformed complete", "POST", "/raw/k?uploadId=whatever", "<CompleteMultipartUpload><Part>", nil, true, 400, "MalformedXML"},
		{"empty complete", "POST", "/raw/k?uploadId=whatever", "<CompleteMultipartUpload/>", nil, true, 400, "MalformedXML"},
		{"unknown upload", "POST", "/raw/k?uploadId=whatever", "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", nil, true, 404, "NoSuchUpload"},
		{"part out of range", "PUT", "/raw/k?partNumber=10001&uploadId=u", "x", nil, true, 400, "InvalidArgument"},
		{"missing bucket", "GET", "/nobucket/k", "", nil, true, 404, "NoSuchBucket"},
		{"reserved bucket", "PUT", "/health", "", nil, true, 400, "InvalidBucketName"},
		{"bad bucket config", "PUT", "/newbucket", "<CreateBucketConfiguration><Location", nil, true, 400, "MalformedXML"},
		{"delete objects garbage", "POST", "/raw?delete", "not xml", nil, true, 400, "MalformedXML"},
		{"copy of itself", "PUT", "/raw/k", "", map[string]string{"X-Amz-Copy-Source": "/raw/k"}, true, 400, "InvalidRequest"},
		{"bad copy source", "PUT", "/raw/k2", "", map[string]string{"X-Amz-Copy-Source": "raw"}, true, 400, "InvalidArgument"},
		{"not implemented", "PUT", "/raw?policy", "", nil, true, 501, "NotImplemented"},
		{"bad versioning", "PUT", "/raw?versioning", "<VersioningConfiguration><Status>On</Status></VersioningConfiguration>", nil, true, 400, "IllegalVersioningConfigurationException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, srv, tc.method, tc.path, tc.body, tc.header, tc.signed)
			if r.status != tc.status || r.header.Get("x-amz-request-id") == "" {
				t.Fatalf("status %d (request id %q); want %d: %s", r.status, r.header.Get("x-amz-request-id"), tc.status, r.body)
			}
			if got := errorCode(t, r.body); got != tc.code {
				t.Errorf("code %s; want %s", got, tc.code)
			}
		})
	}
}

func TestRawHTTPSuccesses(t *testing.T) {
	srv := newTestServer(t, serverOptions{})
	do(t, srv, "PUT", "/raw", `<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`, nil, true)
	do(t, srv, "PUT", "/raw/k", "0123456789", map[string]string{"Content-Encoding": "gzip,aws-chunked", "Expires": "Thu, 01 Dec 1994 16:00:00 GMT"}, true)
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`
	if r := do(t, srv, "GET", "/raw/?location=", "", nil, true); r.status != 200 || r.body != want {
		t.Errorf("GetBucketLocation: %d %q", r.status, r.body)
	}
	r := do(t, srv, "GET", "/raw/k", "", map[string]string{"Range": "bytes=-3"}, true)
	if r.status != 206 || r.body != "789" || r.header.Get("Content-Range") != "bytes 7-9/10" {
		t.Errorf("suffix range: %d %q %v", r.status, r.body, r.header)
	}
	if r.header.Get("Content-Encoding") != "gzip" || r.header.Get("Expires") != "Thu, 01 Dec 1994 16:00:00 GMT" {
		t.Errorf("stored headers: Content-Encoding %q Expires %q", r.header.Get("Content-Encoding"), r.header.Get("Expires"))
	}
	if r := do(t, srv, "GET", "/raw/k", "", map[string]string{"Range": "bytes=0-1,4-5"}, true); r.status != 200 || r.body != "0123456789" {
		t.Errorf("multi-range: %d %q; want the whole object", r.status, r.body)
	}
	etag := `"781e5e245d69b566979b86e28d23f2c7"`
	if r := do(t, srv, "GET", "/raw/k", "", map[string]string{"If-None-Match": etag}, true); r.status != 304 || r.body != "" || r.header.Get("ETag") != etag {
		t.Errorf("If-None-Match: %d %q %v", r.status, r.body, r.header)
	}
	if r := do(t, srv, "HEAD", "/raw/k", "", map[string]string{"If-Match": `"other"`}, true); r.status != 412 || r.body != "" {
		t.Errorf("HEAD If-Match mismatch: %d %q", r.status, r.body)
	}
	if r := do(t, srv, "DELETE", "/raw/k", "", nil, true); r.status != 204 {
		t.Errorf("DeleteObject: %d", r.status)
	}
	if r := do(t, srv, "DELETE", "/raw", "", nil, true); r.status != 204 {
		t.Errorf("DeleteBucket: %d %s", r.status, r.body)
	}
}
