package objects

import (
	"cmp"
	"context"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"sixfold/db"
	"sixfold/proto/storagepb"
)

// deleteTimeout bounds one DeleteChunk call when CallTimeout is longer: a
// deletion is never urgent, and a node too slow for it is tried again by
// the deletion job rather than holding up the request or the job's round.
const deleteTimeout = 2 * time.Second

// deletingHold keeps a chunk that its gateway is deleting at once out of
// every gateway's queue claims for longer than that attempt can take, so
// two gateways never both call DeleteChunk for it. A failed attempt leaves
// the row, due when the hold ends.
const deletingHold = 5 * deleteTimeout

// Delete removes a completed blob: its rows go in one transaction that also
// queues its chunks for deletion. Without a retention (Options.Retention)
// the chunks are then deleted on their nodes at once where possible, and by
// the deletion job otherwise; with one, the deletion job deletes them when
// it has passed.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	locs, err := s.blobs.DeleteFile(ctx, id, cmp.Or(s.opts.Retention, deletingHold))
	if err != nil {
		return metadataError(err)
	}
	chunks := make([]Chunk, len(locs))
	for i, l := range locs {
		chunks[i] = Chunk{ID: l.ID, ServerID: l.ServerID, ServerAddress: l.ServerAddress}
	}
	if s.opts.Retention == 0 {
		s.deleteChunksNow(ctx, chunks)
	}
	return nil
}

// deleteChunksNow tries each queued chunk's deletion once, in parallel, and
// takes the confirmed ones off the queue. Failures stay queued, due at once
// (their deletingHold released) for the deletion job.
func (s *Service) deleteChunksNow(ctx context.Context, chunks []Chunk) {
	ctx = context.WithoutCancel(ctx)
	var g errgroup.Group
	for _, c := range chunks {
		g.Go(func() error {
			if s.deleteOnNode(ctx, c.ID, c.ServerAddress) {
				s.finishDeletion(ctx, c.ID)
			} else {
				s.releaseDeletion(ctx, c.ID)
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
	if err := s.blobs.FinishChunkDeletion(ctx, chunkID); err != nil {
		s.log.Warn().Err(err).Str("chunk_id", chunkID.String()).Msg("chunk deleted but still queued; it will be deleted again")
	}
}

// releaseDeletion makes a chunk whose deletion at once failed due for the
// deletion job now, rather than when its deletingHold ends.
func (s *Service) releaseDeletion(ctx context.Context, chunkID uuid.UUID) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := s.blobs.PostponeChunkDeletion(ctx, chunkID, "node unreachable", 0)
	if err != nil {
		s.log.Warn().Err(err).Str("chunk_id", chunkID.String()).Msg("failed chunk deletion stays held; the deletion job retries it later")
	}
}

// locations is where chunks are stored, for the deletion queue.
func locations(chunks []Chunk) []db.ChunkLocation {
	locs := make([]db.ChunkLocation, len(chunks))
	for i, c := range chunks {
		locs[i] = db.ChunkLocation{ID: c.ID, ServerID: c.ServerID, ServerAddress: c.ServerAddress}
	}
	return locs
}
