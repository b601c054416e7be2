package sigv4

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"
	"testing"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// checksumOf is the base64 checksum of data; alg must be valid.
func checksumOf(alg string, data []byte) string {
	h, err := NewChecksum(alg)
	if err != nil {
		panic(err)
	}
	h.Write(data)
	return b64(h.Sum(nil))
}

// plainData is the body of the plainCases.
var plainData = testData(3000)

type plainCase struct {
	name       string
	target     string // "" = /b/k
	hash       string // X-Amz-Content-Sha256
	header     http.Header
	body       []byte // nil = data
	length     int64  // Content-Length; 0 = len(body)
	wantNew    string // error code from NewPayload
	want       string // error code from Read
	wantSums   map[string]string
	wantSHA256 bool
}

// plainCases cover bodies that are not aws-chunked: hex and unsigned
// payload hashes, Content-MD5 and checksum headers.
var plainCases = []plainCase{
	{name: "hex payload", hash: hexSHA(plainData), wantSHA256: true},
	{name: "upper-case hex payload", hash: string(bytes.ToUpper([]byte(hexSHA(plainData)))), wantSHA256: true},
	{name: "hex mismatch", hash: hexSHA([]byte("other")), want: CodeXAmzContentSHA256Mismatch},
	{name: "unsigned payload", hash: "UNSIGNED-PAYLOAD"},
	{name: "no payload hash (anonymous)", hash: ""},
	{name: "invalid payload hash", hash: "abc", wantNew: CodeInvalidArgument},
	{name: "unknown streaming mode", hash: "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", wantNew: CodeInvalidArgument},
	{name: "crc32 header (botocore, go-v2)", hash: hexSHA(plainData),
		header:   http.Header{"X-Amz-Checksum-Crc32": {checksumOf(CRC32, plainData)}, "X-Amz-Sdk-Checksum-Algorithm": {"CRC32"}},
		wantSums: map[string]string{CRC32: checksumOf(CRC32, plainData)}, wantSHA256: true},
	{name: "crc32 mismatch", hash: "UNSIGNED-PAYLOAD",
		header: http.Header{"X-Amz-Checksum-Crc32": {checksumOf(CRC32, []byte("x"))}}, want: CodeBadDigest},
	{name: "crc32 malformed", hash: "UNSIGNED-PAYLOAD",
		header: http.Header{"X-Amz-Checksum-Crc32": {"not base64!"}}, wantNew: CodeInvalidRequest},
	{name: "crc32 wrong size", hash: "UNSIGNED-PAYLOAD",
		header: http.Header{"X-Amz-Checksum-Crc32": {b64(make([]byte, 8))}}, wantNew: CodeInvalidRequest},
	{name: "sha256 checksum shares the payload hash", hash: hexSHA(plainData),
		header:   http.Header{"X-Amz-Checksum-Sha256": {b64(sha256Raw(plainData))}},
		wantSums: map[string]string{SHA256: b64(sha256Raw(plainData))}, wantSHA256: true},
	{name: "algorithm only (minio-go TrailingHeaders single PUT)", hash: "UNSIGNED-PAYLOAD",
		header:   http.Header{"X-Amz-Checksum-Algorithm": {"CRC32C"}},
		wantSums: map[string]string{CRC32C: checksumOf(CRC32C, plainData)}},
	{name: "every algorithm", hash: "UNSIGNED-PAYLOAD",
		header: http.Header{"X-Amz-Checksum-Crc64nvme": {checksumOf(CRC64NVME, plainData)},
			"X-Amz-Checksum-Sha1": {checksumOf(SHA1, plainData)}, "X-Amz-Sdk-Checksum-Algorithm": {"crc32c"}},
		wantSums: map[string]string{CRC64NVME: checksumOf(CRC64NVME, plainData), SHA1: checksumOf(SHA1, plainData),
			CRC32C: checksumOf(CRC32C, plainData)}},
	{name: "unknown algorithm", hash: "UNSIGNED-PAYLOAD",
		header: http.Header{"X-Amz-Sdk-Checksum-Algorithm": {"MD5"}}, wantNew: CodeInvalidRequest},
	{name: "content-md5 ok", hash: "UNSIGNED-PAYLOAD", header: http.Header{"Content-Md5": {b64(md5Raw(plainData))}}},
	{name: "content-md5 mismatch", hash: "UNSIGNED-PAYLOAD",
		header: http.Header{"Content-Md5": {b64(make([]byte, 16))}}, want: CodeBadDigest},
	{name: "content-md5 invalid", hash: "UNSIGNED-PAYLOAD",
		header: http.Header{"Content-Md5": {"AAAA"}}, wantNew: CodeInvalidDigest},
	{name: "body shorter than content-length", hash: "UNSIGNED-PAYLOAD", length: 3001, want: CodeIncompleteBody},
	{name: "trailer without streaming", hash: "UNSIGNED-PAYLOAD",
		header: http.Header{"X-Amz-Trailer": {"x-amz-checksum-crc32"}}, wantNew: CodeInvalidRequest},
	{name: "signed streaming needs auth", hash: streamingSigned, wantNew: CodeAccessDenied},
	{name: "bad decoded length", hash: "UNSIGNED-PAYLOAD",
		header: http.Header{"X-Amz-Decoded-Content-Length": {"-1"}}, wantNew: CodeInvalidArgument},
	{name: "complete multipart checksum is the object's", hash: "UNSIGNED-PAYLOAD", target: "/b/k?uploadId=u",
		header: http.Header{"X-Amz-Checksum-Crc32c": {"AAAAAA=="}, "X-Amz-Checksum-Type": {"COMPOSITE"}}},
}

