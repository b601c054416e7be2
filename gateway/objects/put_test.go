package objects_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/uuid"

	"sixfold/gateway/objects"
	"sixfold/proto/storagepb"
)

// roundTripSizes are the sizes where the stripe arithmetic changes.
var roundTripSizes = []struct {
	name string
	size int
}{
	{"empty", 0},
	{"one byte", 1},
	{"block-1", testBlock - 1},
	{"block", testBlock},
	{"block+1", testBlock + 1},
	{"stripe-1", testStripe - 1},
	{"stripe", testStripe},
	{"stripe+1", testStripe + 1},
	{"three stripes and a short one", 3*testStripe + 5000},
}

// TestWrites runs the write tests on one cluster and database: each
// costs seconds to set up on a loaded machine, and each case below
// checks only what its own Put did.
func TestWrites(t *testing.T) {
	e := newEnv(t, 8)
	t.Run("round trip", func(t *testing.T) { testRoundTrip(t, e) })
	t.Run("bad bodies", func(t *testing.T) { testBadBodies(t, e) })
	t.Run("one shard lost", func(t *testing.T) { testOneShardLost(t, e) })
	t.Run("below quorum", func(t *testing.T) { testBelowQuorum(t, e) })
	t.Run("dropped call retried", func(t *testing.T) { testDroppedCallRetried(t, e) })
	t.Run("no checksum asked", func(t *testing.T) { testNoChecksum(t, e) })
	t.Run("small writes batched per node", func(t *testing.T) { testBatchedWrites(t, e) })
	t.Run("a node's shards of one upload in one call", func(t *testing.T) { testShardsOfANodeTogether(t, e) })
}

// The S3 door, which needs no SHA-256 (NoChecksum), gets a blob without
// one (the schema allows that of S3 blobs only), unless the digest came
// with the body (KnownSHA256), which is then recorded: on both write
// paths, and the bytes read back either way.
func testNoChecksum(t *testing.T, e *env) {
	s := e.service(2)
	for _, size := range []int{testStripe - 5, 2*testStripe + 77} {
		for _, known := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d bytes/known=%v", size, known), func(t *testing.T) {
				data := payload(size, uint64(size)+7)
				sum := sha256.Sum256(data)
				in := putInput(data, true)
				in.NoChecksum, in.Owner = true, "s3"
				want := ""
				if known {
					in.KnownSHA256 = func() []byte { return sum[:] }
					want = hex.EncodeToString(sum[:])
				}
				b, err := s.Put(context.Background(), in)
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				got := e.stat(t, s, b.ID)
				if got.Status != objects.BlobCompleted || got.Checksum != want {
					t.Errorf("Stat = %s, checksum %q; want completed, %q", got.Status, got.Checksum, want)
				}
				checkRange(t, s, got, data, 0, int64(size))
			})
		}
	}
}

