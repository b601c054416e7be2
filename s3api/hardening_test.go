package s3api_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestPresignedPutCannotBecomeCopy: an unsigned X-Amz-Copy-Source added to
// a presigned PUT would route it to CopyObject; it is refused, as S3 does,
// and nothing is written.
func TestPresignedPutCannotBecomeCopy(t *testing.T) {
	srv := newTestServer(t, serverOptions{})
	f := &awsFixture{t: t, c: newAWSClient(t, srv), srv: srv, ctx: context.Background()}
	b := f.bucket("hardening")
	secret := []byte("the source the presigned URL never granted")
	f.put(b, "private", secret)

	put, err := s3.NewPresignClient(f.c).PresignPutObject(f.ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("upload")})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(put.Method, put.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Copy-Source", b+"/private")
	resp, err := srv.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc struct{ Code, Message, HeadersNotSigned string }
	if err := xml.Unmarshal(body, &doc); err != nil || resp.StatusCode != http.StatusForbidden || doc.Code != "AccessDenied" ||
		doc.Message != "There were headers present in the request which were not signed" || doc.HeadersNotSigned != "x-amz-copy-source" {
		t.Fatalf("presigned PUT with an unsigned copy source: %s %s; want 403 AccessDenied naming x-amz-copy-source", resp.Status, body)
	}
	if _, err := f.c.HeadObject(f.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("upload")}); apiCode(err) != "NotFound" {
		t.Errorf("HeadObject of the destination: %v; want NotFound", err)
	}
	got, _ := f.get(b, "private")
	if !bytes.Equal(got, secret) {
		t.Errorf("source after the refused copy: %q; want %q", got, secret)
	}
}

// TestQueryReadDifferentlyIsRefused: a query holding ';' is signed validly
// by a client that encoded it as prefix="a;delimiter=/" and sends it raw; a
// lenient verifier accepts it while Go's parser, routing it, drops the
// prefix altogether. It gets 400 instead of a listing of the wrong prefix.
func TestQueryReadDifferentlyIsRefused(t *testing.T) {
	srv := newTestServer(t, serverOptions{})
	f := &awsFixture{t: t, c: newAWSClient(t, srv), srv: srv, ctx: context.Background()}
	b := f.bucket("semicolons")
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/"+b+"?list-type=2&prefix=a%3Bdelimiter%3D%2F", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	creds := aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}
	if err := v4.NewSigner().SignHTTP(f.ctx, creds, req, emptySHA256, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	req.URL.RawQuery = "list-type=2&prefix=a;delimiter=/" // the same canonical query, split on '&'
	resp, err := srv.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || errorCode(t, string(body)) != "InvalidArgument" {
		t.Fatalf("GET ?list-type=2&prefix=a;delimiter=/: %s %s; want 400 InvalidArgument", resp.Status, body)
	}
}

// emptySHA256 is the hex SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
