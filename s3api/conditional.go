package s3api

import (
	"net/http"
	"strings"
	"time"
)

// preconditions are the conditional headers of a read (If-*) or of a copy
// source (x-amz-copy-source-if-*).
type preconditions struct {
	ifMatch, ifNoneMatch               string
	ifModifiedSince, ifUnmodifiedSince string
}

// readPreconditions reads the headers named prefix+"If-Match" and so on.
func readPreconditions(hdr http.Header, prefix string) preconditions {
	return preconditions{
		ifMatch:           hdr.Get(prefix + "If-Match"),
		ifNoneMatch:       hdr.Get(prefix + "If-None-Match"),
		ifModifiedSince:   hdr.Get(prefix + "If-Modified-Since"),
		ifUnmodifiedSince: hdr.Get(prefix + "If-Unmodified-Since"),
	}
}

// evaluate applies RFC 7232's order to an object with an unquoted etag
// and its modification time. It returns 0 to proceed,
// http.StatusPreconditionFailed or http.StatusNotModified. A date that does
// not parse is ignored, as S3 does.
func (p preconditions) evaluate(etag string, modified time.Time) int {
	modified = modified.Truncate(time.Second)
	if p.ifMatch != "" {
		if !etagListMatches(p.ifMatch, etag) {
			return http.StatusPreconditionFailed
		}
	} else if t, ok := httpDate(p.ifUnmodifiedSince); ok && modified.After(t) {
		return http.StatusPreconditionFailed
	}
	if p.ifNoneMatch != "" {
		if etagListMatches(p.ifNoneMatch, etag) {
			return http.StatusNotModified
		}
	} else if t, ok := httpDate(p.ifModifiedSince); ok && !modified.After(t) {
		return http.StatusNotModified
	}
	return 0
}

// etagListMatches reports whether a comma-separated list of entity tags
// (quoted or not, weak or not, or "*") names etag.
func etagListMatches(list, etag string) bool {
	for _, tag := range strings.Split(list, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || unquoteETag(strings.TrimPrefix(tag, "W/")) == etag {
			return true
		}
	}
	return false
}

// unquoteETag strips the quotes clients send around an ETag, whatever form
// they arrive in.
func unquoteETag(tag string) string {
	return strings.Trim(strings.TrimSpace(tag), `"`)
}

// quoteETag quotes an ETag for a header or a document.
func quoteETag(etag string) string {
	return `"` + etag + `"`
}

// httpDate parses an HTTP date in any of the forms net/http accepts.
func httpDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(s)
	return t, err == nil
}
