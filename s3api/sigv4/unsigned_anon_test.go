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
