package sigv4

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// unsignedCase signs a request (header or presigned) with the headers in
// signed, adds the headers in added afterwards, and expects the verifier
// to name exactly wantNotSigned ("" = accepted).
type unsignedCase struct {
	name          string
	presigned     bool
	method        string
	signed        http.Header
	added         http.Header
	addedAfter    func(r *http.Request) // for what a Header literal cannot say
	wantNotSigned string
	// hashNotAHeader signs the payload hash without sending (or signing)
	// X-Amz-Content-Sha256.
	hashNotAHeader bool
}

var unsignedCases = []unsignedCase{
	{name: "header: nothing extra", method: "PUT"},
	{name: "header: signed copy source", method: "PUT",
		signed: http.Header{"X-Amz-Copy-Source": {"b/other"}}},
	{name: "header: unsigned copy source", method: "PUT",
		added: http.Header{"X-Amz-Copy-Source": {"b/other"}}, wantNotSigned: "x-amz-copy-source"},
	{name: "header: unsigned metadata", method: "PUT",
		signed: http.Header{"X-Amz-Meta-A": {"1"}}, added: http.Header{"X-Amz-Meta-B": {"2"}}, wantNotSigned: "x-amz-meta-b"},
	{name: "header: unsigned empty value", method: "PUT",
		added: http.Header{"X-Amz-Copy-Source": {""}}, wantNotSigned: "x-amz-copy-source"},
	{name: "header: two unsigned, sorted", method: "PUT",
		added:         http.Header{"X-Amz-Tagging": {"a=b"}, "X-Amz-Copy-Source": {"b/other"}},
		wantNotSigned: "x-amz-copy-source, x-amz-tagging"},
	{name: "header: non-canonical spelling still counts", method: "PUT",
		addedAfter:    func(r *http.Request) { r.Header["x-amz-copy-source"] = []string{"b/other"} },
		wantNotSigned: "x-amz-copy-source"},
	{name: "header: unsigned x-amz-content-sha256 with the signed value", method: "GET",
		// The payload hash is signed as the canonical request's last line
		// either way, so only the header rule catches it.
		hashNotAHeader: true,
		added:          http.Header{"X-Amz-Content-Sha256": {hexSHA(nil)}}, wantNotSigned: "x-amz-content-sha256"},
	{name: "header: unsigned SDK and trace headers are not x-amz-*", method: "PUT",
		added: http.Header{"Amz-Sdk-Invocation-Id": {"id"}, "Amz-Sdk-Request": {"attempt=1"},
			"X-Amzn-Trace-Id": {"Root=1"}, "User-Agent": {"test"}, "Expect": {"100-continue"}}},

	{name: "presigned: nothing extra", presigned: true, method: "PUT"},
	{name: "presigned: signed metadata", presigned: true, method: "PUT",
		signed: http.Header{"X-Amz-Meta-A": {"1"}}},
	{name: "presigned: unsigned copy source", presigned: true, method: "PUT",
		added: http.Header{"X-Amz-Copy-Source": {"b/other"}}, wantNotSigned: "x-amz-copy-source"},
	{name: "presigned: unsigned metadata", presigned: true, method: "PUT",
		added: http.Header{"X-Amz-Meta-A": {"1"}}, wantNotSigned: "x-amz-meta-a"},
	{name: "presigned: unsigned x-amz-date header", presigned: true, method: "GET",
		added: http.Header{"X-Amz-Date": {"20250314T120000Z"}}, wantNotSigned: "x-amz-date"},
	{name: "presigned: unsigned x-amz-content-sha256", presigned: true, method: "GET",
		added: http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}}, wantNotSigned: "x-amz-content-sha256"},
	{name: "presigned: unsigned security token", presigned: true, method: "GET",
		added: http.Header{"X-Amz-Security-Token": {"t"}}, wantNotSigned: "x-amz-security-token"},
}

// TestVerifyUnsignedAmzHeaders: every x-amz-* header present must be
// signed, or the request is refused with S3's 403 AccessDenied naming it.
func TestVerifyUnsignedAmzHeaders(t *testing.T) {
	for _, tc := range unsignedCases {
		t.Run(tc.name, func(t *testing.T) {
			r := signedForUnsignedCase(t, tc)
			for k, v := range tc.added {
				r.Header[k] = v
			}
			if tc.addedAfter != nil {
				tc.addedAfter(r)
			}
			a, err := testVerifier(signTime.Add(time.Minute)).Verify(r)
			if tc.wantNotSigned == "" {
				wantCode(t, err, "")
				if a.Presigned != tc.presigned {
					t.Fatalf("got presigned %v; want %v", a.Presigned, tc.presigned)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeAccessDenied || e.Status != http.StatusForbidden ||
				e.Message != "There were headers present in the request which were not signed" ||
				e.HeadersNotSigned != tc.wantNotSigned {
				t.Fatalf("got %#v; want 403 AccessDenied, headers not signed %q", err, tc.wantNotSigned)
			}
		})
	}
}

// signedForUnsignedCase builds the request as the client would send it.
func signedForUnsignedCase(t *testing.T, tc unsignedCase) *http.Request {
	t.Helper()
	if !tc.presigned {
		r := newRequest(t, tc.method, "/b/k", nil)
		for k, v := range tc.signed {
			r.Header[k] = v
		}
		if tc.hashNotAHeader {
			sdkSignNoHashHeader(t, r, hexSHA(nil))
		} else {
			sdkSign(t, r, hexSHA(nil), testSecret, signTime)
		}
		return r
	}
	src := newRequest(t, tc.method, "/b/k?X-Amz-Expires=900", nil)
	for k, v := range tc.signed {
		src.Header[k] = v
	}
	target, signed := sdkPresign(t, src, signTime)
	r := newRequest(t, tc.method, target, nil)
	for k, v := range signed {
		if k != "Host" {
			r.Header[k] = v
		}
	}
	return r
}

// sdkSignNoHashHeader signs r with the SDK's signer for payloadHash but,
// unlike sdkSign, leaves X-Amz-Content-Sha256 out of the headers.
func sdkSignNoHashHeader(t *testing.T, r *http.Request, payloadHash string) {
	t.Helper()
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSecret}
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := s.SignHTTP(context.Background(), creds, r, payloadHash, "s3", testRegion, signTime); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
	if strings.Contains(r.Header.Get("Authorization"), "x-amz-content-sha256") {
		t.Fatalf("the signer signed x-amz-content-sha256 anyway: %s", r.Header.Get("Authorization"))
	}
}
