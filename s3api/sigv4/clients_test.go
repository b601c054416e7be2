package sigv4

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// This file drives the package with real clients (aws-sdk-go-v2,
// minio-go) against an httptest server whose handler is what the S3 layer
// does with a body: Verify, NewPayload, read to io.EOF, answer with the ETag.

// seen is what the handler observed for the last request.
type seen struct {
	mu          sync.Mutex
	payloadHash string
	body        []byte
	md5         []byte
	sums        map[string]string
	size        int64
	err         error
}

func (s *seen) record(r *http.Request, body []byte, p *Payload, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.payloadHash, s.body, s.err = r.Header.Get("X-Amz-Content-Sha256"), body, err
	if p != nil {
		s.md5, s.sums = p.Digests()
		s.size = p.Size()
	}
}

// s3Handler authenticates, decodes and hashes the body.
func s3Handler(s *seen) http.HandlerFunc {
	v := &Verifier{Credentials: keyStore{testAK: testSecret}}
	return func(w http.ResponseWriter, r *http.Request) {
		auth, err := v.Verify(r)
		var p *Payload
		if err == nil {
			p, err = NewPayload(r, auth)
		}
		var body []byte
		if err == nil {
			body, err = io.ReadAll(p)
		}
		s.record(r, body, p, err)
		var e *Error
		if errors.As(err, &e) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(e.Status)
			fmt.Fprintf(w, "<Error><Code>%s</Code><Message>%s</Message></Error>", e.Code, e.Message)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		md5sum, _ := p.Digests()
		w.Header().Set("ETag", `"`+hex.EncodeToString(md5sum)+`"`)
	}
}

func startServer(t *testing.T, tls bool) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{}
	srv := httptest.NewUnstartedServer(s3Handler(s))
	if tls {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, s
}

// check asserts the handler decoded exactly data, in the expected mode,
// with the expected checksum (alg "" = none expected).
func (s *seen) check(t *testing.T, data []byte, wantHash, alg string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		t.Fatalf("handler: got error %v; want none", s.err)
	}
	if wantHash != "" && s.payloadHash != wantHash {
		t.Fatalf("got x-amz-content-sha256 %q; want %q", s.payloadHash, wantHash)
	}
	if s.size != -1 && s.size != int64(len(data)) {
		t.Fatalf("got Size %d; want %d or -1", s.size, len(data))
	}
	if want := md5.Sum(data); !bytes.Equal(s.md5, want[:]) || !bytes.Equal(s.body, data) {
		t.Fatalf("got %d bytes with md5 %x; want %d bytes with md5 %x", len(s.body), s.md5, len(data), want)
	}
	if alg == "" {
		return
	}
	h, _ := NewChecksum(alg)
	h.Write(data)
	if want := b64(h.Sum(nil)); s.sums[alg] != want {
		t.Fatalf("got %s %q (all: %v); want %q", alg, s.sums[alg], s.sums, want)
	}
}

func TestMinioGo(t *testing.T) {
	data := testData(200 << 10) // four 64 KiB signed chunks
	tests := []struct {
		name     string
		tls      bool
		trailing bool
		opts     minio.PutObjectOptions
		wantHash string
		alg      string
	}{
		{name: "http: signed chunks", wantHash: streamingSigned},
		{name: "http: content-md5", opts: minio.PutObjectOptions{SendContentMd5: true}, wantHash: streamingSigned},
		{name: "http: trailing headers, algorithm only", trailing: true, wantHash: streamingSigned, alg: CRC32C},
		{name: "http: signed trailer", trailing: true, opts: minio.PutObjectOptions{Checksum: minio.ChecksumCRC32C},
			wantHash: streamingSignedTrailer, alg: CRC32C},
		{name: "http: signed trailer crc32", trailing: true, opts: minio.PutObjectOptions{Checksum: minio.ChecksumCRC32},
			wantHash: streamingSignedTrailer, alg: CRC32},
		{name: "tls: unsigned payload", tls: true, wantHash: unsignedPayload},
		{name: "tls: unsigned trailer", tls: true, trailing: true,
			opts: minio.PutObjectOptions{Checksum: minio.ChecksumCRC32C}, wantHash: streamingUnsignedTrailer, alg: CRC32C},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, s := startServer(t, tc.tls)
			c, err := minio.New(strings.TrimPrefix(strings.TrimPrefix(srv.URL, "http://"), "https://"), &minio.Options{
				Creds: credentials.NewStaticV4(testAK, testSecret, ""), Secure: tc.tls, Region: testRegion,
				Transport: srv.Client().Transport, TrailingHeaders: tc.trailing,
			})
			if err != nil {
				t.Fatal(err)
			}
			info, err := c.PutObject(context.Background(), "bkt", "dir/a b+c.bin", bytes.NewReader(data), int64(len(data)), tc.opts)
			if err != nil {
				t.Fatalf("PutObject: got %v; want success", err)
			}
			s.check(t, data, tc.wantHash, tc.alg)
			if want := md5.Sum(data); info.ETag != hex.EncodeToString(want[:]) {
				t.Fatalf("got ETag %q; want %x", info.ETag, want)
			}
		})
	}
}

