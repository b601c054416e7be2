package sigv4

import (
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Credentials looks up secrets by access key (the gateway's key store
// satisfies it). It must be safe for concurrent use.
type Credentials interface {
	Secret(accessKey string) (secret string, ok bool)
}

// Verifier authenticates requests. Its zero value is not usable: set
// Credentials. A Verifier is safe for concurrent use.
type Verifier struct {
	Credentials Credentials
	Now         func() time.Time // nil: time.Now
	MaxSkew     time.Duration    // 0: 15 minutes, S3's limit
}

// Auth is a verified request's signing context. NewPayload needs it to check
// aws-chunked chunk and trailer signatures.
type Auth struct {
	AccessKey, Region string
	Time              time.Time // the signing time (X-Amz-Date or Date), UTC
	Signature         string    // hex request signature; seeds the chunk chain
	PayloadHash       string    // literal X-Amz-Content-Sha256, or UNSIGNED-PAYLOAD for presigned
	Presigned         bool
	// Query is the request's query as verified. Read parameters from it,
	// never from r.URL: it is the single parse the signature was checked
	// against.
	Query url.Values

	key     []byte // derived signing key
	scope   string // yyyymmdd/region/s3/aws4_request
	amzDate string // the timestamp as signed, ISO 8601 basic
}

const defaultMaxSkew = 15 * time.Minute

// Verify checks the Authorization header or the presigned query of r. It
// never reads the body. Failures are *Error: AccessDenied (no or expired
// authentication), InvalidAccessKeyId, SignatureDoesNotMatch,
// RequestTimeTooSkewed, AuthorizationHeaderMalformed,
// AuthorizationQueryParametersError or InvalidRequest/InvalidArgument.
// AccessDenied with HeadersNotSigned set means an x-amz-* header was
// present but not signed.
func (v *Verifier) Verify(r *http.Request) (*Auth, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	hasHeader := r.Header.Get("Authorization") != "" // an empty one is no signature: AccessDenied
	presigned := q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Algorithm")
	switch {
	case hasHeader && presigned:
		return nil, newError(CodeInvalidArgument, "only one auth mechanism allowed")
	case hasHeader:
		return v.verifyHeader(r, q)
	case presigned:
		return v.verifyPresigned(r, q)
	}
	return nil, newError(CodeAccessDenied, "request is not signed")
}

// verifyHeader authenticates the Authorization header form.
func (v *Verifier) verifyHeader(r *http.Request, q url.Values) (*Auth, error) {
	sa, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return nil, authError(CodeAuthorizationHeaderMalformed, err)
	}
	t, amzDate, err := headerTime(r)
	if err != nil {
		return nil, err
	}
	if sa.cred.date != amzDate[:8] {
		return nil, newError(CodeAuthorizationHeaderMalformed, "credential date does not match the request date")
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		return nil, newError(CodeInvalidRequest, "missing required header x-amz-content-sha256")
	}
	a, err := v.newAuth(sa.cred, t, amzDate, payloadHash)
	if err != nil {
		return nil, err
	}
	a.Query = q
	if err := v.checkSkew(t); err != nil {
		return nil, err
	}
	return a, a.check(r, sa)
}

// verifyPresigned authenticates a presigned URL.
func (v *Verifier) verifyPresigned(r *http.Request, q url.Values) (*Auth, error) {
	p, err := parsePresigned(q)
	if err != nil {
		return nil, authError(CodeAuthorizationQueryParamsError, err)
	}
	t, err := time.Parse(iso8601Basic, p.amzDate)
	if err != nil || p.cred.date != p.amzDate[:8] {
		return nil, newError(CodeAuthorizationQueryParamsError, "X-Amz-Date must be yyyymmddThhmmssZ on the credential's date")
	}
	a, err := v.newAuth(p.cred, t, p.amzDate, presignedPayloadHash(r, q))
	if err != nil {
		return nil, err
	}
	a.Presigned, a.Query = true, q
	if err := v.checkValidity(t, p.expires); err != nil {
		return nil, err
	}
	return a, a.check(r, p.signedAuth)
}

// presignedPayloadHash: presigned URLs sign UNSIGNED-PAYLOAD unless the
// signer put an explicit hash in the query or a header.
func presignedPayloadHash(r *http.Request, q url.Values) string {
	if h := q.Get("X-Amz-Content-Sha256"); h != "" {
		return h
	}
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		return h
	}
	return unsignedPayload
}

