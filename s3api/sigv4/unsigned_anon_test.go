package sigv4

import (
	"net/http/httptest"
	"testing"
)

func TestUnsigned(t *testing.T) {
	for target, want := range map[string]bool{
		"/b/k":                      true,
		"/b?list-type=2&prefix=a":   true,
		"/b/k?X-Amz-Signature=abc":  false,
		"/b/k?x-amz-credential=abc": false,
		"/b/k?AWSAccessKeyId=AKIA&Signature=x&Expires=1": false,
		"/b/k?signature=x": false,
	} {
		r := httptest.NewRequest("GET", target, nil)
		if _, got, _ := Unsigned(r); got != want {
			t.Errorf("Unsigned(%s) = %v; want %v", target, got, want)
		}
	}
	r := httptest.NewRequest("GET", "/b/k", nil)
	r.Header.Set("Authorization", "")
	if _, got, _ := Unsigned(r); got {
		t.Error("a request with an (empty) Authorization header counted as unsigned")
	}
	if _, _, err := Unsigned(httptest.NewRequest("GET", "/b/k?a=1;b=2", nil)); err == nil {
		t.Error("a query Verify refuses was accepted as unsigned")
	}
}

func TestClaimedAccessKey(t *testing.T) {
	r := httptest.NewRequest("GET", "/b/k", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=00")
	if got := ClaimedAccessKey(r); got != "AKIDEXAMPLE" {
		t.Errorf("header: %q", got)
	}
	r = httptest.NewRequest("GET", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKQ%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00", nil)
	if got := ClaimedAccessKey(r); got != "AKQ" {
		t.Errorf("query: %q", got)
	}
	for _, target := range []string{"/b/k", "/b/k?X-Amz-Credential=noslash", "/b/k?X-Amz-Credential=" + string(make([]byte, 0)) + "x"} {
		if got := ClaimedAccessKey(httptest.NewRequest("GET", target, nil)); got != "" {
			t.Errorf("%s: %q; want none", target, got)
		}
	}
}
