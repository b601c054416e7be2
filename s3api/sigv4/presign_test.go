package sigv4

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// A URL from Presign verifies as the presigned request it is, keys with
// odd bytes included, and stops verifying when its key is changed.
func TestPresignVerifies(t *testing.T) {
	for _, key := range []string{"", "plain.bin", "dir/a b+c=d&e%f~ü.txt"} {
		target := Presign(PresignInput{Method: "PUT", Host: "127.0.0.1:9000", Bucket: "bkt", Key: key,
			Query: url.Values{"partNumber": {"3"}, "uploadId": {"u/1"}}, Expires: 15 * time.Minute,
			AccessKey: testAK, Secret: testSecret, Region: testRegion, Now: signTime})
		a, err := testVerifier(signTime.Add(time.Minute)).Verify(newRequest(t, "PUT", target, nil))
		if err != nil || !a.Presigned || a.PayloadHash != unsignedPayload {
			t.Fatalf("key %q: Verify(%s) = %+v, %v; want a presigned UNSIGNED-PAYLOAD request", key, target, a, err)
		}
		tampered := strings.Replace(target, "/bkt", "/bkt2", 1)
		if _, err := testVerifier(signTime.Add(time.Minute)).Verify(newRequest(t, "PUT", tampered, nil)); err == nil {
			t.Fatalf("key %q: a URL whose path was changed verified", key)
		}
	}
}

// A URL presigned with a header verifies when the request carries that
// header, and not when it carries another value.
func TestPresignSignsHeaders(t *testing.T) {
	target := Presign(PresignInput{Method: "HEAD", Host: "127.0.0.1:9000", Bucket: "bkt", Key: "k",
		Headers: map[string]string{"x-amz-checksum-mode": "ENABLED"}, Expires: time.Minute,
		AccessKey: testAK, Secret: testSecret, Region: testRegion, Now: signTime})
	if !strings.Contains(target, "X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode") {
		t.Fatalf("%s does not list x-amz-checksum-mode as signed", target)
	}
	for _, tc := range []struct {
		value string
		ok    bool
	}{{"ENABLED", true}, {"DISABLED", false}, {"", false}} {
		r := newRequest(t, "HEAD", target, nil)
		if tc.value != "" {
			r.Header.Set("X-Amz-Checksum-Mode", tc.value)
		}
		_, err := testVerifier(signTime.Add(time.Second)).Verify(r)
		if (err == nil) != tc.ok {
			t.Fatalf("header %q: Verify error %v; want ok=%v", tc.value, err, tc.ok)
		}
	}
}
