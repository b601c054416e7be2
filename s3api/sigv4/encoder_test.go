package sigv4

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
)

// This file is a small aws-chunked encoder written from the protocol text
// (S3-CLIENTS.md §b.2, §c.7), independent of the decoder under test.

// testChunkSigner signs chunks the way a client does.
type testChunkSigner struct {
	key         []byte
	date, scope string
	prev        string // hex signature of the previous chunk (seed: request's)
}

// newTestChunkSigner derives the key independently of signing.go.
func newTestChunkSigner(secret, amzDate, seed string) *testChunkSigner {
	day := amzDate[:8]
	k := testHMAC([]byte("AWS4"+secret), day)
	for _, s := range []string{testRegion, "s3", "aws4_request"} {
		k = testHMAC(k, s)
	}
	scope := day + "/" + testRegion + "/s3/aws4_request"
	return &testChunkSigner{key: k, date: amzDate, scope: scope, prev: seed}
}

func (s *testChunkSigner) sign(data []byte) string {
	sts := strings.Join([]string{"AWS4-HMAC-SHA256-PAYLOAD", s.date, s.scope, s.prev, hexSHA(nil), hexSHA(data)}, "\n")
	s.prev = hex.EncodeToString(testHMAC(s.key, sts))
	return s.prev
}

func (s *testChunkSigner) signTrailer(canonical string) string {
	sts := strings.Join([]string{"AWS4-HMAC-SHA256-TRAILER", s.date, s.scope, s.prev, hexSHA([]byte(canonical))}, "\n")
	return hex.EncodeToString(testHMAC(s.key, sts))
}

// encodeOpts chooses the framing.
type encodeOpts struct {
	chunk      int              // data bytes per chunk
	signer     *testChunkSigner // nil: unsigned chunks
	trailers   [][2]string      // name, value
	signTrail  bool             // add x-amz-trailer-signature
	minioStyle bool             // end trailer lines with LF+CRLF as minio-go does
}

// encodeChunked frames data as aws-chunked.
func encodeChunked(data []byte, o encodeOpts) []byte {
	var b bytes.Buffer
	for off := 0; off < len(data); off += o.chunk {
		chunk := data[off:min(off+o.chunk, len(data))]
		writeChunkHeader(&b, chunk, o.signer)
		b.Write(chunk)
		b.WriteString("\r\n")
	}
	writeChunkHeader(&b, nil, o.signer)
	writeTrailers(&b, o)
	return b.Bytes()
}

func writeChunkHeader(b *bytes.Buffer, chunk []byte, s *testChunkSigner) {
	fmt.Fprintf(b, "%x", len(chunk))
	if s != nil {
		b.WriteString(";chunk-signature=" + s.sign(chunk))
	}
	b.WriteString("\r\n")
}

func writeTrailers(b *bytes.Buffer, o encodeOpts) {
	end := "\r\n"
	if o.minioStyle {
		end = "\n\r\n"
	}
	var canonical strings.Builder
	for _, t := range o.trailers {
		b.WriteString(t[0] + ":" + t[1] + end)
		canonical.WriteString(t[0] + ":" + t[1] + "\n")
	}
	if o.signTrail {
		b.WriteString("x-amz-trailer-signature:" + o.signer.signTrailer(canonical.String()) + "\r\n")
	}
	b.WriteString("\r\n")
}
