// Package s3backend adapts the gateway's object service to the S3 door:
// it implements s3api.Backend on PostgreSQL (buckets, objects, multipart
// uploads) and the six-chunk blobs of package objects. Every S3 object is
// an ordered list of blobs: one for a single PUT, one per part for a
// multipart upload, so completing an upload copies no bytes.
package s3backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
	"sixfold/gateway/intake"
	"sixfold/gateway/objects"
	"sixfold/gateway/spool"
	"sixfold/s3api"
)

// minPartSize is S3's smallest part other than the last.
const minPartSize = 5 << 20

// retireGrace is how long the blobs of an overwritten or deleted object
// survive, so that reads which began before the swap can finish.
const retireGrace = 60 * time.Second

// Options configures a Backend.
type Options struct {
	// MaxSize is the largest object.
	MaxSize int64
	// Spool stages payloads of unknown length while they are measured.
	// Optional: nil stages in the OS temp dir without a limit.
	Spool *spool.Spool
}

// Blobs is what the backend asks of the blob store (gateway/objects,
// which owns blobs and their chunks): store a body as one blob, writing
// the S3 rows that point at it in the transaction that completes it; find
// an object's parts (objects reads the rows, so no S3 code rebuilds chunk
// lists); and read a range across the blobs of those parts.
type Blobs interface {
	Put(ctx context.Context, in objects.PutInput) (objects.Blob, error)
	ObjectParts(ctx context.Context, objectID uuid.UUID) ([]objects.Part, error)
	OpenParts(ctx context.Context, parts []objects.Part, offset, length int64) (io.ReadCloser, error)
}

// Backend implements s3api.Backend. It is safe for concurrent use.
type Backend struct {
	store   *db.Store
	objects Blobs
	opts    Options
}

var _ s3api.Backend = (*Backend)(nil)

// New wires a Backend.
func New(store *db.Store, svc Blobs, opts Options) *Backend {
	return &Backend{store: store, objects: svc, opts: opts}
}

// CreateBucket implements s3api.BucketBackend.
func (b *Backend) CreateBucket(ctx context.Context, bucket string) error {
	created, err := b.store.CreateBucket(ctx, bucket, s3api.IdentityFrom(ctx))
	if err == nil && !created {
		return s3api.ErrBucketAlreadyOwnedByYou
	}
	return storeError(err)
}

// PutBucketPolicy implements s3api.BucketBackend.
func (b *Backend) PutBucketPolicy(ctx context.Context, bucket, policy string) error {
	return bucketChange(b.store.SetBucketPolicy(ctx, bucket, policy))
}

// HeadBucket implements s3api.BucketBackend.
func (b *Backend) HeadBucket(ctx context.Context, bucket string) (s3api.Bucket, error) {
	row, err := b.store.GetBucket(ctx, bucket)
	if err != nil {
		return s3api.Bucket{}, notFoundAs(err, s3api.ErrNoSuchBucket)
	}
	return bucketInfo(row), nil
}

func bucketInfo(row db.Bucket) s3api.Bucket {
	out := s3api.Bucket{Name: row.Name, CreatedAt: row.CreatedAt, Versioning: row.Versioning,
		Owner: row.Owner, Policy: row.Policy}
	if row.Tags != nil {
		out.Tags = map[string]string{}
		_ = json.Unmarshal(row.Tags, &out.Tags)
	}
	if row.Lifecycle != nil {
		_ = json.Unmarshal(row.Lifecycle, &out.Lifecycle)
	}
	return out
}

// PutBucketLifecycle implements s3api.BucketBackend; ApplyLifecycle
// carries the rules out.
func (b *Backend) PutBucketLifecycle(ctx context.Context, bucket string, rules []s3api.LifecycleRule) error {
	var raw []byte
	if rules != nil {
		raw = mustJSON(rules)
	}
	return bucketChange(b.store.SetBucketLifecycle(ctx, bucket, raw))
}

// DeleteBucket implements s3api.BucketBackend: any version or delete
// marker keeps the bucket; uploads in progress are aborted with it.
func (b *Backend) DeleteBucket(ctx context.Context, bucket string) error {
	return b.tx(ctx, func(tx *db.Tx) error {
		if err := tx.LockBucket(ctx, bucket); err != nil {
			return notFoundAs(err, s3api.ErrNoSuchBucket)
		}
		busy, err := tx.BucketHasObjects(ctx, bucket)
		if err != nil {
			return err
		}
		if busy {
			return s3api.ErrBucketNotEmpty
		}
		uploads, err := tx.BucketUploads(ctx, bucket)
		if err != nil {
			return err
		}
		for _, id := range uploads {
			if err := dropUpload(ctx, tx, id); err != nil {
				return err
			}
		}
		return tx.DeleteBucket(ctx, bucket)
	})
}

