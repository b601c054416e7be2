package s3api

import (
	"math"
	"net/http/httptest"
	"net/url"
	"testing"
)

// A GET's span is what its Range header selects before the size is known;
// anything that needs the size, or that the GET ignores, is the whole
// version.
func TestReadSpan(t *testing.T) {
	tests := []struct {
		header, query string
		want          ReadSpan
	}{
		{"", "", WholeVersion},
		{"bytes=0-99", "", ReadSpan{0, 100, 0}},
		{"bytes=8388608-16777215", "", ReadSpan{8 << 20, 16 << 20, 0}},
		{"bytes=100-", "", ReadSpan{100, math.MaxInt64, 0}},
		{"bytes=-500", "", WholeVersion},
		{"bytes= -500", "", WholeVersion},
		{"bytes=0-99", "partNumber=2", WholeVersion},
		{"", "partNumber=2", ReadSpan{0, math.MaxInt64, 2}},
		{"", "partNumber=0", WholeVersion},
		{"", "partNumber=x", WholeVersion},
		{"bytes=5-1", "", WholeVersion},
		{"items=0-99", "", WholeVersion},
	}
	for _, tt := range tests {
		if got := spanOf(readSpan, "GET", tt.header, tt.query); got != tt.want {
			t.Errorf("Range %q, query %q: span %+v; want %+v", tt.header, tt.query, got, tt.want)
		}
	}
}

// spanOf is what span says of a request with that Range header and query.
func spanOf(span func(*request) ReadSpan, method, header, query string) ReadSpan {
	r := httptest.NewRequest(method, "/b/k?"+query, nil)
	if header != "" {
		r.Header.Set("Range", header)
	}
	q, _ := url.ParseQuery(query)
	return span(&request{r: r, query: q})
}

// A HEAD asks for no bytes, whatever its Range, but for the part it names.
func TestHeadSpan(t *testing.T) {
	tests := []struct {
		header, query string
		want          ReadSpan
	}{
		{"", "", NoBytes},
		{"bytes=0-99", "", NoBytes},
		{"", "partNumber=2", ReadSpan{0, math.MaxInt64, 2}},
		{"", "partNumber=0", NoBytes},
		{"bytes=0-99", "partNumber=2", NoBytes},
	}
	for _, tt := range tests {
		if got := spanOf(headSpan, "HEAD", tt.header, tt.query); got != tt.want {
			t.Errorf("Range %q, query %q: span %+v; want %+v", tt.header, tt.query, got, tt.want)
		}
	}
}
