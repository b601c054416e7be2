package s3api

import (
	"context"
	"strings"
)

// listQuery is one page request of a (possibly delimited) object listing.
type listQuery struct {
	bucket, prefix, delimiter string
	after                     string // exclusive: list keys > after
	maxKeys                   int
}

// listPage is one page: objects and rolled-up prefixes in key order.
type listPage struct {
	objects   []ObjectInfo
	prefixes  []string
	truncated bool
	last      string // the last key or prefix returned: where the next page resumes
}

// entries is how many keys and prefixes the page holds.
func (p *listPage) entries() int {
	return len(p.objects) + len(p.prefixes)
}

// listObjects asks the Backend for one page, which rolls keys up into
// common prefixes itself: only the store can skip a prefix's keys without
// reading them.
func (h *handler) listObjects(ctx context.Context, lq listQuery) (listPage, error) {
	if lq.maxKeys == 0 {
		return listPage{}, nil
	}
	p, err := h.backend.ListObjects(ctx, lq.bucket, ListQuery{
		Prefix: lq.prefix, Delimiter: lq.delimiter, After: lq.after, Limit: lq.maxKeys})
	if err != nil {
		return listPage{}, err
	}
	page := listPage{objects: p.Objects, prefixes: p.Prefixes, truncated: p.Truncated}
	if n := len(p.Objects); n > 0 {
		page.last = p.Objects[n-1].Key
	}
	if n := len(p.Prefixes); n > 0 {
		page.last = max(page.last, p.Prefixes[n-1])
	}
	return page, nil
}

// resumeAfter turns a page's last entry (or a client's marker) into the
// Backend's exclusive start. A rolled-up prefix resumes past every key
// that starts with it: the prefix followed by U+10FFFF repeated to the
// longest key, which is >= any valid UTF-8 key of at most 1024 bytes with
// that prefix. The result is valid UTF-8 but may be up to 1027 bytes long.
func resumeAfter(last, prefix, delimiter string) string {
	if last == "" || CommonPrefix(last, prefix, delimiter) != last {
		return last
	}
	const maxRune = "\U0010FFFF"
	n := max(0, (maxKeyLength-len(last)+len(maxRune)-1)/len(maxRune))
	return last + strings.Repeat(maxRune, n)
}

// urlEncode encodes a name for encoding-type=url as S3 does: everything
// but RFC 3986 unreserved characters and '/' is percent-encoded, so '+'
// and ' ' survive the form-decoding that botocore and minio-go apply.
func urlEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&15])
	}
	return b.String()
}

// unreserved reports RFC 3986's unreserved characters.
func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}
