package sigv4

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// queryCase adds raw to the query of a request signed as it stands (for a
// presigned request, after the X-Amz-* parameters) and expects the
// verifier's answer: "" accepted, else a 400 with that code.
type queryCase struct {
	name      string
	presigned bool
	query     string // signed with the request
	added     string // appended to the raw query after signing
	// canonical, when set, signs query by hand with this canonical query
	// (the SDK's signer would rewrite it): how a verifier that split on
	// '&' alone and kept bad escapes used to read it, signature valid.
	canonical string
	want      string
}

var queryCases = []queryCase{
	{name: "presigned: plain", presigned: true, query: "x-id=GetObject"},
	{name: "header: valueless and encoded ';'", query: "uploads&prefix=a%3Bb"},
	{name: "presigned: repeated signature", presigned: true,
		added: "&X-Amz-Signature=" + strings.Repeat("0", 64), want: CodeAuthorizationQueryParamsError},
	{name: "presigned: repeated credential", presigned: true,
		added: "&X-Amz-Credential=OTHER%2F20250314%2Fus-east-1%2Fs3%2Faws4_request", want: CodeAuthorizationQueryParamsError},
	{name: "presigned: repeated date", presigned: true, added: "&X-Amz-Date=20250314T120000Z", want: CodeAuthorizationQueryParamsError},
	{name: "presigned: repeated expires", presigned: true, added: "&X-Amz-Expires=604800", want: CodeAuthorizationQueryParamsError},
	{name: "presigned: repeated signed headers", presigned: true, added: "&X-Amz-SignedHeaders=host", want: CodeAuthorizationQueryParamsError},
	{name: "presigned: repeated algorithm", presigned: true, added: "&X-Amz-Algorithm=AWS4-HMAC-SHA256", want: CodeAuthorizationQueryParamsError},
	{name: "presigned: encoded name repeats a parameter", presigned: true,
		added: "&X-Amz%2DExpires=604800", want: CodeAuthorizationQueryParamsError},
	{name: "presigned: parameter in another case", presigned: true,
		added: "&x-amz-expires=604800", want: CodeAuthorizationQueryParamsError},
	{name: "header: repeated auth parameter", query: "X-Amz-Date=20250314T120000Z&X-Amz-Date=20250315T120000Z",
		want: CodeAuthorizationQueryParamsError},
	{name: "presigned: ';' after the signature", presigned: true, added: ";uploads", want: CodeInvalidArgument},
	{name: "header: hand-signed control", query: "prefix=a%3Bb", canonical: "prefix=a%3Bb"},
	// Signed as prefix="a;delimiter=/", which Go's parser drops whole.
	{name: "header: ';' in a signed query", query: "prefix=a;delimiter=/",
		canonical: "prefix=a%3Bdelimiter%3D%2F", want: CodeInvalidArgument},
	{name: "header: bad percent-encoding", query: "prefix=%zz", canonical: "prefix=%25zz", want: CodeInvalidArgument},
}

