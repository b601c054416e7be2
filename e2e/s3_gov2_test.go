package e2e_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// newGoV2Client builds an aws-sdk-go-v2 client the way an application
// does (config.LoadDefaultConfig, so default checksum calculation and
// response validation), with path style and the gateway as BaseEndpoint.
// Retries are off so that a server error shows instead of being retried.
func newGoV2Client(t *testing.T, e *s3Env) *s3.Client {
	t.Helper()
	opts := []func(*config.LoadOptions) error{
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(e.key, e.secret, "")),
		config.WithHTTPClient(awshttp.NewBuildableClient()),
		config.WithRetryMaxAttempts(1),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
	}
	if e.caPEM != nil {
		// An explicit bundle wins over AWS_CA_BUNDLE, which many machines
		// set and which would otherwise replace the roots.
		opts = append(opts, config.WithCustomCABundle(bytes.NewReader(e.caPEM)))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(e.url)
		o.UsePathStyle = true
		o.HTTPClient = recordingDoer{next: o.HTTPClient, log: &e.wire}
	})
}

// s3Code is the S3 error code of err, or "".
func s3Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// s3Status is the HTTP status behind err, or 0.
func s3Status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// bucket creates a fresh bucket through go-v2.
func (e *s3Env) bucket(t *testing.T, base string) string {
	t.Helper()
	name := bucketName(base)
	if _, err := e.s3.CreateBucket(e.ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

// put stores body as bucket/key with the SDK's default checksum.
func (e *s3Env) put(t *testing.T, bucket, key string, body io.Reader) *s3.PutObjectOutput {
	t.Helper()
	out, err := e.s3.PutObject(e.ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: body})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

// getSHA reads an object whole with checksum validation on (the SDK
// validates a returned checksum while the body is read) and returns the
// body's SHA-256 and length.
func (e *s3Env) getSHA(t *testing.T, bucket, key string) (string, int64, *s3.GetObjectOutput) {
	t.Helper()
	out, err := e.s3.GetObject(e.ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	sha, n := readerSHA(t, out.Body)
	return sha, n, out
}

// getBytes reads an object whole, as getSHA does.
func (e *s3Env) getBytes(t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := e.s3.GetObject(e.ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("reading %s/%s (the SDK validates checksums here): %v", bucket, key, err)
	}
	return data
}

// wantNoObject checks that HeadObject answers 404.
func (e *s3Env) wantNoObject(t *testing.T, bucket, key string) {
	t.Helper()
	_, err := e.s3.HeadObject(e.ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if s3Status(err) != http.StatusNotFound {
		t.Errorf("HeadObject %s/%s: err %v (status %d); want 404", bucket, key, err, s3Status(err))
	}
}

func goV2Buckets(t *testing.T, e *s3Env) {
	ctx := e.ctx(t)
	name := e.bucket(t, "gov2-buckets")
	if !slices.Contains(listBucketNames(t, e), name) {
		t.Fatalf("ListBuckets lacks %s", name)
	}
	if _, err := e.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	e.put(t, name, "k", strings.NewReader("x"))
	_, err := e.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)})
	if s3Code(err) != "BucketNotEmpty" {
		t.Errorf("DeleteBucket of a non-empty bucket: %v; want BucketNotEmpty", err)
	}
	if _, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: aws.String("k")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	if _, err := e.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	_, err = e.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	if s3Status(err) != http.StatusNotFound {
		t.Errorf("HeadBucket after delete: %v; want 404", err)
	}
	if slices.Contains(listBucketNames(t, e), name) {
		t.Errorf("ListBuckets still lists %s after DeleteBucket", name)
	}
}

func listBucketNames(t *testing.T, e *s3Env) []string {
	t.Helper()
	out, err := e.s3.ListBuckets(e.ctx(t), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	return names
}

// goV2Objects puts, heads, gets and deletes 0 B, 1 KiB and 100 MiB
// objects; the 100 MiB one comes from a file as applications send it.
func goV2Objects(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "gov2-objects")
	for _, size := range []int64{0, 1 << 10, 100 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			key := fmt.Sprintf("obj/%d.bin", size)
			body, want, md5hex := objectBody(t, e, size)
			put := e.put(t, bucket, key, body)
			if md5hex != "" && aws.ToString(put.ETag) != `"`+md5hex+`"` {
				t.Errorf("PutObject ETag = %s; want %q", aws.ToString(put.ETag), md5hex)
			}
			head, err := e.s3.HeadObject(e.ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if aws.ToInt64(head.ContentLength) != size || aws.ToString(head.ETag) != aws.ToString(put.ETag) {
				t.Errorf("HeadObject = %d bytes, ETag %s; want %d, %s", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag), size, aws.ToString(put.ETag))
			}
			got, n, out := e.getSHA(t, bucket, key)
			if got != want || n != size {
				t.Fatalf("GetObject = %d bytes sha256 %s; want %d bytes %s", n, got, size, want)
			}
			if out.ChecksumCRC32 == nil {
				t.Errorf("GetObject with checksum mode returned no x-amz-checksum-crc32; the SDK sent one on PUT, so nothing was validated")
			}
			if _, err := e.s3.DeleteObject(e.ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
				t.Fatalf("DeleteObject: %v", err)
			}
			e.wantNoObject(t, bucket, key)
		})
	}
}

