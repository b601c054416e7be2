package s3api

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidBucketName(t *testing.T) {
	cases := []struct {
		name string
		ok   bool
	}{
		{"abc", true}, {"my-bucket.v2", true}, {"a1b", true}, {strings.Repeat("a", 63), true},
		{"ab", false}, {strings.Repeat("a", 64), false}, {"Abc", false}, {"ab_c", false},
		{"-abc", false}, {"abc-", false}, {".abc", false}, {"abc.", false}, {"a..b", false},
		{"192.168.5.4", false}, {"1.2.3", true}, {"1.2.3.4.5", true}, {"xn--abc", false},
		{"sthree-x", false}, {"abc-s3alias", false}, {"abc--ol-s3", false}, {"a b", false}, {"ab/c", false},
	}
	for _, tc := range cases {
		if got := validBucketName(tc.name); got != tc.ok {
			t.Errorf("validBucketName(%q) = %v; want %v", tc.name, got, tc.ok)
		}
	}
}

func TestResolveTarget(t *testing.T) {
	cases := []struct {
		name, host, uri     string
		wantBucket, wantKey string
		wantErr             string
	}{
		{"service", "127.0.0.1:9000", "/", "", "", ""},
		{"bucket", "127.0.0.1:9000", "/bkt", "bkt", "", ""},
		{"bucket trailing slash", "127.0.0.1:9000", "/bkt/?location=", "bkt", "", ""},
		{"key", "127.0.0.1:9000", "/bkt/a/b.txt", "bkt", "a/b.txt", ""},
		{"dot segments are a key", "h", "/bkt/a/b/../c", "bkt", "a/b/../c", ""},
		{"empty segments are a key", "h", "/bkt//x//", "bkt", "/x//", ""},
		{"decoded once", "h", "/bkt/%2541%20%2B%E2%82%AC", "bkt", "%41 +€", ""},
		{"encoded slash", "h", "/bkt/a%2Fb", "bkt", "a/b", ""},
		{"plus is literal", "h", "/bkt/a+b", "bkt", "a+b", ""},
		{"virtual host", "bkt.s3.example.com:8080", "/k/x", "bkt", "k/x", ""},
		{"virtual host bucket", "bkt.s3.example.com", "/", "bkt", "", ""},
		{"other host is path style", "s3.example.com", "/bkt/k", "bkt", "k", ""},
		{"bad escape", "h", "/bkt/%zz", "", "", codeInvalidURI},
		{"bad bucket", "h", "/Bkt/k", "", "", codeInvalidBucketName},
		{"NUL", "h", "/bkt/a%00b", "", "", codeInvalidArgument},
		{"bad UTF-8", "h", "/bkt/%ff", "", "", codeInvalidArgument},
		{"too long", "h", "/bkt/" + strings.Repeat("k", 1025), "", "", codeKeyTooLong},
		{"longest", "h", "/bkt/" + strings.Repeat("k", 1024), "bkt", strings.Repeat("k", 1024), ""},
		{"no bucket", "h", "//k", "", "", codeInvalidURI},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Host, r.RequestURI = tc.host, tc.uri
			got, err := resolveTarget(r, "s3.example.com")
			if code := errCode(err); code != tc.wantErr {
				t.Fatalf("error = %v; want code %q", err, tc.wantErr)
			}
			if err == nil && (got.bucket != tc.wantBucket || got.key != tc.wantKey) {
				t.Errorf("got %q/%q; want %q/%q", got.bucket, got.key, tc.wantBucket, tc.wantKey)
			}
		})
	}
}

// errCode is the S3 code of err, or "".
func errCode(err error) string {
	if err == nil {
		return ""
	}
	return toError(err).Code
}

// FuzzTarget resolves arbitrary paths: no panic, every accepted key is
// valid, and escaping an accepted key resolves to the same key again.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{"/bkt/a/b", "/bkt/a%2Fb", "/bkt/%zz", "/b/../c", "/bkt/%E2%82%AC", "/bkt//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rawPath string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RequestURI = "/" + strings.TrimPrefix(rawPath, "/")
		got, err := resolveTarget(r, "")
		if err != nil || got.key == "" {
			return
		}
		if !validBucketName(got.bucket) || !validKey(got.key) || !utf8.ValidString(got.key) {
			t.Fatalf("accepted invalid %q/%q", got.bucket, got.key)
		}
		r.RequestURI = "/" + got.bucket + "/" + url.PathEscape(got.key)
		again, err := resolveTarget(r, "")
		if err != nil || again != got {
			t.Fatalf("round trip of %q: got %+v, %v", got.key, again, err)
		}
	})
}

// FuzzBucketName checks validBucketName against its rules restated.
func FuzzBucketName(f *testing.F) {
	for _, s := range []string{"abc", "a..b", "192.168.0.1", "xn--x", "my-bucket"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !validBucketName(name) {
			return
		}
		if len(name) < 3 || len(name) > 63 || strings.Contains(name, "..") ||
			strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" || ipLike(name) {
			t.Fatalf("accepted %q", name)
		}
	})
}