// TestVerifyQueryReadOnce: a query that two parsers could read differently
// is refused before its signature is even checked.
func TestVerifyQueryReadOnce(t *testing.T) {
	for _, tc := range queryCases {
		t.Run(tc.name, func(t *testing.T) {
			r := signedWithQuery(t, tc)
			r.URL.RawQuery += tc.added
			r.RequestURI = r.URL.RequestURI()
			a, err := testVerifier(signTime.Add(time.Minute)).Verify(r)
			if tc.want == "" {
				wantCode(t, err, "")
				if a.Presigned != tc.presigned {
					t.Fatalf("got presigned %v; want %v", a.Presigned, tc.presigned)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != tc.want || e.Status != http.StatusBadRequest {
				t.Fatalf("got %v; want 400 %s", err, tc.want)
			}
		})
	}
}

// signedWithQuery signs GET /b?query, by header or presigned.
func signedWithQuery(t *testing.T, tc queryCase) *http.Request {
	t.Helper()
	target := "/b"
	if tc.query != "" {
		target += "?" + tc.query
	}
	if tc.canonical != "" {
		return handSigned(t, target, tc.canonical)
	}
	if !tc.presigned {
		r := newRequest(t, "GET", target, nil)
		sdkSign(t, r, hexSHA(nil), testSecret, signTime)
		return r
	}
	src := newRequest(t, "GET", "/b?X-Amz-Expires=900", nil)
	if tc.query != "" {
		src.URL.RawQuery += "&" + tc.query
	}
	target, _ = sdkPresign(t, src, signTime)
	return newRequest(t, "GET", target, nil)
}

// TestAuthQueryIsWhatWasSigned: the handler reads Auth.Query, so it must
// hold the signed parameters, decoded once.
func TestAuthQueryIsWhatWasSigned(t *testing.T) {
	r := newRequest(t, "GET", "/b?list-type=2&prefix=a%2Fb+c&uploads", nil)
	sdkSign(t, r, hexSHA(nil), testSecret, signTime)
	a, err := testVerifier(signTime.Add(time.Minute)).Verify(r)
	wantCode(t, err, "")
	if got := a.Query.Get("prefix"); got != "a/b c" || !a.Query.Has("uploads") || a.Query.Get("list-type") != "2" {
		t.Fatalf("got query %v; want prefix \"a/b c\", uploads and list-type=2", a.Query)
	}
}

// handSigned is GET target signed by header with canonicalQuery as the
// canonical query string, whatever the raw query says.
func handSigned(t *testing.T, target, canonicalQuery string) *http.Request {
	t.Helper()
	r := newRequest(t, "GET", target, nil)
	r.URL.RawQuery = strings.SplitN(target, "?", 2)[1] // as sent, not as url.Parse kept it
	r.RequestURI = target
	amzDate := signTime.Format(iso8601Basic)
	r.Header.Set("X-Amz-Content-Sha256", hexSHA(nil))
	r.Header.Set("X-Amz-Date", amzDate)
	scope := "20250314/" + testRegion + "/s3/aws4_request"
	signed := []string{"host", "x-amz-content-sha256", "x-amz-date"}
	sig := hmacSHA256(signingKey(testSecret, "20250314", testRegion),
		stringToSign(amzDate, scope, canonicalRequest(r, signed, canonicalQuery, hexSHA(nil))))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAK+"/"+scope+
		", SignedHeaders="+strings.Join(signed, ";")+", Signature="+hexString(sig))
	return r
}

// FuzzParseQuery: a query parseQuery accepts reads the same to every
// parser: split on '&' alone and decoded piece by piece, it gives exactly
// the parameters parseQuery returned, and no authentication parameter more
// than once.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"uploads", "a=1&a=2&b", "prefix=a%3Bb", "a=1;b=2", "%zz=1", "X-Amz-Date=1&x-amz-date=2", "a+b=c%20d&&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseQuery(raw)
		if err != nil {
			return
		}
		pieces := map[string][]string{}
		for part := range strings.SplitSeq(raw, "&") {
			if part == "" {
				continue
			}
			name, value, _ := strings.Cut(part, "=")
			n, err1 := url.QueryUnescape(name)
			v, err2 := url.QueryUnescape(value)
			if err1 != nil || err2 != nil {
				t.Fatalf("parseQuery(%q) accepted %q, which does not decode", raw, part)
			}
			pieces[n] = append(pieces[n], v)
		}
		if !maps.EqualFunc(pieces, q, slices.Equal) {
			t.Fatalf("parseQuery(%q) = %v; split on '&' it is %v", raw, q, pieces)
		}
		for _, p := range authParams {
			if len(q[p]) > 1 {
				t.Fatalf("parseQuery(%q) accepted %s %d times", raw, p, len(q[p]))
			}
		}
	})
}
