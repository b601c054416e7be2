package objects

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/errgroup"

	"sixfold/db"
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
	expired, err := s.blobs.ExpireUploadSessions(ctx, jobBatch)
	if err == nil && expired > 0 {
		_, err = s.ProcessDeletions(ctx)
	}
	return expired, err
}

// ProcessDeletions works one batch of due chunk deletions: confirmed ones
// leave the queue, failed ones are retried later with backoff. Chunks
// queued less than Options.Retention ago are left alone. It returns how
// many were confirmed.
func (s *Service) ProcessDeletions(ctx context.Context) (int, error) {
	var done int
	dropped, err := s.blobs.WorkChunkDeletions(ctx, s.opts.Retention, jobBatch, func(due []db.DueDeletion) []db.DeletionOutcome {
		done = 0
		out := make([]db.DeletionOutcome, len(due))
		var g errgroup.Group
		g.SetLimit(8)
		for i, d := range due {
			g.Go(func() error {
				out[i] = db.DeletionOutcome{Done: s.deleteOnNode(ctx, d.ChunkID, d.ServerAddress), RetryAfter: retryAfter(d.Attempts)}
				return nil
			})
		}
		_ = g.Wait()
		for _, o := range out {
			if o.Done {
				done++
			}
		}
		return out
	})
	if dropped > 0 {
		s.log.Warn().Int("chunks", dropped).Msg("queued chunk deletions dropped: a row names each chunk, so a write whose outcome was unknown committed")
	}
	return done, err
}

// retryAfter backs off exponentially from 5 s to 5 min.
func retryAfter(attempts int) time.Duration {
	d := 5 * time.Second << min(attempts, 6)
	return min(d, 5*time.Minute)
}

func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
