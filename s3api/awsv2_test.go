package s3api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// newAWSClient returns an aws-sdk-go-v2 client for srv, path style. It is
// built from explicit options so that no AWS_* variable of the machine
// changes what it sends.
func newAWSClient(t *testing.T, srv *testServer) *s3.Client {
	t.Helper()
	return s3.New(s3.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		HTTPClient:       srv.client(),
		BaseEndpoint:     aws.String(srv.URL),
		UsePathStyle:     true,
		RetryMaxAttempts: 1,
		// The defaults LoadDefaultConfig would apply: checksums on every
		// upload, and validation of every checksum returned.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	})
}

// apiCode returns the S3 error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestAWSSDK drives the S3 door with aws-sdk-go-v2 over HTTP and HTTPS
// (where the SDK switches to STREAMING-UNSIGNED-PAYLOAD-TRAILER and h2).
func TestAWSSDK(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tls), func(t *testing.T) {
			srv := newTestServer(t, serverOptions{tls: tls})
			c := newAWSClient(t, srv)
			for _, tc := range awsCases {
				t.Run(tc.name, func(t *testing.T) { tc.run(t, &awsFixture{t: t, c: c, srv: srv, ctx: context.Background()}) })
			}
			proto, mode := "HTTP/1.1", "hex"
			if tls {
				proto, mode = "HTTP/2.0", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
			}
			if !srv.sawUpload(proto, mode) {
				t.Errorf("no upload arrived over %s as %s", proto, mode)
			}
		})
	}
}

// awsFixture is one aws-sdk-go-v2 subtest.
type awsFixture struct {
	t   *testing.T
	c   *s3.Client
	srv *testServer
	ctx context.Context
}

