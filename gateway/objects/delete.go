package objects

import (
	"context"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"sixfold/db"
	"sixfold/db/dbq"
	"sixfold/proto/storagepb"
)

// deleteTimeout bounds one DeleteChunk call when CallTimeout is longer: a
// deletion is never urgent, and a node too slow for it is tried again by
// the deletion job rather than holding up the request or the job's round.
const deleteTimeout = 2 * time.Second

// Delete removes a completed blob: its rows go in one transaction that also
// queues its chunks for deletion; the chunks are then deleted on their
// nodes at once where possible, and by the deletion job otherwise.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	var chunks []Chunk
	err := db.WithTx(ctx, s.pool, func(q *dbq.Queries) error {
		if _, err := q.GetCompletedFileForUpdate(ctx, id); err != nil {
			return err
		}
		rows, err := q.ListChunks(ctx, id)
		if err != nil {
			return err
		}
		for _, r := range rows {
			chunks = append(chunks, Chunk{ID: r.ID, ServerID: r.StorageServerID, ServerAddress: r.ServerAddress})
		}
		if _, err := q.EnqueueFileChunkDeletions(ctx, id); err != nil {
			return err
		}
		_, err = q.DeleteFile(ctx, id)
		return err
	})
	if err != nil {
		return metadataError(db.Translate(err))
	}
	s.deleteChunksNow(ctx, chunks)
	return nil
}

// deleteChunksNow tries each queued chunk's deletion once, in parallel, and
// takes the confirmed ones off the queue. Failures stay queued.
func (s *Service) deleteChunksNow(ctx context.Context, chunks []Chunk) {
	ctx = context.WithoutCancel(ctx)
	var g errgroup.Group
	for _, c := range chunks {
		g.Go(func() error {
			if s.deleteOnNode(ctx, c.ID, c.ServerAddress) {
				s.finishDeletion(ctx, c.ID)
			} else {
				s.Kick()
			}
			return nil
		})
	}
	_ = g.Wait()
}

func (s *Service) deleteOnNode(ctx context.Context, chunkID uuid.UUID, address string) bool {
	client, err := s.cluster.Client(address)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, min(deleteTimeout, s.opts.CallTimeout))
	defer cancel()
	_, err = client.DeleteChunk(ctx, &storagepb.DeleteChunkRequest{ChunkId: chunkID.String()})
	if err != nil {
		s.log.Debug().Err(err).Str("chunk_id", chunkID.String()).Str("server", address).Msg("chunk deletion deferred")
		return false
	}
	return true
}

func (s *Service) finishDeletion(ctx context.Context, chunkID uuid.UUID) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := dbq.New(s.pool).FinishChunkDeletion(ctx, chunkID); err != nil {
		s.log.Warn().Err(err).Str("chunk_id", chunkID.String()).Msg("chunk deleted but still queued; it will be deleted again")
	}
}
