package e2e_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"sixfold/e2e/harness"
)

// TestIAMScopedPolicy: a stored user whose policy document grants one
// bucket and prefix (list the bucket, read and write its objects, but
// nothing under secret/, which an explicit Deny covers) is allowed exactly
// that through aws-sdk-go-v2, refused everything else with 403
// AccessDenied, and a refused write leaves nothing behind.
func TestIAMScopedPolicy(t *testing.T) {
	c := startCluster(t, harness.Options{})
	rootKey, rootSecret := c.Credentials()
	root := newPlainS3Env(t, c, rootKey, rootSecret)
	team, other := root.bucket(t, "team"), root.bucket(t, "other")
	data := randomBytes(2001, 40<<10)
	for _, k := range []string{"a.bin", "secret/x.bin"} {
		root.put(t, team, k, bytes.NewReader(data))
	}
	root.put(t, other, "a.bin", bytes.NewReader(data))
	filesCl, e := newUser(t, c, "teamuser", `{"Statement": [
		{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::`+team+`"},
		{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::`+team+`/*"},
		{"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::`+team+`/secret/*"}]}`)
	ctx := context.Background()
	get := func(b, k string) error {
		out, err := e.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(k)})
		if err == nil {
			out.Body.Close()
		}
		return err
	}
	put := func(b, k string) error {
		_, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(k), Body: bytes.NewReader([]byte("new"))})
		return err
	}
	for _, c := range []struct {
		name    string
		run     func() error
		allowed bool
	}{
		{"GetObject in the bucket", func() error { return get(team, "a.bin") }, true},
		{"PutObject in the bucket", func() error { return put(team, "new.bin") }, true},
		{"ListObjectsV2 of the bucket", func() error {
			_, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(team)})
			return err
		}, true},
		{"DeleteObject (not granted)", func() error {
			_, err := e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(team), Key: aws.String("a.bin")})
			return err
		}, false},
		{"GetObject under the denied prefix", func() error { return get(team, "secret/x.bin") }, false},
		{"PutObject under the denied prefix", func() error { return put(team, "secret/planted.bin") }, false},
		{"GetObject in another bucket", func() error { return get(other, "a.bin") }, false},
		{"PutObject in another bucket", func() error { return put(other, "planted.bin") }, false},
		{"ListObjectsV2 of another bucket", func() error {
			_, err := e.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(other)})
			return err
		}, false},
		{"CreateBucket", func() error {
			_, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucketName("team-new"))})
			return err
		}, false},
		{"ListBuckets", func() error {
			_, err := e.s3.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}, false},
	} {
		err := c.run()
		switch {
		case c.allowed && err != nil:
			t.Errorf("%s: %v; want allowed", c.name, err)
		case !c.allowed && s3Code(err) != "AccessDenied":
			t.Errorf("%s: %v; want AccessDenied", c.name, err)
		}
	}
	root.wantNoObject(t, team, "secret/planted.bin")
	root.wantNoObject(t, other, "planted.bin")
	if got := root.getBytes(t, team, "a.bin"); !bytes.Equal(got, data) {
		t.Errorf("team/a.bin after the refused delete: %s", sum(got))
	}
	// The policy names no /files resource: that door is closed to it.
	resp, _ := filesCl.rawUpload("x.txt", bytes.NewReader([]byte("x")), 1)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("/files upload: %d; want 403", resp.StatusCode)
	}
	if r := filesCl.get("/files"); r.StatusCode != http.StatusForbidden || !strings.Contains(readAll(r), "AccessDenied") {
		t.Errorf("/files list: %d; want 403 AccessDenied", r.StatusCode)
	}
}
