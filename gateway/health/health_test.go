package health

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"sixfold/db"
)

// seedHealth is the seed design's /health example, verbatim.
const seedHealth = `{
  "status": "healthy",
  "database": "connected",
  "storage_servers": 6,
  "active_uploads": 3
}`

// TestReportHasTheSeedsShape checks that every field of the seed's body is
// in the report under the same name with the same JSON type, and that the
// only other fields are the documented extras.
func TestReportHasTheSeedsShape(t *testing.T) {
	var seed map[string]any
	if err := json.Unmarshal([]byte(seedHealth), &seed); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(Report{Status: StatusHealthy, Database: DatabaseConnected, StorageServers: 6, ActiveUploads: 3, StorageServersTotal: 7})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range seed {
		if !reflect.DeepEqual(got[k], want) {
			t.Errorf("%s = %#v; want the seed's %#v", k, got[k], want)
		}
	}
	extras := map[string]any{"storage_servers_total": float64(7)}
	for k, v := range got {
		if _, ok := seed[k]; ok {
			continue
		}
		if want, ok := extras[k]; !ok || v != want {
			t.Errorf("extra field %s = %#v; want only %v", k, v, extras)
		}
	}
}

func TestSummarizeCountsActiveFreshNodes(t *testing.T) {
	now := time.Now()
	fresh, stale := now.Add(-time.Second), now.Add(-time.Hour)
	servers := []db.StorageServer{
		{Status: "active", LastHeartbeat: fresh},
		{Status: "active", LastHeartbeat: fresh},
		{Status: "active", LastHeartbeat: stale},
		{Status: "maintenance", LastHeartbeat: fresh},
		{Status: "draining", LastHeartbeat: fresh},
		{Status: "inactive", LastHeartbeat: stale},
	}
	got := summarize(servers, 4, now.Add(-30*time.Second))
	want := Report{Status: StatusUnhealthy, Database: DatabaseConnected, StorageServers: 2, ActiveUploads: 4, StorageServersTotal: 6}
	if got != want {
		t.Errorf("summarize = %+v; want %+v", got, want)
	}
}

func TestReady(t *testing.T) {
	tests := []struct {
		name string
		r    Report
		want bool
	}{
		{"six nodes", Report{Database: DatabaseConnected, StorageServers: 6}, true},
		{"five nodes", Report{Database: DatabaseConnected, StorageServers: 5}, false},
		{"database down", Report{Database: DatabaseDisconnected, StorageServers: 6}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ready(tt.r); got != tt.want {
				t.Errorf("Ready(%+v) = %v; want %v", tt.r, got, tt.want)
			}
		})
	}
}