// bucket creates a bucket named after the test.
func (f *awsFixture) bucket(name string) string {
	f.t.Helper()
	if _, err := f.c.CreateBucket(f.ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		f.t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

// put stores data with the SDK's default checksum.
func (f *awsFixture) put(bucket, key string, data []byte) *s3.PutObjectOutput {
	f.t.Helper()
	out, err := f.c.PutObject(f.ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		f.t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

// get reads an object whole with checksum validation on.
func (f *awsFixture) get(bucket, key string, mutate ...func(*s3.GetObjectInput)) ([]byte, *s3.GetObjectOutput) {
	f.t.Helper()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled}
	for _, m := range mutate {
		m(in)
	}
	out, err := f.c.GetObject(f.ctx, in)
	if err != nil {
		f.t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		f.t.Fatalf("reading %s/%s (the SDK validates checksums here): %v", bucket, key, err)
	}
	return data, out
}

var awsCases = []struct {
	name string
	run  func(t *testing.T, f *awsFixture)
}{
	{"Buckets", awsBuckets},
	{"Objects", awsObjects},
	{"SHA256Checksum", awsSHA256},
	{"Ranges", awsRanges},
	{"Conditionals", awsConditionals},
	{"ListObjectsV2", awsList},
	{"Multipart", awsMultipart},
	{"MultipartEdges", awsMultipartEdges},
	{"CopyObject", awsCopy},
	{"DeleteObjects", awsDeleteObjects},
	{"Presigned", awsPresigned},
	{"Errors", awsErrors},
}

func awsBuckets(t *testing.T, f *awsFixture) {
	f.bucket("bk-one")
	f.bucket("bk-two")
	// In us-east-1, S3 answers its owner's repeated CreateBucket with 200.
	if _, err := f.c.CreateBucket(f.ctx, &s3.CreateBucketInput{Bucket: aws.String("bk-one")}); err != nil {
		t.Errorf("CreateBucket twice in us-east-1: %v; want 200", err)
	}
	out, err := f.c.ListBuckets(f.ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	page, err := f.c.ListBuckets(f.ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1), Prefix: aws.String("bk-")})
	if err != nil || len(page.Buckets) != 1 || aws.ToString(page.Buckets[0].Name) != "bk-one" || page.ContinuationToken == nil {
		t.Fatalf("ListBuckets max 1 = %+v, %v; want bk-one and a continuation token", page, err)
	}
	page, err = f.c.ListBuckets(f.ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1), Prefix: aws.String("bk-"), ContinuationToken: page.ContinuationToken})
	if err != nil || len(page.Buckets) != 1 || aws.ToString(page.Buckets[0].Name) != "bk-two" || page.ContinuationToken != nil || aws.ToString(page.Prefix) != "bk-" {
		t.Fatalf("ListBuckets page 2 = %+v, %v; want bk-two, no token, prefix bk-", page, err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if !slices.Contains(names, "bk-one") || !slices.Contains(names, "bk-two") {
		t.Errorf("ListBuckets = %v; want bk-one and bk-two", names)
	}
	if _, err := f.c.HeadBucket(f.ctx, &s3.HeadBucketInput{Bucket: aws.String("bk-two")}); err != nil {
		t.Errorf("HeadBucket: %v", err)
	}
	if _, err := f.c.DeleteBucket(f.ctx, &s3.DeleteBucketInput{Bucket: aws.String("bk-two")}); err != nil {
		t.Errorf("DeleteBucket: %v", err)
	}
	_, err = f.c.HeadBucket(f.ctx, &s3.HeadBucketInput{Bucket: aws.String("bk-two")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("HeadBucket after delete: %v; want NotFound", err)
	}
	loc, err := f.c.GetBucketLocation(f.ctx, &s3.GetBucketLocationInput{Bucket: aws.String("bk-one")})
	if err != nil || loc.LocationConstraint != "" {
		t.Errorf("GetBucketLocation = %q, %v; want empty (us-east-1)", loc.LocationConstraint, err)
	}
}

func awsObjects(t *testing.T, f *awsFixture) {
	b := f.bucket("objects")
	data := randomData(300_000, 1)
	put := f.put(b, "dir/a+b c.bin", data)
	if aws.ToString(put.ETag) == "" || aws.ToString(put.ChecksumCRC32) == "" {
		t.Errorf("PutObject: ETag %q CRC32 %q; want both", aws.ToString(put.ETag), aws.ToString(put.ChecksumCRC32))
	}
	got, out := f.get(b, "dir/a+b c.bin")
	sameBytes(t, "GetObject", got, data)
	if aws.ToString(out.ChecksumCRC32) != aws.ToString(put.ChecksumCRC32) || aws.ToString(out.ETag) != aws.ToString(put.ETag) {
		t.Errorf("GetObject: CRC32 %q ETag %q; want %q %q", aws.ToString(out.ChecksumCRC32), aws.ToString(out.ETag),
			aws.ToString(put.ChecksumCRC32), aws.ToString(put.ETag))
	}
	head, err := f.c.HeadObject(f.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("dir/a+b c.bin")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt64(head.ContentLength) != int64(len(data)) || head.LastModified == nil || aws.ToString(head.ContentType) != "application/octet-stream" {
		t.Errorf("HeadObject: length %d, modified %v, type %q", aws.ToInt64(head.ContentLength), head.LastModified, aws.ToString(head.ContentType))
	}
	_, err = f.c.PutObject(f.ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("meta"), Body: strings.NewReader("m"),
		ContentType: aws.String("text/plain"), CacheControl: aws.String("no-cache"), ContentDisposition: aws.String("inline"),
		Metadata: map[string]string{"Color": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	head, err = f.c.HeadObject(f.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("meta")})
	if err != nil || head.Metadata["color"] != "blue" || aws.ToString(head.CacheControl) != "no-cache" ||
		aws.ToString(head.ContentType) != "text/plain" || aws.ToString(head.ContentDisposition) != "inline" {
		t.Errorf("HeadObject meta = %v %q %q %q, %v", head.Metadata, aws.ToString(head.CacheControl),
			aws.ToString(head.ContentType), aws.ToString(head.ContentDisposition), err)
	}
	if _, err := f.c.DeleteObject(f.ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("meta")}); err != nil {
		t.Errorf("DeleteObject: %v", err)
	}
	if _, err := f.c.DeleteObject(f.ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("meta")}); err != nil {
		t.Errorf("DeleteObject of a missing key: %v", err)
	}
	_, err = f.c.HeadObject(f.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("meta")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Errorf("HeadObject after delete: %v; want NotFound", err)
	}
	_, err = f.c.GetObject(f.ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("meta")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("GetObject after delete: %v; want NoSuchKey", err)
	}
}

func awsSHA256(t *testing.T, f *awsFixture) {
	b := f.bucket("sha")
	data := randomData(1<<16+1, 2)
	_, err := f.c.PutObject(f.ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"),
		Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	if err != nil {
		t.Fatal(err)
	}
	got, out := f.get(b, "k")
	sameBytes(t, "GetObject", got, data)
	if aws.ToString(out.ChecksumSHA256) == "" {
		t.Errorf("GetObject returned no SHA256 checksum")
	}
}

func awsRanges(t *testing.T, f *awsFixture) {
	b := f.bucket("ranges")
	data := randomData(100_000, 3)
	f.put(b, "k", data)
	for _, r := range []struct {
		header     string
		start, end int
	}{{"bytes=0-0", 0, 1}, {"bytes=10-99", 10, 100}, {"bytes=99000-", 99000, 100_000}, {"bytes=-10", 99_990, 100_000}, {"bytes=5-200000", 5, 100_000}} {
		got, out := f.get(b, "k", func(in *s3.GetObjectInput) { in.Range = aws.String(r.header) })
		sameBytes(t, r.header, got, data[r.start:r.end])
		want := fmt.Sprintf("bytes %d-%d/%d", r.start, r.end-1, len(data))
		if aws.ToString(out.ContentRange) != want || out.ChecksumCRC32 != nil {
			t.Errorf("%s: Content-Range %q, CRC32 %v; want %q and no checksum", r.header, aws.ToString(out.ContentRange), out.ChecksumCRC32, want)
		}
	}
	_, err := f.c.GetObject(f.ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Range: aws.String("bytes=100000-")})
	if apiCode(err) != "InvalidRange" {
		t.Errorf("unsatisfiable range: %v; want InvalidRange", err)
	}
	got, out := f.get(b, "k", func(in *s3.GetObjectInput) { in.PartNumber = aws.Int32(1) })
	sameBytes(t, "partNumber=1 of a single object", got, data)
	if out.PartsCount != nil {
		t.Errorf("partNumber=1 of a single object: parts count %v; want none", *out.PartsCount)
	}
	_, err = f.c.GetObject(f.ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), PartNumber: aws.Int32(2)})
	if apiCode(err) != "InvalidPartNumber" {
		t.Errorf("partNumber=2 of a single object: %v; want InvalidPartNumber", err)
	}
}

func awsConditionals(t *testing.T, f *awsFixture) {
	b := f.bucket("cond")
	put := f.put(b, "k", []byte("conditional"))
	etag := aws.ToString(put.ETag)
	if _, out := f.get(b, "k", func(in *s3.GetObjectInput) { in.IfMatch = aws.String(etag) }); aws.ToString(out.ETag) != etag {
		t.Errorf("If-Match with the ETag: ETag %q", aws.ToString(out.ETag))
	}
	_, err := f.c.GetObject(f.ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), IfMatch: aws.String(`"nope"`)})
	if apiCode(err) != "PreconditionFailed" {
		t.Errorf("If-Match with another ETag: %v; want PreconditionFailed", err)
	}
	_, err = f.c.HeadObject(f.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k"), IfNoneMatch: aws.String(etag)})
	if !strings.Contains(fmt.Sprint(err), "304") {
		t.Errorf("If-None-Match with the ETag: %v; want 304", err)
	}
	_, err = f.c.GetObject(f.ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"),
		IfModifiedSince: aws.Time(time.Now().Add(time.Hour))})
	if !strings.Contains(fmt.Sprint(err), "304") {
		t.Errorf("If-Modified-Since in the future: %v; want 304", err)
	}
	_, err = f.c.PutObject(f.ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"),
		Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	if apiCode(err) != "PreconditionFailed" {
		t.Errorf("PutObject If-None-Match * over an existing key: %v; want PreconditionFailed", err)
	}
}

