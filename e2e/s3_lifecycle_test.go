package e2e_test

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"sixfold/e2e/harness"
)

// TestS3LifecycleExpiresObjects sets a rule whose expiration date has
// passed on one prefix of a bucket: the gateway's lifecycle job, run every
// second here (upload.cleanup_interval), removes the objects under it and
// leaves the rest byte for byte.
func TestS3LifecycleExpiresObjects(t *testing.T) {
	e := &s3Env{cluster: startCluster(t, harness.Options{GatewayEnv: []string{"CLEANUP_INTERVAL=1s"}})}
	e.url = e.cluster.GatewayURL()
	e.key, e.secret = e.cluster.Credentials()
	e.http = &http.Client{Transport: e.transport()}
	e.s3 = newGoV2Client(t, e)

	bucket := e.bucket(t, "lifecycle")
	bodies := map[string][]byte{}
	for i, key := range []string{"tmp/a", "tmp/b/c", "keep/d", "tmpx"} {
		bodies[key] = randomBytes(uint64(7100+i), 3<<10+int64(i))
		e.put(t, bucket, key, bytes.NewReader(bodies[key]))
	}
	midnight := time.Now().UTC().Truncate(24 * time.Hour)
	_, err := e.s3.PutBucketLifecycleConfiguration(e.ctx(t), &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(bucket),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID: aws.String("expire-tmp"), Status: types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
			Expiration: &types.LifecycleExpiration{Date: aws.Time(midnight)},
		}}}})
	if err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
	var keys []string
	eventually(t, 30*time.Second, "the lifecycle job expires tmp/", func() bool {
		out, err := e.s3.ListObjectsV2(e.ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		keys = keys[:0]
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		return !slices.Contains(keys, "tmp/a") && !slices.Contains(keys, "tmp/b/c")
	})
	if want := []string{"keep/d", "tmpx"}; !slices.Equal(keys, want) {
		t.Fatalf("after expiry the bucket lists %q; want %q", keys, want)
	}
	for _, key := range keys {
		if got := e.getBytes(t, bucket, key); !bytes.Equal(got, bodies[key]) {
			t.Errorf("%s: %d bytes read back differ from the %d stored", key, len(got), len(bodies[key]))
		}
	}
	e.wantNoObject(t, bucket, "tmp/a")
}
