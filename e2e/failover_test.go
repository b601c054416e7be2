package e2e_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sixfold/e2e/harness"
)

// TestFailoverPostgresPrimaryKilled runs two gateways and six nodes on a
// PostgreSQL primary with a synchronous streaming standby, every process
// holding a connection string that names both (target_session_attrs=
// read-write). Under uploads and reads through both gateways the primary is
// killed outright (every postgres process, SIGKILL) and the standby
// promoted with pg_ctl promote, as Patroni would. Nothing is restarted or
// reconfigured. Every request meanwhile either succeeds or gets a 503 with
// Retry-After; no read returns wrong bytes; every upload acknowledged before,
// during or after the switch reads back byte for byte from the new primary;
// the nodes heartbeat into it; nothing leaks.
func TestFailoverPostgresPrimaryKilled(t *testing.T) {
	cl := startCluster(t, harness.Options{
		Standby: true, Gateways: 2, HeartbeatInterval: time.Second,
		SessionTimeout: 5 * time.Second, CleanupInterval: time.Second,
	})
	clients := []*client{newClient(t, cl), newClient(t, cl)}
	clients[1].base = cl.GatewayURLAt(1)
	p := newFaultProbe(t, cl)
	files := faultUploadSet(t, clients[0], 70, 1000, 256<<10, 1<<20+3, 6<<20+5)
	ids := slices.Sorted(maps.Keys(files))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &faultLog{}
	acked := &ackedUploads{files: map[string]faultFile{}}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { failoverTraffic(ctx, clients[w%2], w, files, ids, log, acked) })
	}
	time.Sleep(3 * time.Second)
	cl.Postgres().Kill()
	killed := time.Now()
	// Patroni notices a dead leader after its loop_wait/ttl; a second here.
	time.Sleep(time.Second)
	if err := cl.Standby().Promote(context.Background()); err != nil {
		t.Fatalf("promote: %v", err)
	}
	promoted := time.Now()
	time.Sleep(10 * time.Second)
	cancel()
	wg.Wait()

	during, after := log.split(killed, promoted, promoted.Add(5*time.Second))
	unavailable := 0
	for _, r := range log.calls {
		if r.ok {
			continue
		}
		unavailable++
		if problem := faultErrorProblem(r.faultResult, http.StatusServiceUnavailable, "MetadataUnavailable"); problem != "" {
			t.Errorf("%s %s after the kill: %s\n%s", r.op, r.started.Sub(killed).Round(time.Millisecond), problem,
				strings.Join(failoverLogLines(cl, r.requestID), "\n"))
		} else if r.retryAfter == "" {
			t.Errorf("%s: 503 without Retry-After", r.op)
		}
	}
	for _, r := range after {
		if !r.ok {
			t.Errorf("%s %s after the promotion = %d (err %v); want success", r.op, r.started.Sub(promoted).Round(time.Millisecond), r.status, r.err)
		}
	}
	if bad := log.wrong(); len(bad) > 0 {
		t.Errorf("reads with a 200 but wrong bytes: %v", bad)
	}
	if len(during) == 0 || len(after) == 0 || acked.during(promoted, time.Now()) == 0 {
		t.Fatalf("%d requests between kill and promotion, %d after; want some of each and uploads acknowledged after the switch; the calls in flight across the kill:\n%s",
			len(during), len(after), strings.Join(log.spanning(killed, cl), "\n"))
	}
	back := log.firstSuccessAfter(killed)
	t.Logf("primary killed, standby promoted %s later: %d requests, %d answered 503 with Retry-After, first success %s after the kill (%s after the promotion); %d uploads acknowledged",
		promoted.Sub(killed).Round(time.Millisecond), len(log.calls), unavailable, back.Round(time.Millisecond),
		(back - promoted.Sub(killed)).Round(time.Millisecond), len(acked.files))

	if in, err := cl.Standby().InRecovery(context.Background()); err != nil || in {
		t.Fatalf("promoted standby in recovery = %v, %v", in, err)
	}
	maps.Copy(files, acked.files)
	for _, c := range clients {
		faultCheckSet(t, c, files)
	}
	eventually(t, 15*time.Second, "every node heartbeats into the new primary", func() bool {
		return count(t, p.pool, `SELECT count(*) FROM storage_servers WHERE status = 'active' AND last_heartbeat > $1`, promoted) == cl.NumNodes()
	})
	p.settle(t, 30*time.Second)
}

// failoverLogLines are both gateways' log lines that mention the request id.
func failoverLogLines(cl *harness.Cluster, id string) []string {
	var lines []string
	for i := range cl.NumGateways() {
		raw, _ := os.ReadFile(cl.GatewayLogPathAt(i))
		for _, line := range strings.Split(string(raw), "\n") {
			if id != "" && strings.Contains(line, id) || strings.Contains(line, `"level":"error"`) {
				lines = append(lines, line)
			}
		}
	}
	return lines
}

// ackedUploads are the uploads that got their 201, by file id, and when.
type ackedUploads struct {
	mu    sync.Mutex // protects files and at
	files map[string]faultFile
	at    []time.Time
}

func (a *ackedUploads) add(id string, f faultFile) {
	a.mu.Lock()
	a.files[id] = f
	a.at = append(a.at, time.Now())
	a.mu.Unlock()
}

// during counts the uploads acknowledged between from and to.
func (a *ackedUploads) during(from, to time.Time) int {
	n := 0
	for _, at := range a.at {
		if at.After(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// failoverTraffic alternates uploads and reads of known files until ctx
// ends, as faultTraffic does, and keeps every acknowledged upload.
func failoverTraffic(ctx context.Context, c *client, worker int, files map[string]faultFile, ids []string, log *faultLog, acked *ackedUploads) {
	for i := 0; ctx.Err() == nil; i++ {
		call := faultCall{started: time.Now()}
		if (worker+i)%2 == 0 {
			seed, size := uint64(20000+worker*1000+i), int64(64<<10+i*1000)
			call.op = fmt.Sprintf("upload %d bytes via %s", size, c.base)
			call.faultResult = faultUpload(c, 20*time.Second, "raw", "f.bin", randomData(seed, size), size)
			call.ok = call.status == http.StatusCreated && call.up.Checksum == sha256Of(seed, size)
			if call.ok {
				acked.add(call.up.FileID, faultFile{sha: call.up.Checksum, size: size})
			}
		} else {
			id := ids[(worker+i)%len(ids)]
			call.op = "GET /files/" + id + " via " + c.base
			call.faultResult = faultDo(c, 20*time.Second, http.MethodGet, "/files/"+id, nil, 0)
			call.ok = call.status == http.StatusOK && call.err == nil && call.sha == files[id].sha
			call.wrong = call.status == http.StatusOK && call.err == nil && call.n == files[id].size && call.sha != files[id].sha
		}
		log.add(call)
		time.Sleep(50 * time.Millisecond)
	}
}
