// Package s3mem is an in-memory s3api.Backend: maps behind one mutex. It
// honours every contract of s3api.Backend (ETags, composite multipart
// ETags and checksums, EntityTooSmall, atomic overwrite, verified-body
// semantics) and is what s3api's own tests run against. Objects live
// whole in memory, so it is for tests and small demos only.
package s3mem

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"sixfold/s3api"
)

// Store is the in-memory Backend. Its zero value is not usable; call New.
type Store struct {
	mu      sync.Mutex // protects the maps below and what they point to
	buckets map[string]*bucket
	uploads map[string]*upload // by upload id
	blobs   map[string][]byte  // object bytes by ObjectInfo.ID; immutable, shared by copies
	now     func() time.Time
}

var _ s3api.Backend = (*Store)(nil)

// bucket is one bucket's objects.
type bucket struct {
	created    time.Time
	versioning string
	tags       map[string]string
	lifecycle  []s3api.LifecycleRule
	owner      string
	policy     string
	// versions holds every version of a key, oldest first; the last one
	// is the latest (maybe a delete marker). A key with none is absent.
	versions map[string][]s3api.ObjectInfo
}

// latest returns the latest version of key.
func (b *bucket) latest(key string) (s3api.ObjectInfo, bool) {
	vs := b.versions[key]
	if len(vs) == 0 {
		return s3api.ObjectInfo{}, false
	}
	return vs[len(vs)-1], true
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		buckets: map[string]*bucket{},
		uploads: map[string]*upload{},
		blobs:   map[string][]byte{},
		now:     func() time.Time { return time.Now().UTC() },
	}
}

// newID returns a random 16-byte hex id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// CreateBucket implements s3api.BucketBackend.
func (s *Store) CreateBucket(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; ok {
		return s3api.ErrBucketAlreadyOwnedByYou
	}
	s.buckets[name] = &bucket{created: s.now(), owner: s3api.IdentityFrom(ctx), versions: map[string][]s3api.ObjectInfo{}}
	return nil
}

// HeadBucket implements s3api.BucketBackend.
func (s *Store) HeadBucket(ctx context.Context, name string) (s3api.Bucket, error) {
	if err := ctx.Err(); err != nil {
		return s3api.Bucket{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return s3api.Bucket{}, s3api.ErrNoSuchBucket
	}
	return s3api.Bucket{Name: name, CreatedAt: b.created, Versioning: b.versioning, Tags: maps.Clone(b.tags),
		Lifecycle: slices.Clone(b.lifecycle), Owner: b.owner, Policy: b.policy}, nil
}

// PutBucketVersioning implements s3api.BucketBackend.
func (s *Store) PutBucketVersioning(ctx context.Context, name, status string) error {
	return s.withBucket(ctx, name, func(b *bucket) error {
		b.versioning = status
		return nil
	})
}

// PutBucketTagging implements s3api.BucketBackend.
func (s *Store) PutBucketTagging(ctx context.Context, name string, tags map[string]string) error {
	return s.withBucket(ctx, name, func(b *bucket) error {
		b.tags = maps.Clone(tags)
		return nil
	})
}

// PutBucketPolicy implements s3api.BucketBackend.
func (s *Store) PutBucketPolicy(ctx context.Context, name, policy string) error {
	return s.withBucket(ctx, name, func(b *bucket) error {
		b.policy = policy
		return nil
	})
}

// PutBucketLifecycle implements s3api.BucketBackend. The in-memory store
// keeps the rules but applies none.
func (s *Store) PutBucketLifecycle(ctx context.Context, name string, rules []s3api.LifecycleRule) error {
	return s.withBucket(ctx, name, func(b *bucket) error {
		b.lifecycle = slices.Clone(rules)
		return nil
	})
}

// withBucket runs fn on a bucket with s.mu held.
func (s *Store) withBucket(ctx context.Context, name string, fn func(b *bucket) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return s3api.ErrNoSuchBucket
	}
	return fn(b)
}

// DeleteBucket implements s3api.BucketBackend.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return s3api.ErrNoSuchBucket
	}
	if len(b.versions) > 0 {
		return s3api.ErrBucketNotEmpty
	}
	for id, u := range s.uploads {
		if u.bucket == name {
			delete(s.uploads, id)
		}
	}
	delete(s.buckets, name)
	return nil
}

// ListBuckets implements s3api.BucketBackend, in name order.
func (s *Store) ListBuckets(ctx context.Context) ([]s3api.Bucket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]s3api.Bucket, 0, len(s.buckets))
	for name, b := range s.buckets {
		out = append(out, s3api.Bucket{Name: name, CreatedAt: b.created, Owner: b.owner})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// readBody reads a verified body whole; size, when known, must match.
func readBody(ctx context.Context, body io.Reader, size int64) ([]byte, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	if size >= 0 && int64(len(data)) != size {
		return nil, s3api.ErrIncompleteBody
	}
	return data, ctx.Err()
}
