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
	createdAt, id := after.params()
	rows, err := dbq.New(s.pool).ListCompletedFilesOwnedBy(ctx, dbq.ListCompletedFilesOwnedByParams{Limit: int32(limit + 1),
		OwnerIdentity: pgtype.Text{String: owner, Valid: true}, AfterCreatedAt: createdAt, AfterID: id})
	return page(rows, limit, err)
}
