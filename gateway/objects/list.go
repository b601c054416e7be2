package objects

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"sixfold/db"
	"sixfold/db/dbq"
)

// Cursor marks where a listing page ended: the last blob's creation time and id.
type Cursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// List returns up to limit completed blobs, newest first, after cursor (nil
// for the first page), and the cursor of the next page (nil at the end).
func (s *Service) List(ctx context.Context, limit int, after *Cursor) ([]Blob, *Cursor, error) {
	createdAt, id := after.params()
	rows, err := dbq.New(s.pool).ListCompletedFiles(ctx, dbq.ListCompletedFilesParams{Limit: int32(limit + 1),
		AfterCreatedAt: createdAt, AfterID: id})
	return page(rows, limit, err)
}

// params is the cursor as a listing query's (created_at, id) bounds: NULL
// for the first page.
func (c *Cursor) params() (pgtype.Timestamptz, pgtype.UUID) {
	if c == nil {
		return pgtype.Timestamptz{}, pgtype.UUID{}
	}
	return pgtype.Timestamptz{Time: c.CreatedAt, Valid: true}, pgtype.UUID{Bytes: c.ID, Valid: true}
}

// page turns up to limit+1 listed rows into a page of blobs and the cursor
// of the next page (nil when the extra row did not come).
func page(rows []dbq.File, limit int, err error) ([]Blob, *Cursor, error) {
	if err != nil {
		return nil, nil, metadataError(db.Translate(err))
	}
	var next *Cursor
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = &Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	blobs := make([]Blob, len(rows))
	for i, r := range rows {
		blobs[i] = blobFromRow(r)
	}
	return blobs, next, nil
}

// ActiveUploads counts upload sessions in progress, for /health.
func (s *Service) ActiveUploads(ctx context.Context) (int64, error) {
	n, err := dbq.New(s.pool).CountActiveUploads(ctx)
	return n, db.Translate(err)
}

// SetMetadata replaces a completed blob's user metadata (a form's metadata
// field that arrived after its file).
func (s *Service) SetMetadata(ctx context.Context, id string, metadata json.RawMessage) error {
	fileID, err := uuid.Parse(id)
	if err != nil {
		return ErrNotFound
	}
	n, err := dbq.New(s.pool).UpdateFileMetadata(ctx, dbq.UpdateFileMetadataParams{ID: fileID, Metadata: metadata})
	if err != nil {
		return metadataError(db.Translate(err))
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
