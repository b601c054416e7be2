package db

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"sixfold/db/internal/dbq"
)

// MultipartUpload is an S3 multipart upload in progress.
type MultipartUpload struct {
	ID          uuid.UUID
	Bucket      string
	Key         string
	Meta        json.RawMessage // the object's metadata to be
	InitiatedAt time.Time
}

func multipartUploadFromRow(r dbq.MultipartUpload) MultipartUpload { return MultipartUpload(r) }

// MultipartPart is one uploaded part of a multipart upload, or one segment
// of a part copied from a range across a source's parts (those share the
// part's number; the first segment carries the part's ETag and checksums).
type MultipartPart struct {
	PartNumber int32
	Segment    int16
	FileID     uuid.UUID
	BlobOffset int64 // the part's first byte in the blob
	Size       int64
	ETag       string
	Checksums  json.RawMessage
	CreatedAt  time.Time
}

func multipartPartFromRow(r dbq.MultipartPart) MultipartPart {
	return MultipartPart{PartNumber: r.PartNumber, Segment: r.Segment, FileID: r.FileID, BlobOffset: r.BlobOffset,
		Size: r.Size, ETag: r.Etag, Checksums: r.Checksums, CreatedAt: r.CreatedAt}
}

// CreateMultipartUpload records a new upload; ErrMissingParent when its
// bucket does not exist.
func (s *Store) CreateMultipartUpload(ctx context.Context, u MultipartUpload) error {
	return Translate(s.q().InsertUpload(ctx, dbq.InsertUploadParams{ID: u.ID, Bucket: u.Bucket, Key: u.Key, Meta: u.Meta}))
}

// GetMultipartUpload returns an upload in progress, or ErrNotFound.
func (s *Store) GetMultipartUpload(ctx context.Context, id uuid.UUID) (MultipartUpload, error) {
	r, err := s.q().GetUpload(ctx, id)
	return multipartUploadFromRow(r), Translate(err)
}

// ListMultipartParts returns up to limit parts numbered above after, one
// entry per part (a part of several segments has their total size).
func (s *Store) ListMultipartParts(ctx context.Context, upload uuid.UUID, after, limit int) ([]MultipartPart, error) {
	rows, err := s.q().ListUploadPartsPage(ctx, dbq.ListUploadPartsPageParams{UploadID: upload, PartNumber: int32(after),
		Limit: int32(limit)})
	return convertRows(rows, err, func(r dbq.ListUploadPartsPageRow) MultipartPart {
		return MultipartPart{PartNumber: r.PartNumber, Size: r.Size, ETag: r.Etag, Checksums: r.Checksums, CreatedAt: r.CreatedAt}
	})
}

// ListMultipartUploads returns up to limit uploads in bucket under prefix
// after (afterKey, afterID), in that order.
func (s *Store) ListMultipartUploads(ctx context.Context, bucket, prefix, afterKey string, afterID uuid.UUID, limit int) ([]MultipartUpload, error) {
	rows, err := s.q().ListUploadsPage(ctx, dbq.ListUploadsPageParams{Bucket: bucket, Prefix: prefix,
		AfterKey: afterKey, AfterID: afterID, MaxRows: int32(limit)})
	return convertRows(rows, err, multipartUploadFromRow)
}

// LockMultipartUpload locks an upload in progress until the transaction
// ends; ErrNotFound when there is none.
func (t *Tx) LockMultipartUpload(ctx context.Context, id uuid.UUID) (MultipartUpload, error) {
	r, err := t.q.LockUpload(ctx, id)
	return multipartUploadFromRow(r), Translate(err)
}

// MultipartParts returns every part row (segments included) of an upload
// in order.
func (t *Tx) MultipartParts(ctx context.Context, upload uuid.UUID) ([]MultipartPart, error) {
	rows, err := t.q.ListUploadParts(ctx, upload)
	return convertRows(rows, err, multipartPartFromRow)
}

// DeleteMultipartPart removes every segment of an upload's part n and
// returns their blobs, for the caller to retire.
func (t *Tx) DeleteMultipartPart(ctx context.Context, upload uuid.UUID, n int32) ([]uuid.UUID, error) {
	files, err := t.q.DeleteUploadPart(ctx, dbq.DeleteUploadPartParams{UploadID: upload, PartNumber: n})
	return files, Translate(err)
}

// InsertMultipartPart records a part, or one segment of a copied part.
func (t *Tx) InsertMultipartPart(ctx context.Context, upload uuid.UUID, p MultipartPart) error {
	return Translate(t.q.InsertUploadPart(ctx, dbq.InsertUploadPartParams{UploadID: upload, PartNumber: p.PartNumber,
		Segment: p.Segment, FileID: p.FileID, Size: p.Size, BlobOffset: p.BlobOffset, Etag: p.ETag, Checksums: p.Checksums}))
}

// DeleteMultipartUpload removes an upload and, by cascade, its part rows
// (not their blobs: the caller retires those it no longer needs).
func (t *Tx) DeleteMultipartUpload(ctx context.Context, id uuid.UUID) error {
	return Translate(t.q.DeleteUpload(ctx, id))
}

// ClaimAbandonedUploads locks up to limit uploads begun more than maxAge
// ago, skipping those another gateway has locked.
func (t *Tx) ClaimAbandonedUploads(ctx context.Context, maxAge time.Duration, limit int) ([]uuid.UUID, error) {
	ids, err := t.q.ClaimAbandonedUploads(ctx, dbq.ClaimAbandonedUploadsParams{MaxAgeSeconds: maxAge.Seconds(),
		MaxRows: int32(limit)})
	return ids, Translate(err)
}
