package objects

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
)

// Cursor marks where a listing page ended: the last blob's creation time and id.
type Cursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// List returns up to limit completed blobs, newest first, after cursor (nil
// for the first page), and the cursor of the next page (nil at the end).
func (s *Service) List(ctx context.Context, limit int, after *Cursor) ([]Blob, *Cursor, error) {
	rows, err := s.blobs.ListCompletedFiles(ctx, limit+1, after.pageAfter())
	return page(rows, limit, err)
}

// pageAfter is the cursor as a listing query's bound: nil for the first page.
func (c *Cursor) pageAfter() *db.PageAfter {
	if c == nil {
		return nil
	}
	return &db.PageAfter{CreatedAt: c.CreatedAt, ID: c.ID}
}

// page turns up to limit+1 listed rows into a page of blobs and the cursor
// of the next page (nil when the extra row did not come).
func page(rows []db.File, limit int, err error) ([]Blob, *Cursor, error) {
	if err != nil {
		return nil, nil, metadataError(err)
	}
	var next *Cursor
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = &Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	blobs := make([]Blob, len(rows))
	for i, r := range rows {
		blobs[i] = blobFromFile(r)
	}
	return blobs, next, nil
}

// ActiveUploads counts upload sessions in progress, for /health.
func (s *Service) ActiveUploads(ctx context.Context) (int64, error) {
	return s.blobs.CountActiveUploads(ctx)
}

// SetMetadata replaces a completed blob's user metadata (a form's metadata
// field that arrived after its file).
func (s *Service) SetMetadata(ctx context.Context, id string, metadata json.RawMessage) error {
	fileID, err := uuid.Parse(id)
	if err != nil {
		return ErrNotFound
	}
	found, err := s.blobs.SetFileMetadata(ctx, fileID, metadata)
	if err != nil {
		return metadataError(err)
	}
	if !found {
		return ErrNotFound
	}
	return nil
}
