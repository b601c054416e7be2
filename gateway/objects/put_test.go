package objects_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

func TestRoundTrip(t *testing.T) {
	e := newEnv(t, 8)
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
func TestPutRefusesBadBodies(t *testing.T) {
	e := newEnv(t, 8)
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
			_, err := s.Put(context.Background(), tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Put = %v; want %v", err, tt.want)
			}
			for _, table := range []string{"files", "chunks", "upload_sessions", "chunk_deletions"} {
				if n := e.count(t, "SELECT count(*) FROM "+table); n != 0 {
					t.Errorf("%s has %d rows; want 0", table, n)
				}
			}
			for i, n := range e.cluster.nodes {
				if files := n.chunkFiles(t); files != 0 {
					t.Errorf("node %d holds %d chunk files; want 0", i, files)
				}
			}
		})
	}
}

// Each case injects its fault into some nodes before a Put with P=2 on
// eight nodes (write quorum 7): the Put succeeds, the shards on the nodes
// in missing are recorded missing, every other shard is stored and
// verified, and the blob reads back.
func TestPutSurvivesOneLostShard(t *testing.T) {
	e := newEnv(t, 8)
	s := e.service(2)
	nodes := e.cluster.nodes
	tests := []struct {
		name    string
		size    int
		fault   func()
		missing *testNode // whose shard ends missing
		avoided *testNode // that must hold no shard
	}{
		{"node dead from the start", 2*testStripe + 100, nodes[3].faults.kill, nodes[3], nil},
		{"node cuts its stream mid-shard", 4 * testStripe, func() { nodes[5].faults.cut(2*(testBlock+4) + 100) }, nodes[5], nil},
		{"node frozen, shard within the flow-control window", 2 * testStripe, nodes[2].faults.freeze, nodes[2], nil},
		{"node frozen, shard past the flow-control window", 40 * testStripe, nodes[6].faults.freeze, nodes[6], nil},
		{"node known down is placed around", 2 * testStripe, func() { nodes[1].faults.kill(); e.cluster.setDown(nodes[1], true) }, nil, nodes[1]},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer e.cluster.reset()
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
			t.Logf("Put of %d bytes: %v (%v without the fault; stall timeout %v)", tt.size, took, clean, testStall)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if bound := 10*testStall + 2*clean; took > bound {
				t.Errorf("Put took %v; want under %v", took, bound)
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
// fails as retryable, and leaves no row, no file, and a queued deletion for
// each shard the dead nodes could not be told to delete.
func TestPutBelowQuorumLeavesNothing(t *testing.T) {
	e := newEnv(t, 8)
	s := e.service(2)
	dead := []*testNode{e.cluster.nodes[1], e.cluster.nodes[4]}
	for _, n := range dead {
		n.faults.kill()
	}
	_, err := s.Put(context.Background(), putInput(payload(3*testStripe, 1), true))
	if !errors.Is(err, objects.ErrNodeUnavailable) {
		t.Fatalf("Put = %v; want ErrNodeUnavailable", err)
	}
	for _, table := range []string{"files", "chunks", "upload_sessions"} {
		if n := e.count(t, "SELECT count(*) FROM "+table); n != 0 {
			t.Errorf("%s has %d rows; want 0", table, n)
		}
	}
	for i, n := range e.cluster.nodes {
		if files := n.chunkFiles(t); files != 0 {
			t.Errorf("node %d holds %d chunk files; want 0", i, files)
		}
	}
	for _, n := range dead {
		if q := e.count(t, `SELECT count(*) FROM chunk_deletions WHERE storage_server_id = $1`, n.id); q != 1 {
			t.Errorf("deletions queued for dead node %s: %d; want 1", n.address, q)
		}
	}
	if q := e.count(t, `SELECT count(*) FROM chunk_deletions`); q != len(dead) {
		t.Errorf("deletions queued: %d; want %d, the dead nodes' shards (the others are deleted already)", q, len(dead))
	}
	e.cluster.reset()
	if n, err := s.ProcessDeletions(context.Background()); err != nil || n != len(dead) {
		t.Errorf("ProcessDeletions = %d, %v; want %d, nil", n, err, len(dead))
	}
	if q := e.count(t, `SELECT count(*) FROM chunk_deletions`); q != 0 {
		t.Errorf("deletions queued once the nodes are back: %d; want 0", q)
	}
}
