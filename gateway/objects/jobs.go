package objects

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/errgroup"

	"sixfold/db"
	"sixfold/db/dbq"
)

// jobBatch is how many queue rows one pass of a job claims.
const jobBatch = 100

// deletionRetryInterval is how often the deletion queue is worked even when
// nothing kicks it, so a node that comes back loses its deleted chunks soon.
const deletionRetryInterval = 10 * time.Second

// Kick wakes the deletion worker; it never blocks.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// CleanupJob is a periodic cleanup pass owned by another package (the S3
// door's expiry of abandoned multipart uploads); it returns how many items
// it handled.
type CleanupJob struct {
	Name string
	Run  func(ctx context.Context) (int, error)
}

// RunJobs runs the background jobs until ctx ends: the chunk-deletion queue
// worker and, every cleanupInterval, the expiry of abandoned upload
// sessions followed by each extra cleanup job. Any number of gateways may
// run them at once: they claim their rows with FOR UPDATE SKIP LOCKED.
func (s *Service) RunJobs(ctx context.Context, cleanupInterval time.Duration, extra ...CleanupJob) {
	deletions := time.NewTicker(deletionRetryInterval)
	defer deletions.Stop()
	cleanup := time.NewTicker(cleanupInterval)
	defer cleanup.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-cleanup.C:
			n, err := s.ExpireSessions(ctx)
			s.logJob("expire upload sessions", n, err)
			for _, job := range extra {
				n, err := job.Run(ctx)
				s.logJob(job.Name, n, err)
			}
			continue
		case <-deletions.C:
		case <-s.kick:
		}
		n, err := s.ProcessDeletions(ctx)
		s.logJob("chunk deletions", n, err)
	}
}

func (s *Service) logJob(name string, n int, err error) {
	if err != nil && !isCanceled(err) {
		s.log.Warn().Err(err).Str("job", name).Msg("background job failed; will retry")
	} else if n > 0 {
		s.log.Info().Str("job", name).Int("items", n).Msg("background job pass")
	}
}

// ExpireSessions removes uploads whose session timed out: their chunks are
// queued for deletion and their rows deleted. It returns how many expired.
func (s *Service) ExpireSessions(ctx context.Context) (int, error) {
	var expired int
	err := db.WithTx(ctx, s.pool, func(q *dbq.Queries) error {
		sessions, err := q.ClaimExpiredUploadSessions(ctx, jobBatch)
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
	if err == nil && expired > 0 {
		_, err = s.ProcessDeletions(ctx)
	}
	return expired, db.Translate(err)
}

// ProcessDeletions works one batch of due chunk deletions: confirmed ones
// leave the queue, failed ones are retried later with backoff. Chunks
// queued less than Options.Retention ago are left alone. It returns how
// many were confirmed.
func (s *Service) ProcessDeletions(ctx context.Context) (int, error) {
	var done int
	err := db.WithTx(ctx, s.pool, func(q *dbq.Queries) error {
		retention := s.opts.Retention.Seconds()
		if retention > 0 {
			if _, err := q.DeferRetainedChunkDeletions(ctx, dbq.DeferRetainedChunkDeletionsParams{
				RetentionSeconds: retention, MaxRows: 10 * jobBatch}); err != nil {
				return err
			}
		}
		rows, err := q.ClaimDueChunkDeletions(ctx, dbq.ClaimDueChunkDeletionsParams{RetentionSeconds: retention, MaxRows: jobBatch})
		if err != nil {
			return err
		}
		ok := make([]bool, len(rows))
		var g errgroup.Group
		g.SetLimit(8)
		for i, r := range rows {
			g.Go(func() error { ok[i] = s.deleteOnNode(ctx, r.ChunkID, r.ServerAddress); return nil })
		}
		_ = g.Wait()
		for i, r := range rows {
			if ok[i] {
				done++
				err = q.FinishChunkDeletion(ctx, r.ChunkID)
			} else {
				err = q.PostponeChunkDeletion(ctx, dbq.PostponeChunkDeletionParams{ChunkID: r.ChunkID,
					LastError: text("node unreachable"), RetryAfterSeconds: retryAfter(r.Attempts).Seconds()})
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return done, db.Translate(err)
}

// retryAfter backs off exponentially from 5 s to 5 min.
func retryAfter(attempts int32) time.Duration {
	d := 5 * time.Second << min(attempts, 6)
	return min(d, 5*time.Minute)
}

func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
