package sigv4

import (
	"encoding/hex"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PresignInput is one request to presign. Only the host header (and any
// Headers) is signed and the payload is UNSIGNED-PAYLOAD, so whoever holds the URL (a browser)
// sends it as is and streams any body itself.
type PresignInput struct {
	Method string
	// Host is the Host header the request will carry.
	Host   string
	Bucket string
	Key    string
	Query  url.Values
	// Expires is how long the URL stays valid.
	Expires time.Duration
	// Headers are further headers the request will carry, signed with
	// host: an x-amz-* header (x-amz-checksum-mode) is refused unsigned.
	// Names are lower-case.
	Headers map[string]string

	AccessKey, Secret, Region string
	Now                       time.Time
}

// Presign returns the path and query of a path-style presigned URL for in,
// built by the same canonical rules the verifier checks.
func Presign(in PresignInput) string {
	now := in.Now.UTC()
	date, stamp := now.Format("20060102"), now.Format(iso8601Basic)
	scope := date + "/" + in.Region + "/" + serviceS3 + "/" + scopeTerminator
	q := url.Values{}
	for k, vs := range in.Query {
		q[k] = append([]string(nil), vs...)
	}
	q.Set("X-Amz-Algorithm", signingAlgorithm)
	q.Set("X-Amz-Credential", in.AccessKey+"/"+scope)
	q.Set("X-Amz-Date", stamp)
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(in.Expires/time.Second), 10))
	names := []string{"host"}
	values := map[string]string{"host": in.Host}
	for k, v := range in.Headers {
		names = append(names, k)
		values[k] = strings.TrimSpace(v)
	}
	sort.Strings(names)
	var headers strings.Builder
	for _, k := range names {
		headers.WriteString(k + ":" + values[k] + "\n")
	}
	signed := strings.Join(names, ";")
	q.Set("X-Amz-SignedHeaders", signed)
	path := ObjectPath(in.Bucket, in.Key)
	query := canonicalQuery(q, true)
	canonical := in.Method + "\n" + path + "\n" + query + "\n" + headers.String() + "\n" + signed + "\n" + unsignedPayload
	sig := hex.EncodeToString(hmacSHA256(signingKey(in.Secret, date, in.Region), stringToSign(stamp, scope, canonical)))
	return path + "?" + query + "&X-Amz-Signature=" + sig
}

// ObjectPath is the path-style URI of bucket/key with every byte of the
// key outside RFC 3986's unreserved set percent-encoded (slashes kept), so
// a client sends it as signed, without encoding it again.
func ObjectPath(bucket, key string) string {
	p := "/" + awsEscape(bucket)
	if key == "" {
		return p
	}
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = awsEscape(s)
	}
	return p + "/" + strings.Join(segs, "/")
}
