package s3api

import (
	"net/http"
	"net/url"
	"strings"
)

// copyObject answers PUT /b/k with x-amz-copy-source. The
// x-amz-copy-source-if-* headers are checked against the source, and any
// failure of them is PreconditionFailed.
func (h *handler) copyObject(q *request) (*response, error) {
	src, err := h.copySource(q)
	if err != nil {
		return nil, err
	}
	meta, replace, err := copyMeta(q.r.Header)
	if err != nil {
		return nil, err
	}
	if !replace && src.Bucket == q.target.bucket && src.Key == q.target.key {
		return nil, errorf(codeInvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata.")
	}
	info, err := h.backend.CopyObject(q.r.Context(), src, q.target.bucket, q.target.key, meta, replace)
	if err != nil {
		return nil, err
	}
	return xmlResponse(copyObjectResult{ETag: quoteETag(info.ETag), LastModified: xmlTime(info.LastModified)}), nil
}

// copySource looks up the source object and checks its preconditions.
func (h *handler) copySource(q *request) (ObjectInfo, error) {
	bucket, key, err := parseCopySource(q.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return ObjectInfo{}, err
	}
	src, err := h.backend.HeadObject(q.r.Context(), bucket, key)
	if err != nil {
		return src, err
	}
	if readPreconditions(q.r.Header, "X-Amz-Copy-Source-").evaluate(src.ETag, src.LastModified) != 0 {
		return src, s3Error(codePreconditionFailed)
	}
	return src, nil
}

// parseCopySource reads x-amz-copy-source: a URL-encoded "bucket/key" with
// an optional leading '/' and an optional "?versionId=" that only "null"
// may fill (there are no versions here).
func parseCopySource(value string) (bucket, key string, err error) {
	path, version, _ := strings.Cut(value, "?versionId=")
	if version != "" && version != "null" {
		return "", "", errorf(codeNotImplemented, "Copying a specific version is not implemented")
	}
	path, err = url.PathUnescape(path)
	if err != nil {
		return "", "", errorf(codeInvalidArgument, "Invalid copy source encoding")
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !validBucketName(bucket) || !validKey(key) {
		return "", "", errorf(codeInvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	return bucket, key, nil
}

// copyMeta reads x-amz-metadata-directive: COPY (the default) keeps the
// source's metadata, REPLACE takes it from this request's headers.
func copyMeta(hdr http.Header) (meta ObjectMeta, replace bool, err error) {
	switch strings.ToUpper(hdr.Get("X-Amz-Metadata-Directive")) {
	case "", "COPY":
		return ObjectMeta{}, false, nil
	case "REPLACE":
		meta, err = parseMeta(hdr)
		return meta, true, err
	default:
		return meta, false, errorf(codeInvalidArgument, "Unknown metadata directive.")
	}
}
