package s3api

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.xml golden files")

// goldenTime is the fixed time of golden documents.
var goldenTime = time.Date(2024, 5, 1, 12, 30, 45, 123_000_000, time.UTC)

// goldenDocs are the documents whose exact bytes are pinned in testdata.
var goldenDocs = map[string]any{
	"list_buckets": listAllMyBucketsResult{Owner: storeOwner, Buckets: []bucketEntry{
		{Name: "alpha", CreationDate: xmlTime(goldenTime)}, {Name: "beta", CreationDate: xmlTime(goldenTime)}}},
	"location_us_east_1": locationConstraint{},
	"location_eu_west_1": locationConstraint{Region: "eu-west-1"},
	"list_v2": listBucketResultV2{Name: "bkt", Prefix: "a%20b/", Delimiter: "/", MaxKeys: 2, KeyCount: 2,
		IsTruncated: true, EncodingType: "url", NextContinuationToken: "YS9i",
		Contents:       []objectEntry{{Key: "a%20b/k%2B1", LastModified: xmlTime(goldenTime), ETag: `"0123"`, Size: 5, StorageClass: "STANDARD"}},
		CommonPrefixes: []commonPrefix{{Prefix: "a%20b/c/"}}},
	"list_v1": listBucketResultV1{Name: "bkt", Marker: "m", NextMarker: "p/", Delimiter: "/", MaxKeys: 1000, IsTruncated: true,
		Contents:       []objectEntry{{Key: "k", LastModified: xmlTime(goldenTime), ETag: `"0123"`, Size: 5, Owner: &storeOwner, StorageClass: "STANDARD"}},
		CommonPrefixes: []commonPrefix{{Prefix: "p/"}}},
	"copy_object":         copyObjectResult{ETag: `"0123"`, LastModified: xmlTime(goldenTime)},
	"delete_result":       deleteResult{Deleted: []deletedEntry{{Key: "a"}}, Errors: []deleteError{{Key: "b", Code: "InternalError", Message: "m"}}},
	"initiate_multipart":  initiateMultipartUploadResult{Bucket: "bkt", Key: "a/b", UploadID: "u1"},
	"complete_multipart":  completeMultipartUploadResult{Location: "http://h/bkt/a/b", Bucket: "bkt", Key: "a/b", ETag: `"0123-2"`},
	"list_parts":          listPartsResult{Bucket: "bkt", Key: "k", UploadID: "u1", Initiator: storeOwner, Owner: storeOwner, StorageClass: "STANDARD", NextPartNumberMarker: 1, MaxParts: 1000, Parts: []partEntry{{PartNumber: 1, LastModified: xmlTime(goldenTime), ETag: `"0123"`, Size: 5, ChecksumCRC32: "AAAAAA=="}}},
	"list_uploads":        listMultipartUploadsResult{Bucket: "bkt", NextKeyMarker: "k", NextUploadIDMarker: "u1", MaxUploads: 1000, Uploads: []uploadEntry{{Key: "k", UploadID: "u1", Initiator: storeOwner, Owner: storeOwner, StorageClass: "STANDARD", Initiated: xmlTime(goldenTime)}}},
	"error_no_such_key":   errorDoc{Code: codeNoSuchKey, Message: errorTable[codeNoSuchKey].message, Resource: "/bkt/k", RequestID: "req-1"},
	"error_access_denied": errorDoc{Code: codeAccessDenied, Message: "Access Denied", Resource: "/", RequestID: "req-2"},
}

func TestGoldenXML(t *testing.T) {
	for name, doc := range goldenDocs {
		t.Run(name, func(t *testing.T) {
			got, err := marshalXML(doc)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".xml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n got: %s\nwant: %s", name, path, got, want)
			}
		})
	}
}

