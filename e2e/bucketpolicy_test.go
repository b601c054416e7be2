package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"sixfold/e2e/harness"
)

// curled is curl's answer.
type curled struct {
	status int
	body   []byte
}

// anonCurl runs plain curl (no credentials).
func anonCurl(t *testing.T, curl string, args ...string) curled {
	t.Helper()
	out, err := exec.Command(curl, append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...).Output()
	if err != nil {
		t.Fatalf("curl %s: %v", strings.Join(args, " "), err)
	}
	i := bytes.LastIndexByte(out, '\n')
	status, err := strconv.Atoi(string(out[i+1:]))
	if err != nil {
		t.Fatalf("curl status %q", out[i+1:])
	}
	return curled{status, out[:i]}
}

func wantAccessDeniedXML(t *testing.T, what string, r curled) {
	t.Helper()
	var doc struct{ Code string }
	if r.status != http.StatusForbidden || xml.Unmarshal(r.body, &doc) != nil || doc.Code != "AccessDenied" {
		t.Errorf("%s: %d %s; want 403 AccessDenied", what, r.status, r.body)
	}
}

// TestIAMBucketPolicyAnonymous: a bucket policy granting everyone
// s3:GetObject makes the bucket's objects downloadable with plain curl,
// byte for byte; listing it, writing to it, and every other bucket stay
// 403. A policy naming principals is refused (MalformedPolicy) and leaves
// the stored one; DeleteBucketPolicy makes the bucket private again.
func TestIAMBucketPolicyAnonymous(t *testing.T) {
	curl := requireTool(t, "curl", "--version")
	c := startCluster(t, harness.Options{GatewayEnv: []string{"SIXFOLD_KEYS=nobody:nobody-secret-1"}})
	key, secret := c.Credentials()
	root := newPlainS3Env(t, c, key, secret)
	ctx := context.Background()
	pub, priv := root.bucket(t, "public-read"), root.bucket(t, "private")
	data := randomBytes(1801, 200<<10+11)
	root.put(t, pub, "dl/file.bin", bytes.NewReader(data))
	root.put(t, priv, "dl/file.bin", bytes.NewReader(data))

	policy := `{"Version": "2012-10-17", "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
		"Action": "s3:GetObject", "Resource": "arn:aws:s3:::` + pub + `/dl/*"}]}`
	if _, err := root.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(pub)}); s3Code(err) != "NoSuchBucketPolicy" {
		t.Errorf("GetBucketPolicy before any: %v; want NoSuchBucketPolicy", err)
	}
	wantAccessDeniedXML(t, "anonymous GET before the policy", anonGet(t, curl, c, pub, "dl/file.bin"))
	if _, err := root.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(pub), Policy: aws.String(policy)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	got, err := root.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(pub)})
	if err != nil || !sameJSON(aws.ToString(got.Policy), policy) {
		t.Errorf("GetBucketPolicy: %v, %s; want the document put", err, aws.ToString(got.Policy))
	}

	if r := anonGet(t, curl, c, pub, "dl/file.bin"); r.status != http.StatusOK || !bytes.Equal(r.body, data) {
		t.Errorf("anonymous GET on the public bucket: %d, %s; want 200, %s", r.status, sum(r.body), sum(data))
	}
	wantAccessDeniedXML(t, "anonymous GET on the private bucket", anonGet(t, curl, c, priv, "dl/file.bin"))
	wantAccessDeniedXML(t, "anonymous list of the public bucket", anonCurl(t, curl, c.GatewayURL()+"/"+pub+"?list-type=2"))
	wantAccessDeniedXML(t, "anonymous ListBuckets", anonCurl(t, curl, c.GatewayURL()+"/"))
	wantAccessDeniedXML(t, "anonymous PUT into the public bucket",
		anonCurl(t, curl, "-X", "PUT", "--data-binary", "planted", c.GatewayURL()+"/"+pub+"/dl/planted.bin"))
	root.wantNoObject(t, pub, "dl/planted.bin")
	wantAccessDeniedXML(t, "anonymous DELETE in the public bucket", anonCurl(t, curl, "-X", "DELETE", c.GatewayURL()+"/"+pub+"/dl/file.bin"))
	if got := root.getBytes(t, pub, "dl/file.bin"); !bytes.Equal(got, data) {
		t.Errorf("the public object after an anonymous DELETE: %s", sum(got))
	}
	// A key whose own policy allows nothing still gets what everyone gets.
	nobody := newPlainS3Env(t, c, "nobody", "nobody-secret-1")
	if got := nobody.getBytes(t, pub, "dl/file.bin"); !bytes.Equal(got, data) {
		t.Errorf("a signed GET by a key without a policy: %s", sum(got))
	}
	if _, err := nobody.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(priv), Key: aws.String("dl/file.bin")}); s3Code(err) != "AccessDenied" {
		t.Errorf("that key on the private bucket: %v; want AccessDenied", err)
	}

	for name, bad := range map[string]string{
		"named principal": strings.Replace(policy, `"Principal": "*"`, `"Principal": {"AWS": "arn:aws:iam::1:user/x"}`, 1),
		"other bucket":    strings.Replace(policy, pub+"/dl/*", priv+"/*", 1),
		"not json":        "{",
	} {
		_, err := root.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(pub), Policy: aws.String(bad)})
		if s3Code(err) != "MalformedPolicy" {
			t.Errorf("PutBucketPolicy %s: %v; want MalformedPolicy", name, err)
		}
	}
	if got, err := root.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(pub)}); err != nil || !sameJSON(aws.ToString(got.Policy), policy) {
		t.Errorf("after refused puts the policy is %s (%v); want the first", aws.ToString(got.Policy), err)
	}
	if _, err := nobody.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(priv), Policy: aws.String(policy)}); s3Code(err) != "AccessDenied" {
		t.Errorf("PutBucketPolicy by a key without the right: %v; want AccessDenied", err)
	}

	if _, err := root.s3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(pub)}); err != nil {
		t.Fatalf("DeleteBucketPolicy: %v", err)
	}
	wantAccessDeniedXML(t, "anonymous GET after DeleteBucketPolicy", anonGet(t, curl, c, pub, "dl/file.bin"))
}

func anonGet(t *testing.T, curl string, c *harness.Cluster, bucket, key string) curled {
	t.Helper()
	return anonCurl(t, curl, c.GatewayURL()+"/"+bucket+"/"+key)
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}
