package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// presignRequest is one S3 request the browser asks to make. Only host is
// signed and the payload is UNSIGNED-PAYLOAD, so the browser streams the
// body itself (with progress) while the S3 door checks who signed it and
// what that key may do, exactly as for any other client.
type presignRequest struct {
	Method string
	// Host is the Host header the browser will send: the console's own.
	Host   string
	Bucket string
	Key    string
	Query  url.Values
	// Expires is how long the URL stays valid (1 s to 7 days).
	Expires time.Duration
}

// presign returns the path and query of a SigV4 presigned URL for req,
// signed with accessKey's secret for region at now.
func presign(req presignRequest, accessKey, secret, region string, now time.Time) string {
	now = now.UTC()
	date, stamp := now.Format("20060102"), now.Format("20060102T150405Z")
	scope := date + "/" + region + "/s3/aws4_request"
	q := url.Values{}
	for k, vs := range req.Query {
		q[k] = append([]string(nil), vs...)
	}
	q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
	q.Set("X-Amz-Credential", accessKey+"/"+scope)
	q.Set("X-Amz-Date", stamp)
	q.Set("X-Amz-Expires", strconv.FormatInt(int64(req.Expires/time.Second), 10))
	q.Set("X-Amz-SignedHeaders", "host")
	path := objectPath(req.Bucket, req.Key)
	query := canonicalQuery(q)
	canonical := req.Method + "\n" + path + "\n" + query + "\nhost:" + req.Host + "\n\nhost\nUNSIGNED-PAYLOAD"
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256([]byte("AWS4"+secret), date)
	for _, part := range []string{region, "s3", "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	sig := hex.EncodeToString(hmacSHA256(key, toSign))
	return path + "?" + query + "&X-Amz-Signature=" + sig
}

// objectPath is the path-style URI of bucket/key with every byte of the
// key outside RFC 3986's unreserved set percent-encoded (slashes kept), so
// a browser sends it as signed, without encoding it again.
func objectPath(bucket, key string) string {
	p := "/" + escape(bucket)
	if key == "" {
		return p
	}
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	return p + "/" + strings.Join(segs, "/")
}

// canonicalQuery encodes q as SigV4 signs it: names and values escaped,
// sorted by name then value. The same string serves as the URL's query.
func canonicalQuery(q url.Values) string {
	var pairs [][2]string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, [2]string{escape(k), escape(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p[0] + "=" + p[1]
	}
	return strings.Join(out, "&")
}

func escape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
