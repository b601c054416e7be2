package sigv4

import (
	"strings"
	"testing"
)

func TestRedactURI(t *testing.T) {
	const sig = "8d1544b249e7e64d4416147eb4d15e501e83d628458cdfb26a7a6cc43a9cec3e"
	tests := []struct{ name, uri, want string }{
		{"no query", "/b/k", "/b/k"},
		{"nothing secret", "/b?list-type=2&prefix=a%2Fb&uploads", "/b?list-type=2&prefix=a%2Fb&uploads"},
		{"go-v2 presigned URL",
			"/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261204%2Fus-east-1%2Fs3%2Faws4_request" +
				"&X-Amz-Date=20261204T150337Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&x-id=PutObject&X-Amz-Signature=" + sig,
			"/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED" +
				"&X-Amz-Date=20261204T150337Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&x-id=PutObject&X-Amz-Signature=REDACTED"},
		{"security token", "/b/k?X-Amz-Security-Token=tok%2Fen&a=1", "/b/k?X-Amz-Security-Token=REDACTED&a=1"},
		{"any case", "/b/k?x-amz-signature=" + sig + "&X-AMZ-CREDENTIAL=AKID", "/b/k?x-amz-signature=REDACTED&X-AMZ-CREDENTIAL=REDACTED"},
		{"encoded name", "/b/k?X-Amz%2DSignature=" + sig, "/b/k?X-Amz%2DSignature=REDACTED"},
		{"after a ';'", "/b/k?a=1;X-Amz-Signature=" + sig + ";b=2", "/b/k?a=1;X-Amz-Signature=REDACTED;b=2"},
		{"repeated", "/b/k?X-Amz-Signature=" + sig + "&X-Amz-Signature=" + sig, "/b/k?X-Amz-Signature=REDACTED&X-Amz-Signature=REDACTED"},
		{"sigv2 signature", "/b/k?AWSAccessKeyId=AKID&Expires=1&Signature=c2ln%3D", "/b/k?AWSAccessKeyId=AKID&Expires=1&Signature=REDACTED"},
		{"valueless secret name", "/b/k?X-Amz-Signature", "/b/k?X-Amz-Signature"},
		{"empty pieces kept", "/b?&&X-Amz-Signature=s&", "/b?&&X-Amz-Signature=REDACTED&"},
		{"absolute form", "http://h/b/k?X-Amz-Signature=" + sig, "http://h/b/k?X-Amz-Signature=REDACTED"},
		{"lookalike names kept", "/b?X-Amz-Signatures=1&My-X-Amz-Signature=2", "/b?X-Amz-Signatures=1&My-X-Amz-Signature=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := RedactURI(tc.uri)
			if got != tc.want {
				t.Fatalf("got %q; want %q", got, tc.want)
			}
			if strings.Contains(got, sig) {
				t.Fatalf("signature left in %q", got)
			}
		})
	}
}

// FuzzRedactURI: whatever the target, a value that follows a secret name
// does not survive, and a target without secrets comes back unchanged.
func FuzzRedactURI(f *testing.F) {
	for _, s := range []string{"/b/k?X-Amz-Signature=abc", "/b?a=1;x-amz-credential=K&b", "/b?%zz=1&X-Amz-Security-Token=t", "/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		got := RedactURI(uri)
		_, query, ok := strings.Cut(got, "?")
		if !ok {
			if got != uri {
				t.Fatalf("RedactURI(%q) = %q; want it unchanged", uri, got)
			}
			return
		}
		for part := range strings.FieldsFuncSeq(query, func(r rune) bool { return r == '&' || r == ';' }) {
			name, value, hasValue := strings.Cut(part, "=")
			if hasValue && isSecretParam(name) && value != Redacted {
				t.Fatalf("RedactURI(%q) = %q: %s kept its value", uri, got, name)
			}
		}
	})
}
