package db

import (
	"context"
	"time"

	"github.com/google/uuid"

	"sixfold/db/internal/dbq"
	"sixfold/db/ringpoint"
)

// StorageServer is a storage_servers row as a node's start-up check reads it.
type StorageServer struct {
	ID            uuid.UUID
	Name          string
	Address       string
	Status        string
	ChunkCount    int64 // chunk files at the node's last heartbeat
	LastHeartbeat time.Time
}

// StoredChunk is one chunk a node holds as stored, with what its file must
// hash to.
type StoredChunk struct {
	ID   uuid.UUID
	Hash string // hex SHA-256 or CRC32C
	Size int64
}

// NodeStats is what a node reports of its disk when it registers and
// heartbeats.
type NodeStats struct {
	CapacityBytes  int64
	AvailableBytes int64
	UsedBytes      int64
	Chunks         int64
}

// NodeRegistration describes a node registering itself.
type NodeRegistration struct {
	// ID is the id proposed; a node already known by Address keeps its own.
	ID      uuid.UUID
	Name    string
	Address string
	Stats   NodeStats
	// VirtualNodes is how many ring points the node has: 0..n-1 are
	// written and any above are dropped.
	VirtualNodes int
}

// ListStorageServers returns every registered server.
func (s *Store) ListStorageServers(ctx context.Context) ([]StorageServer, error) {
	rows, err := s.q().ListStorageServers(ctx)
	return convertRows(rows, err, func(r dbq.StorageServer) StorageServer {
		return StorageServer{ID: r.ID, Name: r.Name, Address: r.Address, Status: r.Status, ChunkCount: r.ChunkCount, LastHeartbeat: r.LastHeartbeat}
	})
}

// ListStoredChunksOnServer returns up to limit stored chunks of server with
// ids above after, in id order, leaving out rows younger than minAge (an
// upload may still be finishing with them).
func (s *Store) ListStoredChunksOnServer(ctx context.Context, server, after uuid.UUID, minAge time.Duration, limit int) ([]StoredChunk, error) {
	rows, err := s.q().ListStoredChunksOnServer(ctx, dbq.ListStoredChunksOnServerParams{
		ServerID: server, AfterID: after, MinAgeSeconds: minAge.Seconds(), BatchSize: int32(limit),
	})
	return convertRows(rows, err, func(r dbq.ListStoredChunksOnServerRow) StoredChunk {
		return StoredChunk{ID: r.ID, Hash: r.Hash, Size: r.Size}
	})
}

// ListKnownChunkIDs returns the ids among ids that metadata still refers
// to: a chunks row on any server, or a deletion queued for server.
func (s *Store) ListKnownChunkIDs(ctx context.Context, server uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error) {
	found, err := s.q().ListKnownChunkIDs(ctx, dbq.ListKnownChunkIDsParams{Ids: ids, ServerID: server})
	return found, Translate(err)
}

// MarkChunksMissingOnServer flags server's stored chunks among ids missing
// and returns those it flagged.
func (s *Store) MarkChunksMissingOnServer(ctx context.Context, server uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error) {
	flagged, err := s.q().MarkChunksMissingOnServer(ctx, dbq.MarkChunksMissingOnServerParams{Ids: ids, ServerID: server})
	return flagged, Translate(err)
}

// MarkChunksCorruptOnServer flags server's stored chunks among ids corrupt
// and returns how many it flagged.
func (s *Store) MarkChunksCorruptOnServer(ctx context.Context, server uuid.UUID, ids []uuid.UUID) (int64, error) {
	n, err := s.q().MarkChunksCorruptOnServer(ctx, dbq.MarkChunksCorruptOnServerParams{Ids: ids, ServerID: server})
	return n, Translate(err)
}

// Heartbeat records the node alive with st. It reports false when the
// node's row has gone.
func (s *Store) Heartbeat(ctx context.Context, id uuid.UUID, st NodeStats) (bool, error) {
	n, err := s.q().Heartbeat(ctx, dbq.HeartbeatParams{
		ID: id, CapacityBytes: st.CapacityBytes, AvailableBytes: st.AvailableBytes, ChunkCount: st.Chunks, UsedSpace: st.UsedBytes,
	})
	return n > 0, Translate(err)
}

// RegisterNode upserts the node by address and writes its ring points, in
// one transaction, and returns the id the node holds.
func (s *Store) RegisterNode(ctx context.Context, reg NodeRegistration) (uuid.UUID, error) {
	var id uuid.UUID
	err := WithTx(ctx, s.pool, func(q *dbq.Queries) error {
		st := reg.Stats
		row, err := q.UpsertStorageServer(ctx, dbq.UpsertStorageServerParams{
			ID: reg.ID, Name: reg.Name, Address: reg.Address,
			CapacityBytes: st.CapacityBytes, AvailableBytes: st.AvailableBytes, ChunkCount: st.Chunks, UsedSpace: st.UsedBytes,
		})
		if err != nil {
			return err
		}
		id = row.ID
		return writeRing(ctx, q, id, reg.VirtualNodes)
	})
	return id, err
}

// writeRing stores the server's virtual nodes 0..n-1 and drops any above.
func writeRing(ctx context.Context, q *dbq.Queries, id uuid.UUID, n int) error {
	points := ringpoint.All(id.String(), n)
	hashes := make([]int64, len(points))
	for i, h := range points {
		hashes[i] = int64(h)
	}
	if err := q.UpsertRingNodes(ctx, dbq.UpsertRingNodesParams{ServerID: id, HashValues: hashes}); err != nil {
		return err
	}
	return q.DeleteRingNodesAbove(ctx, dbq.DeleteRingNodesAboveParams{ServerID: id, VirtualIndex: int32(n)})
}

// DeactivateServer marks the server inactive, unless an operator chose its
// status (maintenance, draining, removed).
func (s *Store) DeactivateServer(ctx context.Context, id uuid.UUID) error {
	_, err := s.q().DeactivateServer(ctx, id)
	return Translate(err)
}
