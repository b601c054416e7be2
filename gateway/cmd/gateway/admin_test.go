package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"sixfold/gateway/admin"
)

// fakeGateway serves /admin like a gateway whose root key is ak:secret-key,
// recording the PUTs it gets.
type fakeGateway struct {
	view admin.Cluster
	puts []string // "<id> <status>"
}

func (g *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if user, pass, ok := r.BasicAuth(); !ok || user != "ak" || pass != "secret-key" {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":"Unauthorized","message":"valid credentials are required"}}`))
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/admin/cluster" {
		_ = json.NewEncoder(w).Encode(g.view)
		return
	}
	var body struct{ Status admin.Status }
	_ = json.NewDecoder(r.Body).Decode(&body)
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/admin/nodes/"), "/status")
	g.puts = append(g.puts, id+" "+string(body.Status))
	for _, n := range g.view.Nodes {
		if n.ID.String() == id {
			st := admin.NodeStatus{ID: n.ID, Name: n.Name, Address: n.Address, Status: body.Status}
			// As the store does: asked to be active, a silent node is inactive.
			if st.Status == admin.StatusActive && n.HeartbeatAgeSeconds > 30 {
				st.Status = admin.StatusInactive
			}
			_ = json.NewEncoder(w).Encode(st)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
}

func newFakeGateway(t *testing.T) (*fakeGateway, string) {
	t.Helper()
	healed := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	g := &fakeGateway{view: admin.Cluster{
		Nodes: []admin.Node{
			{ID: uuid.New(), Name: "storage-1", Address: "10.0.0.1:9001", Status: "active", HeartbeatAgeSeconds: 3.2,
				CapacityBytes: 100 << 30, AvailableBytes: 40 << 30, ChunkCount: 12, ChunksRecorded: 12, RingShare: 0.6, RingPoints: 150},
			{ID: uuid.New(), Name: "storage-2", Address: "10.0.0.2:9001", Status: "maintenance", HeartbeatAgeSeconds: 1,
				CapacityBytes: 100 << 30, AvailableBytes: 50 << 30, ChunkCount: 7, ChunksRecorded: 6},
			{ID: uuid.New(), Name: "twin", Address: "10.0.0.3:9001", Status: "active", RingShare: 0.4},
			{ID: uuid.New(), Name: "twin", Address: "10.0.0.4:9001", Status: "inactive"},
			{ID: uuid.New(), Name: "storage-5", Address: "10.0.0.5:9001", Status: "draining", HeartbeatAgeSeconds: 2,
				ChunkCount: 40, ChunksRecorded: 37},
			{ID: uuid.New(), Name: "storage-6", Address: "10.0.0.6:9001", Status: "removed", HeartbeatAgeSeconds: 3600},
		},
		Totals: admin.Totals{Nodes: 6, ActiveNodes: 2, MaintenanceNodes: 1, InactiveNodes: 1, DrainingNodes: 1, RemovedNodes: 1,
			RingNodes: 2, Files: 3, FilesBytes: 1536, S3Objects: 2, S3Buckets: 1, S3Bytes: 3 << 20, BytesStored: 3<<20 + 1536},
		Heal: admin.Heal{ShardsHealed: 120, BytesHealed: 3 << 30, Failures: 2, LastHealedAt: &healed, ShardsPending: 37},
	}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	t.Setenv("SIXFOLD_ROOT_USER", "ak")
	t.Setenv("SIXFOLD_ROOT_PASSWORD", "secret-key")
	return g, srv.URL
}

func runAdminT(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runAdmin(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestAdminClusterPrintsATable(t *testing.T) {
	_, url := newFakeGateway(t)
	code, out, errOut := runAdminT("cluster", "-url", url)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"NAME", "RING", "storage-1", "10.0.0.1:9001", "active", "3s ago", "100.0 GiB", "40.0 GiB", "60.0%",
		"maintenance", "0.0%",
		"removed",
		"6 (2 active, 1 maintenance, 1 draining, 1 removed, 1 inactive; 2 on the placement ring)",
		"3 files (1.5 KiB), 2 S3 objects in 1 buckets (3.0 MiB)",
		"healing:  37 shards pending; 120 healed (3.0 GiB), 2 failed attempts, last healed 2026-12-04T15:00:00Z",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	draining := regexp.MustCompile(`\nstorage-5 +\S+ +10\.0\.0\.5:9001 +draining +2s ago +0 B +0 B +40 +37 +0\.0%\n`)
	if !draining.MatchString(out) {
		t.Errorf("output lacks the draining node's row with its 37 shards recorded:\n%s", out)
	}
}

// A healer that never ran says so rather than printing the zero time.
func TestAdminClusterNeverHealed(t *testing.T) {
	g, url := newFakeGateway(t)
	g.view.Heal = admin.Heal{}
	code, out, errOut := runAdminT("cluster", "-url", url)
	if want := "healing:  0 shards pending; 0 healed (0 B), 0 failed attempts, last healed never"; code != 0 || !strings.Contains(out, want) {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s\nwant a line %q", code, errOut, out, want)
	}
}

func TestAdminSetsNodeStatus(t *testing.T) {
	g, url := newFakeGateway(t)
	nodes := g.view.Nodes
	id := func(i int) string { return nodes[i].ID.String() }
	tests := []struct {
		name   string
		args   []string
		code   int
		put    string // the PUT expected, "" for none
		stdout string
		stderr string
	}{
		{"maintenance off by name", []string{"maintenance", "storage-2", "off", "-url", url}, 0,
			id(1) + " active", "storage-2 (10.0.0.2:9001, " + id(1) + ") is now active\n", ""},
		{"maintenance on by address, flags first", []string{"maintenance", "-url", url, "10.0.0.1:9001", "on"}, 0,
			id(0) + " maintenance", "is now maintenance\n", ""},
		{"maintenance on by id", []string{"maintenance", id(3), "on", "-url=" + url}, 0,
			id(3) + " maintenance", "10.0.0.4:9001", ""},
		{"drain by name", []string{"drain", "storage-1", "-url", url}, 0, id(0) + " draining",
			"storage-1 (10.0.0.1:9001, " + id(0) + ") is now draining: the healer moves its 12 shards to other nodes, then marks it removed", ""},
		{"drain by id, flags first", []string{"drain", "-url", url, id(3)}, 0, id(3) + " draining", "is now draining", ""},
		{"activate a draining node", []string{"activate", "10.0.0.5:9001", "-url", url}, 0, id(4) + " active",
			"storage-5 (10.0.0.5:9001, " + id(4) + ") is now active\n", ""},
		{"activate a removed node that is down", []string{"activate", "storage-6", "-url", url}, 0, id(5) + " active",
			"is now inactive: its heartbeat is stale; it becomes active with its next one", ""},
		{"ambiguous name", []string{"maintenance", "twin", "on", "-url", url}, 1, "", "", `"twin" names 2 nodes`},
		{"drain an ambiguous name", []string{"drain", "twin", "-url", url}, 1, "", "", `"twin" names 2 nodes`},
		{"unknown node", []string{"maintenance", "storage-9", "on", "-url", url}, 1, "", "", "no storage node"},
		{"activate an unknown node", []string{"activate", "storage-9", "-url", url}, 1, "", "", "no storage node"},
		{"neither on nor off", []string{"maintenance", "storage-1", "yes", "-url", url}, 2, "", "", "on|off"},
		{"drain with no node", []string{"drain", "-url", url}, 2, "", "", "drain <node-id|name|address>"},
		{"drain with two nodes", []string{"drain", "storage-1", "storage-2", "-url", url}, 2, "", "", "drain <node-id|name|address>"},
		{"activate with on", []string{"activate", "storage-1", "on", "-url", url}, 2, "", "", "activate <node-id|name|address>"},
		{"wrong secret", []string{"maintenance", "storage-1", "on", "-url", url, "-password", "nope"}, 1, "", "",
			"401 Unauthorized: Unauthorized: valid credentials are required (set -user/-password"},
		{"drain, wrong secret", []string{"drain", "storage-1", "-url", url, "-password", "nope"}, 1, "", "", "401 Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g.puts = nil
			code, out, errOut := runAdminT(tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errOut, tt.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
			if got := strings.Join(g.puts, ","); got != tt.put {
				t.Fatalf("PUTs %q; want %q", got, tt.put)
			}
		})
	}
}

func TestAdminUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"nodes"}, {"cluster", "extra"}, {"cluster", "-bogus"}} {
		if code, _, errOut := runAdminT(args...); code != 2 || errOut == "" {
			t.Errorf("gateway admin %q: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
	if code, _, errOut := runAdminT("help"); code != 0 || !strings.Contains(errOut, "maintenance [flags]") ||
		!strings.Contains(errOut, "drain [flags]") || !strings.Contains(errOut, "activate [flags]") {
		t.Errorf("gateway admin help: exit %d, stderr %q", code, errOut)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 10 << 30: "10.0 GiB", 1 << 60: "1.0 EiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q; want %q", n, got, want)
		}
	}
}