// A node that refuses one write call (before any data, as a node that is
// restarting or shedding load does) gets it again: the retry
// (storage.max_retries) puts its shard on it, stored. With retries off,
// the same refusal leaves that shard missing, for the healer. A blob of
// one stripe or less is written whole, its small shards in WriteChunks
// calls, a larger one through PutChunk streams: each path is held to it, and the
// count of calls shows which one a blob took.
func testDroppedCallRetried(t *testing.T, e *env) {
	victim := e.cluster.nodes[2]
	for _, path := range []struct {
		name   string
		method string
		size   int
	}{
		{"streamed", storagepb.StorageService_PutChunk_FullMethodName, 2*testStripe + 77},
		{"whole", storagepb.StorageService_WriteChunks_FullMethodName, testStripe - 5},
	} {
		for _, tt := range []struct {
			name    string
			retries int
			calls   int                 // calls the victim receives
			status  objects.ChunkStatus // of the victim's shard
		}{
			{"with retries", 3, 2, objects.ChunkStored},
			{"without retries", -1, 1, objects.ChunkMissing},
		} {
			t.Run(path.name+"/"+tt.name, func(t *testing.T) {
				defer e.cluster.reset()
				s := e.service(2, func(o *objects.Options) { o.Retries, o.RetryDelay = tt.retries, time.Millisecond })
				victim.faults.drop(path.method, 1)
				before := victim.faults.count(path.method)
				data := payload(path.size, 4242)
				b := e.put(t, s, data)
				if got := victim.faults.count(path.method) - before; got != tt.calls {
					t.Errorf("%s got %d %s calls; want %d", victim.address, got, path.method, tt.calls)
				}
				got := e.stat(t, s, b.ID)
				seen := false
				for _, c := range got.Chunks {
					if c.ServerAddress == victim.address {
						seen = true
						if c.Status != tt.status {
							t.Errorf("the victim's shard %d is %s; want %s", c.Number, c.Status, tt.status)
						}
					} else if c.Status != objects.ChunkStored {
						t.Errorf("shard %d on %s is %s; want stored", c.Number, c.ServerAddress, c.Status)
					}
				}
				if !seen {
					t.Fatalf("no shard placed on %s; the test needs one there", victim.address)
				}
				checkRange(t, s, got, data, 0, int64(len(data)))
			})
		}
	}
	// A node that took the call and failed it (its disk) would fail again:
	// one call, and the shard is the healer's, however many retries are
	// allowed; the upload does not wait them out.
	// Below the quorum, a blob written whole is discarded at once; a shard
	// its node made durable but cannot delete now (unreachable since) is
	// queued, and deleted by the deletion job once the node answers.
	t.Run("whole/below quorum, a shard's node unreachable", func(t *testing.T) {
		defer e.cluster.reset()
		s := e.service(2, func(o *objects.Options) { o.RetryDelay = time.Millisecond })
		del := storagepb.StorageService_DeleteChunk_FullMethodName
		nodes := e.cluster.nodes
		holder := nodes[2]
		holder.faults.refuseMethod(del, true)
		before := e.tally(t)
		// Two nodes hold their calls until the holder's shard is durable,
		// then die, so that the upload falls below the quorum after that
		// shard is written. Failing them from the start would race the
		// holder's write, which the failed upload then cancels.
		nodes[0].faults.freeze()
		nodes[1].faults.freeze()
		failed := make(chan error, 1)
		go func() {
			_, err := s.Put(context.Background(), putInput(payload(testStripe-5, 4344), true))
			failed <- err
		}()
		for deadline := time.Now().Add(10 * time.Second); holder.chunkFiles(t) == before.nodeFiles[holder]; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not write its shard within 10s", holder.address)
			}
		}
		for _, n := range nodes[:2] {
			n.faults.kill()
			n.faults.thaw()
		}
		if err := <-failed; err == nil {
			t.Fatal("Put succeeded with two shards failing and P=2; want it below the quorum")
		}
		if got := e.count(t, `SELECT count(*) FROM files`); got != before.files {
			t.Fatalf("%d files rows after a failed Put; want %d", got, before.files)
		}
		if got, want := holder.chunkFiles(t), before.nodeFiles[holder]+1; got != want {
			t.Fatalf("%s holds %d chunk files; want %d (its shard, durable and not deletable yet)", holder.address, got, want)
		}
		if got := e.count(t, `SELECT count(*) FROM chunk_deletions WHERE storage_server_id = $1`, holder.id); got != before.queued[holder]+1 {
			t.Fatalf("%d deletions queued for %s; want %d: its shard must not be left to the sweep", got, holder.address, before.queued[holder]+1)
		}
		holder.faults.refuseMethod(del, false)
		for _, n := range nodes[:2] { // back, for the deletions queued of their shards (never made)
			n.faults.clear()
		}
		if _, err := s.ProcessDeletions(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.checkNothingLeft(t, before)
	})

	t.Run("whole/failed write not retried", func(t *testing.T) {
		defer e.cluster.reset()
		s := e.service(2, func(o *objects.Options) { o.Retries, o.RetryDelay = 3, time.Hour })
		write := storagepb.StorageService_WriteChunks_FullMethodName
		victim.faults.breakMethod(write)
		before := victim.faults.count(write)
		data := payload(testStripe-5, 4343)
		b := e.put(t, s, data)
		if got := victim.faults.count(write) - before; got != 1 {
			t.Errorf("%s got %d WriteChunks calls; want 1", victim.address, got)
		}
		got := e.stat(t, s, b.ID)
		for _, c := range got.Chunks {
			if want := map[bool]objects.ChunkStatus{true: objects.ChunkMissing, false: objects.ChunkStored}[c.ServerAddress == victim.address]; c.Status != want {
				t.Errorf("shard %d on %s is %s; want %s", c.Number, c.ServerAddress, c.Status, want)
			}
		}
		checkRange(t, s, got, data, 0, int64(len(data)))
	})
}

