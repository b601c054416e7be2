package objects_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	"github.com/google/uuid"

	"sixfold/gateway/objects"
	"sixfold/proto/storagepb"
)

// Blobs written before parity (six contiguous chunks, each checked by its
// SHA-256) stay readable, refuse to return rotten bytes or to pass a node
// down off as rot, and can be moved off a draining server.
func TestLegacyBlobs(t *testing.T) {
	e := newEnv(t, 8)
	s := e.service(2)
	t.Run("reads", func(t *testing.T) {
		tests := []struct {
			name string
			size int
		}{
			{"fewer bytes than chunks", 3},
			{"six chunks", 6*5000 + 7},
			{"chunks longer than one message", 6<<20 + 7},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				data := payload(tt.size, uint64(tt.size))
				b := e.putLegacy(t, data)
				if b.Striped() {
					t.Fatalf("blob of block size %d is striped; want the pre-parity layout", b.BlockSize)
				}
				size, per := int64(tt.size), shard(t, b, 0).Size
				checkRange(t, s, b, data, 0, size)
				checkRange(t, s, b, data, size-1, 1)
				if size > per {
					edge := max(0, per-5)
					checkRange(t, s, b, data, edge, min(10, size-edge))
					checkRange(t, s, b, data, 1, size-2)
				}
			})
		}
	})
	t.Run("rotten chunk", func(t *testing.T) {
		data := payload(6*5000+7, 80)
		b := e.putLegacy(t, data)
		rotten := shard(t, b, 2)
		e.nodeOf(t, rotten).flipByte(t, rotten.ID, 17)
		got, err := readRange(s, b, 0, b.Size)
		if !errors.Is(err, objects.ErrCorruptChunk) {
			t.Errorf("read of a blob with a rotten chunk: %v; want ErrCorruptChunk", err)
		}
		if !bytes.HasPrefix(data, got) {
			t.Errorf("before failing, read returned %s", diff(got, data[:len(got)]))
		}
		if got := e.chunkStatus(t, rotten.ID); got != objects.ChunkCorrupt {
			t.Errorf("rotten chunk is %s; want %s", got, objects.ChunkCorrupt)
		}
		if _, err := s.Open(context.Background(), e.stat(t, s, b.ID), 0, b.Size); !errors.Is(err, objects.ErrCorruptChunk) {
			t.Errorf("Open once the chunk is flagged: %v; want ErrCorruptChunk", err)
		}
	})
	t.Run("node down", func(t *testing.T) {
		defer e.cluster.reset()
		data := payload(6*5000+7, 82)
		b := e.putLegacy(t, data)
		unreachable := shard(t, b, 3)
		e.nodeOf(t, unreachable).faults.kill()
		got, err := readRange(s, b, 0, b.Size)
		if !errors.Is(err, objects.ErrNodeUnavailable) {
			t.Errorf("read with a chunk's node down: %v; want ErrNodeUnavailable", err)
		}
		if !bytes.HasPrefix(data, got) {
			t.Errorf("before failing, read returned %s", diff(got, data[:len(got)]))
		}
		if got := e.chunkStatus(t, unreachable.ID); got != objects.ChunkStored {
			t.Errorf("chunk on the node down is %s; want %s: an unreachable node is not rot", got, objects.ChunkStored)
		}
		checkRange(t, s, b, data, 0, unreachable.Offset)
	})
	t.Run("chunk copied off a draining server", func(t *testing.T) {
		data := payload(6*5000+7, 81)
		b := e.putLegacy(t, data)
		old := shard(t, b, 4)
		draining := e.nodeOf(t, old)
		e.exec(t, `UPDATE storage_servers SET status = 'draining' WHERE id = $1`, draining.id)
		e.cluster.leaveRing(draining)
		// Every chunk on the server moves, earlier cases' blobs' too.
		healOnce(t, s, e.count(t, `SELECT count(*) FROM chunks WHERE storage_server_id = $1 AND status = 'stored'`, draining.id))
		after := e.stat(t, s, b.ID)
		moved := shard(t, after, 4)
		if moved.ServerID == draining.id || moved.Status != objects.ChunkStored || moved.Hash != old.Hash || moved.Offset != old.Offset || moved.Size != old.Size {
			t.Errorf("chunk 4 = %s on %s at %d+%d, sha256 %s; want stored off the draining server at %d+%d, sha256 %s",
				moved.Status, moved.ServerAddress, moved.Offset, moved.Size, moved.Hash, old.Offset, old.Size, old.Hash)
		}
		copied, err := os.ReadFile(e.nodeOf(t, moved).chunkPath(moved.ID))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(copied); hex.EncodeToString(sum[:]) != old.Hash {
			t.Errorf("copied chunk's file has sha256 %x; want %s", sum, old.Hash)
		}
		e.checkGoneOrQueued(t, old)
		checkRange(t, s, after, data, 0, after.Size)
		checkRange(t, s, after, data, 0, 100)
		checkRange(t, s, after, data, old.Offset-5, 10)
	})
}

// putLegacy stores data as a blob written before parity: six contiguous
// chunks cut as the seed cut them (ceil(size/6) bytes each, what is left
// in the last), chunk i written to node i with the SHA-256 digest, and
// the rows the seed wrote (block_size 0, no parity).
func (e *env) putLegacy(t *testing.T, data []byte) objects.Blob {
	t.Helper()
	id, sum := uuid.New(), sha256.Sum256(data)
	e.exec(t, `INSERT INTO files (id, filename, size, checksum, status, data_shards, parity_shards, block_size)
		VALUES ($1, 'legacy.bin', $2, $3, 'completed', 6, 0, 0)`, id, len(data), hex.EncodeToString(sum[:]))
	per := (len(data) + objects.ChunkCount - 1) / objects.ChunkCount
	offset := 0
	for i, n := range e.cluster.nodes[:objects.ChunkCount] {
		chunk, chunkID := data[offset:offset+min(per, len(data)-offset)], uuid.New()
		hash := writeLegacyChunk(t, n, chunkID, chunk)
		e.exec(t, `INSERT INTO chunks (id, file_id, chunk_number, byte_offset, size, hash, storage_server_id, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'stored')`, chunkID, id, i, offset, len(chunk), hash, n.id)
		offset += len(chunk)
	}
	return e.stat(t, e.service(0), id)
}

// writeLegacyChunk puts chunk on n as the seed did (SHA-256 digest, data
// in messages of up to 1 MiB), checks the node's digest and returns it.
func writeLegacyChunk(t *testing.T, n *testNode, id uuid.UUID, chunk []byte) string {
	t.Helper()
	stream, err := storagepb.NewStorageServiceClient(n.conn).PutChunk(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hdr := &storagepb.PutChunkHeader{ChunkId: id.String(), ExpectedSize: int64(len(chunk)), Digest: storagepb.Digest_DIGEST_SHA256}
	msg := &storagepb.PutChunkRequest{Header: hdr}
	for rest, first := chunk, true; first || len(rest) > 0; first = false {
		k := min(len(rest), 1<<20)
		msg.Data, rest = rest[:k], rest[k:]
		if err := stream.Send(msg); err != nil {
			break // CloseAndRecv reports why
		}
		msg = &storagepb.PutChunkRequest{}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatalf("PutChunk: %v", err)
	}
	sum := sha256.Sum256(chunk)
	if want := hex.EncodeToString(sum[:]); resp.GetSha256() != want {
		t.Fatalf("node's sha256 = %s; want %s", resp.GetSha256(), want)
	}
	return resp.GetSha256()
}
