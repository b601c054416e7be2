package s3api

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// level is how much of the namespace a request names.
type level int

// The levels a request can address.
const (
	levelService level = iota // "/"
	levelBucket               // "/b" or "/b/"
	levelObject               // "/b/k"
)

// route maps a method, a level and a set of subresource query keys to an
// operation. A route matches when every key in keys is present and every
// subresource key of the request is in keys or optional; header, when set,
// must be present too.
type route struct {
	method   string
	level    level
	keys     []string
	optional []string
	header   string
	op       string
}

// routes is the dispatch table, tried in order: a more specific route comes
// before a less specific one with the same method and level. A request no
// route matches answers NotImplemented. Each op is the name of the S3 API
// action it performs (an authorizer maps it to its s3:Action).
var routes = []route{
	{method: http.MethodGet, level: levelService, op: "ListBuckets"},

	{method: http.MethodPut, level: levelBucket, op: "CreateBucket"},
	{method: http.MethodHead, level: levelBucket, op: "HeadBucket"},
	{method: http.MethodDelete, level: levelBucket, op: "DeleteBucket"},
	{method: http.MethodGet, level: levelBucket, keys: []string{"location"}, op: "GetBucketLocation"},
	{method: http.MethodGet, level: levelBucket, keys: []string{"uploads"}, op: "ListMultipartUploads"},
	{method: http.MethodGet, level: levelBucket, keys: []string{"list-type"}, op: "ListObjectsV2"},
	{method: http.MethodGet, level: levelBucket, op: "ListObjects"},
	{method: http.MethodPost, level: levelBucket, keys: []string{"delete"}, op: "DeleteObjects"},
	{method: http.MethodGet, level: levelBucket, keys: []string{"versioning"}, op: "GetBucketVersioning"},
	{method: http.MethodPut, level: levelBucket, keys: []string{"versioning"}, op: "PutBucketVersioning"},
	{method: http.MethodGet, level: levelBucket, keys: []string{"versions"}, op: "ListObjectVersions"},
	{method: http.MethodGet, level: levelBucket, keys: []string{"acl"}, op: "GetBucketAcl"},
	{method: http.MethodPut, level: levelBucket, keys: []string{"acl"}, op: "PutBucketAcl"},
	{method: http.MethodGet, level: levelBucket, keys: []string{"tagging"}, op: "GetBucketTagging"},
	{method: http.MethodPut, level: levelBucket, keys: []string{"tagging"}, op: "PutBucketTagging"},
	{method: http.MethodDelete, level: levelBucket, keys: []string{"tagging"}, op: "DeleteBucketTagging"},
	{method: http.MethodGet, level: levelBucket, keys: []string{"lifecycle"}, op: "GetBucketLifecycleConfiguration"},
	{method: http.MethodPut, level: levelBucket, keys: []string{"lifecycle"}, op: "PutBucketLifecycleConfiguration"},
	{method: http.MethodDelete, level: levelBucket, keys: []string{"lifecycle"}, op: "DeleteBucketLifecycle"},
	{method: http.MethodGet, level: levelBucket, keys: []string{"policy"}, op: "GetBucketPolicy"},
	{method: http.MethodPut, level: levelBucket, keys: []string{"policy"}, op: "PutBucketPolicy"},
	{method: http.MethodDelete, level: levelBucket, keys: []string{"policy"}, op: "DeleteBucketPolicy"},

	{method: http.MethodPut, level: levelObject, keys: []string{"partNumber", "uploadId"}, header: "X-Amz-Copy-Source", op: "UploadPartCopy"},
	{method: http.MethodPut, level: levelObject, keys: []string{"partNumber", "uploadId"}, op: "UploadPart"},
	{method: http.MethodPut, level: levelObject, header: "X-Amz-Copy-Source", op: "CopyObject"},
	{method: http.MethodPut, level: levelObject, op: "PutObject"},
	{method: http.MethodGet, level: levelObject, keys: []string{"uploadId"}, op: "ListParts"},
	{method: http.MethodGet, level: levelObject, keys: []string{"acl"}, optional: []string{"versionId"}, op: "GetObjectAcl"},
	{method: http.MethodPut, level: levelObject, keys: []string{"acl"}, optional: []string{"versionId"}, op: "PutObjectAcl"},
	{method: http.MethodGet, level: levelObject, keys: []string{"tagging"}, optional: []string{"versionId"}, op: "GetObjectTagging"},
	{method: http.MethodPut, level: levelObject, keys: []string{"tagging"}, optional: []string{"versionId"}, op: "PutObjectTagging"},
	{method: http.MethodDelete, level: levelObject, keys: []string{"tagging"}, optional: []string{"versionId"}, op: "DeleteObjectTagging"},
	{method: http.MethodGet, level: levelObject, optional: []string{"partNumber", "versionId"}, op: "GetObject"},
	{method: http.MethodHead, level: levelObject, optional: []string{"partNumber", "versionId"}, op: "HeadObject"},
	{method: http.MethodDelete, level: levelObject, keys: []string{"uploadId"}, op: "AbortMultipartUpload"},
	{method: http.MethodDelete, level: levelObject, optional: []string{"versionId"}, op: "DeleteObject"},
	{method: http.MethodPost, level: levelObject, keys: []string{"uploads"}, op: "CreateMultipartUpload"},
	{method: http.MethodPost, level: levelObject, keys: []string{"uploadId"}, op: "CompleteMultipartUpload"},
}

// plainParams are query parameters that qualify an operation rather than
// select one; they never take part in routing. Any other key (acl,
// versioning, tagging, versionId, …) is a subresource and must be claimed
// by a route, so unknown features answer NotImplemented instead of being
// served as something else. SigV4 presigning parameters (X-Amz-*) are plain
// too.
var plainParams = map[string]bool{
	"x-id": true, "prefix": true, "delimiter": true, "marker": true, "max-keys": true,
	"encoding-type": true, "continuation-token": true, "start-after": true, "fetch-owner": true,
	"max-buckets": true, "bucket-region": true,
	"max-uploads": true, "key-marker": true, "upload-id-marker": true, "version-id-marker": true,
	"max-parts": true, "part-number-marker": true,
	"response-content-type": true, "response-content-language": true, "response-expires": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
}

// dispatch returns the operation for a request, or "" when none matches.
func dispatch(method string, lvl level, query url.Values, header http.Header) string {
	sub := subresources(query)
	for _, rt := range routes {
		if rt.matches(method, lvl, sub, header) {
			return rt.op
		}
	}
	return ""
}

// subresources returns the query keys that select an operation.
func subresources(query url.Values) map[string]bool {
	sub := map[string]bool{}
	for k := range query {
		if !plainParams[k] && !strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			sub[k] = true
		}
	}
	return sub
}

// matches reports whether rt serves the request.
func (rt route) matches(method string, lvl level, sub map[string]bool, header http.Header) bool {
	if rt.method != method || rt.level != lvl {
		return false
	}
	if rt.header != "" && header.Get(rt.header) == "" {
		return false
	}
	for _, k := range rt.keys {
		if !sub[k] {
			return false
		}
	}
	for k := range sub {
		if !slices.Contains(rt.keys, k) && !slices.Contains(rt.optional, k) {
			return false
		}
	}
	return true
}
