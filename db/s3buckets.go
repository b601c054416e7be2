package db

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"sixfold/db/internal/dbq"
)

// Bucket is an S3 bucket.
type Bucket struct {
	Name       string
	CreatedAt  time.Time
	Versioning string          // "" (never enabled), "Enabled" or "Suspended"
	Owner      string          // the identity that created it; "" for none
	Policy     string          // its JSON bucket policy; "" for none
	Tags       json.RawMessage // nil when none are set
	Lifecycle  json.RawMessage // nil when no rules are set
}

func bucketFromRow(r dbq.Bucket) Bucket {
	return Bucket{Name: r.Name, CreatedAt: r.CreatedAt, Versioning: r.Versioning, Owner: r.OwnerIdentity.String,
		Policy: r.Policy.String, Tags: r.Tags, Lifecycle: r.Lifecycle}
}

// CreateBucket creates an empty bucket owned by owner ("" for none) and
// reports false when one of that name exists already, whoever owns it.
func (s *Store) CreateBucket(ctx context.Context, name, owner string) (bool, error) {
	q := s.q()
	n, err := q.CreateBucket(ctx, name)
	if err != nil || n == 0 {
		return false, Translate(err)
	}
	if owner != "" {
		// Only a bucket without an owner is claimed, so a race with a
		// second CreateBucket cannot take it over.
		err = q.ClaimBucket(ctx, dbq.ClaimBucketParams{Name: name, OwnerIdentity: pgtype.Text{String: owner, Valid: true}})
	}
	return true, Translate(err)
}

// GetBucket returns a bucket, or ErrNotFound.
func (s *Store) GetBucket(ctx context.Context, name string) (Bucket, error) {
	r, err := s.q().GetBucket(ctx, name)
	if err != nil {
		return Bucket{}, Translate(err)
	}
	return bucketFromRow(r), nil
}

// ListBuckets returns every bucket by name.
func (s *Store) ListBuckets(ctx context.Context) ([]Bucket, error) {
	rows, err := s.q().ListBuckets(ctx)
	return convertRows(rows, err, bucketFromRow)
}

// SetBucketPolicy replaces a bucket's policy; false when there is no such
// bucket.
func (s *Store) SetBucketPolicy(ctx context.Context, name, policy string) (bool, error) {
	return found(s.q().SetBucketPolicy(ctx, dbq.SetBucketPolicyParams{Name: name, Policy: policy}))
}

// SetBucketVersioning sets a bucket's versioning state; false when there
// is no such bucket.
func (s *Store) SetBucketVersioning(ctx context.Context, name, state string) (bool, error) {
	return found(s.q().SetBucketVersioning(ctx, dbq.SetBucketVersioningParams{Name: name, Versioning: state}))
}

// SetBucketTags replaces a bucket's tags (nil: none); false when there is
// no such bucket.
func (s *Store) SetBucketTags(ctx context.Context, name string, tags json.RawMessage) (bool, error) {
	return found(s.q().SetBucketTags(ctx, dbq.SetBucketTagsParams{Name: name, Tags: tags}))
}

// SetBucketLifecycle replaces a bucket's lifecycle rules (nil: none);
// false when there is no such bucket.
func (s *Store) SetBucketLifecycle(ctx context.Context, name string, rules json.RawMessage) (bool, error) {
	return found(s.q().SetBucketLifecycle(ctx, dbq.SetBucketLifecycleParams{Name: name, Lifecycle: rules}))
}

func found(rows int64, err error) (bool, error) {
	return rows > 0, Translate(err)
}

// LockBucket locks a bucket against every other change until the
// transaction ends; ErrNotFound when there is none.
func (t *Tx) LockBucket(ctx context.Context, name string) error {
	_, err := t.q.LockBucket(ctx, name)
	return Translate(err)
}

// BucketHasObjects reports whether any version or delete marker is left
// in a bucket.
func (t *Tx) BucketHasObjects(ctx context.Context, name string) (bool, error) {
	busy, err := t.q.BucketHasObjects(ctx, name)
	return busy, Translate(err)
}

// BucketUploads returns the multipart uploads in progress in a bucket.
func (t *Tx) BucketUploads(ctx context.Context, name string) ([]uuid.UUID, error) {
	ids, err := t.q.ListBucketUploads(ctx, name)
	return ids, Translate(err)
}

// DeleteBucket deletes a bucket's row.
func (t *Tx) DeleteBucket(ctx context.Context, name string) error {
	return Translate(t.q.DeleteBucket(ctx, name))
}

// BucketLifecycle is a bucket's name and its lifecycle rules (JSON).
type BucketLifecycle struct {
	Bucket string
	Rules  json.RawMessage
}

// WithLifecycleLock runs fn while this gateway holds the cluster-wide
// lifecycle lock, given every bucket that has rules, and reports whether
// it ran: when another gateway holds the lock, fn is skipped. The lock
// lives in a transaction of its own, so fn's removals commit as they go.
func (s *Store) WithLifecycleLock(ctx context.Context, fn func([]BucketLifecycle) error) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, Translate(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after Commit
	q := dbq.New(tx)
	locked, err := q.TryLifecycleLock(ctx)
	if err != nil || !locked {
		return false, Translate(err)
	}
	rows, err := q.BucketsWithLifecycle(ctx)
	buckets, err := convertRows(rows, err, func(r dbq.BucketsWithLifecycleRow) BucketLifecycle {
		return BucketLifecycle{Bucket: r.Name, Rules: r.Lifecycle}
	})
	if err != nil {
		return false, err
	}
	if err := fn(buckets); err != nil {
		return true, err
	}
	return true, Translate(tx.Commit(ctx))
}