// Every size where the stripe arithmetic changes, every parity from 0 to
// 3, exact and unknown lengths: the blob reads back whole and in ranges,
// and every shard is on disk as recorded.
func testRoundTrip(t *testing.T, e *env) {
	for parity := range 4 {
		s := e.service(parity)
		for _, sz := range roundTripSizes {
			for _, exact := range []bool{true, false} {
				t.Run(fmt.Sprintf("P=%d/%s/exact=%v", parity, sz.name, exact), func(t *testing.T) {
					data := payload(sz.size, uint64(sz.size))
					b, err := s.Put(context.Background(), putInput(data, exact))
					if err != nil {
						t.Fatalf("Put: %v", err)
					}
					sum := sha256.Sum256(data)
					got := e.stat(t, s, b.ID)
					if got.Status != "completed" || got.Size != int64(sz.size) || got.Checksum != hex.EncodeToString(sum[:]) {
						t.Errorf("Stat = %s, %d bytes, sha256 %s; want completed, %d bytes, sha256 %x", got.Status, got.Size, got.Checksum, sz.size, sum)
					}
					if got.DataShards != objects.DataShards || got.ParityShards != parity || got.BlockSize != testBlock {
						t.Errorf("layout = %d+%d, block %d; want %d+%d, block %d", got.DataShards, got.ParityShards, got.BlockSize, objects.DataShards, parity, testBlock)
					}
					e.checkStored(t, got)
					if n, want := distinctServers(got), min(objects.DataShards+parity, len(e.cluster.nodes)); n != want {
						t.Errorf("shards on %d servers; want %d", n, want)
					}
					size := int64(sz.size)
					checkRange(t, s, got, data, 0, size)
					if size > 2 {
						checkRange(t, s, got, data, 1, size-2)
					}
					if size > testBlock {
						checkRange(t, s, got, data, testBlock-1, 2)
					}
				})
			}
		}
	}
}

func distinctServers(b objects.Blob) int {
	seen := map[uuid.UUID]bool{}
	for _, c := range b.Chunks {
		seen[c.ServerID] = true
	}
	return len(seen)
}

// A body that is not what it claims to be stores nothing: no rows, and no
// shard file on any node.
func testBadBodies(t *testing.T, e *env) {
	s := e.service(2, func(o *objects.Options) { o.MaxSize = 3 * testStripe })
	broken := errors.New("client went away")
	data := payload(2*testStripe+10, 7)
	tests := []struct {
		name string
		in   objects.PutInput
		want error
	}{
		{"shorter than declared", objects.PutInput{Size: int64(len(data)) + 1, Exact: true, Body: bytesReader(data)}, objects.ErrIncompleteBody},
		{"longer than declared", objects.PutInput{Size: int64(len(data)) - 1, Exact: true, Body: bytesReader(data)}, objects.ErrIncompleteBody},
		{"declared too large", objects.PutInput{Size: 3*testStripe + 1, Exact: true, Body: bytesReader(data)}, objects.ErrTooLarge},
		{"grows past the maximum", objects.PutInput{Body: bytesReader(payload(3*testStripe+1, 8))}, objects.ErrTooLarge},
		{"body fails mid-stripe", objects.PutInput{Body: io.MultiReader(bytesReader(data), iotest.ErrReader(broken))}, broken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Filename = "bad.bin"
			before := e.tally(t)
			_, err := s.Put(context.Background(), tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Put = %v; want %v", err, tt.want)
			}
			e.checkNothingLeft(t, before)
		})
	}
}

