package sweep

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

var errMinAge = errors.New("sweep: MinAge must be positive")

// removeOrphans walks the chunk files and sends those older than MinAge to
// PostgreSQL a batch at a time; younger files cannot be removed anyway.
func (s *Sweeper) removeOrphans(ctx context.Context, res *Result) error {
	cutoff := time.Now().Add(-s.opts.MinAge)
	batch := make([]uuid.UUID, 0, s.opts.BatchSize)
	for info, err := range s.store.All() {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		res.Files++
		if !info.ModTime.Before(cutoff) {
			continue
		}
		batch = append(batch, uuid.MustParse(info.ID)) // All yields only valid ids
		if len(batch) == cap(batch) {
			if err := s.removeUnknown(ctx, batch, cutoff, res); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return s.removeUnknown(ctx, batch, cutoff, res)
}

// removeUnknown removes the files among ids that PostgreSQL does not know,
// if they are still older than cutoff.
func (s *Sweeper) removeUnknown(ctx context.Context, ids []uuid.UUID, cutoff time.Time, res *Result) error {
	known, err := s.known(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, ok := known[id]; ok {
			continue
		}
		removed, err := s.store.DeleteIfOlder(id.String(), cutoff)
		if err != nil {
			return err
		}
		if removed {
			res.OrphansRemoved++
			s.opts.Observer.SweepOrphanRemoved()
			s.log.Info().Str("chunk_id", id.String()).Msg("removed orphan chunk file")
		}
	}
	return nil
}

// known returns the ids among ids that metadata still refers to.
func (s *Sweeper) known(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]struct{}, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	found, err := s.q.ListKnownChunkIDs(ctx, s.opts.NodeID, ids)
	if err != nil {
		return nil, err
	}
	set := make(map[uuid.UUID]struct{}, len(found))
	for _, id := range found {
		set[id] = struct{}{}
	}
	return set, nil
}