// objectBody returns a body of size bytes, its SHA-256 and (for small
// bodies) its MD5: the 100 MiB one is the fixture file.
func objectBody(t *testing.T, e *s3Env, size int64) (io.Reader, string, string) {
	t.Helper()
	if size == e.fx.big.size {
		f, err := os.Open(e.fx.big.path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f, e.fx.big.sha, ""
	}
	data := randomBytes(uint64(500+size), size)
	m := md5.Sum(data)
	return bytes.NewReader(data), sum(data), hex.EncodeToString(m[:])
}

// goV2ListAndDeleteObjects stores 2,500 keys in 25 "directories", lists
// them with pagination, prefix and delimiter, then removes them with
// DeleteObjects.
func goV2ListAndDeleteObjects(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "gov2-list")
	var keys []string
	for i := range 2500 {
		keys = append(keys, fmt.Sprintf("list/d%02d/k%04d", i%25, i))
	}
	putKeys(t, e, bucket, keys, 16)
	slices.Sort(keys)
	t.Run("Pagination", func(t *testing.T) { listPages(t, e, bucket, keys) })
	t.Run("Prefix", func(t *testing.T) {
		got, _ := listAll(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("list/d07/")})
		want := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return !strings.HasPrefix(k, "list/d07/") })
		if !slices.Equal(got, want) {
			t.Errorf("prefix list/d07/: got %d keys (%.3q…); want %d", len(got), got[:min(3, len(got))], len(want))
		}
	})
	t.Run("Delimiter", func(t *testing.T) {
		keys, prefixes := listAll(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("list/"),
			Delimiter: aws.String("/"), MaxKeys: aws.Int32(7)})
		var want []string
		for i := range 25 {
			want = append(want, fmt.Sprintf("list/d%02d/", i))
		}
		if len(keys) != 0 || !slices.Equal(prefixes, want) {
			t.Errorf("delimiter /: got keys %q, prefixes %q; want no keys, prefixes %q", keys, prefixes, want)
		}
	})
	t.Run("DeleteObjects", func(t *testing.T) { deleteAll(t, e, bucket, keys) })
}

// putKeys stores each key (its body is the key itself), workers at a time.
func putKeys(t *testing.T, e *s3Env, bucket string, keys []string, workers int) {
	t.Helper()
	ctx := e.ctx(t)
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	sem := make(chan struct{}, workers)
	for _, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(k)})
			if err != nil {
				errs <- fmt.Errorf("PutObject %s: %w", k, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// listPages walks all pages of 1,000 and checks their sizes and flags.
func listPages(t *testing.T, e *s3Env, bucket string, want []string) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("list/")}
	p := s3.NewListObjectsV2Paginator(e.s3, in)
	var got []string
	var sizes []int
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx(t))
		if err != nil {
			t.Fatalf("ListObjectsV2 page %d: %v", len(sizes)+1, err)
		}
		for _, o := range page.Contents {
			got = append(got, aws.ToString(o.Key))
		}
		sizes = append(sizes, len(page.Contents))
		if truncated := aws.ToBool(page.IsTruncated); truncated != p.HasMorePages() || int(aws.ToInt32(page.KeyCount)) != len(page.Contents) {
			t.Errorf("page %d: IsTruncated %v, KeyCount %d for %d keys", len(sizes), truncated, aws.ToInt32(page.KeyCount), len(page.Contents))
		}
	}
	if !slices.Equal(sizes, []int{1000, 1000, 500}) {
		t.Errorf("page sizes = %v; want [1000 1000 500]", sizes)
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %d keys; want the %d stored, in order", len(got), len(want))
	}
}