// Each case injects a fault into one node before a Put with P=2 on eight
// nodes (write quorum 7): the Put succeeds, within about the stall timeout
// when the node is frozen; the faulty node's shard is recorded missing
// (a node known down is placed around instead); every other shard is
// stored and verified; and the blob reads back.
func testOneShardLost(t *testing.T, e *env) {
	calm, quick := e.service(2), e.service(2, quickStall)
	nodes := e.cluster.nodes
	tests := []struct {
		name    string
		size    int
		fault   func()
		frozen  bool      // the Put must end within about testStall
		missing *testNode // whose shard ends missing
		avoided *testNode // that must hold no shard
	}{
		{"node dead from the start", 2*testStripe + 100, nodes[3].faults.kill, false, nodes[3], nil},
		{"node cuts its stream mid-shard", 4 * testStripe, func() { nodes[5].faults.cut(2*(testBlock+4) + 100) }, false, nodes[5], nil},
		{"node frozen, shard within the flow-control window", 2 * testStripe, nodes[2].faults.freeze, true, nodes[2], nil},
		{"node frozen, shard past the flow-control window", 40 * testStripe, nodes[6].faults.freeze, true, nodes[6], nil},
		{"node dead, blob written whole", testStripe - 5, nodes[4].faults.kill, false, nodes[4], nil},
		{"node frozen, blob written whole", testStripe / 2, nodes[2].faults.freeze, true, nodes[2], nil},
		{"node known down is placed around", 2 * testStripe, func() { nodes[1].faults.kill(); e.cluster.setDown(nodes[1], true) }, false, nil, nodes[1]},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer e.cluster.reset()
			s := calm
			if tt.frozen {
				s = quick
			}
			data := payload(tt.size, uint64(100+i))
			clean := timePut(t, s, data)
			tt.fault()
			putCalls := func() int { return 0 }
			if tt.avoided != nil {
				putCalls = func() int { return tt.avoided.faults.count(storagepb.StorageService_PutChunk_FullMethodName) }
			}
			callsBefore := putCalls()
			start := time.Now()
			b, err := s.Put(context.Background(), putInput(data, true))
			took := time.Since(start)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if tt.frozen {
				t.Logf("Put of %d bytes: %v (%v without the fault; stall timeout %v)", tt.size, took, clean, testStall)
				if bound := 10*testStall + 2*clean; took > bound {
					t.Errorf("Put took %v; want under %v", took, bound)
				}
			}
			got := e.stat(t, s, b.ID)
			for _, c := range got.Chunks {
				switch n := e.nodeOf(t, c); {
				case n == tt.avoided:
					t.Errorf("shard %d is on the node known down", c.Number)
				case n == tt.missing:
					if c.Status != objects.ChunkMissing || c.Hash != "" {
						t.Errorf("shard %d on the faulty node is %s (hash %q); want %s, no hash", c.Number, c.Status, c.Hash, objects.ChunkMissing)
					}
					if n.has(t, c.ID) {
						t.Errorf("the faulty node holds a file for its missing shard %d", c.Number)
					}
				case c.Status != objects.ChunkStored:
					t.Errorf("shard %d is %s; want %s", c.Number, c.Status, objects.ChunkStored)
				default:
					e.checkFile(t, c, got.Layout().ShardSize())
				}
			}
			if calls := putCalls() - callsBefore; calls != 0 {
				t.Errorf("the node known down got %d PutChunk calls; want 0", calls)
			}
			checkRange(t, s, got, data, 0, int64(len(data)))
		})
	}
}

// timePut stores data with no fault injected and returns how long it took:
// the reference the same Put with a fault is held to.
func timePut(t *testing.T, s *objects.Service, data []byte) time.Duration {
	t.Helper()
	start := time.Now()
	if _, err := s.Put(context.Background(), putInput(data, true)); err != nil {
		t.Fatalf("fault-free Put: %v", err)
	}
	return time.Since(start)
}

