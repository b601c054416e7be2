package s3api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// oneKey is sigv4.Credentials with a single pair.
type oneKey struct{}

func (oneKey) Secret(ak string) (string, bool) { return "secret-of-" + ak, ak == "known" }

func TestAllowHook(t *testing.T) {
	tests := []struct {
		name     string
		signed   bool // trustingAuth (signed by trustedKey) or real SigV4 on an unsigned request
		allow    bool
		wantKey  string
		wantCode string
		status   int
	}{
		{"signed, under the limit", true, true, trustedKey, "", http.StatusOK},
		{"signed, over the limit", true, false, trustedKey, codeSlowDown, http.StatusServiceUnavailable},
		{"unauthenticated, under the limit", false, true, "", codeAccessDenied, http.StatusForbidden},
		{"unauthenticated, over the limit", false, false, "", codeSlowDown, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			opts := Options{Backend: newMemBackend("k"), Credentials: oneKey{}, Allow: func(r *http.Request, ak string) bool {
				asked = append(asked, ak)
				return tt.allow
			}}
			h := newHandler(opts)
			if tt.signed {
				h.auth = trustingAuth
			}
			w := serve(h, httptest.NewRequest(http.MethodGet, "/bkt/k", nil))
			if len(asked) != 1 || asked[0] != tt.wantKey {
				t.Errorf("Allow asked about %q; want once about %q", asked, tt.wantKey)
			}
			if w.Code != tt.status {
				t.Fatalf("status %d; want %d (%s)", w.Code, tt.status, w.Body)
			}
			if tt.wantCode != "" {
				if doc := decodeError(t, w); doc.Code != tt.wantCode {
					t.Errorf("code %s; want %s", doc.Code, tt.wantCode)
				}
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	w.Header().Set("X-Request-Id", "rid-7")
	WriteError(w, httptest.NewRequest(http.MethodPut, "/bkt/key", nil), "AccessDenied")
	if w.Code != http.StatusForbidden || w.Header().Get("x-amz-request-id") != "rid-7" {
		t.Fatalf("status %d, request id %q; want 403, rid-7", w.Code, w.Header().Get("x-amz-request-id"))
	}
	doc := decodeError(t, w)
	if doc.Code != "AccessDenied" || doc.RequestID != "rid-7" || doc.Resource != "/bkt/key" {
		t.Errorf("error document %+v", doc)
	}

	head := httptest.NewRecorder()
	WriteError(head, httptest.NewRequest(http.MethodHead, "/bkt/key", nil), "SlowDown")
	if head.Code != http.StatusServiceUnavailable || head.Body.Len() != 0 {
		t.Errorf("HEAD: status %d with %d body bytes; want 503 without a body", head.Code, head.Body.Len())
	}
}
