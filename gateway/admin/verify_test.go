package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"
)

type fakeVerifier struct {
	after uuid.UUID
	limit int
	err   error
}

func (f *fakeVerifier) VerifyStored(_ context.Context, after uuid.UUID, limit int) (Verification, error) {
	f.after, f.limit = after, limit
	return Verification{Blobs: 1, Shards: 8}, f.err
}

func TestVerifyPagesAndRefusesBadArguments(t *testing.T) {
	v := &fakeVerifier{}
	h := New(&fakeStore{}, nil).WithVerifier(v)
	after := uuid.New()
	rec := serve(h, http.MethodGet, "/admin/verify?after="+after.String()+"&limit=5", "")
	var page Verification
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil || page.Shards != 8 || page.Missing == nil {
		t.Fatalf("GET /admin/verify = %d %s; want 200 with the verifier's page and missing: []", rec.Code, rec.Body)
	}
	if v.after != after || v.limit != 5 {
		t.Errorf("verifier asked after %s limit %d; want %s and 5", v.after, v.limit, after)
	}
	for _, q := range []string{"after=nope", "limit=0", "limit=10001", "limit=x"} {
		if rec := serve(h, http.MethodGet, "/admin/verify?"+q, ""); rec.Code != http.StatusBadRequest {
			t.Errorf("GET /admin/verify?%s = %d; want 400", q, rec.Code)
		}
	}
	v.err = fmt.Errorf("%w: down", ErrUnavailable)
	if rec := serve(h, http.MethodGet, "/admin/verify", ""); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /admin/verify with the store down = %d; want 503", rec.Code)
	}
	if rec := serve(New(&fakeStore{}, nil), http.MethodGet, "/admin/verify", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET /admin/verify without a verifier = %d; want 404", rec.Code)
	}
}
