package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sixfold/e2e/harness"
)

// adminNode and adminView are the parts of GET /admin/cluster these tests read.
type adminNode struct {
	ID                  string    `json:"id"`
	Name                string    `json:"name"`
	Address             string    `json:"address"`
	Status              string    `json:"status"`
	LastHeartbeat       time.Time `json:"last_heartbeat"`
	HeartbeatAgeSeconds float64   `json:"heartbeat_age_seconds"`
	CapacityBytes       int64     `json:"capacity_bytes"`
	AvailableBytes      int64     `json:"available_bytes"`
	ChunkCount          int64     `json:"chunk_count"`
	ChunksRecorded      int64     `json:"chunks_recorded"`
	RingPoints          int       `json:"ring_points"`
	RingShare           float64   `json:"ring_share"`
}

type adminView struct {
	StatsAsOf time.Time   `json:"stats_as_of"`
	Nodes     []adminNode `json:"nodes"`
	Totals    struct {
		Nodes       int   `json:"nodes"`
		ActiveNodes int   `json:"active_nodes"`
		RingNodes   int   `json:"ring_nodes"`
		Files       int64 `json:"files"`
		S3Objects   int64 `json:"s3_objects"`
		BytesStored int64 `json:"bytes_stored"`
	} `json:"totals"`
}

func (v adminView) node(id string) adminNode {
	for _, n := range v.Nodes {
		if n.ID == id {
			return n
		}
	}
	return adminNode{}
}

func (c *client) adminCluster() adminView {
	c.t.Helper()
	resp := c.get("/admin/cluster")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET /admin/cluster = %d: %s", resp.StatusCode, readAll(resp))
	}
	var v adminView
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		c.t.Fatal(err)
	}
	return v
}

// setNodeStatus PUTs /admin/nodes/{id}/status and returns the answer's
// status code and body.
func (c *client) setNodeStatus(id, body string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPut, c.base+"/admin/nodes/"+id+"/status", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp := c.do(req)
	defer resp.Body.Close()
	return resp.StatusCode, readAll(resp)
}

// uploadSmall stores a 6 KiB file (six 1 KiB chunks) and returns its id
// and the set of server ids its chunks went to.
func (c *client) uploadSmall(seed uint64) (string, map[string]bool) {
	c.t.Helper()
	resp, u := c.rawUpload(fmt.Sprintf("admin-%d.bin", seed), randomData(seed, 6<<10), 6<<10)
	if resp.StatusCode != http.StatusCreated {
		c.t.Fatalf("upload %d = %d: %s", seed, resp.StatusCode, readAll(resp))
	}
	servers := map[string]bool{}
	for _, ch := range c.info(u.FileID).Chunks {
		servers[ch.ServerID] = true
	}
	return u.FileID, servers
}

func TestAdminClusterView(t *testing.T) {
	c := sharedCluster(t)
	cl := newClient(t, c)
	for seed := range uint64(3) {
		cl.uploadSmall(9000 + seed)
	}
	uploaded := time.Now()
	var v adminView
	// Heartbeats bring the nodes' own counts; the background refresh
	// (every 15 s by default) brings what metadata records.
	eventually(t, 45*time.Second, "every node reports its chunks in a heartbeat and the statistics are refreshed", func() bool {
		v = cl.adminCluster()
		for _, n := range v.Nodes {
			if n.ChunkCount == 0 {
				return false
			}
		}
		return len(v.Nodes) > 0 && v.StatsAsOf.After(uploaded)
	})
	if len(v.Nodes) != 6 || v.Totals.Nodes != 6 || v.Totals.ActiveNodes != 6 || v.Totals.RingNodes != 6 {
		t.Fatalf("want 6 active nodes on the ring; got %+v", v)
	}
	total, recorded := 0.0, int64(0)
	for _, n := range v.Nodes {
		if n.Status != "active" || n.RingPoints != 150 || n.RingShare <= 0 || n.HeartbeatAgeSeconds > 30 ||
			n.CapacityBytes <= 0 || n.AvailableBytes <= 0 || n.ChunksRecorded <= 0 {
			t.Errorf("node %+v: want active, 150 points, a share, a fresh heartbeat, capacity and chunks", n)
		}
		total += n.RingShare
		recorded += n.ChunksRecorded
	}
	if math.Abs(total-1) > 1e-9 {
		t.Fatalf("ring shares sum to %v; want 1", total)
	}
	if v.Totals.Files < 3 || recorded < 18 || v.Totals.BytesStored < 3*6<<10 {
		t.Fatalf("totals %+v with %d chunks recorded; want at least the 3 files, 18 chunks and 18 KiB just stored", v.Totals, recorded)
	}
}

