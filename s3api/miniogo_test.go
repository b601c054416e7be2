package s3api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// minioOptions select a minio-go client variant.
type minioOptions struct {
	tls, trailingHeaders bool
}

// newMinioClient returns a minio-go client for srv with Region unset, so
// that it asks GetBucketLocation first, as it does by default.
func newMinioClient(t *testing.T, srv *testServer, opts minioOptions) *minio.Client {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	c, err := minio.New(u.Host, &minio.Options{
		Creds:           credentials.NewStaticV4(accessKey, secretKey, ""),
		Secure:          opts.tls,
		Transport:       srv.client().Transport,
		TrailingHeaders: opts.trailingHeaders,
		MaxRetries:      1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMinioGo drives the S3 door with minio-go over HTTP (signed
// aws-chunked) and HTTPS (UNSIGNED-PAYLOAD), with and without
// TrailingHeaders (signed and unsigned trailers, CRC32C).
func TestMinioGo(t *testing.T) {
	variants := []struct {
		opts minioOptions
		want string // how a known-size PutObject must have arrived
	}{
		{minioOptions{}, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
		{minioOptions{trailingHeaders: true}, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"},
		{minioOptions{tls: true}, "UNSIGNED-PAYLOAD"},
		{minioOptions{tls: true, trailingHeaders: true}, "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
	}
	for _, v := range variants {
		t.Run(fmt.Sprintf("tls=%v,trailing=%v", v.opts.tls, v.opts.trailingHeaders), func(t *testing.T) {
			srv := newTestServer(t, serverOptions{tls: v.opts.tls})
			f := &minioFixture{t: t, c: newMinioClient(t, srv, v.opts), srv: srv, ctx: context.Background(), opts: v.opts}
			for _, tc := range minioCases {
				t.Run(tc.name, func(t *testing.T) { f.t = t; tc.run(t, f) })
			}
			if !srv.sawUpload("", v.want) {
				t.Errorf("no upload arrived as %q; saw %q", v.want, srv.seen)
			}
		})
	}
}

// minioFixture is one minio-go variant's state.
type minioFixture struct {
	t    *testing.T
	c    *minio.Client
	srv  *testServer
	ctx  context.Context
	opts minioOptions
}

var minioCases = []struct {
	name string
	run  func(t *testing.T, f *minioFixture)
}{
	{"MakeBucket", minioMakeBucket},
	{"PutKnownSize", minioPutKnownSize},
	{"PutUnknownSize", minioPutUnknownSize},
	{"GetRanges", minioGetRanges},
	{"List", minioList},
	{"Remove", minioRemove},
	{"Presigned", minioPresigned},
	{"FreshClientAsksLocation", minioFreshClient},
}

const minioBucket = "minio-bucket"

func minioMakeBucket(t *testing.T, f *minioFixture) {
	if err := f.c.MakeBucket(f.ctx, minioBucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	ok, err := f.c.BucketExists(f.ctx, minioBucket)
	if err != nil || !ok {
		t.Fatalf("BucketExists = %v, %v", ok, err)
	}
	ok, err = f.c.BucketExists(f.ctx, "no-such-bucket")
	if err != nil || ok {
		t.Errorf("BucketExists(missing) = %v, %v; want false", ok, err)
	}
	buckets, err := f.c.ListBuckets(f.ctx)
	if err != nil || len(buckets) != 1 || buckets[0].Name != minioBucket {
		t.Errorf("ListBuckets = %+v, %v", buckets, err)
	}
}

// putOptions are the PutObject options of the variant: with
// TrailingHeaders, an explicit CRC32C checksum (sent as a trailer).
func (f *minioFixture) putOptions() minio.PutObjectOptions {
	opts := minio.PutObjectOptions{ContentType: "application/x-test", UserMetadata: map[string]string{"Origin": "minio"}}
	if f.opts.trailingHeaders {
		opts.Checksum = minio.ChecksumCRC32C
	}
	return opts
}

func minioPutKnownSize(t *testing.T, f *minioFixture) {
	for _, size := range []int{0, 1024, 200_000} {
		data := randomData(size, 11)
		key := fmt.Sprintf("known/%d", size)
		info, err := f.c.PutObject(f.ctx, minioBucket, key, bytes.NewReader(data), int64(size), f.putOptions())
		if err != nil {
			t.Fatalf("PutObject %d bytes: %v", size, err)
		}
		if info.ETag == "" || info.Size != int64(size) {
			t.Errorf("PutObject %d bytes: ETag %q size %d", size, info.ETag, info.Size)
		}
		f.checkObject(key, data)
	}
}

func minioPutUnknownSize(t *testing.T, f *minioFixture) {
	data := randomData(11<<20+5, 12)
	opts := f.putOptions()
	opts.PartSize = 5 << 20
	info, err := f.c.PutObject(f.ctx, minioBucket, "unknown", io.MultiReader(bytes.NewReader(data)), -1, opts)
	if err != nil {
		t.Fatalf("PutObject size -1: %v", err)
	}
	if !strings.HasSuffix(info.ETag, "-3") {
		t.Errorf("PutObject size -1: ETag %q; want a 3-part multipart ETag", info.ETag)
	}
	f.checkObject("unknown", data)
}

// checkObject compares Stat and Get with data.
func (f *minioFixture) checkObject(key string, data []byte) {
	f.t.Helper()
	st, err := f.c.StatObject(f.ctx, minioBucket, key, minio.StatObjectOptions{})
	if err != nil {
		f.t.Fatalf("StatObject %s: %v", key, err)
	}
	if st.Size != int64(len(data)) || st.ContentType != "application/x-test" || st.UserMetadata["Origin"] != "minio" || st.LastModified.IsZero() {
		f.t.Errorf("StatObject %s: size %d type %q meta %v modified %v", key, st.Size, st.ContentType, st.UserMetadata, st.LastModified)
	}
	obj, err := f.c.GetObject(f.ctx, minioBucket, key, minio.GetObjectOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil {
		f.t.Fatalf("GetObject %s: %v", key, err)
	}
	sameBytes(f.t, "GetObject "+key, got, data)
}

func minioGetRanges(t *testing.T, f *minioFixture) {
	data := randomData(300_000, 13)
	if _, err := f.c.PutObject(f.ctx, minioBucket, "ranges", bytes.NewReader(data), int64(len(data)), f.putOptions()); err != nil {
		t.Fatal(err)
	}
	obj, err := f.c.GetObject(f.ctx, minioBucket, "ranges", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if _, err := obj.Stat(); err != nil {
		t.Fatalf("Object.Stat: %v", err)
	}
	buf := make([]byte, 1000)
	for _, off := range []int64{0, 12345, 299_000} {
		n, err := obj.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			t.Fatalf("ReadAt %d: %v", off, err)
		}
		sameBytes(t, fmt.Sprint("ReadAt ", off), buf[:n], data[off:off+int64(n)])
	}
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(100, 199); err != nil {
		t.Fatal(err)
	}
	ranged, err := f.c.GetObject(f.ctx, minioBucket, "ranges", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer ranged.Close()
	got, err := io.ReadAll(ranged)
	if err != nil {
		t.Fatal(err)
	}
	sameBytes(t, "SetRange(100, 199)", got, data[100:200])
}

func minioList(t *testing.T, f *minioFixture) {
	for _, k := range []string{"list/a", "list/b/c", "list/b/d", "list/sp ace+plus"} {
		if _, err := f.c.PutObject(f.ctx, minioBucket, k, strings.NewReader(k), int64(len(k)), f.putOptions()); err != nil {
			t.Fatal(err)
		}
	}
	var flat, nested []string
	for o := range f.c.ListObjects(f.ctx, minioBucket, minio.ListObjectsOptions{Prefix: "list/"}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		flat = append(flat, o.Key)
	}
	for o := range f.c.ListObjects(f.ctx, minioBucket, minio.ListObjectsOptions{Prefix: "list/", Recursive: true, MaxKeys: 2}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		nested = append(nested, o.Key)
	}
	slices.Sort(flat)
	if !slices.Equal(flat, []string{"list/a", "list/b/", "list/sp ace+plus"}) {
		t.Errorf("delimited ListObjects = %q", flat)
	}
	if !slices.Equal(nested, []string{"list/a", "list/b/c", "list/b/d", "list/sp ace+plus"}) {
		t.Errorf("recursive ListObjects = %q", nested)
	}
}

func minioRemove(t *testing.T, f *minioFixture) {
	if _, err := f.c.PutObject(f.ctx, minioBucket, "doomed", strings.NewReader("x"), 1, f.putOptions()); err != nil {
		t.Fatal(err)
	}
	if err := f.c.RemoveObject(f.ctx, minioBucket, "doomed", minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := f.c.StatObject(f.ctx, minioBucket, "doomed", minio.StatObjectOptions{})
	if minio.ToErrorResponse(err).Code != "NoSuchKey" {
		t.Errorf("StatObject after remove: %v; want NoSuchKey", err)
	}
}

func minioPresigned(t *testing.T, f *minioFixture) {
	data := randomData(4096, 14)
	if _, err := f.c.PutObject(f.ctx, minioBucket, "presigned key", bytes.NewReader(data), int64(len(data)), f.putOptions()); err != nil {
		t.Fatal(err)
	}
	u, err := f.c.PresignedGetObject(f.ctx, minioBucket, "presigned key", time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.srv.client().Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned GET: %s %s", resp.Status, got)
	}
	sameBytes(t, "presigned GET", got, data)
}

// minioFreshClient shows that a client that never made the bucket asks
// GetBucketLocation before its first operation, and then succeeds.
func minioFreshClient(t *testing.T, f *minioFixture) {
	fresh := newMinioClient(t, f.srv, f.opts)
	if _, err := fresh.StatObject(f.ctx, minioBucket, "ranges", minio.StatObjectOptions{}); err != nil {
		t.Errorf("StatObject from a fresh client: %v", err)
	}
}
