package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"sixfold/e2e/harness"
)

// seedDatabase returns the URL of a fresh, empty database for one test,
// dropped when it ends: on the suite's server when there is one, else on a
// private PostgreSQL.
func seedDatabase(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	server := os.Getenv(harness.EnvTestDatabaseURL)
	if server == "" {
		pg, err := harness.StartPostgres(ctx, t.TempDir(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pg.Stop() })
		server = pg.URL()
	}
	name := harness.UniqueDatabaseName("seed")
	url, err := harness.CreateDatabaseAt(ctx, server, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = harness.DropDatabaseAt(context.Background(), server, name) })
	return url
}

// seedConfig reads the seed design's config.yaml for a binary (the copy
// its config package tests verbatim) and puts this machine's values where
// the seed names its own network and credentials: the gateway's listen
// port (port > 0) and the database server. Nothing else changes. The file
// is readable by its owner only, as a file holding database.password must
// be.
func seedConfig(t *testing.T, testdata, dbURL string, port int) string {
	t.Helper()
	root, err := harness.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, testdata))
	if err != nil {
		t.Fatal(err)
	}
	db, err := pgconn.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, r := range [][2]string{
		{"  port: 8080\n", fmt.Sprintf("  port: %d\n", port)},
		{"  host: postgres\n", "  host: " + db.Host + "\n"},
		{"  port: 5432\n", fmt.Sprintf("  port: %d\n", db.Port)},
		{"  database: s3storage\n", "  database: " + db.Database + "\n"},
		{"  user: s3user\n", "  user: " + db.User + "\n"},
		{"  password: s3password\n", "  password: " + strconv.Quote(db.Password) + "\n"},
	} {
		if port > 0 || !strings.Contains(r[0], "8080") {
			text = strings.Replace(text, r[0], r[1], 1)
		}
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSeedConfigStartsBothBinaries starts the gateway and six nodes from
// the seed design's config.yaml files, with DATABASE_URL blanked so that
// the files' database sections are what reach PostgreSQL, and round-trips
// a file. The harness still gives each node its own port and data
// directory (GRPC_PORT, DATA_DIR), as compose does.
func TestSeedConfigStartsBothBinaries(t *testing.T) {
	dbURL := seedDatabase(t)
	gwPort, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	gwFile := seedConfig(t, "gateway/config/testdata/seed-config.yaml", dbURL, gwPort)
	nodeFile := seedConfig(t, "storagenode/config/testdata/seed-config.yaml", dbURL, 0)
	cl := startCluster(t, harness.Options{
		GatewayAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(gwPort)),
		DatabaseURL: dbURL,
		GatewayEnv:  []string{"SIXFOLD_CONFIG=" + gwFile, "DATABASE_URL="},
		NodeEnv:     []string{"SIXFOLD_CONFIG=" + nodeFile, "DATABASE_URL="},
	})
	c := newClient(t, cl)

	const size = 3<<20 + 12345
	resp, up := c.rawUpload("seed.bin", randomData(77, size), size)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload = %d: %s", resp.StatusCode, readAll(resp))
	}
	if got, n := c.download(up.FileID); got != sha256Of(77, size) || n != size {
		t.Fatalf("download = %d bytes, sha256 %s; want %d, %s", n, got, size, sha256Of(77, size))
	}

	gwLog, err := os.ReadFile(cl.GatewayLogPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"configuration: consistent_hashing.virtual_nodes_per_server is not used",
		"configuration: upload.chunk_size is not used",
	} {
		if !strings.Contains(string(gwLog), want) {
			t.Errorf("gateway log lacks the warning %q", want)
		}
	}
	for i := range cl.NumNodes() {
		nodeLog, err := os.ReadFile(cl.NodeLogPath(i))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(nodeLog), "configuration: ") {
			t.Errorf("%s warns about the seed's file, which has nothing to warn about:\n%s", cl.NodeName(i), nodeLog)
		}
	}

	// database.max_connections and max_idle_connections reach the pool.
	if m := scrapeMetrics(t, cl.GatewayURL()); m.sum("sixfold_gateway_db_pool_max_connections") != 50 {
		t.Errorf("pool max connections = %v; want the seed's 50", m.sum("sixfold_gateway_db_pool_max_connections"))
	}
	eventually(t, 10*time.Second, "the pool keeps the seed's 10 idle connections open", func() bool {
		return scrapeMetrics(t, cl.GatewayURL()).sum("sixfold_gateway_db_pool_total_connections") >= 10
	})
}

// seedHealth is the seed design's /health body, verbatim.
const seedHealth = `{
  "status": "healthy",
  "database": "connected",
  "storage_servers": 6,
  "active_uploads": 3
}`

// healthExtras are the fields /health adds to the seed's, with their JSON
// types: nothing else may appear.
var healthExtras = map[string]reflect.Kind{"storage_servers_total": reflect.Float64}

// getHealth fetches /health and checks it against the seed's body: every
// field of the seed under its name with its JSON type, and no field besides
// healthExtras. It returns the status code and the decoded body.
func getHealth(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(resp)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /health Content-Type %q; want application/json", ct)
	}
	var seed, got map[string]any
	if err := json.Unmarshal([]byte(seedHealth), &seed); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("GET /health body %q: %v", body, err)
	}
	for k, v := range seed {
		if g, ok := got[k]; !ok || reflect.TypeOf(g) != reflect.TypeOf(v) {
			t.Errorf("GET /health %s = %#v; want a %T as in the seed's %s", k, got[k], v, seedHealth)
		}
	}
	for k, v := range got {
		if _, ok := seed[k]; ok {
			continue
		}
		if kind, ok := healthExtras[k]; !ok || reflect.TypeOf(v).Kind() != kind {
			t.Errorf("GET /health has %s = %#v; want only the seed's fields and %v", k, v, healthExtras)
		}
	}
	for _, k := range []string{"storage_servers", "active_uploads", "storage_servers_total"} {
		if n, ok := got[k].(float64); ok && (n < 0 || n != float64(int64(n))) {
			t.Errorf("GET /health %s = %v; want a whole number", k, n)
		}
	}
	return resp.StatusCode, got
}