func awsList(t *testing.T, f *awsFixture) {
	b := f.bucket("list")
	keys := []string{"a/1", "a/2", "a/b/3", "b/1", "c", "d+e f", "é"}
	for _, k := range keys {
		f.put(b, k, []byte(k))
	}
	out, err := f.c.ListObjectsV2(f.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if got := listed(out); !slices.Equal(got, []string{"c", "d+e f", "é", "a/", "b/"}) {
		t.Errorf("delimited listing = %q", got)
	}
	out, err = f.c.ListObjectsV2(f.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b), Prefix: aws.String("a/"), Delimiter: aws.String("/")})
	if err != nil || !slices.Equal(listed(out), []string{"a/1", "a/2", "a/b/"}) {
		t.Errorf("prefix a/ = %q, %v", listed(out), err)
	}
	var all []string
	p := s3.NewListObjectsV2Paginator(f.c, &s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, listed(page)...)
	}
	if !slices.Equal(all, keys) {
		t.Errorf("paginated listing = %q; want %q", all, keys)
	}
	all = nil
	p = s3.NewListObjectsV2Paginator(f.c, &s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(1), Delimiter: aws.String("/")})
	for p.HasMorePages() {
		page, err := p.NextPage(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, listed(page)...)
	}
	if !slices.Equal(all, []string{"a/", "b/", "c", "d+e f", "é"}) {
		t.Errorf("paginated delimited listing = %q", all)
	}
}

