package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"sixfold/proto/storagepb"
	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/grpcserver"
	"sixfold/storagenode/internal/nodetest"
	"sixfold/storagenode/metrics"
	"sixfold/storagenode/scrub"
	"sixfold/storagenode/sweep"
)

// scrape GETs /metrics from h over real HTTP and parses the text format.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value returns the value of the sample of family name whose labels
// include want (label, value pairs), failing the test if there is none.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	fam, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	for _, m := range fam.GetMetric() {
		if hasLabels(m, want) {
			return sampleValue(m)
		}
	}
	t.Fatalf("no sample of %s with labels %v", name, want)
	return 0
}

func hasLabels(m *dto.Metric, want []string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for i := 0; i+1 < len(want); i += 2 {
		if got[want[i]] != want[i+1] {
			return false
		}
	}
	return true
}

// sampleValue reads a counter, a gauge, or a histogram's sample count.
func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return m.GetUntyped().GetValue()
}

func TestEndpointAfterScrubAndSweep(t *testing.T) {
	e := nodetest.New(t)
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, e.Store)
	ids := []uuid.UUID{e.PutChunk(t, 100, 0), e.PutChunk(t, 200, 0), e.PutChunk(t, 300, 0)}
	if err := os.WriteFile(e.Path(ids[1]), bytes.Repeat([]byte{'x'}, 200), 0o644); err != nil {
		t.Fatal(err)
	}
	e.PutFile(t, uuid.Nil, 10, 3*time.Hour) // an orphan
	q := e.DB
	if _, err := scrub.New(q, e.Store, scrub.Options{NodeID: e.NodeID, Observer: m}, e.Log).RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	sw := sweep.New(q, e.Store, sweep.Options{NodeID: e.NodeID, MinAge: 2 * time.Hour, Observer: m}, e.Log)
	if _, err := sw.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	beat := time.Now()
	m.HeartbeatDone(beat, nil)

	fams := scrape(t, metrics.Handler(reg))
	st, err := e.Store.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"sixfold_storagenode_chunks":                      float64(st.Chunks),
		"sixfold_storagenode_used_bytes":                  600,
		"sixfold_storagenode_capacity_bytes":              float64(st.CapacityBytes),
		"sixfold_storagenode_scrub_chunks_checked_total":  3,
		"sixfold_storagenode_scrub_corrupt_chunks_total":  1,
		"sixfold_storagenode_scrub_missing_chunks_total":  0,
		"sixfold_storagenode_sweep_orphans_removed_total": 1,
		"sixfold_storagenode_sweep_missing_flagged_total": 0,
		"sixfold_storagenode_heartbeat_up":                1,
	}
	for name, w := range want {
		if got := value(t, fams, name); got != w {
			t.Errorf("%s = %v; want %v", name, got, w)
		}
	}
	if st.Chunks != 3 {
		t.Errorf("store holds %d chunks; want 3 once the orphan is gone", st.Chunks)
	}
	if got := value(t, fams, "sixfold_storagenode_available_bytes"); got <= 0 || got > float64(st.CapacityBytes) {
		t.Errorf("available_bytes = %v; want in (0, capacity]", got)
	}
	if got := value(t, fams, "sixfold_storagenode_heartbeat_last_success_timestamp_seconds"); got != float64(beat.UnixNano())/1e9 {
		t.Errorf("heartbeat_last_success_timestamp_seconds = %v; want %v", got, beat.Unix())
	}
	for _, op := range metrics.IOOps {
		value(t, fams, "sixfold_storagenode_io_errors_total", "op", op)
	}
	value(t, fams, "go_goroutines")
	value(t, fams, "process_resident_memory_bytes")
}

func TestHeartbeatDown(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, fakeStats{})
	m.HeartbeatDone(time.Unix(1000, 0), nil)
	m.HeartbeatDone(time.Unix(2000, 0), context.DeadlineExceeded)
	fams := scrape(t, metrics.Handler(reg))
	if got := value(t, fams, "sixfold_storagenode_heartbeat_up"); got != 0 {
		t.Errorf("heartbeat_up = %v after a failure; want 0", got)
	}
	if got := value(t, fams, "sixfold_storagenode_heartbeat_last_success_timestamp_seconds"); got != 1000 {
		t.Errorf("last success = %v; want 1000 (the failure does not move it)", got)
	}
}

// fakeStats is a StatsSource with fixed numbers.
type fakeStats struct{}

func (fakeStats) Stats() (chunkstore.Stats, error) {
	return chunkstore.Stats{Chunks: 7, UsedBytes: 70, CapacityBytes: 1000, AvailableBytes: 500}, nil
}

func TestGRPCLatencyAndBytes(t *testing.T) {
	store, err := chunkstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, store)
	client := serveGRPC(t, store, m)
	ctx := context.Background()
	id, data := uuid.NewString(), bytes.Repeat([]byte("chunk"), 1000)
	put(t, client, id, data)
	if n := get(t, client, id); n != len(data) {
		t.Fatalf("GetChunk returned %d bytes; want %d", n, len(data))
	}
	if _, err := client.DeleteChunk(ctx, &storagepb.DeleteChunkRequest{ChunkId: "not-a-uuid"}); err == nil {
		t.Fatal("DeleteChunk of a bad id succeeded")
	}
	fams := scrape(t, metrics.Handler(reg))
	const rpc = "sixfold_storagenode_grpc_request_duration_seconds"
	const svc = "/sixfold.storage.v1.StorageService/"
	for _, c := range []struct{ method, code string }{
		{"PutChunk", "OK"}, {"GetChunk", "OK"}, {"DeleteChunk", "InvalidArgument"},
	} {
		if got := value(t, fams, rpc, "method", svc+c.method, "code", c.code); got != 1 {
			t.Errorf("%s{%s,%s} count = %v; want 1", rpc, c.method, c.code, got)
		}
	}
	if got := value(t, fams, "sixfold_storagenode_chunk_bytes_written_total"); got != float64(len(data)) {
		t.Errorf("bytes written = %v; want %d", got, len(data))
	}
	if got := value(t, fams, "sixfold_storagenode_chunk_bytes_read_total"); got != float64(len(data)) {
		t.Errorf("bytes read = %v; want %d", got, len(data))
	}
	if got := value(t, fams, "sixfold_storagenode_chunks"); got != 1 {
		t.Errorf("chunks = %v; want 1", got)
	}
}

// serveGRPC serves store over an in-memory listener with m's interceptors.
func serveGRPC(t *testing.T, store *chunkstore.Store, m *metrics.Metrics) storagepb.StorageServiceClient {
	t.Helper()
	svc := grpcserver.New(store, zerolog.New(zerolog.NewTestWriter(t)), grpcserver.WithObserver(m))
	gs := grpcserver.NewServer(svc, m.ServerOptions()...)
	lis := bufconn.Listen(1 << 20)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return storagepb.NewStorageServiceClient(conn)
}

func put(t *testing.T, c storagepb.StorageServiceClient, id string, data []byte) {
	t.Helper()
	stream, err := c.PutChunk(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msg := &storagepb.PutChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: id, ExpectedSize: int64(len(data))}, Data: data}
	if err := stream.Send(msg); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.CloseAndRecv(); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, c storagepb.StorageServiceClient, id string) int {
	t.Helper()
	stream, err := c.GetChunk(context.Background(), &storagepb.GetChunkRequest{ChunkId: id})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		n += len(msg.GetData())
	}
}
