package s3api

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// target is the bucket and key a request names, already decoded and
// validated.
type target struct {
	bucket, key string
}

// level says what the target addresses.
func (t target) level() level {
	switch {
	case t.bucket == "":
		return levelService
	case t.key == "":
		return levelBucket
	default:
		return levelObject
	}
}

// resolveTarget finds bucket and key in the Host header (virtual-host style,
// when domain is set) or in the path (path style).
func resolveTarget(r *http.Request, domain string) (target, error) {
	path := strings.TrimPrefix(rawPath(r), "/")
	if bucket, ok := hostBucket(r.Host, domain); ok {
		return decodeTarget(bucket, path)
	}
	bucket, key, _ := strings.Cut(path, "/")
	bucket, err := url.PathUnescape(bucket)
	if err != nil {
		return target{}, s3Error(codeInvalidURI)
	}
	return decodeTarget(bucket, key)
}

// rawPath is the request path exactly as the client sent it.
func rawPath(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		path, _, _ := strings.Cut(r.RequestURI, "?")
		return path
	}
	return r.URL.EscapedPath()
}

// hostBucket returns the bucket of a virtual-host style Host
// (<bucket>.<domain>, any port).
func hostBucket(host, domain string) (string, bool) {
	if domain == "" {
		return "", false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	bucket, ok := strings.CutSuffix(strings.ToLower(host), "."+strings.ToLower(domain))
	return bucket, ok && bucket != ""
}

// decodeTarget percent-decodes the raw key once and validates both names.
func decodeTarget(bucket, rawKey string) (target, error) {
	key, err := url.PathUnescape(rawKey)
	if err != nil {
		return target{}, s3Error(codeInvalidURI)
	}
	if bucket == "" {
		if key != "" {
			return target{}, s3Error(codeInvalidURI)
		}
		return target{}, nil
	}
	if !validBucketName(bucket) {
		return target{}, s3Error(codeInvalidBucketName)
	}
	return target{bucket: bucket, key: key}, checkKey(key)
}

// checkKey validates a key that is present; "" means bucket level.
func checkKey(key string) error {
	switch {
	case key == "" || validKey(key):
		return nil
	case len(key) > maxKeyLength:
		return s3Error(codeKeyTooLong)
	default:
		return errorf(codeInvalidArgument, "Object key must be valid UTF-8 without NUL characters")
	}
}
