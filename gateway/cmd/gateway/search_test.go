package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSearchCommand follows cursors with -all, prints the total once, and
// points at the spot of a refused query.
func TestSearchCommand(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.RequestURI())
		switch q := r.URL.Query(); {
		case q.Get("q") == "size >":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error": {"code": "InvalidQuery", "message": "at position 7: expected a value", "position": 7}}`))
		case q.Get("cursor") == "":
			_, _ = w.Write([]byte(`{"files": [{"file_id": "1", "key": "a.jpg", "size": 2048, "content_type": "image/jpeg"}], "next_cursor": "c2", "total": 2}`))
		default:
			_, _ = w.Write([]byte(`{"files": [{"file_id": "2", "key": "b.jpg", "size": 1, "content_type": "image/jpeg"}]}`))
		}
	}))
	defer srv.Close()
	c := &adminClient{base: srv.URL, http: srv.Client()}
	var out bytes.Buffer
	err := runSearch(context.Background(), c, &searchOpts{bucket: "photos", limit: 1, all: true, total: true}, []string{`key LIKE "*.jpg"`}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "a.jpg") || !strings.Contains(got, "b.jpg") || strings.Count(got, "total: 2 matching") != 1 {
		t.Fatalf("output:\n%s", got)
	}
	if len(asked) != 2 || !strings.HasPrefix(asked[0], "/files/search?") || !strings.Contains(asked[0], "total=true") ||
		strings.Contains(asked[1], "total=true") || !strings.Contains(asked[1], "cursor=c2") {
		t.Fatalf("requests: %q", asked)
	}
	err = runSearch(context.Background(), c, &searchOpts{limit: 10}, []string{"size >"}, &out)
	if err == nil || !strings.HasSuffix(err.Error(), "size >\n        ^") {
		t.Fatalf("refused query: %v", err)
	}
	if err := runSearch(context.Background(), c, &searchOpts{}, []string{"a", "b"}, &out); !errors.Is(err, errUsage) {
		t.Fatalf("two arguments: %v; want a usage error", err)
	}
}