// Two nodes dead with P=2 leave 6 writable shards of the 7 needed: the Put
// fails as retryable and leaves nothing behind. The failed upload queues
// the deletion of every shard; the nodes that confirm a deletion at once
// leave the queue, the others stay queued until they do.
func testBelowQuorum(t *testing.T, e *env) {
	s := e.service(2)
	nodes := e.cluster.nodes
	dead := []*testNode{nodes[1], nodes[4]}
	tests := []struct {
		name          string
		refuseDeletes bool // no node confirms a deletion until the end
	}{
		{"live nodes delete their shards at once", false},
		{"no node confirms a deletion", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer e.cluster.reset()
			for _, n := range dead {
				n.faults.kill()
			}
			for _, n := range nodes {
				n.faults.refuseMethod(storagepb.StorageService_DeleteChunk_FullMethodName, tt.refuseDeletes)
			}
			before, refreshes := e.tally(t), e.cluster.refreshes.Load()
			_, err := s.Put(context.Background(), putInput(payload(3*testStripe, uint64(i)), true))
			if !errors.Is(err, objects.ErrNodeUnavailable) {
				t.Fatalf("Put = %v; want ErrNodeUnavailable", err)
			}
			if e.cluster.refreshes.Load() == refreshes {
				t.Errorf("no ring refresh requested; want the failed node calls to ask for one, so dead nodes leave the ring")
			}
			after := e.tally(t)
			checkSameRows(t, before, after)
			for _, n := range nodes {
				want := 0
				if tt.refuseDeletes || slices.Contains(dead, n) {
					want = 1 // eight shards, one per node
				}
				if got := after.queued[n] - before.queued[n]; got != want {
					t.Errorf("%s: %d deletions queued by the Put; want %d", n.address, got, want)
				}
				if files := after.nodeFiles[n] - before.nodeFiles[n]; !tt.refuseDeletes && files != 0 {
					t.Errorf("%s holds %d more chunk files after the Put; want 0", n.address, files)
				}
			}

			e.cluster.reset()
			if _, err := s.ProcessDeletions(context.Background()); err != nil {
				t.Fatalf("ProcessDeletions: %v", err)
			}
			final := e.tally(t)
			checkSameRows(t, before, final)
			if final.deletions != before.deletions {
				t.Errorf("deletions queued once the nodes are back: %d; want %d as before the Put", final.deletions, before.deletions)
			}
			for _, n := range nodes {
				if got, want := final.nodeFiles[n], before.nodeFiles[n]; got != want {
					t.Errorf("%s holds %d chunk files once deletions ran; want %d as before the Put", n.address, got, want)
				}
			}
		})
	}
}

// tally is what a failed Put must leave as it found it.
type tally struct {
	files, chunks, sessions, deletions int
	nodeFiles                          map[*testNode]int // chunk files on disk
	queued                             map[*testNode]int // chunk deletions
}

func (e *env) tally(t *testing.T) tally {
	t.Helper()
	tl := tally{files: e.count(t, `SELECT count(*) FROM files`), chunks: e.count(t, `SELECT count(*) FROM chunks`),
		sessions: e.count(t, `SELECT count(*) FROM upload_sessions`), deletions: e.count(t, `SELECT count(*) FROM chunk_deletions`),
		nodeFiles: map[*testNode]int{}, queued: map[*testNode]int{}}
	for _, n := range e.cluster.nodes {
		tl.nodeFiles[n] = n.chunkFiles(t)
		tl.queued[n] = e.count(t, `SELECT count(*) FROM chunk_deletions WHERE storage_server_id = $1`, n.id)
	}
	return tl
}

// rowsChanged says how the rows after differ from before, or "".
func rowsChanged(before, after tally) string {
	if after.files == before.files && after.chunks == before.chunks && after.sessions == before.sessions {
		return ""
	}
	return fmt.Sprintf("files, chunks, upload_sessions rows: got %d, %d, %d; want %d, %d, %d as before the Put",
		after.files, after.chunks, after.sessions, before.files, before.chunks, before.sessions)
}

func checkSameRows(t *testing.T, before, after tally) {
	t.Helper()
	if changed := rowsChanged(before, after); changed != "" {
		t.Error(changed)
	}
}

// leftSince is what a failed Put left that was not there before: rows,
// queued deletions, chunk files; nothing when every node confirmed its
// deletion at once.
func (e *env) leftSince(before, after tally) []string {
	var left []string
	if changed := rowsChanged(before, after); changed != "" {
		left = append(left, changed)
	}
	if after.deletions != before.deletions {
		left = append(left, fmt.Sprintf("%d chunk deletions queued; want %d as before the Put", after.deletions, before.deletions))
	}
	for _, n := range e.cluster.nodes {
		if got, want := after.nodeFiles[n], before.nodeFiles[n]; got != want {
			left = append(left, fmt.Sprintf("%s holds %d chunk files; want %d as before the Put", n.address, got, want))
		}
	}
	return left
}

