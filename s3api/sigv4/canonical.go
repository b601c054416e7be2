package sigv4

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// canonicalRequest builds the SigV4 canonical request of r: method, URI,
// query, the signed headers' lines, the signed header list, payload hash.
func canonicalRequest(r *http.Request, signed []string, query, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n" + canonicalURI(r) + "\n" + query + "\n")
	for _, name := range signed {
		b.WriteString(name + ":" + headerValue(r, name) + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payloadHash)
	return b.String()
}

// canonicalURI is the request path exactly as the client sent it: S3 signs
// the encoded path without decoding or normalising it (no dot-segment
// removal, no double encoding), and every client encodes keys its own way.
func canonicalURI(r *http.Request) string {
	uri := r.RequestURI
	if !strings.HasPrefix(uri, "/") {
		// A client-side request (tests) or an absolute-form target: the
		// parsed URL's escaped path is the closest to what was sent.
		uri = r.URL.EscapedPath()
	} else if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	if uri == "" {
		return "/"
	}
	return uri
}

// canonicalQuery re-encodes every name and value of the parsed query with
// the SigV4 rules, sorted by name then value; a valueless parameter
// becomes "name=". With presigned, X-Amz-Signature is left out, since it
// cannot sign itself.
func canonicalQuery(q url.Values, presigned bool) string {
	type param struct{ name, value string }
	var params []param
	for name, values := range q {
		if presigned && name == "X-Amz-Signature" {
			continue
		}
		for _, v := range values {
			params = append(params, param{awsEscape(name), awsEscape(v)})
		}
	}
	slices.SortFunc(params, func(a, b param) int {
		return cmp.Or(strings.Compare(a.name, b.name), strings.Compare(a.value, b.value))
	})
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name + "=" + p.value)
	}
	return b.String()
}

// awsEscape percent-encodes every byte except the RFC 3986 unreserved
// characters, with upper-case hex, as SigV4 requires.
func awsEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// headerValue is the canonical value of one signed header: several values
// joined with ',', each trimmed with inner whitespace runs collapsed. Host
// and Content-Length are not in r.Header on the server side, so they come
// from the request itself.
func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return cmp.Or(r.Host, r.URL.Host)
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" || r.ContentLength < 0 {
			return trimAll(v)
		}
		return strconv.FormatInt(r.ContentLength, 10)
	}
	var b strings.Builder
	for i, v := range r.Header.Values(name) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(trimAll(v))
	}
	return b.String()
}

// trimAll trims a header value and collapses inner whitespace to one space.
func trimAll(v string) string {
	return strings.Join(strings.Fields(v), " ")
}
