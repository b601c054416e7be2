package db

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"sixfold/db/internal/dbq"
)

// KeyCeiling, appended to a prefix, sorts after every key that starts with
// the prefix and before every other key greater than the prefix. Keys are
// valid UTF-8 of at most 1024 bytes compared as bytes, and no UTF-8
// sequence sorts after U+10FFFF's, so 1024 bytes of U+10FFFF outrank any
// key's tail. Unlike "the prefix with its last byte incremented", it is
// valid UTF-8 (PostgreSQL text cannot hold anything else) and needs no
// special case for a prefix ending in U+10FFFF. A listing resumes past
// every key under a common prefix cp from cp + KeyCeiling.
var KeyCeiling = strings.Repeat("\U0010FFFF", 256)

// ListObjects returns up to limit latest versions (no delete markers)
// whose keys are greater than after and start with prefix, in key order:
// one index range scan.
func (s *Store) ListObjects(ctx context.Context, bucket, prefix, after string, limit int) ([]Object, error) {
	rows, err := s.q().ListObjectsPage(ctx, dbq.ListObjectsPageParams{Bucket: bucket, After: after,
		Prefix: prefix, Ceiling: KeyCeiling, MaxRows: int32(limit)})
	return convertRows(rows, err, objectFromRow)
}

// ListObjectsDelimited returns up to limit entries of a delimited listing
// after after, in one round trip: a key listed as itself, or the first key
// of a common prefix, after which the walk seeks past every key under that
// prefix instead of reading them (one index probe per entry).
func (s *Store) ListObjectsDelimited(ctx context.Context, bucket, prefix, delimiter, after string, limit int) ([]Object, error) {
	rows, err := s.q().ListObjectsDelimited(ctx, dbq.ListObjectsDelimitedParams{Bucket: bucket, After: after,
		Prefix: prefix, Delimiter: delimiter, Ceiling: KeyCeiling, MaxRows: int32(limit)})
	return convertRows(rows, err, func(r dbq.ListObjectsDelimitedRow) Object { return objectFromRow(dbq.Object(r)) })
}

// ListVersions returns up to limit versions in (key, newest first) order
// after the marker, among keys that start with prefix: keys greater than
// afterKey, or versions of afterKey older than afterSeq (0: none of them).
func (s *Store) ListVersions(ctx context.Context, bucket, prefix, afterKey string, afterSeq int64, limit int) ([]Object, error) {
	rows, err := s.q().ListVersionsPage(ctx, dbq.ListVersionsPageParams{Bucket: bucket, AfterKey: afterKey,
		AfterSeq: afterSeq, Prefix: prefix, Ceiling: KeyCeiling, MaxRows: int32(limit)})
	return convertRows(rows, err, objectFromRow)
}

// ExpiringObject is a current version a lifecycle rule may expire: its key
// and metadata (JSON, for the rule's tag filter).
type ExpiringObject struct {
	Key  string
	Meta []byte
}

// ExpiringObjects returns up to limit current versions under prefix
// written before cutoff, in key order.
func (s *Store) ExpiringObjects(ctx context.Context, bucket, prefix string, cutoff time.Time, limit int) ([]ExpiringObject, error) {
	rows, err := s.q().ExpiringObjects(ctx, dbq.ExpiringObjectsParams{Bucket: bucket, Prefix: prefix,
		Ceiling: KeyCeiling, Cutoff: cutoff, MaxRows: int32(limit)})
	return convertRows(rows, err, func(r dbq.ExpiringObjectsRow) ExpiringObject { return ExpiringObject{Key: r.Key, Meta: r.Meta} })
}

// VersionName names one version of a key.
type VersionName struct {
	Key       string
	VersionID string
}

// ExpiringNoncurrent returns up to limit versions under prefix that
// stopped being current (a newer version was written) before cutoff.
func (s *Store) ExpiringNoncurrent(ctx context.Context, bucket, prefix string, cutoff time.Time, limit int) ([]VersionName, error) {
	rows, err := s.q().ExpiringNoncurrent(ctx, dbq.ExpiringNoncurrentParams{Bucket: bucket, Prefix: prefix,
		Ceiling: KeyCeiling, Cutoff: cutoff, MaxRows: int32(limit)})
	return convertRows(rows, err, func(r dbq.ExpiringNoncurrentRow) VersionName { return VersionName(r) })
}

// ExpiredDeleteMarkers returns up to limit delete markers under prefix
// that are the only version of their key.
func (s *Store) ExpiredDeleteMarkers(ctx context.Context, bucket, prefix string, limit int) ([]VersionName, error) {
	rows, err := s.q().ExpiredDeleteMarkers(ctx, dbq.ExpiredDeleteMarkersParams{Bucket: bucket, Prefix: prefix,
		Ceiling: KeyCeiling, MaxRows: int32(limit)})
	return convertRows(rows, err, func(r dbq.ExpiredDeleteMarkersRow) VersionName { return VersionName(r) })
}

// ExpiringUploads returns up to limit multipart uploads under prefix begun
// before cutoff, oldest first.
func (s *Store) ExpiringUploads(ctx context.Context, bucket, prefix string, cutoff time.Time, limit int) ([]uuid.UUID, error) {
	ids, err := s.q().ExpiringUploads(ctx, dbq.ExpiringUploadsParams{Bucket: bucket, Prefix: prefix, Cutoff: cutoff,
		MaxRows: int32(limit)})
	return ids, Translate(err)
}
