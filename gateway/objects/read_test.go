package objects_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"sixfold/gateway/erasure"
	"sixfold/gateway/objects"
	"sixfold/proto/storagepb"
)

// degradedSize is three full stripes and a short one, whose blocks are
// ceil(5000/6) = 834 bytes.
const degradedSize = 3*testStripe + 5000

// degradedRanges cross every kind of boundary of a degradedSize blob.
var degradedRanges = []struct{ offset, length int64 }{
	{0, degradedSize},                 // the whole blob
	{0, 1},                            // its first byte
	{testBlock - 6, 12},               // across a block edge
	{testStripe - 6, 12},              // across a stripe edge
	{5*testBlock + 1, testStripe + 2}, // from a stripe's last block into the stripe after next
	{3*testStripe + 830, 10},          // across a block edge of the short stripe
	{degradedSize - 1, 1},             // the last byte
}

// lossPatterns lists every set of at most k of n shards, smallest first.
func lossPatterns(n, k int) [][]int {
	patterns := [][]int{nil}
	for size := 1; size <= k; size++ {
		var grow func(start int, set []int)
		grow = func(start int, set []int) {
			if len(set) == size {
				patterns = append(patterns, append([]int(nil), set...))
				return
			}
			for i := start; i < n; i++ {
				grow(i+1, append(set, i))
			}
		}
		grow(0, nil)
	}
	return patterns
}

func patternName(lost []int) string {
	if len(lost) == 0 {
		return "none lost"
	}
	return "lost " + strings.Trim(strings.ReplaceAll(fmt.Sprint(lost), " ", ","), "[]")
}

// TestReads runs the read tests on one cluster and database; each case
// reads blobs of its own.
func TestReads(t *testing.T) {
	e := newEnv(t, 8)
	t.Run("degraded", func(t *testing.T) { testDegradedReads(t, e) })
	t.Run("frozen nodes", func(t *testing.T) { testFrozenNodes(t, e) })
	t.Run("damaged shard", func(t *testing.T) { testDamagedShard(t, e) })
	t.Run("too many shards lost", func(t *testing.T) { testTooManyLost(t, e) })
	t.Run("blocks larger than a node's message", func(t *testing.T) { testBlocksOverMessages(t, e) })
	t.Run("small reads batched per node", func(t *testing.T) { testBatchedReads(t, e) })
}

// Small frame reads bound for a node whose calls are all out wait, and
// then go to it together in one call; each still gets its own bytes.
func testBatchedReads(t *testing.T, e *env) {
	e.cluster.reset()
	defer e.cluster.reset()
	s := e.service(2)
	const reads = 20
	var (
		slow  *testNode
		blobs []objects.Blob
		datas [][]byte
	)
	// One-stripe blobs of which one node, slow, holds a data shard.
	for seed := uint64(500); len(blobs) < reads; seed++ {
		data := payload(testStripe-100, seed)
		b := e.stat(t, s, e.put(t, s, data).ID)
		if slow == nil {
			slow = e.nodeOf(t, shard(t, b, 0))
		}
		for i := range b.DataShards {
			if e.nodeOf(t, shard(t, b, i)) == slow {
				blobs, datas = append(blobs, b), append(datas, data)
				break
			}
		}
	}
	method := storagepb.StorageService_ReadChunks_FullMethodName
	before := slow.faults.count(method)
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				slow.faults.thaw()
				t.Fatalf("after 5 s: %s not yet (%d calls, %d reads queued)", what, slow.faults.count(method)-before, s.QueuedReads(slow.address))
			}
		}
	}
	slow.faults.freeze()
	var wg sync.WaitGroup
	defer wg.Wait()
	read := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			checkRange(t, s, blobs[i], datas[i], 0, int64(len(datas[i])))
		}()
	}
	// Two reads, one at a time, take both of the node's calls, which wait
	// at the frozen node; the other reads queue behind them.
	read(0)
	waitUntil("the first call at the node", func() bool { return slow.faults.count(method)-before == 1 })
	read(1)
	waitUntil("the second call at the node", func() bool { return slow.faults.count(method)-before == 2 })
	for i := 2; i < reads; i++ {
		read(i)
	}
	waitUntil("every other read queued", func() bool { return s.QueuedReads(slow.address) == reads-2 })
	slow.faults.thaw()
	wg.Wait()
	if calls := slow.faults.count(method) - before; calls != 3 {
		t.Errorf("the node got %d ReadChunks calls for %d reads; want 3: two alone, then the queued reads together", calls, reads)
	}
	if calls := slow.faults.count(storagepb.StorageService_GetChunk_FullMethodName); calls != 0 {
		t.Errorf("the node got %d GetChunk calls for one-stripe reads; want 0", calls)
	}
}