// TestHealthMatchesTheSeed checks /health word for word against the seed:
// healthy with six nodes, and the two ways of being unhealthy.
func TestHealthMatchesTheSeed(t *testing.T) {
	t.Run("healthy", func(t *testing.T) {
		cl := sharedCluster(t)
		status, got := getHealth(t, cl.GatewayURL())
		if status != http.StatusOK || got["status"] != "healthy" || got["database"] != "connected" ||
			got["storage_servers"] != float64(cl.NumNodes()) || got["storage_servers_total"] != float64(cl.NumNodes()) {
			t.Errorf("GET /health = %d %v; want 200 healthy, connected, %d storage servers", status, got, cl.NumNodes())
		}
	})

	cl := startCluster(t, harness.Options{Nodes: 1, PrivatePostgres: true})
	t.Run("no node active", func(t *testing.T) {
		if err := cl.StopNode(0); err != nil {
			t.Fatal(err)
		}
		var status int
		var got map[string]any
		eventually(t, 10*time.Second, "GET /health answers 503", func() bool {
			status, got = getHealth(t, cl.GatewayURL())
			return status == http.StatusServiceUnavailable
		})
		if got["status"] != "unhealthy" || got["database"] != "connected" || got["storage_servers"] != float64(0) || got["storage_servers_total"] != float64(1) {
			t.Errorf("GET /health with its only node stopped = %v; want unhealthy, connected, 0 of 1", got)
		}
	})
	t.Run("database down", func(t *testing.T) {
		restarted, err := cl.Postgres().StopFor(context.Background(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := <-restarted; err != nil {
				t.Errorf("restarting PostgreSQL: %v", err)
			}
		}()
		status, got := getHealth(t, cl.GatewayURL())
		if status != http.StatusServiceUnavailable || got["status"] != "unhealthy" || got["database"] != "disconnected" {
			t.Errorf("GET /health with PostgreSQL down = %d %v; want 503 unhealthy, disconnected", status, got)
		}
	})
}

// Uploads through either door record the client's address in their upload
// session, the seed's upload_sessions.client_ip.
func TestUploadSessionsRecordTheClient(t *testing.T) {
	e := newS3Env(t, false, nil)
	p := newFaultProbe(t, e.cluster)
	resp, up := newClient(t, e.cluster).rawUpload("client-ip.bin", bytes.NewReader(randomBytes(7301, 5000)), 5000)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /files = %d", resp.StatusCode)
	}
	if n := count(t, p.pool, `SELECT count(*) FROM upload_sessions WHERE file_id = $1 AND client_ip = '127.0.0.1'`, up.FileID); n != 1 {
		t.Errorf("/files upload %s: %d sessions from 127.0.0.1; want 1", up.FileID, n)
	}
	bucket := e.bucket(t, "client-ip")
	e.put(t, bucket, "k", bytes.NewReader(randomBytes(7302, 5000)))
	if n := count(t, p.pool, `SELECT count(*) FROM upload_sessions us
		JOIN object_parts op ON op.file_id = us.file_id JOIN objects o ON o.id = op.object_id
		WHERE o.bucket = $1 AND o.key = 'k' AND us.client_ip = '127.0.0.1'`, bucket); n != 1 {
		t.Errorf("S3 PUT: %d sessions from 127.0.0.1; want 1", n)
	}
}

// TestResetNodeConnectionCostsNothing cuts the link to one node, as a
// restart or a network blip does: the gateway's connection is reset and
// its next connection refused. The next upload reconnects (the refused
// attempt is used up) and still puts that node's shards on it, stored,
// none left for the healer, the bytes whole.
func TestResetNodeConnectionCostsNothing(t *testing.T) {
	t.Parallel()
	cl := startCluster(t, harness.Options{NodeLinks: true})
	c := newClient(t, cl)
	warm := randomBytes(9101, 1<<20)
	if resp, _ := c.rawUpload("warm.bin", bytes.NewReader(warm), int64(len(warm))); resp.StatusCode != http.StatusCreated {
		t.Fatalf("first upload = %d: %s", resp.StatusCode, readAll(resp))
	}
	const victim = 3
	addr := cl.NodeAddr(victim)
	cl.NodeLink(victim).Cut(1)

	data := randomBytes(9102, 3<<20+11)
	resp, up := c.rawUpload("after-cut.bin", bytes.NewReader(data), int64(len(data)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload after the cut = %d: %s", resp.StatusCode, readAll(resp))
	}
	if left := cl.NodeLink(victim).Refused(); left != 0 {
		t.Fatalf("the gateway never dialled %s again during the upload (%d refusal left)", addr, left)
	}
	onVictim := 0
	for _, ch := range c.info(up.FileID).Chunks {
		if ch.Status != "stored" {
			t.Errorf("shard %d on %s is %s; want stored", ch.Number, ch.ServerAddress, ch.Status)
		}
		if ch.ServerAddress == addr {
			onVictim++
		}
	}
	if onVictim == 0 {
		t.Errorf("no shard on %s: the reset connection cost the upload a shard", addr)
	}
	if sha, n := c.download(up.FileID); sha != shaHex(data) || n != int64(len(data)) {
		t.Errorf("download: %d bytes sha %s; want %d bytes %s", n, sha, len(data), shaHex(data))
	}
}