func TestPayloadPlain(t *testing.T) {
	for _, tc := range plainCases {
		t.Run(tc.name, func(t *testing.T) { runPlainCase(t, tc) })
	}
}

func runPlainCase(t *testing.T, tc plainCase) {
	body := plainData
	if tc.body != nil {
		body = tc.body
	}
	r := newRequest(t, "POST", cmpOr(tc.target, "/b/k"), body)
	r.Header = tc.header.Clone()
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Set("X-Amz-Content-Sha256", tc.hash)
	if tc.length != 0 {
		r.ContentLength = tc.length
	}
	p, err := NewPayload(r, nil)
	wantCode(t, err, tc.wantNew)
	if tc.wantNew != "" {
		return
	}
	got, err := readAll(p)
	wantCode(t, err, tc.want)
	if tc.want != "" {
		return
	}
	checkDecoded(t, p, got, body)
	gotMD5, sums := p.Digests()
	if md5sum := md5.Sum(body); !bytes.Equal(gotMD5, md5sum[:]) {
		t.Fatalf("got md5 %x; want %x", gotMD5, md5sum)
	}
	if len(sums) != len(tc.wantSums) {
		t.Fatalf("got checksums %v; want %v", sums, tc.wantSums)
	}
	for alg, want := range tc.wantSums {
		if sums[alg] != want {
			t.Fatalf("got %s %q; want %q", alg, sums[alg], want)
		}
	}
	if got := p.SHA256() != nil; got != tc.wantSHA256 {
		t.Fatalf("got SHA256 present %v; want %v", got, tc.wantSHA256)
	}
}

func sha256Raw(b []byte) []byte {
	s := sha256Sum(b)
	return s[:]
}

// checkDecoded compares decoded bytes and Size.
func checkDecoded(t *testing.T, p *Payload, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("got %d decoded bytes; want %d equal bytes", len(got), len(want))
	}
	if p.Size() >= 0 && p.Size() != int64(len(want)) {
		t.Fatalf("got Size %d; want %d or -1", p.Size(), len(want))
	}
}

func TestPayloadSizeUnknown(t *testing.T) {
	r := newRequest(t, "PUT", "/b/k", []byte("abc"))
	r.ContentLength = -1 // as net/http reports Transfer-Encoding: chunked
	p, err := NewPayload(r, nil)
	wantCode(t, err, "")
	if p.Size() != -1 {
		t.Fatalf("got Size %d; want -1", p.Size())
	}
	got, err := io.ReadAll(p)
	if err != nil || string(got) != "abc" {
		t.Fatalf("got %q, %v; want abc, nil", got, err)
	}
	if m, _ := p.Digests(); m == nil {
		t.Fatalf("got no md5 after EOF; want one")
	}
}

func TestPayloadErrorsAreSticky(t *testing.T) {
	r := newRequest(t, "PUT", "/b/k", []byte("abc"))
	r.Header.Set("X-Amz-Content-Sha256", hexSHA([]byte("abd")))
	p, _ := NewPayload(r, nil)
	_, err := io.ReadAll(p)
	wantCode(t, err, CodeXAmzContentSHA256Mismatch)
	n, err := p.Read(make([]byte, 10))
	wantCode(t, err, CodeXAmzContentSHA256Mismatch)
	if m, s := p.Digests(); n != 0 || m != nil || s != nil {
		t.Fatalf("got n=%d digests %x %v after failure; want none", n, m, s)
	}
}

func md5Raw(b []byte) []byte {
	s := md5.Sum(b)
	return s[:]
}
