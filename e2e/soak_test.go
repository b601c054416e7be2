package e2e_test

// The soak: eight writers and eight readers with mixed sizes for a minute,
// one storage node killed (kill -9) and restarted in the middle, writers
// deleting some of their files. Afterwards every acknowledged object reads
// back with its checksum, and nothing of a deleted or unacknowledged
// object is left anywhere.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sixfold/e2e/harness"
)

// Soak durations: the default, SIXFOLD_SOAK=short, or SIXFOLD_SOAK=<Go
// duration> (e.g. 10m) for a longer run.
const (
	soakDefault = 60 * time.Second
	soakShort   = 20 * time.Second
)

const (
	soakWriters, soakReaders = 8, 8
	soakMinSize, soakMaxSize = 1 << 10, 64 << 20
	soakDeleteRatio          = 0.25 // of successful uploads, how often the writer then deletes one of its files
	soakSeed                 = 20260601
)

func soakDuration(t *testing.T) time.Duration {
	switch v := os.Getenv("SIXFOLD_SOAK"); {
	case v == "short" || (v == "" && testing.Short()):
		return soakShort
	case v == "":
		return soakDefault
	default:
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("SIXFOLD_SOAK=%q: want short or a duration such as 5m", v)
		}
		return d
	}
}

func TestSoakMixedTrafficWithNodeCrash(t *testing.T) {
	d := soakDuration(t)
	cl := startCluster(t, harness.Options{
		HeartbeatInterval: time.Second, HeartbeatTimeout: 3 * time.Second, RingRefreshInterval: 2 * time.Second,
		SessionTimeout: 10 * time.Second, CleanupInterval: time.Second,
	})
	c := newClient(t, cl)
	p := newFaultProbe(t, cl)
	s := &soak{c: c, live: map[string]faultFile{}, failures: map[string]int{}}
	s.nextSeed.Store(20000)

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	for w := range soakWriters {
		wg.Go(func() { s.write(ctx, w) })
	}
	for r := range soakReaders {
		wg.Go(func() { s.read(ctx, r) })
	}
	const victim = 2
	chaos := s.crashNode(ctx, cl, victim, d/3, d/2)
	wg.Wait()
	if err := <-chaos; err != nil {
		t.Fatalf("node crash and restart: %v", err)
	}
	t.Logf("traffic done after %s; %s killed at %s and started again at %s", d, cl.NodeName(victim), (d / 3).Round(time.Millisecond), d/2)

	s.resolveUncertain(t)
	lost := s.verify(t)
	settled := faultRetry(2*time.Minute, func() bool { return p.leftovers(t) == "" })
	leaked, leakNote := s.leaks(t, p)

	t.Logf("soak %s: acknowledged %d, failed %d %v, deleted %d, lost %d, leaked %d; reads ok %d, failed %d, wrong %d, gone %d; %d MiB written, %d MiB read",
		d, s.acked.Load(), s.failed.Load(), s.failureSummary(), s.deleted.Load(), lost, leaked,
		s.readsOK.Load(), s.readsFailed.Load(), s.readsWrong.Load(), s.readsGone.Load(), s.bytesUp.Load()>>20, s.bytesDown.Load()>>20)
	if odd := s.failureSummary(); len(s.oddIDs) > 0 || odd["error"] > 0 {
		// A node failing mid-upload must cost the client a retryable 503,
		// nothing else (ARCHITECTURE.md, Upload step 4).
		t.Errorf("upload failures %v include answers other than 503; gateway log of them:\n%s", odd, strings.Join(faultLogLines(cl, s.oddIDs...), "\n"))
	}
	if lost != 0 {
		t.Errorf("lost %d acknowledged objects; want 0", lost)
	}
	if leaked != 0 {
		t.Errorf("leaked %d (%s); want 0", leaked, leakNote)
	}
	// With parity a node down costs readers nothing (issue 8).
	if n := s.readsFailed.Load(); n != 0 {
		s.mu.Lock()
		ids, what := s.failedReadIDs, s.failedReads
		s.mu.Unlock()
		t.Errorf("%d reads failed while a node was down; want 0:\n%s\ngateway log of them:\n%s", n, strings.Join(what, "\n"), strings.Join(faultLogLines(cl, ids...), "\n"))
	}
	if n := s.readsWrong.Load(); n != 0 {
		t.Errorf("%d reads returned 200 and a whole body with the wrong bytes; want 0", n)
	}
	if !settled {
		t.Errorf("background jobs did not settle within 2m: %s", p.leftovers(t))
	}
	if s.acked.Load() == 0 || s.readsOK.Load() == 0 {
		t.Errorf("the soak did no useful work: %d acknowledged, %d good reads", s.acked.Load(), s.readsOK.Load())
	}
}

