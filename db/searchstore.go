package db

import "context"

// SearchFiles is SearchFiles over the Store's pool.
func (s *Store) SearchFiles(ctx context.Context, req SearchRequest) (SearchPage, error) {
	return SearchFiles(ctx, s.pool, req)
}

// SearchObjects is SearchObjects over the Store's pool.
func (s *Store) SearchObjects(ctx context.Context, bucket string, req SearchRequest) (SearchPage, error) {
	return SearchObjects(ctx, s.pool, bucket, req)
}
