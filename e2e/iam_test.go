package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"sixfold/e2e/harness"
)

// TestIAMPermissionMatrix runs keys under each built-in policy (and one
// naming none, which may do nothing) against representative S3 operations
// through aws-sdk-go-v2 and every /files and /admin call: each is allowed
// or refused with 403 AccessDenied, and a refused call changes nothing the
// root key can see.
func TestIAMPermissionMatrix(t *testing.T) {
	c := startCluster(t, harness.Options{GatewayEnv: []string{"SIXFOLD_KEYS=" +
		"rw:rw-secret-0123:readwrite,ro:ro-secret-0123:readonly,wo:wo-secret-0123:writeonly,adm:adm-secret-0123:admin,none:none-secret-0123"}})
	rootKey, rootSecret := c.Credentials()
	root := newPlainS3Env(t, c, rootKey, rootSecret)
	bucket := root.bucket(t, "iam-matrix")
	original := randomBytes(1501, 64<<10+7)
	root.put(t, bucket, "kept.bin", bytes.NewReader(original))

	type op struct {
		name   string
		run    func(ctx context.Context, e *s3Env) error
		writes bool // a denied call must leave kept.bin and new.bin as they were
	}
	ops := []op{
		{"ListBuckets", func(ctx context.Context, e *s3Env) error {
			_, err := e.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}, false},
		{"ListObjectsV2", func(ctx context.Context, e *s3Env) error {
			_, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
			return err
		}, false},
		{"GetObject", func(ctx context.Context, e *s3Env) error {
			out, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("kept.bin")})
			if err == nil {
				out.Body.Close()
			}
			return err
		}, false},
		{"HeadObject", func(ctx context.Context, e *s3Env) error {
			_, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("kept.bin")})
			return err
		}, false},
		{"PutObject", func(ctx context.Context, e *s3Env) error {
			_, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("new.bin"), Body: bytes.NewReader([]byte("new"))})
			return err
		}, true},
		{"CopyObject", func(ctx context.Context, e *s3Env) error {
			_, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("new.bin"), CopySource: aws.String(bucket + "/kept.bin")})
			return err
		}, true},
		{"DeleteObject", func(ctx context.Context, e *s3Env) error {
			_, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("kept.bin")})
			return err
		}, true},
		{"DeleteObjects", func(ctx context.Context, e *s3Env) error {
			_, err := e.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
				Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("kept.bin")}}}})
			return err
		}, true},
	}
	// allowed[policy key] lists the operations that key may run.
	allowed := map[string]map[string]bool{
		"rw":   {"ListBuckets": true, "ListObjectsV2": true, "GetObject": true, "HeadObject": true, "PutObject": true, "CopyObject": true, "DeleteObject": true, "DeleteObjects": true},
		"adm":  {"ListBuckets": true, "ListObjectsV2": true, "GetObject": true, "HeadObject": true, "PutObject": true, "CopyObject": true, "DeleteObject": true, "DeleteObjects": true},
		"ro":   {"ListBuckets": true, "ListObjectsV2": true, "GetObject": true, "HeadObject": true},
		"wo":   {"PutObject": true},
		"none": {},
	}
	for _, key := range []string{"ro", "wo", "none", "rw", "adm"} {
		e := newPlainS3Env(t, c, key, key+"-secret-0123")
		for _, o := range ops {
			err := o.run(root.ctx(t), e)
			want := allowed[key][o.name]
			switch {
			case want && err != nil:
				t.Errorf("%s %s: %v, want allowed", key, o.name, err)
			case !want && s3Status(err) != http.StatusForbidden:
				t.Errorf("%s %s: %v (status %d), want 403", key, o.name, err, s3Status(err))
			case !want && o.name != "HeadObject" && s3Code(err) != "AccessDenied": // HEAD answers carry no body
				t.Errorf("%s %s: %v (status %d), want 403 AccessDenied", key, o.name, err, s3Status(err))
			}
			if !want && o.writes {
				if got := root.getBytes(t, bucket, "kept.bin"); !bytes.Equal(got, original) {
					t.Fatalf("%s %s was denied yet kept.bin changed", key, o.name)
				}
				if _, err := root.s3.HeadObject(root.ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("new.bin")}); s3Status(err) != http.StatusNotFound {
					t.Fatalf("%s %s was denied yet new.bin exists (HeadObject: %v)", key, o.name, err)
				}
			}
			if want && o.writes {
				// Put the bucket back as the next key expects it.
				_, _ = root.s3.DeleteObject(root.ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("new.bin")})
				root.put(t, bucket, "kept.bin", bytes.NewReader(original))
			}
		}
	}

	// CreateBucket: readonly is refused and no bucket appears.
	ro := newPlainS3Env(t, c, "ro", "ro-secret-0123")
	name := bucketName("iam-denied")
	if _, err := ro.s3.CreateBucket(ro.ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); s3Code(err) != "AccessDenied" {
		t.Errorf("readonly CreateBucket: %v, want AccessDenied", err)
	}
	if _, err := root.s3.HeadBucket(root.ctx(t), &s3.HeadBucketInput{Bucket: aws.String(name)}); s3Status(err) != http.StatusNotFound {
		t.Errorf("a denied CreateBucket left a bucket behind (HeadBucket: %v)", err)
	}

	// /files and /admin under Basic auth.
	rootFiles := newClient(t, c)
	resp, up := rootFiles.rawUpload("kept.txt", bytes.NewReader([]byte("files data")), 10)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("root upload: %d %s", resp.StatusCode, readAll(resp))
	}
	asKey := func(key string) *client {
		cl := newClient(t, c)
		cl.key, cl.secret = key, key+"-secret-0123"
		return cl
	}
	type filesCall struct {
		name string
		run  func(cl *client) *http.Response
	}
	calls := []filesCall{
		{"list", func(cl *client) *http.Response { return cl.get("/files") }},
		{"download", func(cl *client) *http.Response { return cl.get("/files/" + up.FileID) }},
		{"info", func(cl *client) *http.Response { return cl.get("/files/" + up.FileID + "/info") }},
		{"upload", func(cl *client) *http.Response {
			resp, _ := cl.rawUpload("new.txt", bytes.NewReader([]byte("x")), 1)
			return resp
		}},
		{"delete", func(cl *client) *http.Response {
			req, _ := http.NewRequest(http.MethodDelete, cl.base+"/files/"+up.FileID, nil)
			return cl.do(req)
		}},
		{"admin", func(cl *client) *http.Response { return cl.get("/admin/cluster") }},
	}
	// The file is root's: the storage policies reach only their own
	// files (TestIAMFilesOwnership), admin every owner's.
	filesAllowed := map[string]map[string]bool{
		"ro":   {"list": true},
		"wo":   {"upload": true},
		"none": {},
		"rw":   {"list": true, "upload": true},
		"adm":  {"list": true, "download": true, "info": true, "upload": true, "delete": true, "admin": true},
	}
	// adm comes last: its delete is allowed and removes the file.
	for _, key := range []string{"ro", "wo", "none", "rw", "adm"} {
		if key == "adm" {
			// The file no key so far could delete is still whole.
			want := sha256.Sum256([]byte("files data"))
			if got, _ := rootFiles.download(up.FileID); got != hex.EncodeToString(want[:]) {
				t.Errorf("file %s changed after denied deletes", up.FileID)
			}
		}
		cl := asKey(key)
		for _, call := range calls {
			resp := call.run(cl)
			body := readAll(resp)
			resp.Body.Close()
			if filesAllowed[key][call.name] {
				if resp.StatusCode >= 300 {
					t.Errorf("%s %s: %d %s, want allowed", key, call.name, resp.StatusCode, body)
				}
				continue
			}
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"AccessDenied"`) {
				t.Errorf("%s %s: %d %s, want 403 AccessDenied JSON", key, call.name, resp.StatusCode, body)
			}
		}
	}
}
