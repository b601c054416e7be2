package e2e_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"sixfold/e2e/harness"
)

// TestS3CannedPublicReadACL: a bucket's canned public-read ACL (on
// CreateBucket or PutBucketAcl, as `aws s3api put-bucket-acl --acl
// public-read` sends it) is applied as the equivalent bucket policy:
// everyone may GET its objects with plain curl, GetBucketAcl shows AllUsers
// READ, and `private` takes it away. A bucket with a hand-written policy
// keeps it; public-read on an object is refused, naming bucket policies.
func TestS3CannedPublicReadACL(t *testing.T) {
	t.Parallel()
	curl := requireTool(t, "curl", "--version")
	c := startCluster(t, harness.Options{})
	key, secret := c.Credentials()
	e := newPlainS3Env(t, c, key, secret)
	ctx := context.Background()
	data := randomBytes(1901, 64<<10+5)

	created := bucketName("acl-created")
	if _, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(created), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatalf("CreateBucket with public-read: %v", err)
	}
	e.put(t, created, "k", bytes.NewReader(data))
	if r := anonGet(t, curl, c, created, "k"); r.status != http.StatusOK || !bytes.Equal(r.body, data) {
		t.Errorf("anonymous GET in a bucket created public-read: %d; want 200 and the bytes", r.status)
	}

	bucket := e.bucket(t, "acl-put")
	e.put(t, bucket, "k", bytes.NewReader(data))
	wantAccessDeniedXML(t, "anonymous GET before the ACL", anonGet(t, curl, c, bucket, "k"))
	if _, err := e.s3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatalf("PutBucketAcl public-read: %v", err)
	}
	if r := anonGet(t, curl, c, bucket, "k"); r.status != http.StatusOK || !bytes.Equal(r.body, data) {
		t.Errorf("anonymous GET after PutBucketAcl public-read: %d; want 200 and the bytes", r.status)
	}
	if !allUsersRead(t, e, bucket) {
		t.Error("GetBucketAcl of a public-read bucket shows no AllUsers READ grant")
	}
	wantAccessDeniedXML(t, "anonymous PUT into the public-read bucket",
		anonCurl(t, curl, "-X", "PUT", "--data-binary", "planted", c.GatewayURL()+"/"+bucket+"/planted"))
	if _, err := e.s3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatalf("PutBucketAcl private: %v", err)
	}
	wantAccessDeniedXML(t, "anonymous GET after PutBucketAcl private", anonGet(t, curl, c, bucket, "k"))
	if allUsersRead(t, e, bucket) {
		t.Error("GetBucketAcl still shows AllUsers READ after private")
	}
	if _, err := e.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}); s3Code(err) != "NoSuchBucketPolicy" {
		t.Errorf("GetBucketPolicy after private: %v; want NoSuchBucketPolicy", err)
	}

	// A policy written by hand is the operator's: an ACL neither replaces
	// nor removes it.
	own := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/pub/*"}]}`
	if _, err := e.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(own)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	if _, err := e.s3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicRead}); s3Code(err) != "AccessControlListNotSupported" {
		t.Errorf("PutBucketAcl public-read over a hand-written policy: %v; want AccessControlListNotSupported", err)
	}
	if _, err := e.s3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Errorf("PutBucketAcl private over a hand-written policy: %v", err)
	}
	if got, err := e.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil || !sameJSON(aws.ToString(got.Policy), own) {
		t.Errorf("the hand-written policy after the ACL calls: %v %s; want it unchanged", err, aws.ToString(got.Policy))
	}

	_, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("obj-acl"),
		Body: bytes.NewReader(data), ACL: types.ObjectCannedACLPublicRead})
	if s3Code(err) != "AccessControlListNotSupported" {
		t.Errorf("PutObject with public-read: %v; want AccessControlListNotSupported", err)
	}
	e.wantNoObject(t, bucket, "obj-acl")
}

// allUsersRead reports whether GetBucketAcl lists AllUsers READ.
func allUsersRead(t *testing.T, e *s3Env, bucket string) bool {
	t.Helper()
	acl, err := e.s3.GetBucketAcl(context.Background(), &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetBucketAcl: %v", err)
	}
	for _, g := range acl.Grants {
		if g.Grantee != nil && aws.ToString(g.Grantee.URI) == "http://acs.amazonaws.com/groups/global/AllUsers" && g.Permission == types.PermissionRead {
			return true
		}
	}
	return false
}
