package sigv4

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// fuzzSeed is the request signature the fuzzed signed bodies chain from.
var fuzzSeed = strings.Repeat("ab", 32)

// fuzzAuth is a signing context matching newTestChunkSigner(testSecret, …).
func fuzzAuth() *Auth {
	return &Auth{
		key: signingKey(testSecret, "20250314", testRegion), scope: "20250314/" + testRegion + "/s3/aws4_request",
		amzDate: signTime.Format(iso8601Basic), Signature: fuzzSeed,
	}
}

func fuzzSigner() *testChunkSigner {
	return newTestChunkSigner(testSecret, signTime.Format(iso8601Basic), fuzzSeed)
}

// FuzzParseAuthorization: any header parses or fails without panicking,
// and what parses survives a format/parse round trip unchanged.
func FuzzParseAuthorization(f *testing.F) {
	r := newRequest(f, "GET", "/b/k?x-id=GetObject", nil)
	sdkSign(f, r, hexSHA(nil), testSecret, signTime)
	h := r.Header.Get("Authorization")
	for _, seed := range []string{
		h, strings.ReplaceAll(h, ", ", ","), "", "AWS4-HMAC-SHA256", "AWS AK:sig",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00",
		"AWS4-HMAC-SHA256 Credential=a/b/20250314/r/s3/aws4_request,SignedHeaders=host;x,Signature=" + fuzzSeed,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		sa, err := parseAuthorization(h)
		if err != nil {
			return
		}
		again := "AWS4-HMAC-SHA256 Credential=" + sa.cred.accessKey + "/" + sa.cred.scope() +
			",SignedHeaders=" + strings.Join(sa.signedHeaders, ";") + ",Signature=" + hex.EncodeToString(sa.signature)
		sb, err := parseAuthorization(again)
		if err != nil || !reflect.DeepEqual(sa, sb) {
			t.Fatalf("round trip of %q: got %+v, %v; want %+v", h, sb, err, sa)
		}
	})
}

// chunkSeeds are valid encodings in every framing the decoder accepts.
func chunkSeeds() [][]byte {
	data := testData(3000)
	crc := [][2]string{{"x-amz-checksum-crc32", "AAAAAA=="}}
	return [][]byte{
		encodeChunked(data, encodeOpts{chunk: 1000, signer: fuzzSigner()}),
		encodeChunked(nil, encodeOpts{chunk: 1000, signer: fuzzSigner()}),
		encodeChunked(data, encodeOpts{chunk: 1024, signer: fuzzSigner(), trailers: crc, signTrail: true}),
		encodeChunked(data, encodeOpts{chunk: 1024, signer: fuzzSigner(), trailers: crc, signTrail: true, minioStyle: true}),
		encodeChunked(data, encodeOpts{chunk: 1024, trailers: crc}),
		encodeChunked(data, encodeOpts{chunk: 1024, trailers: crc, minioStyle: true}),
		[]byte("1000000;chunk-signature=" + fuzzSeed + "\r\n"),
		[]byte("ffffffffffffffff\r\n"),
		[]byte("0;" + strings.Repeat("0", 66) + "\n"), // once panicked: signature decoded before its length was checked
	}
}

// FuzzChunkReader: any body decodes or fails without panicking, never
// yields more bytes than it read, and holds back at most what was sent.
func FuzzChunkReader(f *testing.F) {
	for _, seed := range chunkSeeds() {
		f.Add(seed, true, false)
		f.Add(seed, true, true)
		f.Add(seed, false, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, signed, trailers bool) {
		var signer *chunkSigner
		if signed {
			signer = newChunkSigner(fuzzAuth())
		}
		c := newChunkReader(bytes.NewReader(body), signer, trailers, -1)
		got, _ := io.ReadAll(c)
		if len(got) > len(body) {
			t.Fatalf("got %d decoded bytes from a %d-byte body; want at most %d", len(got), len(body), len(body))
		}
		if c.buf != nil && cap(*c.buf) > max(len(body), minChunkBuffer)*2 {
			t.Fatalf("got a %d-byte hold-back buffer for a %d-byte body", cap(*c.buf), len(body))
		}
	})
}

// FuzzChunkedRoundTrip: whatever the data and chunk size, encoding then
// decoding through Payload gives the data back with its checksum verified,
// in both trailer styles.
func FuzzChunkedRoundTrip(f *testing.F) {
	f.Add([]byte("hello, world"), uint16(5), false)
	f.Add(testData(3000), uint16(1024), true)
	f.Add([]byte{}, uint16(1), true)
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, minio bool) {
		sum := checksumOf(CRC32C, data)
		o := encodeOpts{chunk: int(chunk) + 1, signer: fuzzSigner(), trailers: [][2]string{{"x-amz-checksum-crc32c", sum}},
			signTrail: true, minioStyle: minio}
		r, _ := http.NewRequest("PUT", "http://h/b/k", bytes.NewReader(encodeChunked(data, o)))
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
		a := fuzzAuth()
		a.PayloadHash = streamingSignedTrailer
		p, err := NewPayload(r, a)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(p)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("got %d bytes, %v; want %d bytes, nil", len(got), err, len(data))
		}
		if _, sums := p.Digests(); sums[CRC32C] != sum {
			t.Fatalf("got crc32c %q; want %q", sums[CRC32C], sum)
		}
	})
}

// FuzzParseTrailers: any trailer section parses or fails without
// panicking, and what parses re-parses to the same set from its canonical
// form.
func FuzzParseTrailers(f *testing.F) {
	for _, seed := range []string{
		"x-amz-checksum-crc32:I+sl2g==\r\n\r\n",
		"x-amz-checksum-crc32c:x8A+WQ==\n\r\n\r\n",
		"x-amz-checksum-crc32c:x8A+WQ==\n\r\nx-amz-trailer-signature:" + fuzzSeed + "\r\n\r\n",
		"\r\n", "", "no colon\r\n", "a:b\r\na:c\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := parseTrailers(bufio.NewReaderSize(bytes.NewReader(data), maxLineLength))
		if err != nil {
			return
		}
		again := ts.canonical()
		if ts.signature != nil {
			again = append(again, trailerSignatureName+":"+hex.EncodeToString(ts.signature)+"\n"...)
		}
		tb, err := parseTrailers(bufio.NewReaderSize(bytes.NewReader(again), maxLineLength))
		if err != nil || !reflect.DeepEqual(ts, tb) {
			t.Fatalf("round trip of %q: got %+v, %v; want %+v", data, tb, err, ts)
		}
	})
}
