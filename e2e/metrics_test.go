package e2e_test

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"sixfold/e2e/harness"
)

// TestMetricsCountAKnownSequence drives a fresh gateway through a known
// sequence on /files (3 uploads, 2 downloads, a 404, a 401) and one
// unsigned S3 request, then checks that GET /metrics (open, like /health)
// moved each matching series by exactly that much.
func TestMetricsCountAKnownSequence(t *testing.T) {
	cl := startCluster(t, harness.Options{})
	c := newClient(t, cl)
	before := scrapeMetrics(t, cl.GatewayURL())

	sizes := []int64{1000, 2000, 3000}
	var ids []string
	var bodyOut int64 // response body bytes the /files door sent us
	for i, size := range sizes {
		resp, up := c.rawUpload(fmt.Sprintf("m%d.bin", i), randomData(uint64(500+i), size), size)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %d = %d: %s", i, resp.StatusCode, readAll(resp))
		}
		bodyOut += drainLen(t, resp)
		ids = append(ids, up.FileID)
	}
	for _, id := range ids[:2] {
		_, n := c.download(id)
		bodyOut += n
	}
	bodyOut += expectStatus(t, c.get("/files/"+randomUUID(t)), http.StatusNotFound)
	anonymous, err := http.Get(cl.GatewayURL() + "/files/" + ids[0])
	if err != nil {
		t.Fatal(err)
	}
	bodyOut += expectStatus(t, anonymous, http.StatusUnauthorized)
	s3, err := http.Get(cl.GatewayURL() + "/metrics-e2e-bucket")
	if err != nil {
		t.Fatal(err)
	}
	s3Status := strconv.Itoa(s3.StatusCode)
	drainLen(t, s3)

	want := []metricDelta{
		{"sixfold_gateway_http_requests_total", []string{"route=/files", "method=POST", "status=201"}, 3},
		{"sixfold_gateway_http_requests_total", []string{"route=/files/:id", "method=GET", "status=200"}, 2},
		{"sixfold_gateway_http_requests_total", []string{"route=/files/:id", "method=GET", "status=404"}, 1},
		{"sixfold_gateway_http_requests_total", []string{"route=/files/:id", "method=GET", "status=401"}, 1},
		{"sixfold_gateway_http_requests_total", []string{"route=s3", "method=GET", "status=" + s3Status}, 1},
		{"sixfold_gateway_http_request_duration_seconds_count", []string{"route=/files/:id", "status=200"}, 2},
		{"sixfold_gateway_errors_total", []string{"door=files", "code=NotFound"}, 1},
		{"sixfold_gateway_errors_total", []string{"door=files", "code=Unauthorized"}, 1},
		{"sixfold_gateway_errors_total", []string{"door=s3", "code=" + s3Status}, 1},
		{"sixfold_gateway_uploads_total", []string{"door=files", "result=ok"}, 3},
		{"sixfold_gateway_downloads_total", []string{"result=ok"}, 2},
		{"sixfold_gateway_bytes_in_total", []string{"door=files"}, float64(sizes[0] + sizes[1] + sizes[2])},
		{"sixfold_gateway_bytes_out_total", []string{"door=files"}, float64(bodyOut)},
		// Eight shard writes (six data, two parity) per upload and six
		// frame reads (the data shards) per whole download, over all
		// nodes, each shard small enough to go in WriteChunks and
		// ReadChunks calls (how many calls depends on which shards shared
		// one), and no stream.
		{"sixfold_gateway_node_batched_shards_total", []string{"method=WriteChunks"}, 24},
		{"sixfold_gateway_node_batched_shards_total", []string{"method=ReadChunks"}, 12},
		{"sixfold_gateway_node_request_duration_seconds_count", []string{"method=WriteChunk"}, 0},
		{"sixfold_gateway_node_request_duration_seconds_count", []string{"method=PutChunk"}, 0},
		{"sixfold_gateway_node_request_duration_seconds_count", []string{"method=GetChunk"}, 0},
		{"sixfold_gateway_node_request_errors_total", []string{"method=WriteChunks"}, 0},
		{"sixfold_gateway_node_request_errors_total", []string{"method=ReadChunks"}, 0},
		{"sixfold_gateway_node_request_errors_total", []string{"method=WriteChunk"}, 0},
		{"sixfold_gateway_node_request_errors_total", []string{"method=PutChunk"}, 0},
		{"sixfold_gateway_node_request_errors_total", []string{"method=GetChunk"}, 0},
	}
	// The middleware records a request just after its response is written,
	// so the last request may land a moment after the client has it.
	var after metricScrape
	var diffs []string
	deadline := time.Now().Add(5 * time.Second)
	for {
		after = scrapeMetrics(t, cl.GatewayURL())
		if diffs = compareDeltas(before, after, want); len(diffs) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, d := range diffs {
		t.Error(d)
	}
	checkGauges(t, after)
}