// listAll follows continuation tokens and returns every key and common
// prefix.
func listAll(t *testing.T, e *s3Env, in *s3.ListObjectsV2Input) (keys, prefixes []string) {
	t.Helper()
	p := s3.NewListObjectsV2Paginator(e.s3, in)
	for p.HasMorePages() {
		page, err := p.NextPage(e.ctx(t))
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		for _, cp := range page.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
	}
	return keys, prefixes
}

// deleteAll removes keys with DeleteObjects, 1,000 at a time, and checks
// the bucket is empty after.
func deleteAll(t *testing.T, e *s3Env, bucket string, keys []string) {
	for batch := range slices.Chunk(keys, 1000) {
		var ids []types.ObjectIdentifier
		for _, k := range batch {
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
		}
		out, err := e.s3.DeleteObjects(e.ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids}})
		if err != nil {
			t.Fatalf("DeleteObjects: %v", err)
		}
		if len(out.Deleted) != len(batch) || len(out.Errors) != 0 {
			t.Fatalf("DeleteObjects of %d keys: %d deleted, errors %+v", len(batch), len(out.Deleted), out.Errors)
		}
	}
	if left, _ := listAll(t, e, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}); len(left) != 0 {
		t.Errorf("%d keys left after DeleteObjects (first %q)", len(left), left[0])
	}
}

func goV2Copy(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "gov2-copy")
	data := randomBytes(601, 3<<20+17)
	src, dst := "src/a b+c.bin", "dst/copy.bin"
	put := e.put(t, bucket, src, bytes.NewReader(data))
	source := (&url.URL{Path: bucket + "/" + src}).EscapedPath()
	out, err := e.s3.CopyObject(e.ctx(t), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(dst), CopySource: aws.String(source)})
	if err != nil {
		t.Fatalf("CopyObject from %s: %v", source, err)
	}
	if got := aws.ToString(out.CopyObjectResult.ETag); got != aws.ToString(put.ETag) {
		t.Errorf("CopyObject ETag = %s; want the source's %s", got, aws.ToString(put.ETag))
	}
	if got := e.getBytes(t, bucket, dst); !bytes.Equal(got, data) {
		t.Errorf("copy = %d bytes sha256 %s; want %d bytes %s", len(got), sum(got), len(data), sum(data))
	}
	if got := e.getBytes(t, bucket, src); !bytes.Equal(got, data) {
		t.Errorf("source after copy = %d bytes; want %d unchanged", len(got), len(data))
	}
}

// goV2Presigned presigns a PUT and a GET with go-v2 and uses them with
// plain net/http.
func goV2Presigned(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "gov2-presign")
	key := "presigned/obj.bin"
	data := randomBytes(701, 300<<10+3)
	ps := s3.NewPresignClient(e.s3, s3.WithPresignExpires(10*time.Minute))
	putReq, err := ps.PresignPutObject(e.ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("PresignPutObject: %v", err)
	}
	resp := doPresigned(t, e, putReq.Method, putReq.URL, putReq.SignedHeader, data)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT = %d: %s", resp.StatusCode, resp.Body)
	}
	getReq, err := ps.PresignGetObject(e.ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	resp = doPresigned(t, e, getReq.Method, getReq.URL, getReq.SignedHeader, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(resp.Body, data) {
		t.Fatalf("presigned GET = %d, %d bytes sha256 %s; want 200, %d bytes %s", resp.StatusCode, len(resp.Body), sum(resp.Body), len(data), sum(data))
	}
}

// rawResponse is a response with its body read.
type rawResponse struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// doPresigned sends a presigned request with plain net/http, with the
// headers the presigner says were signed.
func doPresigned(t *testing.T, e *s3Env, method, u string, signed http.Header, body []byte) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(e.ctx(t), method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range signed {
		if !strings.EqualFold(k, "Host") {
			req.Header[k] = v
		}
	}
	return e.exchange(t, req)
}

// exchange sends req with the env's HTTP client and reads the answer.
func (e *s3Env) exchange(t *testing.T, req *http.Request) rawResponse {
	t.Helper()
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return rawResponse{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}
}