func newS3Client(srv *httptest.Server) *s3.Client {
	return s3.New(s3.Options{
		Region: testRegion, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, RetryMaxAttempts: 1,
		// What config.LoadDefaultConfig would set: checksums on by default.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		HTTPClient:                 srv.Client(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSecret}, nil
		}),
	})
}

// onlyReader hides Seek, so the SDK must stream with an unknown length.
type onlyReader struct{ io.Reader }

func TestAWSSDKGoV2(t *testing.T) {
	data := testData(300 << 10)
	tests := []struct {
		name     string
		tls      bool
		in       func() *s3.PutObjectInput
		wantHash string
		alg      string
	}{
		{name: "http: hex payload and crc32 header", wantHash: hexSHA(data), alg: CRC32,
			in: func() *s3.PutObjectInput { return &s3.PutObjectInput{Body: bytes.NewReader(data)} }},
		{name: "http: sha256 checksum", wantHash: hexSHA(data), alg: SHA256,
			in: func() *s3.PutObjectInput {
				return &s3.PutObjectInput{Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmSha256}
			}},
		{name: "tls: unsigned trailer", tls: true, wantHash: streamingUnsignedTrailer, alg: CRC32,
			in: func() *s3.PutObjectInput { return &s3.PutObjectInput{Body: bytes.NewReader(data)} }},
		{name: "tls: unknown length", tls: true, wantHash: streamingUnsignedTrailer, alg: CRC32,
			in: func() *s3.PutObjectInput { return &s3.PutObjectInput{Body: onlyReader{bytes.NewReader(data)}} }},
		{name: "tls: crc64nvme trailer", tls: true, wantHash: streamingUnsignedTrailer, alg: CRC64NVME,
			in: func() *s3.PutObjectInput {
				return &s3.PutObjectInput{Body: bytes.NewReader(data), ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, s := startServer(t, tc.tls)
			in := tc.in()
			in.Bucket, in.Key = aws.String("bkt"), aws.String("dir/sub dir/ü€%41.txt")
			out, err := newS3Client(srv).PutObject(context.Background(), in)
			if err != nil {
				t.Fatalf("PutObject: got %v; want success", err)
			}
			s.check(t, data, tc.wantHash, tc.alg)
			if want := md5.Sum(data); aws.ToString(out.ETag) != `"`+hex.EncodeToString(want[:])+`"` {
				t.Fatalf("got ETag %s; want %x", aws.ToString(out.ETag), want)
			}
		})
	}
}

func TestAWSSDKGoV2Presigned(t *testing.T) {
	srv, s := startServer(t, false)
	pc := s3.NewPresignClient(newS3Client(srv))
	data := []byte("presigned body")
	put, err := pc.PresignPutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("a b")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(put.Method, put.URL, bytes.NewReader(data))
	for k, v := range put.SignedHeader {
		if k != "Host" {
			req.Header[k] = v
		}
	}
	resp, err := srv.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: got %v %v; want 200", resp, err)
	}
	resp.Body.Close()
	s.check(t, data, "", "")

	get, err := pc.PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("a b")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err = srv.Client().Get(get.URL)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned GET: got %v %v; want 200", resp, err)
	}
	resp.Body.Close()
	tampered := strings.Replace(get.URL, "/bkt/a%20b", "/bkt/a%20c", 1)
	resp, err = srv.Client().Get(tampered)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered presigned GET: got %v %v; want 403", resp, err)
	}
	resp.Body.Close()
}

// flipReader flips one bit of the raw body at offset at, as a faulty or
// malicious hop between client and server would.
type flipReader struct {
	io.ReadCloser
	at, off int
}

func (f *flipReader) Read(b []byte) (int, error) {
	n, err := f.ReadCloser.Read(b)
	if i := f.at - f.off; i >= 0 && i < n {
		b[i] ^= 1
	}
	f.off += n
	return n, err
}

// TestMinioGoTamperedChunk: a bit flipped in minio-go's second signed chunk
// fails the upload with 403, and the handler got only the first chunk.
func TestMinioGoTamperedChunk(t *testing.T) {
	s := &seen{}
	inner := s3Handler(s)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &flipReader{ReadCloser: r.Body, at: 70000} // inside chunk 2's data
		inner(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := minio.New(strings.TrimPrefix(srv.URL, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(testAK, testSecret, ""), Region: testRegion, MaxRetries: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	data := testData(200 << 10)
	_, err = c.PutObject(context.Background(), "bkt", "k", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	if minio.ToErrorResponse(err).Code != CodeSignatureDoesNotMatch {
		t.Fatalf("PutObject: got %v; want %s", err, CodeSignatureDoesNotMatch)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	wantCode(t, s.err, CodeSignatureDoesNotMatch)
	if len(s.body) != 64<<10 || !bytes.Equal(s.body, data[:64<<10]) {
		t.Fatalf("got %d bytes before the error; want the first chunk's %d", len(s.body), 64<<10)
	}
}
