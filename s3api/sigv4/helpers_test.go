package sigv4

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAK     = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testRegion = "us-east-1"
)

// signTime is when test requests are signed; verifiers run a minute later.
var signTime = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// keyStore is a Credentials backed by a map.
type keyStore map[string]string

func (k keyStore) Secret(ak string) (string, bool) {
	s, ok := k[ak]
	return s, ok
}

func testVerifier(now time.Time) *Verifier {
	return &Verifier{Credentials: keyStore{testAK: testSecret}, Now: func() time.Time { return now }}
}

// newRequest builds a client-side request as the server would see it:
// RequestURI set to the raw target.
func newRequest(t testing.TB, method, target string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, "http://127.0.0.1:9000"+target, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	r.RequestURI = r.URL.RequestURI()
	return r
}

// sdkSign signs r with the real aws-sdk-go-v2 signer, as its S3 client
// does (no double path escaping), after setting X-Amz-Content-Sha256.
func sdkSign(t testing.TB, r *http.Request, payloadHash, secret string, at time.Time) {
	t.Helper()
	r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: secret}
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := s.SignHTTP(context.Background(), creds, r, payloadHash, "s3", testRegion, at); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
}

// sdkPresign returns a presigned URL target (path?query) for r.
func sdkPresign(t *testing.T, r *http.Request, at time.Time) (string, http.Header) {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSecret}
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	u, h, err := s.PresignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "s3", testRegion, at)
	if err != nil {
		t.Fatalf("PresignHTTP: %v", err)
	}
	return strings.TrimPrefix(u, "http://127.0.0.1:9000"), h
}

// wantCode fails unless err is an *Error with the given code (or nil for "").
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var e *Error
	switch {
	case code == "" && err != nil:
		t.Fatalf("got error %v; want none", err)
	case code == "":
	case !errors.As(err, &e):
		t.Fatalf("got error %v; want *Error %s", err, code)
	case e.Code != code:
		t.Fatalf("got code %s (%s); want %s", e.Code, e.Message, code)
	}
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func testHMAC(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// readAll reads p to the end in small reads, returning what it yielded and
// the final error (nil for io.EOF).
func readAll(p io.Reader) ([]byte, error) {
	var out bytes.Buffer
	buf := make([]byte, 1000)
	for {
		n, err := p.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return out.Bytes(), err
		}
	}
}

// testData returns n deterministic pseudo-random bytes.
func testData(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