// listed returns a page's keys, then its common prefixes.
func listed(out *s3.ListObjectsV2Output) []string {
	var names []string
	for _, o := range out.Contents {
		names = append(names, aws.ToString(o.Key))
	}
	for _, p := range out.CommonPrefixes {
		names = append(names, aws.ToString(p.Prefix))
	}
	return names
}

func awsMultipart(t *testing.T, f *awsFixture) {
	b := f.bucket("mpu")
	parts := [][]byte{randomData(5<<20, 4), randomData(5<<20, 5), randomData(123, 6)}
	done := f.multipartUpload(b, "big", parts)
	if !strings.HasSuffix(aws.ToString(done.ETag), `-3"`) || aws.ToString(done.Bucket) != b {
		t.Errorf("Complete: ETag %q Bucket %q", aws.ToString(done.ETag), aws.ToString(done.Bucket))
	}
	whole := bytes.Join(parts, nil)
	got, out := f.get(b, "big")
	sameBytes(t, "multipart GetObject", got, whole)
	if c := aws.ToString(out.ChecksumCRC32); !strings.HasSuffix(c, "-3") || out.ChecksumType != types.ChecksumTypeComposite {
		t.Errorf("multipart GetObject checksum %q type %q; want a -3 composite", c, out.ChecksumType)
	}
	offset := 0
	for i, data := range parts {
		got, out := f.get(b, "big", func(in *s3.GetObjectInput) { in.PartNumber = aws.Int32(int32(i + 1)) })
		sameBytes(t, fmt.Sprint("part ", i+1), got, data)
		want := fmt.Sprintf("bytes %d-%d/%d", offset, offset+len(data)-1, len(whole))
		if aws.ToInt32(out.PartsCount) != 3 || aws.ToString(out.ContentRange) != want || aws.ToString(out.ChecksumCRC32) == "" {
			t.Errorf("part %d: parts count %d, Content-Range %q, CRC32 %q; want 3, %q and the part's checksum", i+1,
				aws.ToInt32(out.PartsCount), aws.ToString(out.ContentRange), aws.ToString(out.ChecksumCRC32), want)
		}
		offset += len(data)
	}
	head, err := f.c.HeadObject(f.ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("big"), PartNumber: aws.Int32(2)})
	if err != nil || aws.ToInt32(head.PartsCount) != 3 || aws.ToInt64(head.ContentLength) != 5<<20 {
		t.Errorf("HeadObject partNumber=2: %+v, %v", head, err)
	}
}

