package s3api

import (
	"net/http"
	"strings"
)

// maxUserMetadata is S3's limit on x-amz-meta-* names plus values, in bytes.
const maxUserMetadata = 2 << 10

// userMetaPrefix starts every user metadata header.
const userMetaPrefix = "X-Amz-Meta-"

// parseMeta reads the metadata a client sets on an object from its
// request headers. aws-chunked is a transfer detail and is dropped from
// Content-Encoding. User metadata over 2 KiB is MetadataTooLarge.
func parseMeta(hdr http.Header) (ObjectMeta, error) {
	meta := ObjectMeta{
		ContentType:        hdr.Get("Content-Type"),
		ContentDisposition: hdr.Get("Content-Disposition"),
		ContentEncoding:    stripAWSChunked(hdr.Get("Content-Encoding")),
		CacheControl:       hdr.Get("Cache-Control"),
		Expires:            hdr.Get("Expires"),
	}
	user, err := parseUserMeta(hdr)
	meta.UserMetadata = user
	return meta, err
}

// parseUserMeta collects x-amz-meta-* headers under lower-case names
// without the prefix; repeated headers are joined with ",".
func parseUserMeta(hdr http.Header) (map[string]string, error) {
	user := map[string]string{}
	total := 0
	for name, values := range hdr {
		canonical := http.CanonicalHeaderKey(name)
		if !strings.HasPrefix(canonical, userMetaPrefix) {
			continue
		}
		key := strings.ToLower(canonical[len(userMetaPrefix):])
		user[key] = strings.Join(values, ",")
		total += len(key) + len(user[key])
	}
	if total > maxUserMetadata {
		return nil, s3Error(codeMetadataTooLarge)
	}
	return user, nil
}

// stripAWSChunked removes the aws-chunked token from a Content-Encoding
// list.
func stripAWSChunked(encoding string) string {
	var kept []string
	for _, token := range strings.Split(encoding, ",") {
		if t := strings.TrimSpace(token); t != "" && !strings.EqualFold(t, "aws-chunked") {
			kept = append(kept, t)
		}
	}
	return strings.Join(kept, ",")
}

// DefaultContentType is what an object stored without a Content-Type is
// served as, through either door. AWS answers binary/octet-stream there;
// sixfold answers the type HTTP itself prescribes for unknown bytes
// (RFC 9110 §8.3), as MinIO does, so the same object reads back the same
// from /files and from S3.
const DefaultContentType = "application/octet-stream"

// writeMeta sets an object's stored metadata as response headers.
func writeMeta(hdr http.Header, meta ObjectMeta) {
	contentType := meta.ContentType
	if contentType == "" {
		contentType = DefaultContentType
	}
	hdr.Set("Content-Type", contentType)
	setIf(hdr, "Content-Disposition", meta.ContentDisposition)
	setIf(hdr, "Content-Encoding", meta.ContentEncoding)
	setIf(hdr, "Cache-Control", meta.CacheControl)
	setIf(hdr, "Expires", meta.Expires)
	for name, value := range meta.UserMetadata {
		hdr.Set(userMetaPrefix+name, value)
	}
}

// responseOverrides are the query parameters a GET or HEAD (typically
// presigned) uses to override stored headers.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

// applyOverrides sets the response-* overrides present in query.
func applyOverrides(hdr http.Header, q *request) {
	for param, name := range responseOverrides {
		setIf(hdr, name, q.query.Get(param))
	}
}

// setIf sets a header when value is not empty.
func setIf(hdr http.Header, name, value string) {
	if value != "" {
		hdr.Set(name, value)
	}
}
