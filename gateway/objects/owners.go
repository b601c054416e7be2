package objects

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"sixfold/db"
	"sixfold/db/dbq"
)

// SetOwner records who uploaded blob id: the identity (a user's name, or a
// configured access key) whose requests may then act on it without a
// policy covering every owner's files.
func (s *Service) SetOwner(ctx context.Context, id uuid.UUID, owner string) error {
	n, err := dbq.New(s.pool).SetFileOwner(ctx, dbq.SetFileOwnerParams{ID: id, OwnerIdentity: pgtype.Text{String: owner, Valid: true}})
	if err != nil {
		return metadataError(db.Translate(err))
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// ListOwned is List restricted to the blobs owner uploaded.
func (s *Service) ListOwned(ctx context.Context, owner string, limit int, after *Cursor) ([]Blob, *Cursor, error) {
	params := dbq.ListCompletedFilesOwnedByParams{Limit: int32(limit + 1), OwnerIdentity: pgtype.Text{String: owner, Valid: true}}
	if after != nil {
		params.AfterCreatedAt = pgtype.Timestamptz{Time: after.CreatedAt, Valid: true}
		params.AfterID = pgtype.UUID{Bytes: after.ID, Valid: true}
	}
	rows, err := dbq.New(s.pool).ListCompletedFilesOwnedBy(ctx, params)
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
