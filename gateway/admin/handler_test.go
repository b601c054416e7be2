package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// fakeStore records SetMaintenance calls and answers from its fields.
type fakeStore struct {
	view  Cluster
	err   error      // returned by every call when set
	known uuid.UUID  // the one node SetMaintenance finds
	calls []bool     // the on argument of each SetMaintenance
	last  NodeStatus // what SetMaintenance returned last
}

func (f *fakeStore) Cluster(context.Context) (Cluster, error) { return f.view, f.err }

func (f *fakeStore) SetMaintenance(_ context.Context, id uuid.UUID, on bool) (NodeStatus, error) {
	if f.err != nil {
		return NodeStatus{}, f.err
	}
	f.calls = append(f.calls, on)
	if id != f.known {
		return NodeStatus{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	f.last = NodeStatus{ID: id, Name: "storage-1", Address: "127.0.0.1:9001", Status: StatusActive}
	if on {
		f.last.Status = StatusMaintenance
	}
	return f.last, nil
}

type countingRefresher struct{ n int }

func (r *countingRefresher) Refresh(context.Context) error { r.n++; return nil }

func serve(h *Handler, method, path, body string) *httptest.ResponseRecorder {
	e := echo.New()
	h.Register(e.Group("/admin"))
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestClusterAnswersTheStoresView(t *testing.T) {
	store := &fakeStore{view: Cluster{Nodes: []Node{{Name: "storage-1", RingShare: 1}}, Totals: Totals{Nodes: 1}}}
	rec := serve(New(store, nil), http.MethodGet, "/admin/cluster", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got Cluster
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Nodes) != 1 || got.Nodes[0].Name != "storage-1" || got.Totals.Nodes != 1 {
		t.Fatalf("got %+v", got)
	}
}

func TestSetStatus(t *testing.T) {
	known := uuid.New()
	tests := []struct {
		name       string
		id, body   string
		storeErr   error
		wantStatus int
		wantCode   string // the JSON error code, for failures
		wantOn     []bool // the SetMaintenance calls
	}{
		{"maintenance", known.String(), `{"status":"maintenance"}`, nil, 200, "", []bool{true}},
		{"active", known.String(), `{"status": "active"}`, nil, 200, "", []bool{false}},
		{"unknown node", uuid.NewString(), `{"status":"maintenance"}`, nil, 404, "NotFound", []bool{true}},
		{"id not a UUID", "storage-1", `{"status":"maintenance"}`, nil, 400, "InvalidID", nil},
		{"inactive is not the operator's", known.String(), `{"status":"inactive"}`, nil, 400, "InvalidStatus", nil},
		{"empty status", known.String(), `{}`, nil, 400, "InvalidStatus", nil},
		{"not JSON", known.String(), `maintenance`, nil, 400, "InvalidStatus", nil},
		{"unknown field", known.String(), `{"status":"active","force":true}`, nil, 400, "InvalidStatus", nil},
		{"trailing data", known.String(), `{"status":"active"} {}`, nil, 400, "InvalidStatus", nil},
		{"database down", known.String(), `{"status":"active"}`, ErrUnavailable, 503, "MetadataUnavailable", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, ring := &fakeStore{known: known, err: tt.storeErr}, &countingRefresher{}
			rec := serve(New(store, ring), http.MethodPut, "/admin/nodes/"+tt.id+"/status", tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d; want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if fmt.Sprint(store.calls) != fmt.Sprint(tt.wantOn) {
				t.Fatalf("SetMaintenance calls %v; want %v", store.calls, tt.wantOn)
			}
			if tt.wantStatus == 200 {
				checkStatusBody(t, rec, store.last, ring)
				return
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != tt.wantCode || e.Error.Message == "" {
				t.Fatalf("error body %s; want code %s and a message", rec.Body, tt.wantCode)
			}
		})
	}
}

func checkStatusBody(t *testing.T, rec *httptest.ResponseRecorder, want NodeStatus, ring *countingRefresher) {
	t.Helper()
	var got NodeStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got != want {
		t.Fatalf("body %s (%v); want %+v", rec.Body, err, want)
	}
	if ring.n != 1 {
		t.Fatalf("ring refreshed %d times; want once after the change", ring.n)
	}
}
