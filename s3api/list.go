package s3api

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxListKeys is the default and the cap of max-keys (and of max-parts,
// max-uploads).
const maxListKeys = 1000

// listOptions are the query parameters both listing versions share.
type listOptions struct {
	prefix, delimiter string
	maxKeys           int
	urlEncoding       bool
}

// parseListOptions reads prefix, delimiter, max-keys and encoding-type.
func parseListOptions(q *request) (listOptions, error) {
	opts := listOptions{prefix: q.query.Get("prefix"), delimiter: q.query.Get("delimiter")}
	var err error
	if opts.maxKeys, err = parseMax(q.query.Get("max-keys"), "max-keys"); err != nil {
		return opts, err
	}
	if opts.urlEncoding, err = parseEncodingType(q.query.Get("encoding-type")); err != nil {
		return opts, err
	}
	return opts, checkListStrings(opts.prefix, opts.delimiter)
}

// parseMax reads a max-keys style limit: default and cap maxListKeys.
func parseMax(value, name string) (int, error) {
	if value == "" {
		return maxListKeys, nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 {
		return 0, errorf(codeInvalidArgument, "Provided %s not an integer or within integer range", name)
	}
	return min(n, maxListKeys), nil
}

// parseEncodingType accepts "" and "url".
func parseEncodingType(value string) (bool, error) {
	switch value {
	case "":
		return false, nil
	case "url":
		return true, nil
	default:
		return false, errorf(codeInvalidArgument, "Invalid Encoding Method specified in Request")
	}
}

// checkListStrings refuses listing parameters that no key could match and
// that a store might choke on: invalid UTF-8, NUL, longer than a key.
func checkListStrings(values ...string) error {
	for _, v := range values {
		if len(v) > maxKeyLength || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return errorf(codeInvalidArgument, "Invalid listing parameter")
		}
	}
	return nil
}

// encode applies encoding-type=url to a name.
func (o listOptions) encode(s string) keyText {
	if o.urlEncoding {
		return keyText(urlEncode(s))
	}
	return keyText(s)
}

// encodingType is the EncodingType element's value.
func (o listOptions) encodingType() string {
	if o.urlEncoding {
		return "url"
	}
	return ""
}

// listObjectsV2 answers GET /b?list-type=2.
func (h *handler) listObjectsV2(q *request) (*response, error) {
	if q.query.Get("list-type") != "2" {
		return nil, errorf(codeInvalidArgument, "Invalid list type")
	}
	opts, err := parseListOptions(q)
	if err != nil {
		return nil, err
	}
	after, err := v2Start(q, opts)
	if err != nil {
		return nil, err
	}
	page, err := h.listObjects(q.r.Context(), listQuery{bucket: q.target.bucket, prefix: opts.prefix,
		delimiter: opts.delimiter, after: after, maxKeys: opts.maxKeys})
	if err != nil {
		return nil, err
	}
	return xmlResponse(v2Result(q, opts, page)), nil
}

// v2Start is where a V2 listing starts: after the continuation token's
// entry, else after start-after.
func v2Start(q *request, opts listOptions) (string, error) {
	token := q.query.Get("continuation-token")
	if token == "" {
		startAfter := q.query.Get("start-after")
		return startAfter, checkListStrings(startAfter)
	}
	last, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || checkListStrings(string(last)) != nil || len(last) == 0 {
		return "", errorf(codeInvalidArgument, "The continuation token provided is incorrect")
	}
	return resumeAfter(string(last), opts.prefix, opts.delimiter), nil
}

// v2Result renders a V2 page.
func v2Result(q *request, opts listOptions, page listPage) listBucketResultV2 {
	doc := listBucketResultV2{
		Name: q.target.bucket, Prefix: opts.encode(opts.prefix), Delimiter: opts.encode(opts.delimiter),
		MaxKeys: opts.maxKeys, KeyCount: page.entries(), IsTruncated: page.truncated,
		EncodingType: opts.encodingType(),
		StartAfter:   opts.encode(q.query.Get("start-after")),
	}
	if q.query.Has("continuation-token") {
		// Echoed even when empty, as S3 does.
		token := q.query.Get("continuation-token")
		doc.ContinuationToken = &token
	}
	if page.truncated {
		doc.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(page.last))
	}
	fetchOwner := q.query.Get("fetch-owner") == "true"
	doc.Contents = objectEntries(page.objects, opts, fetchOwner)
	doc.CommonPrefixes = prefixEntries(page.prefixes, opts)
	return doc
}

// listObjectsV1 answers GET /b (version 1): marker, and NextMarker when a
// delimiter is used and the page is truncated.
func (h *handler) listObjectsV1(q *request) (*response, error) {
	opts, err := parseListOptions(q)
	if err != nil {
		return nil, err
	}
	marker := q.query.Get("marker")
	if err := checkListStrings(marker); err != nil {
		return nil, err
	}
	page, err := h.listObjects(q.r.Context(), listQuery{bucket: q.target.bucket, prefix: opts.prefix,
		delimiter: opts.delimiter, after: resumeAfter(marker, opts.prefix, opts.delimiter), maxKeys: opts.maxKeys})
	if err != nil {
		return nil, err
	}
	doc := listBucketResultV1{
		Name: q.target.bucket, Prefix: opts.encode(opts.prefix), Marker: opts.encode(marker),
		Delimiter: opts.encode(opts.delimiter), MaxKeys: opts.maxKeys, IsTruncated: page.truncated,
		EncodingType: opts.encodingType(),
		Contents:     objectEntries(page.objects, opts, true), CommonPrefixes: prefixEntries(page.prefixes, opts),
	}
	if page.truncated && opts.delimiter != "" {
		doc.NextMarker = opts.encode(page.last)
	}
	return xmlResponse(doc), nil
}

// objectEntries renders listed objects.
func objectEntries(objs []ObjectInfo, opts listOptions, withOwner bool) []objectEntry {
	entries := make([]objectEntry, 0, len(objs))
	for _, o := range objs {
		e := objectEntry{Key: opts.encode(o.Key), LastModified: xmlTime(o.LastModified),
			ETag: quoteETag(o.ETag), Size: o.Size, StorageClass: "STANDARD"}
		if withOwner {
			e.Owner = &storeOwner
		}
		entries = append(entries, e)
	}
	return entries
}

// prefixEntries renders rolled-up prefixes.
func prefixEntries(prefixes []string, opts listOptions) []commonPrefix {
	entries := make([]commonPrefix, 0, len(prefixes))
	for _, p := range prefixes {
		entries = append(entries, commonPrefix{Prefix: opts.encode(p)})
	}
	return entries
}
