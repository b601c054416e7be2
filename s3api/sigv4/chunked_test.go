package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// streamingRequest signs an aws-chunked PUT with the SDK and verifies it.
// It returns the request (body to be set with setBody), its Auth, and a
// client-side chunk signer seeded with the request signature.
func streamingRequest(t testing.TB, payloadHash string, decodedLen int, header http.Header) (*http.Request, *Auth, *testChunkSigner) {
	t.Helper()
	r := newRequest(t, "PUT", "/b/k", nil)
	r.ContentLength = 0 // not signed, as minio-go and botocore do
	r.Header.Set("Content-Encoding", "aws-chunked")
	if decodedLen >= 0 {
		r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(decodedLen))
	}
	for k, v := range header {
		r.Header[k] = v
	}
	sdkSign(t, r, payloadHash, testSecret, signTime)
	auth, err := testVerifier(signTime.Add(time.Minute)).Verify(r)
	wantCode(t, err, "")
	_, seed, _ := strings.Cut(r.Header.Get("Authorization"), "Signature=")
	return r, auth, newTestChunkSigner(testSecret, signTime.Format(iso8601Basic), seed)
}

func setBody(r *http.Request, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
}

// frame locates one chunk in an encoded body: header start, data start,
// and the end of its trailing CRLF (for the final chunk: end of its header).
type frame struct{ start, data, end int }

// chunkFrames walks an encoded aws-chunked body.
func chunkFrames(enc []byte) []frame {
	var fs []frame
	for off := 0; off < len(enc); {
		eol := bytes.Index(enc[off:], []byte("\r\n"))
		if eol < 0 {
			break
		}
		sizeHex, _, _ := bytes.Cut(enc[off:off+eol], []byte(";"))
		size, err := strconv.ParseInt(string(sizeHex), 16, 64)
		if err != nil {
			break
		}
		f := frame{start: off, data: off + eol + 2, end: off + eol + 2}
		if size > 0 {
			f.end += int(size) + 2
		}
		fs = append(fs, f)
		if size == 0 {
			break
		}
		off = f.end
	}
	return fs
}

// trailerKind is how an encoded body ends its trailer lines.
type trailerKind int

const (
	noTrailer trailerKind = iota
	crlfTrailer
	minioTrailer
)

type chunkCase struct {
	name      string
	mode      string
	size      int
	chunk     int
	unsigned  bool        // encode without chunk signatures
	alg       string      // checksum sent as a trailer
	declare   string      // x-amz-trailer header ("" = from alg)
	trailer   trailerKind // how the trailer lines end
	badValue  bool        // send a checksum of other data
	sign      bool        // add x-amz-trailer-signature
	noDecoded bool        // omit x-amz-decoded-content-length
	decodedΔ  int         // added to the declared decoded length
	mutate    func(enc []byte) []byte
	want      string
	wantBytes int // bytes that must have been returned before the error; -1: any
}

