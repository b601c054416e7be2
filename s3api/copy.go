package s3api

import (
	"net/http"
	"net/url"
	"strings"
)

// copyObject answers PUT /b/k with x-amz-copy-source. The
// x-amz-copy-source-if-* headers are checked against the source, and any
// failure of them is PreconditionFailed. The copy shares the source's
// blobs, so it costs metadata only, whatever the size.
func (h *handler) copyObject(q *request) (*response, error) {
	src, err := h.copySource(q)
	if err != nil {
		return nil, err
	}
	meta, changed, err := copyMeta(q.r.Header, src.Meta)
	if err != nil {
		return nil, err
	}
	if !changed && src.Bucket == q.target.bucket && src.Key == q.target.key && !strings.Contains(q.r.Header.Get("X-Amz-Copy-Source"), "?versionId=") {
		return nil, errorf(codeInvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	info, err := h.backend.CopyObject(q.r.Context(), src, q.target.bucket, q.target.key, meta)
	if err != nil {
		return nil, err
	}
	resp := xmlResponse(copyObjectResult{ETag: quoteETag(info.ETag), LastModified: xmlTime(info.LastModified)})
	setVersionHeader(resp.header, info.VersionID)
	if src.VersionID != "" {
		resp.header.Set("x-amz-copy-source-version-id", src.VersionID)
	}
	return resp, nil
}

// copySource looks up the source object (version) and checks its
// preconditions.
func (h *handler) copySource(q *request) (ObjectInfo, error) {
	bucket, key, version, err := parseCopySource(q.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return ObjectInfo{}, err
	}
	src, err := h.backend.HeadObject(q.r.Context(), bucket, key, version)
	if err != nil {
		if src.DeleteMarker && version != "" {
			return src, errorf(codeInvalidRequest, "The source of a copy request may not specifically refer to a delete marker by version id.")
		}
		return src, err
	}
	if readPreconditions(q.r.Header, "X-Amz-Copy-Source-").evaluate(src.ETag, src.LastModified) != 0 {
		return src, s3Error(codePreconditionFailed)
	}
	return src, nil
}

// parseCopySource reads x-amz-copy-source: a URL-encoded "bucket/key" with
// an optional leading '/' and an optional "?versionId=".
func parseCopySource(value string) (bucket, key, version string, err error) {
	path, version, hasVersion := strings.Cut(value, "?versionId=")
	if hasVersion && (version == "" || len(version) > 1024) {
		return "", "", "", errorf(codeInvalidArgument, "Invalid version id specified")
	}
	path, err = url.PathUnescape(path)
	if err != nil {
		return "", "", "", errorf(codeInvalidArgument, "Invalid copy source encoding")
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !validBucketName(bucket) || !validKey(key) {
		return "", "", "", errorf(codeInvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	return bucket, key, version, nil
}

// copyMeta resolves the copy's metadata from x-amz-metadata-directive
// (COPY, the default, keeps the source's; REPLACE takes this request's
// headers) and x-amz-tagging-directive (COPY keeps the source's tags;
// REPLACE takes x-amz-tagging). changed says the request asks for
// anything other than the source's metadata and tags.
func copyMeta(hdr http.Header, src ObjectMeta) (meta ObjectMeta, changed bool, err error) {
	if err := checkCannedACL(hdr, false); err != nil {
		return meta, false, err
	}
	meta = src
	switch strings.ToUpper(hdr.Get("X-Amz-Metadata-Directive")) {
	case "", "COPY":
	case "REPLACE":
		if meta, err = parseMeta(hdr); err != nil {
			return meta, false, err
		}
		meta.ChecksumAlgorithm, meta.Tags, changed = src.ChecksumAlgorithm, src.Tags, true
	default:
		return meta, false, errorf(codeInvalidArgument, "Unknown metadata directive.")
	}
	switch strings.ToUpper(hdr.Get("X-Amz-Tagging-Directive")) {
	case "", "COPY":
	case "REPLACE":
		if meta.Tags, err = parseTaggingHeader(hdr); err != nil {
			return meta, false, err
		}
		changed = true
	default:
		return meta, false, errorf(codeInvalidArgument, "Unknown tagging directive.")
	}
	return meta, changed, nil
}
