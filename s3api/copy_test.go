package s3api

import "testing"

func TestParseCopySource(t *testing.T) {
	cases := []struct {
		value, bucket, key, version, err string
	}{
		{"bkt/k", "bkt", "k", "", ""},
		{"/bkt/a/b", "bkt", "a/b", "", ""},
		{"bkt/a%20b%2Bc", "bkt", "a b+c", "", ""},
		{"%2Fbkt%2Fk", "bkt", "k", "", ""},
		{"bkt/k?versionId=null", "bkt", "k", "null", ""},
		{"bkt/k?versionId=v1", "bkt", "k", "v1", ""},
		{"bkt/k?versionId=", "", "", "", codeInvalidArgument},
		{"bkt", "", "", "", codeInvalidArgument},
		{"bkt/", "", "", "", codeInvalidArgument},
		{"B/k", "", "", "", codeInvalidArgument},
		{"bkt/%zz", "", "", "", codeInvalidArgument},
	}
	for _, tc := range cases {
		bucket, key, version, err := parseCopySource(tc.value)
		if errCode(err) != tc.err || bucket != tc.bucket || key != tc.key || version != tc.version {
			t.Errorf("parseCopySource(%q) = %q, %q, %q, %v; want %q, %q, %q, %q", tc.value, bucket, key, version, err, tc.bucket, tc.key, tc.version, tc.err)
		}
	}
}

func TestStripAWSChunked(t *testing.T) {
	for in, want := range map[string]string{"aws-chunked": "", "gzip,aws-chunked": "gzip", "aws-chunked, br": "br", "gzip": "gzip", "": ""} {
		if got := stripAWSChunked(in); got != want {
			t.Errorf("stripAWSChunked(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestURLEncode(t *testing.T) {
	for in, want := range map[string]string{"a/b c+d": "a/b%20c%2Bd", "é": "%C3%A9", "a~b_c.d-e": "a~b_c.d-e", "%": "%25"} {
		if got := urlEncode(in); got != want {
			t.Errorf("urlEncode(%q) = %q; want %q", in, got, want)
		}
	}
}
