// Package storedrows pages through the chunks PostgreSQL records as stored
// on one node, the walk the scrubber and the sweeper both make: by id, a
// batch at a time, so a pass over millions of rows holds one page in memory
// and every statement is bounded.
package storedrows

import (
	"context"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
)

// Lister is the query the walk runs; *db.Store is one. Its errors come
// back translated (db.ErrUnavailable and the like).
type Lister interface {
	ListStoredChunksOnServer(ctx context.Context, server, after uuid.UUID, minAge time.Duration, limit int) ([]db.StoredChunk, error)
}

var _ Lister = (*db.Store)(nil)

// Row is one stored chunk of the node.
type Row = db.StoredChunk

// Walk is one pass over a node's stored rows.
type Walk struct {
	Node      uuid.UUID
	BatchSize int
	// MinAge leaves out rows younger than this: an upload may still be
	// finishing with them.
	MinAge time.Duration
	// QueryTimeout bounds each page's statement.
	QueryTimeout time.Duration
}

// Each calls visit with every page in id order until the rows run out,
// visit or a query fails (the error, translated), or ctx ends.
func (w Walk) Each(ctx context.Context, q Lister, visit func([]Row) error) error {
	after := uuid.Nil
	for {
		rows, err := w.page(ctx, q, after)
		if err != nil || len(rows) == 0 {
			return err
		}
		if err := visit(rows); err != nil {
			return err
		}
		after = rows[len(rows)-1].ID
	}
}

func (w Walk) page(ctx context.Context, q Lister, after uuid.UUID) ([]Row, error) {
	if w.QueryTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.QueryTimeout)
		defer cancel()
	}
	return q.ListStoredChunksOnServer(ctx, w.Node, after, w.MinAge, w.BatchSize)
}