// checkNothingLeft checks a failed Put added no row, no file and no queued
// deletion.
func (e *env) checkNothingLeft(t *testing.T, before tally) {
	t.Helper()
	for _, left := range e.leftSince(before, e.tally(t)) {
		t.Error(left)
	}
}

// waitNothingLeft is checkNothingLeft once what a failed Put left has
// gone, or within has passed.
func (e *env) waitNothingLeft(t *testing.T, before tally, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline) && len(e.leftSince(before, e.tally(t))) > 0; {
		time.Sleep(100 * time.Millisecond)
	}
	e.checkNothingLeft(t, before)
}

// Small shard writes bound for a node whose calls are all out wait, and
// then go to it together in one call; each upload still gets its shard
// stored.
func testBatchedWrites(t *testing.T, e *env) {
	e.cluster.reset()
	defer e.cluster.reset()
	s := e.service(2)
	slow := e.cluster.nodes[5] // every blob has a shard on each of the eight nodes
	method := storagepb.StorageService_WriteChunks_FullMethodName
	const puts = 10
	datas := make([][]byte, puts)
	blobs := make([]objects.Blob, puts)
	var wg sync.WaitGroup
	defer wg.Wait()
	put := func(i int) {
		datas[i] = payload(testStripe-7, uint64(900+i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := s.Put(context.Background(), putInput(datas[i], true))
			if err != nil {
				t.Errorf("Put %d: %v", i, err)
			}
			blobs[i] = b
		}()
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				slow.faults.thaw()
				t.Fatalf("after 5 s: %s not yet (%d calls, %d writes queued)", what, slow.faults.count(method), s.QueuedWrites(slow.address))
			}
		}
	}
	slow.faults.freeze()
	// Two uploads, one at a time, take both of the node's calls, which
	// wait at the frozen node; the other uploads' shards queue behind them.
	put(0)
	waitUntil("the first call at the node", func() bool { return slow.faults.count(method) == 1 })
	put(1)
	waitUntil("the second call at the node", func() bool { return slow.faults.count(method) == 2 })
	for i := 2; i < puts; i++ {
		put(i)
	}
	waitUntil("every other shard queued", func() bool { return s.QueuedWrites(slow.address) == puts-2 })
	slow.faults.thaw()
	wg.Wait()
	if calls := slow.faults.count(method); calls != 3 {
		t.Errorf("the node got %d WriteChunks calls for %d shards; want 3: two alone, then the queued ones together", calls, puts)
	}
	for i, b := range blobs {
		if t.Failed() {
			return
		}
		got := e.stat(t, s, b.ID)
		e.checkStored(t, got)
		checkRange(t, s, got, datas[i], 0, int64(len(datas[i])))
	}
}

// An upload's small shards bound for the same node go to it in one call
// (where the node's log syncs them together), even on an idle gateway,
// whose batchers would otherwise send each shard the moment it comes.
func testShardsOfANodeTogether(t *testing.T, e *env) {
	e.cluster.reset()
	defer e.cluster.reset()
	s := e.service(4) // ten shards on eight nodes: two nodes hold two
	count := func(method string) (n int) {
		for _, node := range e.cluster.nodes {
			n += node.faults.count(method)
		}
		return n
	}
	batched, single := storagepb.StorageService_WriteChunks_FullMethodName, storagepb.StorageService_WriteChunk_FullMethodName
	before := count(batched)
	data := payload(testStripe-9, 77)
	b := e.stat(t, s, e.put(t, s, data).ID)
	holders := map[string]int{}
	for _, c := range b.Chunks {
		holders[c.ServerAddress]++
	}
	if len(b.Chunks) != 10 || len(holders) != len(e.cluster.nodes) {
		t.Fatalf("%d shards on %d nodes; want 10 on %d", len(b.Chunks), len(holders), len(e.cluster.nodes))
	}
	if calls := count(batched) - before; calls != len(holders) {
		t.Errorf("%d WriteChunks calls for %d shards on %d nodes; want one per node", calls, len(b.Chunks), len(holders))
	}
	if calls := count(single); calls != 0 {
		t.Errorf("%d WriteChunk calls; want none", calls)
	}
	e.checkStored(t, b)
	checkRange(t, s, b, data, 0, int64(len(data)))
}
