package objects

import (
	"context"

	"github.com/google/uuid"
)

// SetOwner records who uploaded blob id: the identity (a user's name, or a
// configured access key) whose requests may then act on it without a
// policy covering every owner's files.
func (s *Service) SetOwner(ctx context.Context, id uuid.UUID, owner string) error {
	found, err := s.blobs.SetFileOwner(ctx, id, owner)
	if err != nil {
		return metadataError(err)
	}
	if !found {
		return ErrNotFound
	}
	return nil
}

// ListOwned is List restricted to the blobs owner uploaded.
func (s *Service) ListOwned(ctx context.Context, owner string, limit int, after *Cursor) ([]Blob, *Cursor, error) {
	rows, err := s.blobs.ListCompletedFilesOwnedBy(ctx, owner, limit+1, after.pageAfter())
	return page(rows, limit, err)
}
