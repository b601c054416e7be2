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

// listBatch is how many keys to ask the Backend for at a time.
const listBatch = 1000

// listObjects pages the Backend's flat key listing into a delimited page of
// at most maxKeys entries. Keys under a prefix already rolled up are
// skipped; when a batch ends inside one, the next batch starts past every
// key that prefix can hold instead of walking them.
func (h *handler) listObjects(ctx context.Context, lq listQuery) (listPage, error) {
	var page listPage
	after := lq.after
	for lq.maxKeys > 0 {
		objs, more, err := h.backend.ListObjects(ctx, lq.bucket, lq.prefix, after, min(lq.maxKeys+1, listBatch))
		if err != nil || len(objs) == 0 {
			return page, err
		}
		if done := page.add(lq, objs); done || !more {
			return page, nil
		}
		after = resumeAfter(page.last, lq.prefix, lq.delimiter)
	}
	return page, nil
}

// add appends a batch; it reports true when the page is full and more
// entries follow (the page is then truncated).
func (p *listPage) add(lq listQuery, objs []ObjectInfo) bool {
	for _, obj := range objs {
		cp := commonPrefixOf(obj.Key, lq.prefix, lq.delimiter)
		if cp != "" && cp == p.last {
			continue
		}
		if p.entries() == lq.maxKeys {
			p.truncated = true
			return true
		}
		if cp != "" {
			p.prefixes = append(p.prefixes, cp)
			p.last = cp
		} else {
			p.objects = append(p.objects, obj)
			p.last = obj.Key
		}
	}
	return false
}

// commonPrefixOf returns the rolled-up prefix key belongs to: prefix up to
// and including the first delimiter after it, or "" when key is listed as
// itself.
func commonPrefixOf(key, prefix, delimiter string) string {
	if delimiter == "" || !strings.HasPrefix(key, prefix) {
		return ""
	}
	i := strings.Index(key[len(prefix):], delimiter)
	if i < 0 {
		return ""
	}
	return key[:len(prefix)+i+len(delimiter)]
}

// resumeAfter turns a page's last entry (or a client's marker) into the
// Backend's exclusive start. A rolled-up prefix resumes past every key
// that starts with it: the prefix followed by U+10FFFF repeated to the
// longest key, which is >= any valid UTF-8 key of at most 1024 bytes with
// that prefix. The result is valid UTF-8 but may be up to 1027 bytes long.
func resumeAfter(last, prefix, delimiter string) string {
	if last == "" || commonPrefixOf(last, prefix, delimiter) != last {
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
