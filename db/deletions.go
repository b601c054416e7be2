package db

import (
	"context"
	"time"

	"github.com/google/uuid"

	"sixfold/db/internal/dbq"
)

// ExpireUploadSessions removes up to max uploads whose session timed out,
// in one transaction that queues their chunks for deletion, and returns
// how many it removed.
func (b *Blobs) ExpireUploadSessions(ctx context.Context, max int) (int, error) {
	var expired int
	err := WithTx(ctx, b.pool, func(q *dbq.Queries) error {
		sessions, err := q.ClaimExpiredUploadSessions(ctx, int32(max))
		if err != nil {
			return err
		}
		for _, sess := range sessions {
			if _, err := q.EnqueueFileChunkDeletions(ctx, dbq.EnqueueFileChunkDeletionsParams{FileID: sess.FileID}); err != nil {
				return err
			}
			if _, err := q.DeleteFile(ctx, sess.FileID); err != nil {
				return err
			}
		}
		expired = len(sessions)
		return nil
	})
	return expired, err
}

// DueDeletion is a queued chunk deletion whose time has come.
type DueDeletion struct {
	ChunkID       uuid.UUID
	ServerAddress string
	Attempts      int // failed tries so far
}

// DeletionOutcome is what became of one tried deletion: done, or to be
// tried again after RetryAfter.
type DeletionOutcome struct {
	Done       bool
	RetryAfter time.Duration
}

// WorkChunkDeletions claims up to max due chunk deletions, lets try delete
// them (one outcome per deletion, in order) and records the outcomes, all
// in one transaction so no other gateway claims the same rows meanwhile.
// Under a retention, deletions queued less than retention ago are left
// alone (pushed back to when it passes). Due deletions of chunks that a
// row still names are dropped unworked; it returns how many.
func (b *Blobs) WorkChunkDeletions(ctx context.Context, retention time.Duration, max int, try func([]DueDeletion) []DeletionOutcome) (dropped int, err error) {
	err = WithTx(ctx, b.pool, func(q *dbq.Queries) error {
		if retention > 0 {
			if _, err := q.DeferRetainedChunkDeletions(ctx, dbq.DeferRetainedChunkDeletionsParams{
				RetentionSeconds: retention.Seconds(), MaxRows: int32(10 * max)}); err != nil {
				return err
			}
		}
		rows, err := q.ClaimDueChunkDeletions(ctx, dbq.ClaimDueChunkDeletionsParams{RetentionSeconds: retention.Seconds(), MaxRows: int32(max)})
		if err != nil {
			return err
		}
		due := make([]DueDeletion, 0, len(rows))
		work := rows[:0:0]
		for _, r := range rows {
			if r.Named {
				if err := q.FinishChunkDeletion(ctx, r.ChunkID); err != nil {
					return err
				}
				dropped++
				continue
			}
			due = append(due, DueDeletion{ChunkID: r.ChunkID, ServerAddress: r.ServerAddress, Attempts: int(r.Attempts)})
			work = append(work, r)
		}
		outcomes := try(due)
		for i, r := range work {
			if outcomes[i].Done {
				err = q.FinishChunkDeletion(ctx, r.ChunkID)
			} else {
				err = q.PostponeChunkDeletion(ctx, dbq.PostponeChunkDeletionParams{ChunkID: r.ChunkID,
					LastError: optText("node unreachable"), RetryAfterSeconds: outcomes[i].RetryAfter.Seconds()})
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return dropped, err
}

// MarkChunkCorrupt flags a chunk whose bytes are wrong or gone, for the
// healer to rebuild.
func (b *Blobs) MarkChunkCorrupt(ctx context.Context, id uuid.UUID) error {
	return Translate(dbq.New(b.pool).MarkChunkCorrupt(ctx, id))
}

// StoredShard is a shard recorded as stored, with the blob it belongs to.
type StoredShard struct {
	ID            uuid.UUID
	FileID        uuid.UUID
	Number        int
	ServerAddress string
	ServerName    string
	DataShards    int // of its blob
}

// StoredShardsPage returns the stored shards of up to maxBlobs completed
// blobs after blob id after (uuid.Nil: from the start), in blob order.
func (b *Blobs) StoredShardsPage(ctx context.Context, after uuid.UUID, maxBlobs int) ([]StoredShard, error) {
	rows, err := dbq.New(b.pool).StoredShardsPage(ctx, dbq.StoredShardsPageParams{AfterID: after, MaxBlobs: int32(maxBlobs)})
	if err != nil {
		return nil, Translate(err)
	}
	shards := make([]StoredShard, len(rows))
	for i, r := range rows {
		shards[i] = StoredShard{ID: r.ID, FileID: r.FileID, Number: int(r.ChunkNumber), ServerAddress: r.ServerAddress,
			ServerName: r.ServerName, DataShards: int(r.DataShards)}
	}
	return shards, nil
}