// chunkCases encode with the test encoder, then tamper; see TestChunked.
var chunkCases = []chunkCase{
	{name: "signed 64 KiB chunks (minio-go)", mode: streamingSigned, size: 150000, chunk: 64 << 10},
	{name: "signed exact multiple", mode: streamingSigned, size: 128 << 10, chunk: 64 << 10},
	{name: "signed empty payload", mode: streamingSigned, size: 0, chunk: 64 << 10},
	{name: "signed trailer, CRLF", mode: streamingSignedTrailer, size: 70000, chunk: 64 << 10,
		alg: CRC32, trailer: crlfTrailer, sign: true},
	{name: "signed trailer, minio LF+CRLF", mode: streamingSignedTrailer, size: 70000, chunk: 64 << 10,
		alg: CRC32C, trailer: minioTrailer, sign: true},
	{name: "unsigned trailer, CRLF (botocore TLS)", mode: streamingUnsignedTrailer, size: 3000, chunk: 1024,
		unsigned: true, alg: CRC32, trailer: crlfTrailer},
	{name: "unsigned trailer, minio LF+CRLF", mode: streamingUnsignedTrailer, size: 3000, chunk: 1024,
		unsigned: true, alg: CRC32C, trailer: minioTrailer},
	{name: "unsigned trailer, one chunk, no decoded length (go-v2)", mode: streamingUnsignedTrailer, size: 5000,
		chunk: 5000, unsigned: true, alg: CRC32, trailer: crlfTrailer, noDecoded: true},
	{name: "unsigned trailer, wrong crc32", mode: streamingUnsignedTrailer, size: 3000, chunk: 1024,
		unsigned: true, alg: CRC32, trailer: crlfTrailer, badValue: true, want: CodeBadDigest, wantBytes: -1},
	{name: "signed trailer, wrong crc32c", mode: streamingSignedTrailer, size: 3000, chunk: 1024,
		alg: CRC32C, trailer: crlfTrailer, sign: true, badValue: true, want: CodeBadDigest, wantBytes: -1},
	{name: "tampered chunk", mode: streamingSigned, size: 150000, chunk: 64 << 10,
		mutate: func(enc []byte) []byte { enc[chunkFrames(enc)[1].data+10] ^= 1; return enc },
		want:   CodeSignatureDoesNotMatch, wantBytes: 64 << 10},
	{name: "tampered first chunk", mode: streamingSigned, size: 150000, chunk: 64 << 10,
		mutate: func(enc []byte) []byte { enc[chunkFrames(enc)[0].data] ^= 0x80; return enc },
		want:   CodeSignatureDoesNotMatch, wantBytes: 0},
	{name: "reordered chunks", mode: streamingSigned, size: 3000, chunk: 1000,
		mutate: func(enc []byte) []byte {
			f := chunkFrames(enc)
			first, second := bytes.Clone(enc[f[0].start:f[0].end]), enc[f[1].start:f[1].end]
			return append(append(append([]byte{}, second...), first...), enc[f[1].end:]...)
		},
		want: CodeSignatureDoesNotMatch, wantBytes: 0},
	{name: "tampered final chunk signature", mode: streamingSigned, size: 3000, chunk: 1000,
		mutate: func(enc []byte) []byte { enc[len(enc)-5] ^= 1; return enc },
		want:   CodeSignatureDoesNotMatch, wantBytes: 3000},
	{name: "tampered signed trailer", mode: streamingSignedTrailer, size: 3000, chunk: 1000,
		alg: CRC32, trailer: crlfTrailer, sign: true,
		mutate: func(enc []byte) []byte {
			i := bytes.Index(enc, []byte("x-amz-checksum-crc32:")) + len("x-amz-checksum-crc32:")
			enc[i] ^= 'A' ^ 'B'
			return enc
		},
		want: CodeSignatureDoesNotMatch, wantBytes: -1},
	{name: "missing trailer signature", mode: streamingSignedTrailer, size: 3000, chunk: 1000,
		alg: CRC32, trailer: crlfTrailer, want: CodeSignatureDoesNotMatch, wantBytes: -1},
	{name: "truncated mid chunk", mode: streamingSigned, size: 150000, chunk: 64 << 10,
		mutate: func(enc []byte) []byte { return enc[:chunkFrames(enc)[1].data+100] },
		want:   CodeIncompleteBody, wantBytes: 64 << 10},
	{name: "truncated before final chunk", mode: streamingSigned, size: 3000, chunk: 1000,
		mutate: func(enc []byte) []byte { return enc[:chunkFrames(enc)[3].start] },
		want:   CodeIncompleteBody, wantBytes: 3000},
	{name: "truncated unsigned chunk", mode: streamingUnsignedTrailer, size: 3000, chunk: 1024, unsigned: true,
		mutate: func(enc []byte) []byte { return enc[:chunkFrames(enc)[1].data+10] },
		want:   CodeIncompleteBody, wantBytes: -1},
	{name: "decoded length too large", mode: streamingSigned, size: 3000, chunk: 1000, decodedΔ: 1,
		want: CodeIncompleteBody, wantBytes: 3000},
	{name: "decoded length too small", mode: streamingSigned, size: 3000, chunk: 1000, decodedΔ: -1,
		want: CodeIncompleteBody, wantBytes: 2000},
	{name: "undeclared checksum trailer", mode: streamingUnsignedTrailer, size: 100, chunk: 1000, unsigned: true,
		alg: CRC32, declare: "none", trailer: crlfTrailer, want: CodeMalformedTrailerError, wantBytes: -1},
	{name: "declared trailer missing", mode: streamingUnsignedTrailer, size: 100, chunk: 1000, unsigned: true,
		declare: "x-amz-checksum-crc32", want: CodeMalformedTrailerError, wantBytes: -1},
	{name: "trailer in a mode without trailers", mode: streamingSigned, size: 100, chunk: 1000,
		alg: CRC32, declare: "none", trailer: crlfTrailer, want: CodeMalformedTrailerError, wantBytes: -1},
	{name: "chunk signature in unsigned mode", mode: streamingUnsignedTrailer, size: 100, chunk: 1000,
		want: CodeInvalidRequest, wantBytes: 0},
	{name: "missing chunk signature", mode: streamingSigned, size: 100, chunk: 1000, unsigned: true,
		want: CodeInvalidRequest, wantBytes: 0},
	{name: "no CRLF after data", mode: streamingUnsignedTrailer, size: 100, chunk: 1000, unsigned: true,
		mutate: func(enc []byte) []byte { enc[chunkFrames(enc)[0].data+100] = 'x'; return enc },
		want:   CodeInvalidRequest, wantBytes: -1},
}

