package intake

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDetachOutlivesParentCancel(t *testing.T) {
	r := httptest.NewRequest(http.MethodPut, "/b/k", strings.NewReader("whole body"))
	ctx, cancelParent := context.WithCancel(r.Context())
	r = r.WithContext(ctx)
	d, cancel := Detach(r)
	defer cancel()
	if _, err := io.ReadAll(d.Body); err != nil {
		t.Fatal(err)
	}
	cancelParent() // what net/http does when the client half-closes
	if err := d.Context().Err(); err != nil {
		t.Fatalf("after a whole body and the parent's cancel, ctx.Err() = %v; want nil", err)
	}
}

func TestDetachCancelsOnBodyError(t *testing.T) {
	r := httptest.NewRequest(http.MethodPut, "/b/k", nil)
	r.Body = io.NopCloser(io.MultiReader(strings.NewReader("part"), failing{}))
	d, cancel := Detach(r)
	defer cancel()
	if _, err := io.ReadAll(d.Body); err == nil {
		t.Fatal("read of a failing body succeeded")
	}
	if err := d.Context().Err(); err == nil {
		t.Fatal("a failing body left the context live; want it cancelled")
	}
}

func TestHasBody(t *testing.T) {
	chunked := httptest.NewRequest(http.MethodPut, "/b/k", strings.NewReader("x"))
	chunked.ContentLength = -1
	for _, tc := range []struct {
		r    *http.Request
		want bool
	}{
		{httptest.NewRequest(http.MethodGet, "/b/k", nil), false},
		{httptest.NewRequest(http.MethodPut, "/b/k", strings.NewReader("x")), true},
		{chunked, true},
	} {
		if got := HasBody(tc.r); got != tc.want {
			t.Errorf("HasBody(%s, length %d) = %v; want %v", tc.r.Method, tc.r.ContentLength, got, tc.want)
		}
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("connection reset") }
