package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"sixfold/e2e/harness"
)

// TestScaleOutTwoGateways runs two gateways over one database and the same
// nodes: writes and deletes race on a few keys through both, reads go
// through both, and every read must be one whole version that some writer
// sent. Then a node put in maintenance through gateway A must leave gateway
// B's ring by LISTEN/NOTIFY, not by its (here ten-minute) periodic refresh.
func TestScaleOutTwoGateways(t *testing.T) {
	c := startCluster(t, harness.Options{Gateways: 2, RingRefreshInterval: 10 * time.Minute})
	checkDeletionsOnce(t, c)
	key, secret := c.Credentials()
	clients := make([]*s3.Client, 2)
	for i := range clients {
		clients[i] = newGoV2Client(t, &s3Env{url: c.GatewayURLAt(i), key: key, secret: secret})
	}
	ctx := t.Context()
	bucket := bucketName("scaleout")
	if _, err := clients[0].CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}

	keys := []string{"k0", "k1", "k2"}
	var mu sync.Mutex
	written := map[string]map[string]bool{} // key -> SHA-256 of every body sent for it
	for _, k := range keys {
		written[k] = map[string]bool{}
	}
	var reads, wholeReads, writes, deletes int
	var wrong []string
	stop := time.Now().Add(6 * time.Second)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() { // writer through gateway w
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := 0; time.Now().Before(stop); i++ {
				k := keys[rng.IntN(len(keys))]
				if rng.IntN(5) == 0 {
					if _, err := clients[w].DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
						t.Errorf("delete %s via gateway %d: %v", k, w, err)
						return
					}
					mu.Lock()
					deletes++
					mu.Unlock()
					continue
				}
				body := randomBytes(uint64(w)<<32|uint64(i), int64(1+rng.IntN(20<<10)))
				mu.Lock()
				written[k][sum(body)] = true // before the PUT: a reader may see it at once
				mu.Unlock()
				if _, err := clients[w].PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: bytes.NewReader(body)}); err != nil {
					t.Errorf("put %s via gateway %d: %v", k, w, err)
					return
				}
				mu.Lock()
				writes++
				mu.Unlock()
			}
		})
		wg.Go(func() { // reader through the other gateway
			r := clients[1-w]
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			for time.Now().Before(stop) {
				k := keys[rng.IntN(len(keys))]
				out, err := r.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
				if s3Code(err) == "NoSuchKey" {
					continue
				}
				if err != nil {
					t.Errorf("get %s via gateway %d: %v", k, 1-w, err)
					return
				}
				body, err := io.ReadAll(out.Body)
				out.Body.Close()
				mu.Lock()
				reads++
				if err != nil || !written[k][sum(body)] {
					wrong = append(wrong, fmt.Sprintf("%s: %d bytes (%v) not a written version", k, len(body), err))
				} else {
					wholeReads++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("two gateways: %d writes, %d deletes, %d reads of a whole written version", writes, deletes, wholeReads)
	if len(wrong) > 0 {
		t.Fatalf("%d reads returned bytes no writer sent: %s", len(wrong), strings.Join(wrong[:min(5, len(wrong))], "; "))
	}
	if reads == 0 || writes == 0 {
		t.Fatalf("the load did nothing: %d reads, %d writes", reads, writes)
	}

	// Both gateways agree on the final state, byte for byte.
	for _, k := range keys {
		var got [2]string
		for g := range 2 {
			out, err := clients[g].GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
			if s3Code(err) == "NoSuchKey" {
				got[g] = "absent"
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(out.Body)
			out.Body.Close()
			got[g] = sum(body)
			if !written[k][got[g]] {
				t.Fatalf("%s via gateway %d: bytes no writer sent", k, g)
			}
		}
		if got[0] != got[1] {
			t.Fatalf("%s: gateway 0 serves %s, gateway 1 %s", k, got[0], got[1])
		}
	}
	checkNoLeakNoLoss(t, c)
	checkRingNotify(t, c)
}

// checkDeletionsOnce uploads through gateway 0 and deletes through gateway
// 1 while both gateways' deletion jobs run: each shard must be deleted on
// its node exactly once, counted by the gateways' DeleteChunk calls.
func checkDeletionsOnce(t *testing.T, c *harness.Cluster) {
	t.Helper()
	a, b := newClient(t, c), newClient(t, c)
	b.base = c.GatewayURLAt(1)
	pool := poolFor(t, c.DatabaseURL())
	before := deleteCalls(t, c)
	const blobs = 12
	var ids []string
	for seed := range uint64(blobs) {
		id, _ := a.uploadSmall(seed)
		ids = append(ids, id)
	}
	shards := count(t, pool, `SELECT count(*) FROM chunks`)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			if code := b.delete(id); code != http.StatusNoContent && code != http.StatusOK {
				t.Errorf("delete %s via gateway 1 = %d", id, code)
			}
		})
	}
	wg.Wait()
	eventually(t, 30*time.Second, "the deletion queue empties", func() bool {
		return count(t, pool, `SELECT count(*) FROM chunk_deletions`) == 0
	})
	time.Sleep(2 * time.Second) // a second, late claim would land by now
	calls := deleteCalls(t, c) - before
	t.Logf("%d shards deleted with %d DeleteChunk calls over two gateways", shards, calls)
	if calls != shards {
		t.Fatalf("%d DeleteChunk calls for %d shards: a deletion was done twice or not at all", calls, shards)
	}
}

// deleteCalls sums the DeleteChunk calls both gateways have made to nodes
// (their gRPC client metrics).
func deleteCalls(t *testing.T, c *harness.Cluster) int {
	t.Helper()
	total := 0
	for i := range c.NumGateways() {
		resp, err := http.Get(c.GatewayURLAt(i) + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(resp.Body) // readAll stops at 4 KiB
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "sixfold_gateway_node_request_duration_seconds_count{") && strings.Contains(line, "DeleteChunk") {
				var n float64
				fmt.Sscanf(line[strings.LastIndex(line, " ")+1:], "%g", &n)
				total += int(n)
			}
		}
	}
	return total
}

