package s3api

import (
	"net/http"
	"testing"
	"time"
)

func TestPreconditions(t *testing.T) {
	modified := time.Date(2024, 5, 1, 12, 0, 0, 500_000_000, time.UTC)
	before := modified.Add(-time.Hour).Format(http.TimeFormat)
	same := modified.Format(http.TimeFormat)
	after := modified.Add(time.Hour).Format(http.TimeFormat)
	cases := []struct {
		name string
		p    preconditions
		want int
	}{
		{"none", preconditions{}, 0},
		{"if-match quoted", preconditions{ifMatch: `"abc"`}, 0},
		{"if-match bare", preconditions{ifMatch: `abc`}, 0},
		{"if-match list", preconditions{ifMatch: `"x", "abc"`}, 0},
		{"if-match star", preconditions{ifMatch: `*`}, 0},
		{"if-match other", preconditions{ifMatch: `"x"`}, http.StatusPreconditionFailed},
		{"if-none-match same", preconditions{ifNoneMatch: `"abc"`}, http.StatusNotModified},
		{"if-none-match weak", preconditions{ifNoneMatch: `W/"abc"`}, http.StatusNotModified},
		{"if-none-match star", preconditions{ifNoneMatch: `*`}, http.StatusNotModified},
		{"if-none-match other", preconditions{ifNoneMatch: `"x"`}, 0},
		{"unmodified since after", preconditions{ifUnmodifiedSince: after}, 0},
		{"unmodified since same second", preconditions{ifUnmodifiedSince: same}, 0},
		{"unmodified since before", preconditions{ifUnmodifiedSince: before}, http.StatusPreconditionFailed},
		{"if-match wins over unmodified", preconditions{ifMatch: `"abc"`, ifUnmodifiedSince: before}, 0},
		{"modified since before", preconditions{ifModifiedSince: before}, 0},
		{"modified since same second", preconditions{ifModifiedSince: same}, http.StatusNotModified},
		{"modified since after", preconditions{ifModifiedSince: after}, http.StatusNotModified},
		{"if-none-match wins over modified", preconditions{ifNoneMatch: `"x"`, ifModifiedSince: after}, 0},
		{"bad date ignored", preconditions{ifModifiedSince: "yesterday"}, 0},
		{"412 before 304", preconditions{ifMatch: `"x"`, ifNoneMatch: `"abc"`}, http.StatusPreconditionFailed},
	}
	for _, tc := range cases {
		if got := tc.p.evaluate("abc", modified); got != tc.want {
			t.Errorf("%s: got %d; want %d", tc.name, got, tc.want)
		}
	}
}

func TestReadPreconditions(t *testing.T) {
	h := http.Header{}
	h.Set("X-Amz-Copy-Source-If-Match", `"a"`)
	h.Set("If-None-Match", `"b"`)
	if p := readPreconditions(h, "X-Amz-Copy-Source-"); p.ifMatch != `"a"` || p.ifNoneMatch != "" {
		t.Errorf("copy-source preconditions = %+v", p)
	}
	if p := readPreconditions(h, ""); p.ifMatch != "" || p.ifNoneMatch != `"b"` {
		t.Errorf("plain preconditions = %+v", p)
	}
}

func TestUnquoteETag(t *testing.T) {
	for _, in := range []string{`"abc"`, `abc`, ` "abc" `} {
		if got := unquoteETag(in); got != "abc" {
			t.Errorf("unquoteETag(%q) = %q; want abc", in, got)
		}
	}
}
