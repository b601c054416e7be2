// Package scrub finds chunk files that have rotted on a storage node's disk.
// A pass pages through the chunks PostgreSQL records as stored on this node,
// re-hashes each file at a capped rate, and compares the digest with
// chunks.hash: a SHA-256 (64 hex digits) for chunks written before parity, a
// CRC32C (8 hex digits) for shards. A size or digest mismatch is logged at
// error level, counted, and flagged status = 'corrupt' (in one UPDATE per
// page), so that readers and repair see it. A missing file is counted and logged but left for the sweep to
// flag; a file no row knows is the sweep's business too.
package scrub

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/internal/periodic"
	"sixfold/storagenode/internal/storedrows"
)

// DefaultBatchSize is the number of rows a pass reads per query.
const DefaultBatchSize = 1000

// queryTimeout bounds each statement of a pass.
const queryTimeout = 30 * time.Second

// Queries is what a pass needs from PostgreSQL; *db.Store is one. Its
// errors come back translated.
type Queries interface {
	storedrows.Lister
	MarkChunksCorruptOnServer(ctx context.Context, server uuid.UUID, ids []uuid.UUID) (int64, error)
}

// ChunkOpener reads chunk files; *chunkstore.Store is one.
type ChunkOpener interface {
	Open(id string, offset, length int64) (*chunkstore.Reader, error)
}

var (
	_ Queries     = (*db.Store)(nil)
	_ ChunkOpener = (*chunkstore.Store)(nil)
)

// Observer hears each verdict as it is reached; the metrics package is one.
type Observer interface {
	ScrubChecked()     // a chunk file was hashed
	ScrubCorrupt()     // and did not match its row
	ScrubMissing()     // a stored row's file was absent
	IOError(op string) // a chunk file could not be read (op "scrub")
}

// Options configure a Scrubber.
type Options struct {
	NodeID         uuid.UUID     // the node's storage_servers.id
	Interval       time.Duration // pause between passes of Run; <= 0: Run does nothing
	BytesPerSecond int64         // read cap of a pass; <= 0: none
	BatchSize      int           // rows per query; <= 0: DefaultBatchSize
	Observer       Observer      // optional
}

// Result counts what one pass found.
type Result struct {
	Checked int // chunk files hashed
	Corrupt int // of which did not match (and were flagged)
	Missing int // stored rows whose file was absent
}

// Scrubber runs scrub passes for one node.
type Scrubber struct {
	q     Queries
	store ChunkOpener
	opts  Options
	log   zerolog.Logger
}

// New returns a Scrubber that reads rows through q and files through store.
func New(q Queries, store ChunkOpener, opts Options, log zerolog.Logger) *Scrubber {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	return &Scrubber{q: q, store: store, opts: opts, log: log.With().Str("job", "scrub").Logger()}
}

// Run runs a pass shortly after it is called and then every Interval after
// the previous one ended, until ctx ends. Each pass is logged.
func (s *Scrubber) Run(ctx context.Context) {
	periodic.Run(ctx, s.opts.Interval, func(ctx context.Context) {
		start := time.Now()
		res, err := s.RunOnce(ctx)
		ev := s.log.Info()
		if err != nil && ctx.Err() == nil {
			ev = s.log.Error().Err(err)
		}
		ev.Int("checked", res.Checked).Int("corrupt", res.Corrupt).Int("missing", res.Missing).
			Dur("took", time.Since(start)).Msg("scrub pass finished")
	})
}

// RunOnce runs one whole pass and returns what it found. It stops at the
// first database error, or when ctx ends (returning ctx.Err()); corrupt
// chunks found before that are still flagged.
func (s *Scrubber) RunOnce(ctx context.Context) (Result, error) {
	var res Result
	pace := newPacer(s.opts.BytesPerSecond)
	walk := storedrows.Walk{Node: s.opts.NodeID, BatchSize: s.opts.BatchSize, QueryTimeout: queryTimeout}
	err := walk.Each(ctx, s.q, func(rows []storedrows.Row) error {
		return s.checkPage(ctx, rows, pace, &res)
	})
	return res, err
}

// checkPage verifies each row's file and flags the corrupt ones in one
// statement, also when ctx ends part way.
func (s *Scrubber) checkPage(ctx context.Context, rows []storedrows.Row, pace *pacer, res *Result) error {
	var corrupt []uuid.UUID
	var err error
	for _, row := range rows {
		var v verdict
		if v, err = s.verify(ctx, row, pace); err != nil {
			break
		}
		s.tally(v, res)
		if v == corruptFile {
			corrupt = append(corrupt, row.ID)
		}
	}
	return errors.Join(err, s.markCorrupt(context.WithoutCancel(ctx), corrupt))
}

// tally counts a verdict in res and tells the observer.
func (s *Scrubber) tally(v verdict, res *Result) {
	switch v {
	case intact, corruptFile:
		res.Checked++
		s.opts.Observer.ScrubChecked()
	case missingFile:
		res.Missing++
		s.opts.Observer.ScrubMissing()
	}
	if v == corruptFile {
		res.Corrupt++
		s.opts.Observer.ScrubCorrupt()
	}
}

// markCorrupt flags ids status = 'corrupt' in one statement.
func (s *Scrubber) markCorrupt(ctx context.Context, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	_, err := s.q.MarkChunksCorruptOnServer(ctx, s.opts.NodeID, ids)
	return err
}

type nopObserver struct{}

func (nopObserver) ScrubChecked()  {}
func (nopObserver) ScrubCorrupt()  {}
func (nopObserver) ScrubMissing()  {}
func (nopObserver) IOError(string) {}