func TestAdminNeedsCredentials(t *testing.T) {
	c := sharedCluster(t)
	id := newClient(t, c).adminCluster().Nodes[0].ID
	for _, tc := range []struct{ method, path, user, password string }{
		{http.MethodGet, "/admin/cluster", "", ""},
		{http.MethodGet, "/admin/cluster", "sixfoldadmin", "wrong-secret"},
		{http.MethodPut, "/admin/nodes/" + id + "/status", "", ""},
	} {
		req, _ := http.NewRequest(tc.method, c.GatewayURL()+tc.path, strings.NewReader(`{"status":"maintenance"}`))
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s as %q = %d; want 401 with a Basic challenge", tc.method, tc.path, tc.user, resp.StatusCode)
		}
	}
	if st := newClient(t, c).adminCluster().node(id).Status; st != "active" {
		t.Fatalf("after an unauthenticated PUT the node is %q; want active", st)
	}
}

// TestAdminMaintenance puts a node into maintenance and checks that it
// takes no new chunks, keeps serving its old ones, stays in maintenance
// across its own restart, and takes chunks again once back to active.
func TestAdminMaintenance(t *testing.T) {
	c := startCluster(t, harness.Options{HeartbeatInterval: time.Second})
	cl := newClient(t, c)
	old := map[string]string{} // file id -> SHA-256, stored before maintenance
	var target string
	for seed := range uint64(4) {
		id, servers := cl.uploadSmall(seed)
		old[id] = sha256Of(seed, 6<<10)
		for s := range servers {
			target = s
		}
	}
	checkStatusErrors(t, cl, target)

	if code, body := cl.setNodeStatus(target, `{"status":"maintenance"}`); code != http.StatusOK || !strings.Contains(body, `"maintenance"`) {
		t.Fatalf("PUT maintenance = %d: %s", code, body)
	}
	checkOffTheRing(t, cl, target)
	if out := runAdminCLI(t, c, "cluster"); !strings.Contains(out, "maintenance") {
		t.Fatalf("gateway admin cluster does not show the node in maintenance:\n%s", out)
	}
	checkNoNewChunks(t, cl, target, 100)
	restartNode(t, c, cl, target)
	checkOffTheRing(t, cl, target)
	for id, sum := range old {
		if got, _ := cl.download(id); got != sum {
			t.Fatalf("file %s stored before maintenance reads back as %s; want %s", id, got, sum)
		}
	}

	runAdminCLI(t, c, "maintenance", cl.adminCluster().node(target).Name, "off")
	if n := cl.adminCluster().node(target); n.Status != "active" || n.RingPoints != 150 {
		t.Fatalf("after maintenance off: %+v; want active with its 150 points", n)
	}
	seed := uint64(200)
	eventually(t, 30*time.Second, "a new upload puts a chunk on the node again", func() bool {
		seed++
		_, servers := cl.uploadSmall(seed)
		return servers[target]
	})
}