// Every pattern of up to P lost shards reads back right, whether the nodes
// fail their calls (found out per read) or are known down (routed around
// without a call).
func testDegradedReads(t *testing.T, e *env) {
	s := e.service(2)
	data := payload(degradedSize, 42)
	b := e.stat(t, s, e.put(t, s, data).ID)
	for _, lost := range lossPatterns(b.DataShards+b.ParityShards, b.ParityShards) {
		for _, known := range []bool{false, true} {
			how := "unavailable"
			if known {
				how = "known down"
			}
			t.Run(patternName(lost)+"/"+how, func(t *testing.T) {
				defer e.cluster.reset()
				var gone []*testNode
				for _, i := range lost {
					n := e.nodeOf(t, shard(t, b, i))
					n.faults.kill()
					e.cluster.setDown(n, known)
					gone = append(gone, n)
				}
				for _, r := range degradedRanges {
					checkRange(t, s, b, data, r.offset, r.length)
				}
				for _, n := range gone {
					calls := n.faults.count(storagepb.StorageService_GetChunk_FullMethodName) + n.faults.count(storagepb.StorageService_ReadChunks_FullMethodName)
					if known && calls != 0 {
						t.Errorf("node known down got %d GetChunk and ReadChunks calls; want 0", calls)
					}
				}
			})
		}
	}
	// Nodes that failed their calls are not mistaken for rotten shards.
	for _, c := range e.stat(t, s, b.ID).Chunks {
		if c.Status != objects.ChunkStored {
			t.Errorf("after the reads, shard %d is %s; want %s", c.Number, c.Status, objects.ChunkStored)
		}
	}
}

// A frozen node costs a read one stall timeout per frozen shard, not a
// hang: the read goes on from parity.
func testFrozenNodes(t *testing.T, e *env) {
	s := e.service(2, quickStall)
	data := payload(degradedSize, 43)
	b := e.stat(t, s, e.put(t, s, data).ID)
	tests := []struct {
		name   string
		frozen []int // shards whose nodes freeze
	}{
		{"one data shard's node", []int{0}},
		{"two data shards' nodes", []int{1, 4}},
		{"a data and a parity shard's node", []int{5, 6}},
	}
	// The whole blob is read through streams, one stripe after another; a
	// range of one stripe through one call per shard, each with the stall
	// timeout as its deadline.
	ranges := []struct {
		name           string
		offset, length int64
	}{{"whole blob", 0, degradedSize}, {"one stripe", testStripe, testStripe}}
	for _, tt := range tests {
		for _, r := range ranges {
			t.Run(tt.name+"/"+r.name, func(t *testing.T) {
				defer e.cluster.reset()
				start := time.Now()
				checkRange(t, s, b, data, r.offset, r.length)
				clean := time.Since(start)
				for _, i := range tt.frozen {
					e.nodeOf(t, shard(t, b, i)).faults.freeze()
				}
				start = time.Now()
				checkRange(t, s, b, data, r.offset, r.length)
				took := time.Since(start)
				t.Logf("read of %d bytes with shards %v frozen: %v (%v without; stall timeout %v)", r.length, tt.frozen, took, clean, testStall)
				if bound := time.Duration(10*len(tt.frozen))*testStall + 2*clean; took > bound {
					t.Errorf("read took %v; want under %v", took, bound)
				}
			})
		}
	}
}

// A shard block larger than a node's default message (1 MiB) is sent in
// one message of its own size on request; a block larger than a node will
// send in one message (4 MiB) is copied out of 1 MiB messages. Either way
// a one-stripe read (one call per shard) and a streamed read of the whole
// blob return the bytes, with and without a lost shard.
func testBlocksOverMessages(t *testing.T, e *env) {
	for _, block := range []int64{2<<20 + 10, 4<<20 + 10} {
		t.Run(fmt.Sprintf("block=%d", block), func(t *testing.T) {
			s := e.service(2, func(o *objects.Options) { o.BlockSize = block; o.MaxSize = 64 << 20 })
			stripe := objects.DataShards * block
			size := 2*stripe + 1000
			data := payload(int(size), uint64(block))
			b := e.stat(t, s, e.put(t, s, data).ID)
			ranges := []struct{ offset, length int64 }{
				{0, size},            // streamed, three stripes
				{0, stripe},          // the first stripe, whole
				{block - 10, 20},     // across its first block edge
				{3*block + 1, block}, // two blocks of it
				{size - 1000, 1000},  // the short stripe
			}
			for _, r := range ranges {
				checkRange(t, s, b, data, r.offset, r.length)
			}
			e.nodeOf(t, shard(t, b, 3)).faults.kill()
			defer e.cluster.reset()
			for _, r := range ranges {
				checkRange(t, s, b, data, r.offset, r.length)
			}
		})
	}
}