// soak is the shared state of the writers and readers.
type soak struct {
	c        *client
	nextSeed atomic.Uint64 // data seeds; randomData keys on the low 16 bits

	mu        sync.Mutex           // protects the fields below
	live      map[string]faultFile // acknowledged and not deleted
	deletedID []string             // acknowledged, then deleted (204)
	uncertain []string             // a DELETE whose outcome is unknown
	failures  map[string]int       // upload failures by status (or "error")
	oddIDs    []string             // request ids of failures other than 503
	// failedReadIDs are the request ids of failed reads, for their log lines.
	failedReadIDs []string
	failedReads   []string // what each failed read got
	lostNow       []string // found missing during the run

	acked, failed, deleted           atomic.Int64
	readsOK, readsFailed, readsWrong atomic.Int64
	readsGone                        atomic.Int64
	bytesUp, bytesDown               atomic.Int64
}

// soakSize is log-uniform in [soakMinSize, soakMaxSize].
func soakSize(rng *rand.Rand) int64 {
	lo, hi := math.Log(soakMinSize), math.Log(soakMaxSize)
	return int64(math.Exp(lo + rng.Float64()*(hi-lo)))
}

func (s *soak) write(ctx context.Context, w int) {
	rng := rand.New(rand.NewPCG(soakSeed, uint64(w)))
	var mine []string
	for ctx.Err() == nil {
		seed, size := s.nextSeed.Add(1), soakSize(rng)
		door := "raw"
		if rng.IntN(2) == 0 {
			door = "form"
		}
		h := sha256.New()
		r := faultUpload(s.c, 5*time.Minute, door, fmt.Sprintf("soak-%d.bin", seed), io.TeeReader(randomData(seed, size), h), size)
		sha := hex.EncodeToString(h.Sum(nil))
		if r.status != http.StatusCreated {
			s.failed.Add(1)
			s.noteFailure(r)
			continue
		}
		s.acked.Add(1)
		s.bytesUp.Add(size)
		s.mu.Lock()
		s.live[r.up.FileID] = faultFile{sha: sha, size: size}
		if r.up.Checksum != sha || r.up.Size != size {
			// Acknowledged with the wrong content: verify counts it lost.
			s.live[r.up.FileID] = faultFile{sha: "acknowledged " + r.up.Checksum + " for " + sha, size: size}
		}
		s.mu.Unlock()
		mine = append(mine, r.up.FileID)
		if rng.Float64() < soakDeleteRatio && len(mine) > 0 {
			i := rng.IntN(len(mine))
			id := mine[i]
			mine = append(mine[:i], mine[i+1:]...)
			s.remove(id)
		}
	}
}

func (s *soak) noteFailure(r faultResult) {
	key := fmt.Sprint(r.status)
	if r.status == 0 {
		key = "error"
	}
	s.mu.Lock()
	s.failures[key]++
	if r.status != http.StatusServiceUnavailable {
		s.oddIDs = append(s.oddIDs, r.requestID)
	}
	s.mu.Unlock()
}

func (s *soak) remove(id string) {
	r := faultDo(s.c, time.Minute, http.MethodDelete, "/files/"+id, nil, 0)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.status {
	case http.StatusNoContent:
		delete(s.live, id)
		s.deletedID = append(s.deletedID, id)
		s.deleted.Add(1)
	case http.StatusNotFound:
		// Nobody else deletes this writer's files: it was lost.
		s.lostNow = append(s.lostNow, id)
		delete(s.live, id)
	default:
		delete(s.live, id)
		s.uncertain = append(s.uncertain, id)
	}
}

func (s *soak) pick(rng *rand.Rand) (string, faultFile, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.live) == 0 {
		return "", faultFile{}, false
	}
	n := rng.IntN(len(s.live))
	for id, f := range s.live {
		if n == 0 {
			return id, f, true
		}
		n--
	}
	return "", faultFile{}, false
}