// completeBodies specify parseCompleteRequest; fuzzing starts from them.
var completeBodies = []struct {
	name, body string
	want       []CompletePart
	err        string
}{
	{"botocore", `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"aa"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>VO4Wdg==</ChecksumCRC32></Part><Part><ETag>"bb"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>`,
		[]CompletePart{{1, "aa"}, {2, "bb"}}, ""},
	{"go-v2 entities", `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ChecksumCRC32>UzC/rQ==</ChecksumCRC32><ETag>&#34;aa&#34;</ETag><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`,
		[]CompletePart{{1, "aa"}}, ""},
	{"minio bare", `<CompleteMultipartUpload><Part><PartNumber>3</PartNumber><ETag>cc</ETag></Part></CompleteMultipartUpload>`,
		[]CompletePart{{3, "cc"}}, ""},
	{"empty list", `<CompleteMultipartUpload></CompleteMultipartUpload>`, nil, codeMalformedXML},
	{"empty body", ``, nil, codeMalformedXML},
	{"not xml", `{"parts":[]}`, nil, codeMalformedXML},
	{"truncated", `<CompleteMultipartUpload><Part><PartNumber>1`, nil, codeMalformedXML},
	{"bad number", `<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>`, nil, codeMalformedXML},
	{"descending", `<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>a</ETag></Part><Part><PartNumber>1</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>`, nil, codeInvalidPartOrder},
	{"duplicate", `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>`, nil, codeInvalidPartOrder},
	{"zero", `<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>`, nil, codeInvalidPart},
	{"too large", `<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>`, nil, codeInvalidPart},
}

func TestParseCompleteRequest(t *testing.T) {
	for _, tc := range completeBodies {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCompleteRequest(bytesBody([]byte(tc.body)))
			if errCode(err) != tc.err {
				t.Fatalf("error %v; want code %q", err, tc.err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v; want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("part %d = %+v; want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestXMLBodyLimit(t *testing.T) {
	body := "<CompleteMultipartUpload>" + strings.Repeat(" ", maxRequestXML) + "</CompleteMultipartUpload>"
	if _, err := parseCompleteRequest(bytesBody([]byte(body))); errCode(err) != codeMaxMessageLength {
		t.Errorf("oversized Complete: %v; want %s", err, codeMaxMessageLength)
	}
}

// FuzzCompleteRequest checks that parsing never panics and that accepted
// lists are non-empty, in range and strictly ascending.
func FuzzCompleteRequest(f *testing.F) {
	for _, tc := range completeBodies {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := parseCompleteRequest(bytesBody(body))
		if err != nil {
			return
		}
		if len(parts) == 0 {
			t.Fatal("accepted an empty part list")
		}
		for i, p := range parts {
			if p.PartNumber < 1 || p.PartNumber > maxPartNumber || i > 0 && p.PartNumber <= parts[i-1].PartNumber {
				t.Fatalf("accepted part list %+v", parts)
			}
		}
	})
}

// deleteBodies specify parseDeleteRequest.
var deleteBodies = []struct {
	name, body string
	keys       []string
	quiet      bool
	err        string
}{
	{"two", `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b &amp; c</Key></Object></Delete>`, []string{"a", "b & c"}, false, ""},
	{"quiet", `<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>`, []string{"a"}, true, ""},
	{"none", `<Delete></Delete>`, nil, false, codeMalformedXML},
	{"garbage", `<Delete><Object>`, nil, false, codeMalformedXML},
	{"too many", "<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 1001) + "</Delete>", nil, false, codeMalformedXML},
}

func TestParseDeleteRequest(t *testing.T) {
	for _, tc := range deleteBodies {
		t.Run(tc.name, func(t *testing.T) {
			req, err := parseDeleteRequest(bytesBody([]byte(tc.body)))
			if errCode(err) != tc.err {
				t.Fatalf("error %v; want code %q", err, tc.err)
			}
			if err != nil {
				return
			}
			var keys []string
			for _, o := range req.Objects {
				keys = append(keys, o.Key)
			}
			if strings.Join(keys, "|") != strings.Join(tc.keys, "|") || req.Quiet != tc.quiet {
				t.Errorf("got keys %q quiet %v; want %q %v", keys, req.Quiet, tc.keys, tc.quiet)
			}
		})
	}
}

// FuzzDeleteRequest checks that accepted documents hold 1..1000 objects.
func FuzzDeleteRequest(f *testing.F) {
	for _, tc := range deleteBodies {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseDeleteRequest(bytesBody(body))
		if err == nil && (len(req.Objects) == 0 || len(req.Objects) > maxDeleteObjects) {
			t.Fatalf("accepted %d objects", len(req.Objects))
		}
	})
}
