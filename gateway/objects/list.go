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
	params := dbq.ListCompletedFilesParams{Limit: int32(limit + 1)}
	if after != nil {
		params.AfterCreatedAt = pgtype.Timestamptz{Time: after.CreatedAt, Valid: true}
		params.AfterID = pgtype.UUID{Bytes: after.ID, Valid: true}
	}
	rows, err := dbq.New(s.pool).ListCompletedFiles(ctx, params)
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
