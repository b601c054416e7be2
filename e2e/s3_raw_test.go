package e2e_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5/pgxpool"
)

// emptySHA256 is the hex SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Payload hashes of the aws-chunked encodings (S3-CLIENTS.md §b.2, §b.3).
const (
	signedChunks    = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	unsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// rawSuite sends hand-built requests: missing and wrong signatures,
// aws-chunked bodies signed chunk by chunk and with a checksum trailer,
// each once valid and once damaged, and malformed input.
func rawSuite(t *testing.T, e *s3Env) {
	bucket := e.bucket(t, "raw")
	small := randomBytes(1201, 2<<10)
	e.put(t, bucket, "raw/small.bin", bytes.NewReader(small))
	t.Run("NoSignature", func(t *testing.T) {
		req, err := http.NewRequestWithContext(e.ctx(t), http.MethodGet, e.url+"/"+bucket+"/raw/small.bin", nil)
		if err != nil {
			t.Fatal(err)
		}
		wantS3Error(t, e.exchange(t, req), http.StatusForbidden, "AccessDenied")
	})
	t.Run("BadSignature", func(t *testing.T) {
		body := []byte("never stored")
		req := e.signed(t, rawReq{method: http.MethodPut, path: bucket + "/raw/badsig", body: body, secret: e.secret + "x"})
		wantS3Error(t, e.exchange(t, req), http.StatusForbidden, "SignatureDoesNotMatch")
		e.wantNoObject(t, bucket, "raw/badsig")
	})
	data := randomBytes(1202, 3*64<<10+100) // four signed chunks and the final one
	t.Run("SignedChunks", func(t *testing.T) {
		resp := e.exchange(t, e.signedChunked(t, bucket+"/raw/chunked", data, -1))
		wantStatus(t, resp, http.StatusOK)
		if got := e.getBytes(t, bucket, "raw/chunked"); !bytes.Equal(got, data) {
			t.Errorf("GET = %d bytes sha256 %s; want %d bytes %s", len(got), sum(got), len(data), sum(data))
		}
	})
	t.Run("TamperedChunk", func(t *testing.T) {
		before := takeResidue(t, e)
		resp := e.exchange(t, e.signedChunked(t, bucket+"/raw/tampered", data, 1))
		wantS3Error(t, resp, http.StatusForbidden, "SignatureDoesNotMatch")
		e.wantNoObject(t, bucket, "raw/tampered")
		before.wantNothingNew(t, e)
	})
	t.Run("UnsignedTrailer", func(t *testing.T) {
		resp := e.exchange(t, e.trailerPut(t, bucket+"/raw/trailer", data, crc32Base64(data)))
		wantStatus(t, resp, http.StatusOK)
		if got := e.getBytes(t, bucket, "raw/trailer"); !bytes.Equal(got, data) {
			t.Errorf("GET = %d bytes sha256 %s; want %d bytes %s", len(got), sum(got), len(data), sum(data))
		}
	})
	t.Run("WrongTrailerChecksum", func(t *testing.T) {
		before := takeResidue(t, e)
		resp := e.exchange(t, e.trailerPut(t, bucket+"/raw/badtrailer", data, crc32Base64([]byte("other bytes"))))
		wantS3Error(t, resp, http.StatusBadRequest, "BadDigest")
		e.wantNoObject(t, bucket, "raw/badtrailer")
		before.wantNothingNew(t, e)
	})
	t.Run("MalformedCompleteXML", func(t *testing.T) { malformedComplete(t, e, bucket) })
	t.Run("UnsatisfiableRange", func(t *testing.T) {
		req := e.signed(t, rawReq{method: http.MethodGet, path: bucket + "/raw/small.bin",
			header: http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", len(small), 2*len(small))}}})
		wantS3Error(t, e.exchange(t, req), http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
	})
}

func malformedComplete(t *testing.T, e *s3Env, bucket string) {
	key := "raw/mpu"
	up, err := e.s3.CreateMultipartUpload(e.ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	defer e.s3.AbortMultipartUpload(context.WithoutCancel(e.ctx(t)), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId})
	body := []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag></Part`)
	req := e.signed(t, rawReq{method: http.MethodPost, path: bucket + "/" + key + "?uploadId=" + aws.ToString(up.UploadId), body: body})
	wantS3Error(t, e.exchange(t, req), http.StatusBadRequest, "MalformedXML")
}

// rawReq describes a request to sign with the SDK's v4 signer.
type rawReq struct {
	method, path string // path: bucket/key[?query], already escaped
	header       http.Header
	body         []byte
	payloadHash  string    // default: the SHA-256 of body
	secret       string    // default: the env's
	at           time.Time // default: now
	length       int64     // Content-Length when body is set later (aws-chunked)
}

// signed builds and signs r; it returns the request whose Authorization
// header carries the seed signature.
func (e *s3Env) signed(t *testing.T, r rawReq) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(e.ctx(t), r.method, e.url+"/"+r.path, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if r.length > 0 {
		req.ContentLength = r.length
	}
	maps.Copy(req.Header, r.header)
	if r.payloadHash == "" {
		r.payloadHash = sum(r.body)
	}
	if r.secret == "" {
		r.secret = e.secret
	}
	if r.at.IsZero() {
		r.at = time.Now().UTC()
	}
	req.Header.Set("X-Amz-Content-Sha256", r.payloadHash)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: e.key, SecretAccessKey: r.secret}
	if err := signer.SignHTTP(req.Context(), creds, req, r.payloadHash, "s3", "us-east-1", r.at); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
	return req
}

// signedChunked is a PUT whose body is STREAMING-AWS4-HMAC-SHA256-PAYLOAD
// in 64 KiB chunks, each signed in a chain from the header signature; with
// tamper >= 0 one byte of that chunk is flipped after signing.
func (e *s3Env) signedChunked(t *testing.T, path string, data []byte, tamper int) *http.Request {
	t.Helper()
	chunks := slices.Collect(slices.Chunk(data, 64<<10))
	at := time.Now().UTC()
	chain := chunkChain{key: signingKey(e.secret, at), date: at.Format("20060102T150405Z"),
		scope: at.Format("20060102") + "/us-east-1/s3/aws4_request"}
	length := int64(len(chain.encode(chunks, -1))) // signatures are all 64 hex digits
	req := e.signed(t, rawReq{method: http.MethodPut, path: path, payloadHash: signedChunks, at: at, length: length,
		header: http.Header{
			"Content-Encoding":             {"aws-chunked"},
			"Content-Type":                 {"application/octet-stream"},
			"X-Amz-Decoded-Content-Length": {strconv.Itoa(len(data))},
		}})
	auth := req.Header.Get("Authorization")
	chain.prev = auth[strings.LastIndex(auth, "Signature=")+len("Signature="):]
	body := chain.encode(chunks, tamper)
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return req
}

// chunkChain signs aws-chunks: each signature covers the previous one.
type chunkChain struct {
	key               []byte
	date, scope, prev string
}

// encode writes every chunk and the final empty one as
// "<hex>;chunk-signature=<sig>\r\n<data>\r\n".
func (c chunkChain) encode(chunks [][]byte, tamper int) []byte {
	var b bytes.Buffer
	for i, data := range append(chunks, nil) {
		c.prev = c.sign(data)
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(data), c.prev)
		if i == tamper {
			data = bytes.Clone(data)
			data[len(data)/2] ^= 0x01
		}
		b.Write(data)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func (c chunkChain) sign(data []byte) string {
	sts := strings.Join([]string{"AWS4-HMAC-SHA256-PAYLOAD", c.date, c.scope, c.prev, emptySHA256, sum(data)}, "\n")
	return hex.EncodeToString(hmacSHA256(c.key, sts))
}

// signingKey derives the SigV4 key for us-east-1/s3 on at's day.
func signingKey(secret string, at time.Time) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), at.Format("20060102"))
	for _, part := range []string{"us-east-1", "s3", "aws4_request"} {
		k = hmacSHA256(k, part)
	}
	return k
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// trailerPut is a PUT whose body is STREAMING-UNSIGNED-PAYLOAD-TRAILER:
// one chunk, the final chunk and an x-amz-checksum-crc32 trailer, as
// go-v2 sends over TLS.
func (e *s3Env) trailerPut(t *testing.T, path string, data []byte, crc string) *http.Request {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%x\r\n", len(data))
	b.Write(data)
	fmt.Fprintf(&b, "\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n", crc)
	return e.signed(t, rawReq{method: http.MethodPut, path: path, body: b.Bytes(), payloadHash: unsignedTrailer,
		header: http.Header{
			"Content-Encoding":             {"aws-chunked"},
			"Content-Type":                 {"application/octet-stream"},
			"X-Amz-Decoded-Content-Length": {strconv.Itoa(len(data))},
			"X-Amz-Trailer":                {"x-amz-checksum-crc32"},
			"X-Amz-Sdk-Checksum-Algorithm": {"CRC32"},
		}})
}

func crc32Base64(data []byte) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data)))
}

// wantStatus fails unless resp has the status.
func wantStatus(t *testing.T, resp rawResponse, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d; want %d; body %s", resp.StatusCode, status, resp.Body)
	}
}

// wantS3Error checks an S3 XML error document with the status and code.
func wantS3Error(t *testing.T, resp rawResponse, status int, code string) {
	t.Helper()
	var doc struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
	}
	err := xml.Unmarshal(resp.Body, &doc)
	if resp.StatusCode != status || err != nil || doc.Code != code {
		t.Errorf("got status %d, code %q (%v), body %q; want %d %s", resp.StatusCode, doc.Code, err, resp.Body, status, code)
	}
}

// residue is what a failed upload must not leave behind: chunk files on
// nodes, and blob, chunk and session rows, all compared with a moment
// before the request.
type residue struct {
	files map[string]int64
	since time.Time
	pool  *pgxpool.Pool
}

func takeResidue(t *testing.T, e *s3Env) residue {
	t.Helper()
	r := residue{files: chunkFiles(t, e.cluster), pool: poolFor(t, e.cluster.DatabaseURL())}
	if err := r.pool.QueryRow(e.ctx(t), `SELECT now()`).Scan(&r.since); err != nil {
		t.Fatal(err)
	}
	return r
}

// wantNothingNew waits until no row and no chunk file newer than the
// residue remains, and fails naming what stayed.
func (r residue) wantNothingNew(t *testing.T, e *s3Env) {
	t.Helper()
	var left string
	deadline := time.Now().Add(30 * time.Second)
	for {
		left = r.leftovers(t, e)
		if left == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s a failed upload still leaves %s", left)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (r residue) leftovers(t *testing.T, e *s3Env) string {
	var parts []string
	for _, q := range []string{
		`SELECT count(*) FROM files WHERE created_at >= $1`,
		`SELECT count(*) FROM chunks WHERE created_at >= $1`,
		`SELECT count(*) FROM upload_sessions WHERE started_at >= $1`,
	} {
		if n := count(t, r.pool, q, r.since); n != 0 {
			parts = append(parts, fmt.Sprintf("%d rows (%s)", n, q))
		}
	}
	var fresh []string
	for name := range chunkFiles(t, e.cluster) {
		if _, ok := r.files[name]; !ok {
			fresh = append(fresh, name)
		}
	}
	if len(fresh) > 0 {
		parts = append(parts, fmt.Sprintf("%d chunk files %q", len(fresh), fresh))
	}
	return strings.Join(parts, "; ")
}