func (s *soak) read(ctx context.Context, r int) {
	rng := rand.New(rand.NewPCG(soakSeed+1, uint64(r)))
	for ctx.Err() == nil {
		id, f, ok := s.pick(rng)
		if !ok {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		g := faultDo(s.c, 5*time.Minute, http.MethodGet, "/files/"+id, nil, 0)
		if g.status == 0 && g.n == 0 {
			// No response at all: a kept-alive connection the server closed
			// as it was reused. Clients retry that; so does the soak, once.
			g = faultDo(s.c, 5*time.Minute, http.MethodGet, "/files/"+id, nil, 0)
		}
		switch {
		case g.status == http.StatusOK && g.err == nil && g.sha == f.sha:
			s.readsOK.Add(1)
			s.bytesDown.Add(g.n)
		case g.status == http.StatusOK && g.err == nil && g.n == f.size:
			s.readsWrong.Add(1)
		case g.status == http.StatusNotFound:
			s.readsGone.Add(1) // deleted by a writer meanwhile
		default:
			s.readsFailed.Add(1)
			s.mu.Lock()
			s.failedReadIDs = append(s.failedReadIDs, g.requestID)
			s.failedReads = append(s.failedReads, fmt.Sprintf("GET %s: status %d, %d of %d bytes, err %v, request %q", id, g.status, g.n, f.size, g.err, g.requestID))
			s.mu.Unlock()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// crashNode kills node i at killAt and starts it again at startAt.
func (s *soak) crashNode(ctx context.Context, cl *harness.Cluster, i int, killAt, startAt time.Duration) <-chan error {
	done := make(chan error, 1)
	begin := time.Now()
	go func() {
		time.Sleep(killAt)
		if err := cl.KillNode(i); err != nil {
			done <- err
			return
		}
		time.Sleep(startAt - time.Since(begin))
		startCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		done <- cl.StartNode(startCtx, i)
	}()
	return done
}

// resolveUncertain settles DELETEs whose answer was lost: 404 now means
// deleted, 200 means the object is still live.
func (s *soak) resolveUncertain(t *testing.T) {
	for _, id := range s.uncertain {
		var r faultResult
		faultRetry(30*time.Second, func() bool {
			r = faultDo(s.c, time.Minute, http.MethodGet, "/files/"+id+"/info", nil, 0)
			return r.status == http.StatusOK || r.status == http.StatusNotFound
		})
		switch r.status {
		case http.StatusNotFound:
			s.deletedID = append(s.deletedID, id)
			s.deleted.Add(1)
		case http.StatusOK:
			if code := s.c.delete(id); code != http.StatusNoContent {
				t.Errorf("DELETE %s (retrying an uncertain delete) = %d", id, code)
			}
			s.deletedID = append(s.deletedID, id)
			s.deleted.Add(1)
		default:
			t.Errorf("cannot tell whether %s was deleted: GET info = %d", id, r.status)
		}
	}
}

// verify reads every live object back and returns how many were lost.
func (s *soak) verify(t *testing.T) int {
	lost := len(s.lostNow)
	for _, id := range s.lostNow {
		t.Errorf("acknowledged object %s answered DELETE with 404: it was lost", id)
	}
	for id, f := range s.live {
		var r faultResult
		ok := faultRetry(30*time.Second, func() bool {
			r = faultDo(s.c, 5*time.Minute, http.MethodGet, "/files/"+id, nil, 0)
			return r.status != http.StatusServiceUnavailable && r.err == nil
		})
		if !ok || r.status != http.StatusOK || r.sha != f.sha || r.n != f.size {
			lost++
			t.Errorf("acknowledged object %s reads back %d, %d bytes sha256 %s (err %v); want 200, %d bytes %s", id, r.status, r.n, r.sha, r.err, f.size, f.sha)
		}
	}
	return lost
}

// leaks counts what is stored but belongs to no live acknowledged object:
// file rows, and chunk files on the nodes' disks.
func (s *soak) leaks(t *testing.T, p *faultProbe) (int, string) {
	liveChunks := map[string]bool{}
	var extraFiles []string
	rows, err := p.pool.Query(context.Background(), `SELECT f.id::text, c.id::text FROM files f JOIN chunks c ON c.file_id = f.id`)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for rows.Next() {
		var file, chunk string
		if err := rows.Scan(&file, &chunk); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.live[file]; ok {
			liveChunks[chunk] = true
		} else if !seen[file] {
			seen[file] = true
			extraFiles = append(extraFiles, file)
		}
	}
	rows.Close()
	var strayChunks []string
	for id := range chunkFiles(t, p.cl) {
		if !liveChunks[id] {
			strayChunks = append(strayChunks, id)
		}
	}
	sort.Strings(extraFiles)
	sort.Strings(strayChunks)
	var notes []string
	if len(extraFiles) > 0 {
		notes = append(notes, fmt.Sprintf("%d file rows of no live acknowledged object, e.g. %s", len(extraFiles), extraFiles[0]))
	}
	if len(strayChunks) > 0 {
		notes = append(notes, fmt.Sprintf("%d chunk files of no live acknowledged object, e.g. %s", len(strayChunks), strayChunks[0]))
	}
	return len(extraFiles) + len(strayChunks), strings.Join(notes, "; ")
}

func (s *soak) failureSummary() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.failures {
		out[k] = v
	}
	return out
}
