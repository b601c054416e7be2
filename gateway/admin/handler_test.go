package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// fakeStore records SetStatus calls and answers from its fields.
type fakeStore struct {
	view  Cluster
	err   error      // returned by every call when set
	known uuid.UUID  // the one node SetStatus finds
	calls []Status   // the status argument of each SetStatus
	last  NodeStatus // what SetStatus returned last
}

func (f *fakeStore) Cluster(context.Context) (Cluster, error) { return f.view, f.err }

func (f *fakeStore) SetStatus(_ context.Context, id uuid.UUID, status Status) (NodeStatus, error) {
	if f.err != nil {
		return NodeStatus{}, f.err
	}
	f.calls = append(f.calls, status)
	if id != f.known {
		return NodeStatus{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	f.last = NodeStatus{ID: id, Name: "storage-1", Address: "127.0.0.1:9001", Status: status}
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
	healed := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	store := &fakeStore{view: Cluster{
		Nodes:  []Node{{Name: "storage-1", Status: StatusDraining, RingShare: 1}},
		Totals: Totals{Nodes: 1, DrainingNodes: 1},
		Heal:   Heal{ShardsHealed: 7, BytesHealed: 7 << 20, Failures: 1, LastHealedAt: &healed, ShardsPending: 3},
	}}
	rec := serve(New(store, nil), http.MethodGet, "/admin/cluster", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got Cluster
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Nodes) != 1 || got.Nodes[0].Status != StatusDraining || got.Totals != store.view.Totals ||
		got.Heal.ShardsPending != 3 || got.Heal.LastHealedAt == nil || !got.Heal.LastHealedAt.Equal(healed) {
		t.Fatalf("got %+v; want %+v", got, store.view)
	}
	for _, field := range []string{`"draining_nodes":1`, `"removed_nodes":0`, `"heal":{"shards_healed":7,"bytes_healed":7340032,"failures":1,` +
		`"last_healed_at":"2026-12-04T15:00:00Z","shards_pending":3}`} {
		if !strings.Contains(rec.Body.String(), field) {
			t.Errorf("body lacks %s: %s", field, rec.Body)
		}
	}
}

// A healer that never ran reports last_healed_at as null, not year 1.
func TestClusterNeverHealed(t *testing.T) {
	rec := serve(New(&fakeStore{}, nil), http.MethodGet, "/admin/cluster", "")
	if want := `"last_healed_at":null`; rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("status %d, body %s; want 200 with %s", rec.Code, rec.Body, want)
	}
}

func TestSetStatus(t *testing.T) {
	known := uuid.New()
	tests := []struct {
		name       string
		id, body   string
		storeErr   error
		wantStatus int
		wantCode   string   // the JSON error code, for failures
		wantCalls  []Status // the SetStatus calls
	}{
		{"maintenance", known.String(), `{"status":"maintenance"}`, nil, 200, "", []Status{StatusMaintenance}},
		{"draining", known.String(), `{"status":"draining"}`, nil, 200, "", []Status{StatusDraining}},
		{"active", known.String(), `{"status": "active"}`, nil, 200, "", []Status{StatusActive}},
		{"unknown node", uuid.NewString(), `{"status":"maintenance"}`, nil, 404, "NotFound", []Status{StatusMaintenance}},
		{"draining an unknown node", uuid.NewString(), `{"status":"draining"}`, nil, 404, "NotFound", []Status{StatusDraining}},
		{"id not a UUID", "storage-1", `{"status":"maintenance"}`, nil, 400, "InvalidID", nil},
		{"inactive is the heartbeats'", known.String(), `{"status":"inactive"}`, nil, 400, "InvalidStatus", nil},
		{"removed is the healer's", known.String(), `{"status":"removed"}`, nil, 400, "InvalidStatus", nil},
		{"case matters", known.String(), `{"status":"Draining"}`, nil, 400, "InvalidStatus", nil},
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
			if fmt.Sprint(store.calls) != fmt.Sprint(tt.wantCalls) {
				t.Fatalf("SetStatus calls %v; want %v", store.calls, tt.wantCalls)
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