// multipartUpload uploads parts with CRC32 checksums, checks ListParts
// and ListMultipartUploads on the way, and completes.
func (f *awsFixture) multipartUpload(b, key string, parts [][]byte) *s3.CompleteMultipartUploadOutput {
	f.t.Helper()
	create, err := f.c.CreateMultipartUpload(f.ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		f.t.Fatal(err)
	}
	var completed []types.CompletedPart
	for i, data := range parts {
		out, err := f.c.UploadPart(f.ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: create.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			f.t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		completed = append(completed, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	}
	lp, err := f.c.ListParts(f.ctx, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: create.UploadId})
	if err != nil || len(lp.Parts) != len(parts) {
		f.t.Errorf("ListParts: %d parts, %v", len(lp.Parts), err)
	}
	lu, err := f.c.ListMultipartUploads(f.ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
	if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(create.UploadId) {
		f.t.Errorf("ListMultipartUploads: %+v, %v", lu, err)
	}
	done, err := f.c.CompleteMultipartUpload(f.ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key),
		UploadId: create.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: completed}})
	if err != nil {
		f.t.Fatal(err)
	}
	return done
}

func awsMultipartEdges(t *testing.T, f *awsFixture) {
	b := f.bucket("mpu-edges")
	f.put(b, "taken", []byte("existing"))
	again, err := f.c.CreateMultipartUpload(f.ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("taken")})
	if err != nil {
		t.Fatal(err)
	}
	part, err := f.c.UploadPart(f.ctx, &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("taken"), UploadId: again.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.c.CompleteMultipartUpload(f.ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("taken"),
		UploadId: again.UploadId, IfNoneMatch: aws.String("*"),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
	if apiCode(err) != "PreconditionFailed" {
		t.Errorf("Complete If-None-Match * over an existing key: %v; want PreconditionFailed", err)
	}
	if _, err := f.c.AbortMultipartUpload(f.ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("taken"), UploadId: again.UploadId}); err != nil {
		t.Errorf("AbortMultipartUpload: %v", err)
	}
	_, err = f.c.ListParts(f.ctx, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("taken"), UploadId: again.UploadId})
	if apiCode(err) != "NoSuchUpload" {
		t.Errorf("ListParts after abort: %v; want NoSuchUpload", err)
	}
}

