package sweep

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/internal/storedrows"
)

// flagMissing pages through the stored rows of this node and flags those
// whose file is gone, one UPDATE per page. A row is read as stored only
// after its file was made durable, so a file found absent afterwards is
// really gone (or deleted together with its row, which the UPDATE skips).
func (s *Sweeper) flagMissing(ctx context.Context, res *Result) error {
	walk := storedrows.Walk{Node: s.opts.NodeID, BatchSize: s.opts.BatchSize, MinAge: missingMinAge, QueryTimeout: queryTimeout}
	return walk.Each(ctx, s.q, func(rows []storedrows.Row) error {
		gone, err := s.absent(rows)
		if err != nil {
			return err
		}
		return s.markMissing(ctx, gone, res)
	})
}

// absent returns the ids of rows whose chunk file does not exist.
func (s *Sweeper) absent(rows []storedrows.Row) ([]uuid.UUID, error) {
	var gone []uuid.UUID
	for _, row := range rows {
		_, err := s.store.Stat(row.ID.String())
		if errors.Is(err, chunkstore.ErrNotFound) {
			gone = append(gone, row.ID)
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return gone, nil
}

// markMissing flags ids status = 'missing' in one statement.
func (s *Sweeper) markMissing(ctx context.Context, ids []uuid.UUID, res *Result) error {
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	flagged, err := s.q.MarkChunksMissingOnServer(ctx, s.opts.NodeID, ids)
	if err != nil {
		return err
	}
	res.MissingFlagged += len(flagged)
	s.opts.Observer.SweepMissingFlagged(len(flagged))
	for _, id := range flagged {
		s.log.Error().Str("chunk_id", id.String()).Msg("chunk file is missing; flagged")
	}
	return nil
}