// A data shard whose bytes are wrong (a flipped byte, caught by its
// block's CRC32C) or gone (a file cut short or deleted) costs the read
// nothing: the right bytes come back, rebuilt from parity, and the shard
// is flagged corrupt for the healer. Each case damages a fresh blob.
func testDamagedShard(t *testing.T, e *env) {
	s := e.service(2)
	l := erasure.Layout{Data: objects.DataShards, Parity: 2, BlockSize: testBlock, Size: degradedSize}
	flip := func(offset int64) func(*testing.T, *testNode, uuid.UUID) {
		return func(t *testing.T, n *testNode, id uuid.UUID) { n.flipByte(t, id, offset) }
	}
	tests := []struct {
		name           string
		damage         func(t *testing.T, n *testNode, id uuid.UUID) // done to shard 1's file
		offset, length int64                                         // range read
	}{
		{"block byte flipped, whole blob", flip(l.FrameOffset(1) + erasure.FrameHeader + 100), 0, degradedSize},
		{"block byte flipped, range inside that block", flip(l.FrameOffset(1) + erasure.FrameHeader + 100), testStripe + testBlock + 50, 200},
		{"checksum byte flipped, range across the block's edge", flip(l.FrameOffset(2) + 1), 2*testStripe + testBlock - 10, 20},
		{"short stripe's block flipped, range inside it", flip(l.FrameOffset(3) + erasure.FrameHeader + 5), 3*testStripe + l.BlockLen(3) + 2, 10},
		{"file cut short inside a frame, whole blob", func(t *testing.T, n *testNode, id uuid.UUID) { n.truncate(t, id, l.FrameOffset(2)+10) }, 0, degradedSize},
		{"file deleted, whole blob", func(t *testing.T, n *testNode, id uuid.UUID) { n.truncate(t, id, -1) }, 0, degradedSize},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := payload(degradedSize, uint64(50+i))
			b := e.stat(t, s, e.put(t, s, data).ID)
			damaged := shard(t, b, 1)
			tt.damage(t, e.nodeOf(t, damaged), damaged.ID)
			checkRange(t, s, b, data, tt.offset, tt.length)
			if got := e.chunkStatus(t, damaged.ID); got != objects.ChunkCorrupt {
				t.Errorf("damaged shard is %s; want %s", got, objects.ChunkCorrupt)
			}
			// Flagged, the shard is not even asked for any more.
			checkRange(t, s, e.stat(t, s, b.ID), data, 0, degradedSize)
		})
	}
}

// With more shards lost than there is parity, a read that needs a lost
// data shard fails as retryable and never returns a wrong byte; one that
// needs only readable data shards is still served.
func testTooManyLost(t *testing.T, e *env) {
	s := e.service(2)
	data := payload(degradedSize, 44)
	b := e.stat(t, s, e.put(t, s, data).ID)
	tests := []struct {
		name           string
		lost           []int
		known          bool // the nodes are known down, not only failing
		offset, length int64
		wantErr        bool
	}{
		{"three data shards", []int{0, 1, 2}, false, 0, degradedSize, true},
		{"a data shard and both parity shards", []int{2, 6, 7}, false, 0, degradedSize, true},
		{"the last data shard and both parity shards", []int{5, 6, 7}, false, 0, degradedSize, true},
		{"known down, refused at Open", []int{0, 6, 7}, true, 0, degradedSize, true},
		{"range on readable data shards", []int{3, 6, 7}, false, 0, 100, false},
		{"range on readable data shards, known down", []int{3, 6, 7}, true, testStripe + 10, testBlock, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer e.cluster.reset()
			for _, i := range tt.lost {
				n := e.nodeOf(t, shard(t, b, i))
				n.faults.kill()
				e.cluster.setDown(n, tt.known)
			}
			got, err := readRange(s, b, tt.offset, tt.length)
			want := data[tt.offset : tt.offset+tt.length]
			switch {
			case !tt.wantErr && err != nil:
				t.Errorf("read: %v; want the range", err)
			case !tt.wantErr:
				if d := diff(got, want); d != "" {
					t.Errorf("read: %s", d)
				}
			case err == nil:
				t.Errorf("read of %d bytes succeeded with shards %v lost; want an error", len(got), tt.lost)
			case !errors.Is(err, objects.ErrNodeUnavailable):
				t.Errorf("read: %v; want ErrNodeUnavailable", err)
			case !bytes.HasPrefix(want, got):
				t.Errorf("before failing, read returned %s", diff(got, want[:len(got)]))
			case tt.known && got != nil:
				t.Errorf("Open succeeded and %d bytes were read; want Open to refuse", len(got))
			}
		})
	}
}