func awsCopy(t *testing.T, f *awsFixture) {
	b := f.bucket("copy")
	data := randomData(10_000, 7)
	_, err := f.c.PutObject(f.ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("src key"), Body: bytes.NewReader(data),
		Metadata: map[string]string{"a": "1"}, ContentType: aws.String("text/x")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.c.CopyObject(f.ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("dst"), CopySource: aws.String(b + "/src%20key")})
	if err != nil {
		t.Fatal(err)
	}
	if out.CopyObjectResult == nil || aws.ToString(out.CopyObjectResult.ETag) == "" || out.CopyObjectResult.LastModified == nil {
		t.Errorf("CopyObject result = %+v", out.CopyObjectResult)
	}
	got, get := f.get(b, "dst")
	sameBytes(t, "copied object", got, data)
	if get.Metadata["a"] != "1" || aws.ToString(get.ContentType) != "text/x" {
		t.Errorf("COPY directive: meta %v type %q", get.Metadata, aws.ToString(get.ContentType))
	}
	_, err = f.c.CopyObject(f.ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("dst"), CopySource: aws.String(b + "/src%20key"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"b": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	_, get = f.get(b, "dst")
	if get.Metadata["b"] != "2" || get.Metadata["a"] != "" {
		t.Errorf("REPLACE directive: meta %v", get.Metadata)
	}
	_, err = f.c.CopyObject(f.ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("dst2"), CopySource: aws.String(b + "/src%20key"),
		CopySourceIfMatch: aws.String(`"other"`)})
	if apiCode(err) != "PreconditionFailed" {
		t.Errorf("copy-source-if-match mismatch: %v; want PreconditionFailed", err)
	}
}

func awsDeleteObjects(t *testing.T, f *awsFixture) {
	b := f.bucket("multidel")
	for _, k := range []string{"a", "b", "c"} {
		f.put(b, k, []byte(k))
	}
	out, err := f.c.DeleteObjects(f.ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("b")}, {Key: aws.String("missing")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 3 || len(out.Errors) != 0 {
		t.Errorf("DeleteObjects: %d deleted, %d errors; want 3 and 0", len(out.Deleted), len(out.Errors))
	}
	list, err := f.c.ListObjectsV2(f.ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	if err != nil || !slices.Equal(listed(list), []string{"c"}) {
		t.Errorf("after DeleteObjects: %q, %v", listed(list), err)
	}
	out, err = f.c.DeleteObjects(f.ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{
		Quiet: aws.Bool(true), Objects: []types.ObjectIdentifier{{Key: aws.String("c")}}}})
	if err != nil || len(out.Deleted) != 0 {
		t.Errorf("quiet DeleteObjects: %+v, %v", out, err)
	}
}

func awsPresigned(t *testing.T, f *awsFixture) {
	b := f.bucket("presign")
	pc := s3.NewPresignClient(f.c)
	data := randomData(5000, 8)
	put, err := pc.PresignPutObject(f.ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("p k")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, bytes.NewReader(data))
	for name, values := range put.SignedHeader {
		req.Header[name] = values
	}
	resp, err := f.srv.client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %s", resp.Status)
	}
	get, err := pc.PresignGetObject(f.ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("p k"),
		ResponseContentType: aws.String("text/csv")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = f.srv.client().Get(get.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv" {
		t.Errorf("presigned GET: %s, Content-Type %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	sameBytes(t, "presigned GET", got, data)
}

func awsErrors(t *testing.T, f *awsFixture) {
	_, err := f.c.CreateBucket(f.ctx, &s3.CreateBucketInput{Bucket: aws.String("files")})
	if apiCode(err) != "InvalidBucketName" {
		t.Errorf("CreateBucket of a reserved name: %v; want InvalidBucketName", err)
	}
	_, err = f.c.CreateBucket(f.ctx, &s3.CreateBucketInput{Bucket: aws.String("192.168.1.1")})
	if apiCode(err) != "InvalidBucketName" {
		t.Errorf("CreateBucket of an IP-like name: %v; want InvalidBucketName", err)
	}
	_, err = f.c.GetObject(f.ctx, &s3.GetObjectInput{Bucket: aws.String("no-such-bucket"), Key: aws.String("k")})
	if apiCode(err) != "NoSuchBucket" {
		t.Errorf("GetObject in a missing bucket: %v; want NoSuchBucket", err)
	}
	b := f.bucket("notempty")
	f.put(b, "k", []byte("x"))
	_, err = f.c.DeleteBucket(f.ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)})
	if apiCode(err) != "BucketNotEmpty" {
		t.Errorf("DeleteBucket of a full bucket: %v; want BucketNotEmpty", err)
	}
	_, err = f.c.GetBucketPolicy(f.ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b)})
	if apiCode(err) != "NotImplemented" {
		t.Errorf("GetBucketPolicy: %v; want NotImplemented", err)
	}
	bad := newAWSClientWithSecret(t, f.srv, "wrong-secret")
	_, err = bad.ListBuckets(f.ctx, &s3.ListBucketsInput{})
	if apiCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: %v; want SignatureDoesNotMatch", err)
	}
}

// newAWSClientWithSecret signs with another secret for accessKey.
func newAWSClientWithSecret(t *testing.T, srv *testServer, secret string) *s3.Client {
	c := newAWSClient(t, srv)
	return s3.New(c.Options(), func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(accessKey, secret, "")
	})
}