// PutBucketVersioning implements s3api.BucketBackend.
func (b *Backend) PutBucketVersioning(ctx context.Context, bucket, status string) error {
	return bucketChange(b.store.SetBucketVersioning(ctx, bucket, status))
}

// PutBucketTagging implements s3api.BucketBackend.
func (b *Backend) PutBucketTagging(ctx context.Context, bucket string, tags map[string]string) error {
	var raw []byte
	if tags != nil {
		raw = mustJSON(tags)
	}
	return bucketChange(b.store.SetBucketTags(ctx, bucket, raw))
}

// bucketChange maps the outcome of a change to a bucket's settings.
func bucketChange(found bool, err error) error {
	if err == nil && !found {
		return s3api.ErrNoSuchBucket
	}
	return storeError(err)
}

// ListBuckets implements s3api.BucketBackend.
func (b *Backend) ListBuckets(ctx context.Context) ([]s3api.Bucket, error) {
	rows, err := b.store.ListBuckets(ctx)
	if err != nil {
		return nil, storeError(err)
	}
	out := make([]s3api.Bucket, len(rows))
	for i, r := range rows {
		out[i] = bucketInfo(r)
	}
	return out, nil
}

// tx runs fn in a transaction and maps what fails to s3api errors.
func (b *Backend) tx(ctx context.Context, fn func(tx *db.Tx) error) error {
	return storeError(b.store.WithTx(ctx, fn))
}

// storeBlob stores one payload as an S3-owned blob. commit runs inside the
// transaction that completes the blob. A payload of unknown length is
// spooled to disk first: the blob layout needs the size up front.
// payload is a verified S3 body on its way into a blob.
type payload struct {
	size int64 // exact, or -1
	body io.Reader
	// sha256, when set, returns the body's SHA-256 after io.EOF.
	sha256 func() []byte
}

func (b *Backend) storeBlob(ctx context.Context, name, contentType string, p payload, commit func(context.Context, *db.Tx, objects.Blob) error) error {
	size, body := p.size, p.body
	if err := intake.CheckDeclared(size, b.opts.MaxSize); err != nil {
		return blobError(err)
	}
	if size < 0 {
		staged, n, err := b.stage(ctx, body)
		if err != nil {
			return err
		}
		defer staged.Close()
		body, size = staged, n
	}
	_, err := b.objects.Put(ctx, objects.PutInput{
		Filename: name, ContentType: intake.ContentType(contentType), Size: size, Exact: true,
		Body: body, KnownSHA256: p.sha256, NoChecksum: true, Owner: "s3", OnCommit: commit,
	})
	return blobError(err)
}

func (b *Backend) stage(ctx context.Context, body io.Reader) (*spool.File, int64, error) {
	sp := b.opts.Spool
	if sp == nil {
		sp = spool.New("", 0)
	}
	f, n, err := intake.Stage(ctx, sp, body, b.opts.MaxSize)
	return f, n, blobError(err)
}

// storeError maps PostgreSQL failures (an unreachable database is a
// retryable 503); s3api sentinels pass through.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	if err = db.Translate(err); errors.Is(err, db.ErrUnavailable) {
		return fmt.Errorf("%w: %w", s3api.ErrServiceUnavailable, err)
	}
	return err
}

func notFoundAs(err, sentinel error) error {
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return sentinel
	}
	return storeError(db.Translate(err))
}

// blobError maps the object service's errors, keeping the cause (a
// payload's signature or checksum failure) in the chain for the S3 layer.
func blobError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, objects.ErrTooLarge):
		return fmt.Errorf("%w: %w", s3api.ErrEntityTooLarge, err)
	case errors.Is(err, objects.ErrIncompleteBody), errors.Is(err, objects.ErrBodyTimeout):
		return fmt.Errorf("%w: %w", s3api.ErrIncompleteBody, err)
	case errors.Is(err, objects.ErrNoNodes), errors.Is(err, objects.ErrNodeUnavailable), errors.Is(err, objects.ErrUnavailable),
		errors.Is(err, spool.ErrFull):
		return fmt.Errorf("%w: %w", s3api.ErrServiceUnavailable, err)
	case errors.Is(err, objects.ErrNotFound):
		return fmt.Errorf("%w: %w", s3api.ErrNoSuchKey, err)
	}
	return storeError(err)
}

func mustJSON(v any) json.RawMessage {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps and structs of strings are marshalled here
	}
	return raw
}

func parseID(id string) (uuid.UUID, bool) {
	u, err := uuid.Parse(id)
	return u, err == nil
}

// knownSHA256 turns a Digests func into the blob's KnownSHA256 when the S3
// layer promised to compute the digest.
func knownSHA256(known bool, digests func() s3api.Digests) func() []byte {
	if !known {
		return nil
	}
	return func() []byte { return digests().SHA256 }
}