// authError wraps a parse failure in the S3 code of its source.
func authError(code string, err error) *Error {
	if errors.Is(err, errUnsupportedAlgorithm) {
		return newError(CodeInvalidRequest, err.Error())
	}
	return newError(code, err.Error())
}

// headerTime reads X-Amz-Date, or else the Date header, and returns it with
// its ISO 8601 basic spelling, which is what the string to sign carries.
func headerTime(r *http.Request) (time.Time, string, error) {
	if d := r.Header.Get("X-Amz-Date"); d != "" {
		t, err := time.Parse(iso8601Basic, d)
		if err == nil {
			return t, d, nil
		}
	} else if t, err := http.ParseTime(r.Header.Get("Date")); err == nil {
		return t.UTC(), t.UTC().Format(iso8601Basic), nil
	}
	return time.Time{}, "", newError(CodeAccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
}

// newAuth looks up the secret and derives the signing context.
func (v *Verifier) newAuth(c credential, t time.Time, amzDate, payloadHash string) (*Auth, error) {
	secret, ok := v.Credentials.Secret(c.accessKey)
	if !ok {
		return nil, newError(CodeInvalidAccessKeyID, "the access key ID you provided does not exist in our records")
	}
	return &Auth{
		AccessKey: c.accessKey, Region: c.region, Time: t, PayloadHash: payloadHash,
		key: signingKey(secret, c.date, c.region), scope: c.scope(), amzDate: amzDate,
	}, nil
}

// check recomputes the request signature and compares it in constant time.
// On success it records the signature, which seeds aws-chunked chains.
func (a *Auth) check(r *http.Request, sa signedAuth) error {
	if names := unsignedAmzHeaders(r.Header, sa.signedHeaders); len(names) > 0 {
		return headersNotSigned(names)
	}
	cr := canonicalRequest(r, sa.signedHeaders, canonicalQuery(a.Query, a.Presigned), a.PayloadHash)
	want := hmacSHA256(a.key, stringToSign(a.amzDate, a.scope, cr))
	if !hmac.Equal(want, sa.signature) {
		return newError(CodeSignatureDoesNotMatch, "the request signature we calculated does not match the signature you provided")
	}
	a.Signature = hex.EncodeToString(sa.signature)
	return nil
}

// unsignedAmzHeaders returns, lower-case and sorted, the x-amz-* headers
// of h that signed does not list. S3 acts on every x-amz-* header (a copy
// source, metadata, checksums), so one left out of the signature could be
// added by anyone holding a presigned URL or replaying a request.
func unsignedAmzHeaders(h http.Header, signed []string) []string {
	var names []string
	for name := range h {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "x-amz-") && !slices.Contains(signed, lower) {
			names = append(names, lower)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// headersNotSigned is S3's answer to unsigned x-amz-* headers: 403
// AccessDenied naming them.
func headersNotSigned(names []string) *Error {
	e := newError(CodeAccessDenied, "There were headers present in the request which were not signed")
	e.HeadersNotSigned = strings.Join(names, ", ")
	return e
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return defaultMaxSkew
}

// checkSkew bounds how far a header-signed request's time may be from ours,
// which limits how long a captured request can be replayed.
func (v *Verifier) checkSkew(t time.Time) error {
	d := v.now().Sub(t)
	if d > v.maxSkew() || d < -v.maxSkew() {
		return newError(CodeRequestTimeTooSkewed, "the difference between the request time and the current time is too large")
	}
	return nil
}

// checkValidity: a presigned URL is good from its signing time (less the
// allowed skew) until that time plus X-Amz-Expires.
func (v *Verifier) checkValidity(t time.Time, expires time.Duration) error {
	now := v.now()
	if t.Sub(now) > v.maxSkew() {
		return newError(CodeRequestTimeTooSkewed, "request is not valid yet")
	}
	if now.After(t.Add(expires)) {
		return newError(CodeAccessDenied, "Request has expired")
	}
	return nil
}
