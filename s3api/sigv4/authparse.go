package sigv4

import (
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// signingAlgorithm is the only algorithm accepted: SigV4 with HMAC-SHA256.
	signingAlgorithm = "AWS4-HMAC-SHA256"
	// scopeTerminator ends every credential scope.
	scopeTerminator = "aws4_request"
	// serviceS3 is the only service a scope may name.
	serviceS3 = "s3"
	// iso8601Basic is the X-Amz-Date format.
	iso8601Basic = "20060102T150405Z"
	// scopeDateLayout is the date part of a credential scope.
	scopeDateLayout = "20060102"
	// maxAuthorizationLength bounds the Authorization header we parse; real
	// ones are a few hundred bytes even with many signed headers.
	maxAuthorizationLength = 8 << 10
	// maxPresignExpiry is S3's limit for X-Amz-Expires: seven days.
	maxPresignExpiry = 7 * 24 * time.Hour
)

// errUnsupportedAlgorithm marks an Authorization header of another scheme
// (SigV2's "AWS ", SigV4a), which is not malformed but not supported either.
var errUnsupportedAlgorithm = errors.New("the authorization mechanism you have provided is not supported; please use " + signingAlgorithm)

// credential is the parsed Credential value: AK/yyyymmdd/region/s3/aws4_request.
type credential struct {
	accessKey, date, region string
}

// scope returns the credential scope that string-to-sign lines carry.
func (c credential) scope() string {
	return c.date + "/" + c.region + "/" + serviceS3 + "/" + scopeTerminator
}

// signedAuth is what the Authorization header or presigned query carries.
type signedAuth struct {
	cred          credential
	signedHeaders []string // lower-case, in the order the client listed them
	signature     []byte   // raw 32-byte HMAC
}

// parseAuthorization parses an Authorization header of the form
// "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…". Fields are
// split on ',' and trimmed, because minio-go's streaming requests send no
// space after the commas. Errors are plain; the caller picks the S3 code.
func parseAuthorization(h string) (signedAuth, error) {
	if len(h) > maxAuthorizationLength {
		return signedAuth{}, errors.New("authorization header too long")
	}
	alg, rest, _ := strings.Cut(h, " ")
	if alg != signingAlgorithm {
		return signedAuth{}, errUnsupportedAlgorithm
	}
	fields, err := authFields(rest)
	if err != nil {
		return signedAuth{}, err
	}
	return parseSignedAuth(fields["Credential"], fields["SignedHeaders"], fields["Signature"])
}

// authFields splits "k=v, k=v, k=v" and requires exactly the three SigV4 keys.
func authFields(s string) (map[string]string, error) {
	fields := make(map[string]string, 3)
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !isAuthField(k) {
			return nil, errors.New("unexpected authorization field " + quote(part))
		}
		if _, dup := fields[k]; dup {
			return nil, errors.New("repeated authorization field " + k)
		}
		fields[k] = v
	}
	if len(fields) != 3 {
		return nil, errors.New("authorization header needs Credential, SignedHeaders and Signature")
	}
	return fields, nil
}

func isAuthField(k string) bool {
	return k == "Credential" || k == "SignedHeaders" || k == "Signature"
}

// parseSignedAuth validates the three values shared by header and query auth.
func parseSignedAuth(cred, headers, sig string) (signedAuth, error) {
	c, err := parseCredential(cred)
	if err != nil {
		return signedAuth{}, err
	}
	names, err := parseSignedHeaders(headers)
	if err != nil {
		return signedAuth{}, err
	}
	raw, err := parseSignature(sig)
	if err != nil {
		return signedAuth{}, err
	}
	return signedAuth{cred: c, signedHeaders: names, signature: raw}, nil
}

// parseCredential splits AK/yyyymmdd/region/s3/aws4_request. The scope is
// taken from the right so that an access key containing '/' still parses.
func parseCredential(s string) (credential, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 5 {
		return credential{}, errors.New("credential must be AK/date/region/s3/aws4_request: " + quote(s))
	}
	n := len(parts)
	c := credential{accessKey: strings.Join(parts[:n-4], "/"), date: parts[n-4], region: parts[n-3]}
	switch {
	case c.accessKey == "":
		return credential{}, errors.New("credential has an empty access key")
	case !validScopeDate(c.date):
		return credential{}, errors.New("credential date must be yyyymmdd: " + quote(c.date))
	case c.region == "":
		return credential{}, errors.New("credential has an empty region")
	case parts[n-2] != serviceS3:
		return credential{}, errors.New("credential service must be s3, not " + quote(parts[n-2]))
	case parts[n-1] != scopeTerminator:
		return credential{}, errors.New("credential must end with aws4_request")
	}
	return c, nil
}

func validScopeDate(d string) bool {
	_, err := time.Parse(scopeDateLayout, d)
	return len(d) == len(scopeDateLayout) && err == nil
}

// parseSignedHeaders splits "a;b;c". Names must be lower-case header tokens,
// listed once, and include host, which SigV4 always signs.
func parseSignedHeaders(s string) ([]string, error) {
	names := strings.Split(s, ";")
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if !validHeaderName(n) || seen[n] {
			return nil, errors.New("invalid signed headers " + quote(s))
		}
		seen[n] = true
	}
	if !seen["host"] {
		return nil, errors.New("signed headers must include host")
	}
	return names, nil
}

// validHeaderName accepts lower-case RFC 7230 token characters only.
func validHeaderName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// parseSignature decodes a 64-digit hex signature into its raw 32 bytes, so
// that comparisons are of MACs, not of spellings.
func parseSignature(s string) ([]byte, error) {
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != 32 {
		return nil, errors.New("signature must be 64 hex digits")
	}
	return raw, nil
}

// presignParams is the authentication carried by a presigned URL's query.
type presignParams struct {
	signedAuth
	amzDate string
	expires time.Duration
}

// parsePresigned reads the X-Amz-* query parameters of a presigned URL.
func parsePresigned(q url.Values) (presignParams, error) {
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if len(q[k]) != 1 {
			return presignParams{}, errors.New("query needs exactly one " + k)
		}
	}
	if q.Get("X-Amz-Algorithm") != signingAlgorithm {
		return presignParams{}, errUnsupportedAlgorithm
	}
	expires, err := parseExpires(q.Get("X-Amz-Expires"))
	if err != nil {
		return presignParams{}, err
	}
	sa, err := parseSignedAuth(q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"))
	if err != nil {
		return presignParams{}, err
	}
	return presignParams{signedAuth: sa, amzDate: q.Get("X-Amz-Date"), expires: expires}, nil
}

// parseExpires accepts 1..604800 seconds, as S3 does.
func parseExpires(s string) (time.Duration, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > int64(maxPresignExpiry/time.Second) {
		return 0, errors.New("X-Amz-Expires must be between 1 and 604800 seconds")
	}
	return time.Duration(n) * time.Second, nil
}
