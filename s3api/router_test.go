package s3api

import (
	"net/http"
	"net/url"
	"testing"
)

// dispatchCases is the routing table's specification; fuzzing starts
// from it too.
var dispatchCases = []struct {
	name   string
	method string
	level  level
	query  string
	header string // a header name to set
	want   string // "" matches no route; both "" and UploadPartCopy answer NotImplemented
}{
	{"list buckets", "GET", levelService, "", "", "ListBuckets"},
	{"list buckets go-v2", "GET", levelService, "x-id=ListBuckets", "", "ListBuckets"},
	{"put on service", "PUT", levelService, "", "", ""},
	{"create bucket", "PUT", levelBucket, "", "", "CreateBucket"},
	{"head bucket", "HEAD", levelBucket, "", "", "HeadBucket"},
	{"delete bucket", "DELETE", levelBucket, "", "", "DeleteBucket"},
	{"location", "GET", levelBucket, "location=", "", "GetBucketLocation"},
	{"location bare", "GET", levelBucket, "location", "", "GetBucketLocation"},
	{"list v2", "GET", levelBucket, "list-type=2&prefix=&delimiter=%2F&encoding-type=url", "", "ListObjectsV2"},
	{"list v2 minio", "GET", levelBucket, "delimiter=%2F&encoding-type=url&fetch-owner=true&list-type=2&prefix=", "", "ListObjectsV2"},
	{"list v1", "GET", levelBucket, "prefix=a&marker=b&max-keys=5", "", "ListObjects"},
	{"list uploads", "GET", levelBucket, "uploads", "", "ListMultipartUploads"},
	{"delete objects", "POST", levelBucket, "delete=", "", "DeleteObjects"},
	{"versioning", "GET", levelBucket, "versioning", "", "GetBucketVersioning"},
	{"acl", "GET", levelBucket, "acl=", "", "GetBucketAcl"},
	{"policy put", "PUT", levelBucket, "policy", "", "PutBucketPolicy"},
	{"policy delete", "DELETE", levelBucket, "policy", "", "DeleteBucketPolicy"},
	{"policy on an object", "GET", levelObject, "policy", "", ""},
	{"versions listing", "GET", levelBucket, "versions&prefix=a", "", "ListObjectVersions"},
	{"bucket policy", "GET", levelBucket, "policy", "", "GetBucketPolicy"},
	{"bucket lifecycle", "PUT", levelBucket, "lifecycle", "", "PutBucketLifecycleConfiguration"},
	{"bucket cors", "GET", levelBucket, "cors", "", ""},
	{"post bucket", "POST", levelBucket, "", "", ""},
	{"put object", "PUT", levelObject, "", "", "PutObject"},
	{"put object go-v2", "PUT", levelObject, "x-id=PutObject", "", "PutObject"},
	{"presigned put", "PUT", levelObject, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00", "", "PutObject"},
	{"copy object", "PUT", levelObject, "x-id=CopyObject", "X-Amz-Copy-Source", "CopyObject"},
	{"upload part", "PUT", levelObject, "partNumber=1&uploadId=u", "", "UploadPart"},
	{"upload part other order", "PUT", levelObject, "uploadId=u&partNumber=2&x-id=UploadPart", "", "UploadPart"},
	{"upload part copy", "PUT", levelObject, "partNumber=1&uploadId=u", "X-Amz-Copy-Source", "UploadPartCopy"},
	{"put tagging", "PUT", levelObject, "tagging", "", "PutObjectTagging"},
	{"put tagging of a version", "PUT", levelObject, "tagging&versionId=v", "", "PutObjectTagging"},
	{"get restore", "GET", levelObject, "restore", "", ""},
	{"get object", "GET", levelObject, "x-id=GetObject", "", "GetObject"},
	{"get part", "GET", levelObject, "partNumber=2&x-id=GetObject", "", "GetObject"},
	{"get overrides", "GET", levelObject, "response-content-type=text%2Fplain", "", "GetObject"},
	{"get version", "GET", levelObject, "versionId=3", "", "GetObject"},
	{"delete version", "DELETE", levelObject, "versionId=3", "", "DeleteObject"},
	{"get acl", "GET", levelObject, "acl", "", "GetObjectAcl"},
	{"head object", "HEAD", levelObject, "", "", "HeadObject"},
	{"head part", "HEAD", levelObject, "partNumber=1", "", "HeadObject"},
	{"list parts", "GET", levelObject, "uploadId=u&max-parts=3", "", "ListParts"},
	{"delete object", "DELETE", levelObject, "x-id=DeleteObject", "", "DeleteObject"},
	{"abort", "DELETE", levelObject, "uploadId=u", "", "AbortMultipartUpload"},
	{"create upload botocore", "POST", levelObject, "uploads", "", "CreateMultipartUpload"},
	{"create upload go-v2", "POST", levelObject, "uploads=&x-id=CreateMultipartUpload", "", "CreateMultipartUpload"},
	{"complete", "POST", levelObject, "uploadId=u", "", "CompleteMultipartUpload"},
	{"restore", "POST", levelObject, "restore", "", ""},
	{"select", "POST", levelObject, "select&select-type=2", "", ""},
	{"patch", "PATCH", levelObject, "", "", ""},
}

func TestDispatch(t *testing.T) {
	for _, tc := range dispatchCases {
		t.Run(tc.name, func(t *testing.T) {
			query, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			header := http.Header{}
			if tc.header != "" {
				header.Set(tc.header, "b/k")
			}
			if got := dispatch(tc.method, tc.level, query, header); got != tc.want {
				t.Errorf("dispatch(%s %v ?%s) = %q; want %q", tc.method, tc.level, tc.query, got, tc.want)
			}
		})
	}
}

// TestRoutesHaveOperations checks every routed name has an operation,
// except the ones deliberately answered NotImplemented.
func TestRoutesHaveOperations(t *testing.T) {
	for _, rt := range routes {
		if _, ok := operations[rt.op]; !ok && rt.op != "UploadPartCopy" {
			t.Errorf("route %q has no operation", rt.op)
		}
	}
}

// FuzzDispatch checks that dispatch never panics and that a chosen route
// really has its required keys and header.
func FuzzDispatch(f *testing.F) {
	for _, tc := range dispatchCases {
		f.Add(tc.method, uint8(tc.level), tc.query, tc.header != "")
	}
	f.Fuzz(func(t *testing.T, method string, lvl uint8, rawQuery string, copySource bool) {
		query, _ := url.ParseQuery(rawQuery)
		header := http.Header{}
		if copySource {
			header.Set("X-Amz-Copy-Source", "b/k")
		}
		op := dispatch(method, level(lvl%3), query, header)
		if op == "" {
			return
		}
		for _, rt := range routes {
			if rt.op != op {
				continue
			}
			for _, k := range rt.keys {
				if !query.Has(k) {
					t.Fatalf("%s chosen without its key %q (query %q)", op, k, rawQuery)
				}
			}
			if rt.header != "" && !copySource {
				t.Fatalf("%s chosen without its header", op)
			}
		}
	})
}