// checkGauges checks the series that are levels, not counts.
func checkGauges(t *testing.T, m metricScrape) {
	t.Helper()
	exact := []metricDelta{
		{"sixfold_gateway_active_uploads", nil, 0},
		{"sixfold_gateway_active_downloads", nil, 0},
		{"sixfold_gateway_ring_nodes", nil, 6},
		{"sixfold_gateway_ring_points", nil, 6 * 150},
	}
	for _, g := range exact {
		if got := m.sum(g.name, g.labels...); got != g.delta {
			t.Errorf("%s = %v; want %v", g.name, got, g.delta)
		}
	}
	for _, name := range []string{
		"sixfold_gateway_db_pool_max_connections", "sixfold_gateway_db_pool_acquires_total",
		"go_goroutines", "process_resident_memory_bytes",
	} {
		if m.sum(name) <= 0 {
			t.Errorf("%s = %v; want > 0", name, m.sum(name))
		}
	}
}

// metricDelta is how much the series of name matching labels ("k=v")
// should have moved, summed over the labels not named.
type metricDelta struct {
	name   string
	labels []string
	delta  float64
}

func compareDeltas(before, after metricScrape, want []metricDelta) []string {
	var diffs []string
	for _, w := range want {
		if got := after.sum(w.name, w.labels...) - before.sum(w.name, w.labels...); got != w.delta {
			diffs = append(diffs, fmt.Sprintf("%s%v moved by %v; want %v", w.name, w.labels, got, w.delta))
		}
	}
	return diffs
}

// metricScrape is one scrape in the Prometheus text format, by metric name.
type metricScrape map[string][]metricSample

type metricSample struct {
	labels map[string]string
	value  float64
}

// sum adds up the samples of name whose labels include every "k=v" given.
func (m metricScrape) sum(name string, labels ...string) float64 {
	var total float64
	for _, s := range m[name] {
		if s.matches(labels) {
			total += s.value
		}
	}
	return total
}

func (s metricSample) matches(labels []string) bool {
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		if s.labels[k] != v {
			return false
		}
	}
	return true
}

// scrapeMetrics fetches /metrics without credentials: it is open by design.
func scrapeMetrics(t *testing.T, base string) metricScrape {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), readAll(resp))
	}
	m, err := parseExposition(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return m
}

// parseExposition reads the text format's samples, skipping comments. It
// is small on purpose: the suite needs no Prometheus client library.
func parseExposition(r io.Reader) (metricScrape, error) {
	m := metricScrape{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", line, err)
		}
		m[name] = append(m[name], s)
	}
	return m, sc.Err()
}

// parseSample parses `name{k="v",...} value [timestamp]`.
func parseSample(line string) (string, metricSample, error) {
	s := metricSample{labels: map[string]string{}}
	end := strings.IndexAny(line, "{ ")
	if end < 0 {
		return "", s, fmt.Errorf("no value")
	}
	name, rest := line[:end], line[end:]
	if strings.HasPrefix(rest, "{") {
		var err error
		if rest, err = parseLabels(rest[1:], s.labels); err != nil {
			return "", s, err
		}
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", s, fmt.Errorf("no value")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	s.value = v
	return name, s, err
}

// parseLabels reads `k="v",...}` into labels and returns what follows.
func parseLabels(rest string, labels map[string]string) (string, error) {
	for {
		rest = strings.TrimLeft(rest, ", ")
		if strings.HasPrefix(rest, "}") {
			return rest[1:], nil
		}
		key, after, ok := strings.Cut(rest, `="`)
		if !ok {
			return "", fmt.Errorf("bad label at %q", rest)
		}
		value, n, err := unquoteLabel(after)
		if err != nil {
			return "", fmt.Errorf("label %q: %w", key, err)
		}
		labels[key] = value
		rest = after[n:]
	}
}

// unquoteLabel reads a label value up to its closing quote, undoing the
// format's three escapes, and returns it with the bytes consumed.
func unquoteLabel(s string) (string, int, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			return b.String(), i + 1, nil
		case s[i] == '\\' && i+1 < len(s):
			i++
			if s[i] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i]) // \\ and \"
			}
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unterminated")
}

// expectStatus checks a response's status and returns its body's length.
func expectStatus(t *testing.T, resp *http.Response, status int) int64 {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s = %d; want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status)
	}
	return drainLen(t, resp)
}

func drainLen(t *testing.T, resp *http.Response) int64 {
	t.Helper()
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func randomUUID(t *testing.T) string {
	t.Helper()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