// checkStatusErrors checks the PUT's refusals: 400s and 404, no change.
func checkStatusErrors(t *testing.T, cl *client, id string) {
	t.Helper()
	for _, tc := range []struct {
		id, body string
		want     int
	}{
		{id, `{"status":"inactive"}`, http.StatusBadRequest},
		{id, `{"status":"Maintenance"}`, http.StatusBadRequest},
		{id, `not json`, http.StatusBadRequest},
		{"not-a-uuid", `{"status":"maintenance"}`, http.StatusBadRequest},
		{"00000000-0000-4000-8000-000000000000", `{"status":"maintenance"}`, http.StatusNotFound},
	} {
		if code, body := cl.setNodeStatus(tc.id, tc.body); code != tc.want || !strings.Contains(body, `"error"`) {
			t.Errorf("PUT %s %s = %d %s; want %d with a JSON error", tc.id, tc.body, code, body, tc.want)
		}
	}
	if st := cl.adminCluster().node(id).Status; st != "active" {
		t.Fatalf("after refused PUTs the node is %q; want active", st)
	}
}

// checkOffTheRing checks the view shows id in maintenance, off the ring,
// and the five others sharing all of it.
func checkOffTheRing(t *testing.T, cl *client, id string) {
	t.Helper()
	v := cl.adminCluster()
	total := 0.0
	for _, n := range v.Nodes {
		total += n.RingShare
	}
	n := v.node(id)
	if n.Status != "maintenance" || n.RingPoints != 0 || n.RingShare != 0 || v.Totals.RingNodes != 5 || math.Abs(total-1) > 1e-9 {
		t.Fatalf("node %+v, %d nodes on the ring sharing %v; want it in maintenance, off a ring of 5", n, v.Totals.RingNodes, total)
	}
}

// checkNoNewChunks uploads 20 files and checks none has a chunk on id.
func checkNoNewChunks(t *testing.T, cl *client, id string, firstSeed uint64) {
	t.Helper()
	for seed := firstSeed; seed < firstSeed+20; seed++ {
		file, servers := cl.uploadSmall(seed)
		if servers[id] {
			t.Fatalf("upload %d (%s) put a chunk on node %s, which is in maintenance", seed, file, id)
		}
	}
}

// restartNode stops and starts the node with server id and checks it is
// still in maintenance once it heartbeats again.
func restartNode(t *testing.T, c *harness.Cluster, cl *client, id string) {
	t.Helper()
	addr := cl.adminCluster().node(id).Address
	i := 0
	for i < c.NumNodes() && c.NodeAddr(i) != addr {
		i++
	}
	if i == c.NumNodes() {
		t.Fatalf("no harness node listens on %s", addr)
	}
	if err := c.StopNode(i); err != nil {
		t.Fatal(err)
	}
	stopped := cl.adminCluster().node(id)
	if stopped.Status != "maintenance" {
		t.Fatalf("after the node's shutdown its status is %q; want maintenance", stopped.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.StartNode(ctx, i); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the restarted node heartbeats", func() bool {
		return cl.adminCluster().node(id).LastHeartbeat.After(stopped.LastHeartbeat)
	})
	if st := cl.adminCluster().node(id).Status; st != "maintenance" {
		t.Fatalf("after the node's restart its status is %q; want maintenance", st)
	}
}

// runAdminCLI runs "gateway admin <args>" against the cluster's gateway
// and returns its output.
func runAdminCLI(t *testing.T, c *harness.Cluster, args ...string) string {
	t.Helper()
	bin := filepath.Join(os.Getenv("SIXFOLD_BIN_DIR"), "gateway")
	if binaries != nil {
		bin = binaries.Gateway
	}
	key, secret := c.Credentials()
	cmd := exec.Command(bin, append([]string{"admin"}, append(args, "-url", c.GatewayURL())...)...)
	cmd.Env = append(os.Environ(), "SIXFOLD_ROOT_USER="+key, "SIXFOLD_ROOT_PASSWORD="+secret)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("gateway admin %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	t.Logf("gateway admin %s:\n%s", strings.Join(args, " "), out.String())
	return out.String()
}
