package db

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"sixfold/db/internal/dbq"
)

// HealClaim is one shard claimed for rebuilding.
type HealClaim struct {
	ID     uuid.UUID
	FileID uuid.UUID
}

// ClaimHealWork leases up to max shards that need rebuilding elsewhere
// (flagged, or on a server draining, removed or silent for healAfter) for
// lease, whole blobs at a time, in blob order.
func (b *Blobs) ClaimHealWork(ctx context.Context, lease, healAfter time.Duration, max int) ([]HealClaim, error) {
	var claimed []HealClaim
	err := WithTx(ctx, b.pool, func(q *dbq.Queries) error {
		rows, err := q.ClaimHealWork(ctx, dbq.ClaimHealWorkParams{LeaseSeconds: lease.Seconds(),
			HealAfterSeconds: healAfter.Seconds(), MaxShards: int32(max)})
		claimed = make([]HealClaim, len(rows))
		for i, r := range rows {
			claimed[i] = HealClaim{ID: r.ID, FileID: r.FileID}
		}
		return err
	})
	return claimed, err
}

// ReleaseHealClaim gives back the shards of a failed rebuild, due again
// after retryAfter, and counts the failure.
func (b *Blobs) ReleaseHealClaim(ctx context.Context, ids []uuid.UUID, retryAfter time.Duration, cause string) error {
	q := dbq.New(b.pool)
	err := q.ReleaseHealClaim(ctx, dbq.ReleaseHealClaimParams{Ids: ids, RetryAfterSeconds: retryAfter.Seconds(), HealError: optText(cause)})
	if err == nil {
		err = q.RecordHeal(ctx, dbq.RecordHealParams{Failures: 1})
	}
	return Translate(err)
}

// HealSwap is a rebuilt shard to put in place of an old one.
type HealSwap struct {
	OldID    uuid.UUID
	NewID    uuid.UUID
	Size     int64
	Hash     string
	ServerID uuid.UUID
}

// SwapHealedChunks replaces the old shard rows of file fileID with the
// rebuilt ones in one transaction, queueing the old ones for deletion and
// counting what was rebuilt. swapped[i] is false where swaps[i] had no row
// left to replace (the blob was deleted meanwhile).
func (b *Blobs) SwapHealedChunks(ctx context.Context, fileID uuid.UUID, swaps []HealSwap) (swapped []bool, err error) {
	err = WithTx(ctx, b.pool, func(q *dbq.Queries) error {
		swapped = make([]bool, len(swaps))
		if _, err := q.LockFileForHeal(ctx, fileID); err != nil {
			if errors.Is(Translate(err), ErrNotFound) {
				return nil
			}
			return err
		}
		var n, bytes int64
		for i, t := range swaps {
			rows, err := q.ReplaceHealedChunk(ctx, dbq.ReplaceHealedChunkParams{NewID: t.NewID, FileID: fileID, Size: t.Size,
				Hash: optText(t.Hash), ServerID: t.ServerID, OldID: t.OldID})
			if err != nil {
				return err
			}
			if rows > 0 {
				swapped[i] = true
				n++
				bytes += t.Size
			}
		}
		return q.RecordHeal(ctx, dbq.RecordHealParams{Shards: n, Bytes: bytes})
	})
	return swapped, err
}

// EnqueueChunkDeletions queues chunks for deletion after delay, in one
// transaction: for shards written but not kept, whose rows may be gone.
func (b *Blobs) EnqueueChunkDeletions(ctx context.Context, chunks []ChunkLocation, delay time.Duration) error {
	return WithTx(ctx, b.pool, func(q *dbq.Queries) error {
		for _, c := range chunks {
			if err := q.EnqueueChunkDeletion(ctx, dbq.EnqueueChunkDeletionParams{ChunkID: c.ID, StorageServerID: c.ServerID,
				DelaySeconds: delay.Seconds()}); err != nil {
				return err
			}
		}
		return nil
	})
}

// DrainedServer is a storage server retired once nothing was left on it.
type DrainedServer struct {
	ID      uuid.UUID
	Name    string
	Address string
}

// RemoveDrainedServers marks draining servers that no shard row points at
// any more removed, and returns them.
func (b *Blobs) RemoveDrainedServers(ctx context.Context) ([]DrainedServer, error) {
	rows, err := dbq.New(b.pool).RemoveDrainedServers(ctx)
	if err != nil {
		return nil, Translate(err)
	}
	servers := make([]DrainedServer, len(rows))
	for i, r := range rows {
		servers[i] = DrainedServer{ID: r.ID, Name: r.Name, Address: r.Address}
	}
	return servers, nil
}
