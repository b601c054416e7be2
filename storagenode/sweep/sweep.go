// Package sweep reconciles a storage node's chunk files with the chunks
// rows in PostgreSQL, in both directions:
//
//   - A chunk file that no row knows, older than MinAge, is an orphan (an
//     upload that died, a delete that never reached the node) and is
//     removed. A streamed upload's rows exist from its start, and a blob
//     written whole (one call per shard) is recorded within 30 s of its
//     shards being sent or abandoned (gateway/objects, unrecordedLimit), so
//     "no row" on a file older than MinAge means no upload can still want
//     it: MinAge, at least a minute and longer than the longest upload
//     session, guards the rest. A deletion queued in chunk_deletions
//     for this node also counts as knowing the file: the queue removes it
//     after its grace period, which readers of a replaced object rely on.
//   - A row recorded as stored on this node, at least a minute old, whose
//     file is gone is flagged status = 'missing'.
//
// All SQL is batched: ids go to PostgreSQL BatchSize at a time.
package sweep

import (
	"context"
	"iter"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/internal/periodic"
	"sixfold/storagenode/internal/storedrows"
)

// DefaultBatchSize is the number of ids sent to PostgreSQL per statement.
const DefaultBatchSize = 1000

// missingMinAge keeps rows of an upload in flight out of the missing check.
const missingMinAge = time.Minute

// queryTimeout bounds each statement of a pass.
const queryTimeout = 30 * time.Second

// Queries is what a pass needs from PostgreSQL; *db.Store is one. Its
// errors come back translated.
type Queries interface {
	ListKnownChunkIDs(ctx context.Context, server uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error)
	storedrows.Lister
	MarkChunksMissingOnServer(ctx context.Context, server uuid.UUID, ids []uuid.UUID) ([]uuid.UUID, error)
}

// Store is what a pass needs from the disk; *chunkstore.Store is one.
type Store interface {
	All() iter.Seq2[chunkstore.ChunkInfo, error]
	Stat(id string) (chunkstore.ChunkInfo, error)
	DeleteIfOlder(id string, cutoff time.Time) (bool, error)
}

var (
	_ Queries = (*db.Store)(nil)
	_ Store   = (*chunkstore.Store)(nil)
)

// Observer hears what a pass changes; the metrics package is one.
type Observer interface {
	SweepOrphanRemoved()       // one orphan file removed
	SweepMissingFlagged(n int) // n rows flagged missing
}

// Options configure a Sweeper.
type Options struct {
	NodeID    uuid.UUID     // the node's storage_servers.id
	Interval  time.Duration // pause between passes of Run; <= 0: Run does nothing
	MinAge    time.Duration // age from which a file without a row is removed
	BatchSize int           // ids per statement; <= 0: DefaultBatchSize
	Observer  Observer      // optional
}

// Result counts what one pass did.
type Result struct {
	Files          int // chunk files looked at
	OrphansRemoved int // files without a row, older than MinAge, removed
	MissingFlagged int // stored rows whose file was gone, flagged missing
}

// Sweeper runs sweep passes for one node.
type Sweeper struct {
	q     Queries
	store Store
	opts  Options
	log   zerolog.Logger
}

// New returns a Sweeper over q and store. opts.MinAge must be positive.
func New(q Queries, store Store, opts Options, log zerolog.Logger) *Sweeper {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	return &Sweeper{q: q, store: store, opts: opts, log: log.With().Str("job", "sweep").Logger()}
}

// Run runs a pass shortly after it is called and then every Interval after
// the previous one ended, until ctx ends. Each pass is logged.
func (s *Sweeper) Run(ctx context.Context) {
	periodic.Run(ctx, s.opts.Interval, func(ctx context.Context) {
		start := time.Now()
		res, err := s.RunOnce(ctx)
		ev := s.log.Info()
		if err != nil && ctx.Err() == nil {
			ev = s.log.Error().Err(err)
		}
		ev.Int("files", res.Files).Int("orphans_removed", res.OrphansRemoved).
			Int("missing_flagged", res.MissingFlagged).Dur("took", time.Since(start)).Msg("sweep pass finished")
	})
}

// RunOnce runs one whole pass: orphans first, then missing files. It stops
// at the first database or disk error, or when ctx ends.
func (s *Sweeper) RunOnce(ctx context.Context) (Result, error) {
	var res Result
	if s.opts.MinAge <= 0 {
		return res, errMinAge
	}
	if err := s.removeOrphans(ctx, &res); err != nil {
		return res, err
	}
	return res, s.flagMissing(ctx, &res)
}

type nopObserver struct{}

func (nopObserver) SweepOrphanRemoved()     {}
func (nopObserver) SweepMissingFlagged(int) {}