func TestChunked(t *testing.T) {
	for _, tc := range chunkCases {
		t.Run(tc.name, func(t *testing.T) { runChunkCase(t, tc) })
	}
}

func runChunkCase(t *testing.T, tc chunkCase) {
	data := testData(tc.size)
	r, auth, signer := streamingRequest(t, tc.mode, tc.decodedLength(), tc.header())
	enc := tc.encode(data, signer)
	if tc.mutate != nil {
		enc = tc.mutate(enc)
	}
	setBody(r, enc)
	p, err := NewPayload(r, auth)
	wantCode(t, err, "")
	got, err := readAll(p)
	wantCode(t, err, tc.want)
	if !bytes.Equal(got, data[:min(len(got), len(data))]) {
		t.Fatalf("got bytes that differ from the data sent")
	}
	if tc.want != "" {
		if tc.wantBytes >= 0 && len(got) != tc.wantBytes {
			t.Fatalf("got %d bytes before the error; want %d", len(got), tc.wantBytes)
		}
		return
	}
	checkDecoded(t, p, got, data)
	if _, sums := p.Digests(); tc.alg != "" && sums[tc.alg] != checksumOf(tc.alg, data) {
		t.Fatalf("got %s %q; want %q", tc.alg, sums[tc.alg], checksumOf(tc.alg, data))
	}
}

// header returns the case's x-amz-trailer declaration.
func (tc chunkCase) header() http.Header {
	declare := tc.declare
	if declare == "" && tc.alg != "" {
		declare = ChecksumHeader(tc.alg)
	}
	if declare == "" || declare == "none" {
		return http.Header{}
	}
	return http.Header{"X-Amz-Trailer": {declare}}
}

// decodedLength is the x-amz-decoded-content-length to send, -1 for none.
func (tc chunkCase) decodedLength() int {
	if tc.noDecoded {
		return -1
	}
	return tc.size + tc.decodedΔ
}

// encode frames data as the case says, signing with signer.
func (tc chunkCase) encode(data []byte, signer *testChunkSigner) []byte {
	o := encodeOpts{chunk: tc.chunk, signer: signer, signTrail: tc.sign, minioStyle: tc.trailer == minioTrailer}
	if tc.unsigned {
		o.signer = nil
	}
	if tc.alg != "" {
		src := data
		if tc.badValue {
			src = []byte("other")
		}
		o.trailers = [][2]string{{ChecksumHeader(tc.alg), checksumOf(tc.alg, src)}}
	}
	return encodeChunked(data, o)
}

// countReader counts bytes read from an endless source, to show that the
// decoder stops reading at a rejected frame.
type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

type endless byte

func (e endless) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(e)
	}
	return len(b), nil
}

func TestChunkedBounds(t *testing.T) {
	zeroSig := ";chunk-signature=" + strings.Repeat("0", 64) + "\r\n"
	tests := []struct {
		name    string
		prefix  string
		fill    byte // endless bytes after prefix
		signed  bool
		limit   int64
		want    string
		maxRead int
	}{
		{name: "oversized chunk header", prefix: "", fill: 'a', want: CodeInvalidRequest, maxRead: maxLineLength},
		{name: "oversized signed chunk", prefix: "1000001" + zeroSig, fill: 0, signed: true,
			want: CodeInvalidRequest, maxRead: maxLineLength},
		{name: "chunk beyond decoded length", prefix: "ffffffff\r\n", fill: 0, limit: 10,
			want: CodeIncompleteBody, maxRead: maxLineLength},
		{name: "oversized trailer section", prefix: "0\r\n", fill: '\n',
			want: CodeMalformedTrailerError, maxRead: maxTrailerSection + maxLineLength},
		{name: "oversized trailer line", prefix: "0\r\n", fill: 'x',
			want: CodeMalformedTrailerError, maxRead: maxLineLength + 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &countReader{r: io.MultiReader(strings.NewReader(tc.prefix), endless(tc.fill))}
			var signer *chunkSigner
			if tc.signed {
				signer = newChunkSigner(&Auth{key: make([]byte, 32), Signature: strings.Repeat("0", 64)})
			}
			limit := tc.limit
			if limit == 0 {
				limit = -1
			}
			c := newChunkReader(src, signer, true, limit)
			_, err := c.Read(make([]byte, 1<<10))
			wantCode(t, err, tc.want)
			if src.n > tc.maxRead+len(tc.prefix) {
				t.Fatalf("got %d bytes read; want at most %d", src.n, tc.maxRead+len(tc.prefix))
			}
			if n, err2 := c.Read(make([]byte, 10)); n != 0 || err2 != err {
				t.Fatalf("got %d, %v on the next Read; want 0, the same error", n, err2)
			}
		})
	}
}