// checkNoLeakNoLoss: every stored shard row has its file on its node (lost
// 0), and every file on a node is a shard row or queued for deletion
// (leaked 0: the retired blobs wait out their grace period in the queue).
func checkNoLeakNoLoss(t *testing.T, c *harness.Cluster) {
	t.Helper()
	pool := poolFor(t, c.DatabaseURL())
	files := chunkFiles(t, c)
	known := map[string]bool{}
	rows, err := pool.Query(context.Background(), `SELECT id::text, status = 'stored' FROM chunks UNION ALL SELECT chunk_id::text, false FROM chunk_deletions`)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for rows.Next() {
		var id string
		var stored bool
		if err := rows.Scan(&id, &stored); err != nil {
			t.Fatal(err)
		}
		known[id] = true
		if _, ok := files[id]; stored && !ok {
			lost++
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	leaked := 0
	for f := range files {
		if !known[strings.TrimSuffix(f, ".chunk")] {
			leaked++
		}
	}
	t.Logf("shard files %d, rows+queued %d: lost %d, leaked %d", len(files), len(known), lost, leaked)
	if lost != 0 || leaked != 0 {
		t.Fatalf("lost %d, leaked %d", lost, leaked)
	}
}

// checkRingNotify puts a node in maintenance through gateway 0 and waits
// for gateway 1's ring to shrink. Its periodic refresh is ten minutes, so
// only the notification can do it.
func checkRingNotify(t *testing.T, c *harness.Cluster) {
	t.Helper()
	a := newClient(t, c)
	target := a.adminCluster().Nodes[0].ID
	start := time.Now()
	if code, body := a.setNodeStatus(target, `{"status":"maintenance"}`); code != http.StatusOK {
		t.Fatalf("PUT maintenance via gateway 0 = %d: %s", code, body)
	}
	eventually(t, 10*time.Second, "gateway 1's ring drops the node", func() bool {
		return ringNodes(t, c, 1) == 5
	})
	t.Logf("ring change reached gateway 1 in %s", time.Since(start).Round(time.Millisecond))
}

// ringNodes is the node count of the last ring rebuild in gateway i's log.
func ringNodes(t *testing.T, c *harness.Cluster, i int) int {
	raw, err := os.ReadFile(c.GatewayLogPathAt(i))
	if err != nil {
		t.Fatal(err)
	}
	n := -1
	for _, line := range strings.Split(string(raw), "\n") {
		var entry struct {
			Nodes   int    `json:"nodes"`
			Message string `json:"message"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Message == "placement ring rebuilt" {
			n = entry.Nodes
		}
	}
	return n
}
