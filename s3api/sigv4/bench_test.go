package sigv4

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkVerifyHeader is the signature check of every header-signed
// request, as aws-sdk-go-v2 signs a GET: the canonical request, the
// string to sign, the derived key and the HMACs.
func BenchmarkVerifyHeader(b *testing.B) {
	r := newRequest(b, "GET", "/bucket/dir/object.bin?versionId=3", nil)
	sdkSign(b, r, hexSHA(nil), testSecret, signTime)
	v := testVerifier(signTime.Add(time.Minute))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChunkedDecode reports body bytes per second through an
// aws-chunked decoder, 8 MiB in the 64 KiB chunks the SDKs send: signed
// chunks (each chunk's HMAC checked) as minio-go and the v1 CLI send, and
// unsigned chunks with a CRC32 trailer as aws-sdk-go-v2 sends by default
// over TLS. Both include what every PUT body gets besides: its MD5 for
// the ETag.
func BenchmarkChunkedDecode(b *testing.B) {
	const size, chunk = 8 << 20, 64 << 10
	data := testData(size)
	for _, tc := range []struct {
		name, mode string
		header     http.Header
		signed     bool
	}{
		{"signed", streamingSigned, http.Header{}, true},
		{"unsigned-trailer-crc32", streamingUnsignedTrailer, http.Header{"X-Amz-Trailer": {ChecksumHeader("CRC32")}}, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r, auth, signer := streamingRequest(b, tc.mode, size, tc.header)
			o := encodeOpts{chunk: chunk}
			if tc.signed {
				o.signer = signer
			} else {
				o.trailers = [][2]string{{ChecksumHeader("CRC32"), checksumOf("CRC32", data)}}
			}
			enc := encodeChunked(data, o)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				setBody(r, enc)
				p, err := NewPayload(r, auth)
				if err != nil {
					b.Fatal(err)
				}
				if n, err := io.Copy(io.Discard, p); err != nil || n != size {
					b.Fatalf("decoded %d bytes, %v; want %d", n, err, size)
				}
			}
		})
	}
}
