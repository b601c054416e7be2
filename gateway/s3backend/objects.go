package s3backend

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
	"sixfold/db/dbq"
	"sixfold/gateway/objects"
	"sixfold/s3api"
)

// PutObject implements s3api.ObjectBackend: the payload becomes one blob,
// and the key gets it as its new version in the blob's completing
// transaction.
func (b *Backend) PutObject(ctx context.Context, in s3api.PutObjectInput) (s3api.ObjectInfo, error) {
	if _, err := b.HeadBucket(ctx, in.Bucket); err != nil {
		return s3api.ObjectInfo{}, err
	}
	var info s3api.ObjectInfo
	err := b.storeBlob(ctx, in.Key, in.Meta.ContentType, payload{size: in.Size, body: in.Body, sha256: knownSHA256(in.SHA256Known, in.Digests)}, func(ctx context.Context, tx *db.Tx, blob objects.Blob) error {
		q := tx.Queries()
		d := in.Digests()
		row := dbq.InsertObjectParams{ID: blob.ID, Bucket: in.Bucket, Key: in.Key, Size: blob.Size,
			Etag: hex.EncodeToString(d.MD5), Meta: mustJSON(in.Meta), Checksums: mustJSON(orEmpty(d.Checksums))}
		part := objectPart{PartNumber: 1, FileID: blob.ID, Size: blob.Size,
			Etag: row.Etag, Checksums: row.Checksums}
		var err error
		info, err = writeVersion(ctx, q, row, []objectPart{part}, in.Condition)
		return err
	})
	return info, err
}

// writeVersion makes obj, with its parts, the latest version of its key,
// in the caller's transaction: a new version in a versioning-enabled
// bucket, else the null version, replacing the earlier null version (whose
// blobs are retired unless another object shares them).
func writeVersion(ctx context.Context, q *dbq.Queries, obj dbq.InsertObjectParams, parts []objectPart, cond s3api.WriteCondition) (s3api.ObjectInfo, error) {
	if err := q.LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: obj.Bucket, Key: obj.Key}); err != nil {
		return s3api.ObjectInfo{}, err
	}
	versioning, err := q.BucketVersioningForWrite(ctx, obj.Bucket)
	if err != nil {
		return s3api.ObjectInfo{}, notFoundAs(err, s3api.ErrNoSuchBucket)
	}
	cur, found, err := lockLatest(ctx, q, obj.Bucket, obj.Key)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	if err := cond.Check(found && !cur.DeleteMarker, cur.Etag); err != nil {
		return s3api.ObjectInfo{}, err
	}
	var retired []uuid.UUID
	obj.VersionID = s3api.NullVersion
	if versioning == s3api.VersioningEnabled {
		obj.VersionID = obj.ID.String()
	} else if _, retired, err = removeVersion(ctx, q, obj.Bucket, obj.Key, s3api.NullVersion); err != nil {
		return s3api.ObjectInfo{}, err
	}
	if err := q.DemoteLatest(ctx, dbq.DemoteLatestParams{Bucket: obj.Bucket, Key: obj.Key}); err != nil {
		return s3api.ObjectInfo{}, err
	}
	if err := insertObject(ctx, q, obj, parts); err != nil {
		return s3api.ObjectInfo{}, err
	}
	if err := retire(ctx, q, retired); err != nil {
		return s3api.ObjectInfo{}, err
	}
	return objectInfo(dbq.Object{ID: obj.ID, Bucket: obj.Bucket, Key: obj.Key, Size: obj.Size, Etag: obj.Etag,
		Meta: obj.Meta, Checksums: obj.Checksums, PartCount: obj.PartCount, CreatedAt: time.Now(),
		VersionID: obj.VersionID, IsLatest: true, DeleteMarker: obj.DeleteMarker}, versioning), nil
}

// insertObject inserts an object row and all its parts.
func insertObject(ctx context.Context, q *dbq.Queries, obj dbq.InsertObjectParams, parts []objectPart) error {
	if err := q.InsertObject(ctx, obj); err != nil {
		return noBucket(err)
	}
	if len(parts) == 0 {
		return nil
	}
	rows := dbq.InsertObjectPartsParams{ObjectID: obj.ID}
	for _, p := range parts {
		rows.PartNumbers, rows.FileIds = append(rows.PartNumbers, p.PartNumber), append(rows.FileIds, p.FileID)
		rows.Offsets, rows.Sizes = append(rows.Offsets, p.ByteOffset), append(rows.Sizes, p.Size)
		rows.Etags, rows.Checksums = append(rows.Etags, p.Etag), append(rows.Checksums, string(p.Checksums))
		rows.BlobOffsets, rows.Segments = append(rows.BlobOffsets, p.BlobOffset), append(rows.Segments, p.Segment)
	}
	return q.InsertObjectParts(ctx, rows)
}

// lockLatest locks the latest version of a key, if there is one.
func lockLatest(ctx context.Context, q *dbq.Queries, bucket, key string) (dbq.Object, bool, error) {
	row, err := q.LockLatestObject(ctx, dbq.LockLatestObjectParams{Bucket: bucket, Key: key})
	if err != nil {
		if notFoundAs(err, nil) == nil {
			return row, false, nil
		}
		return row, false, err
	}
	return row, true, nil
}

// removeVersion deletes one version of a key if present and returns it
// with the blobs it pointed at, which the caller retires once whatever
// replaces it points at its blobs too.
func removeVersion(ctx context.Context, q *dbq.Queries, bucket, key, versionID string) (dbq.Object, []uuid.UUID, error) {
	old, err := q.LockObjectVersion(ctx, dbq.LockObjectVersionParams{Bucket: bucket, Key: key, VersionID: versionID})
	if err != nil {
		if notFoundAs(err, nil) == nil {
			return old, nil, nil
		}
		return old, nil, err
	}
	files, err := q.DeleteObjectReturningFiles(ctx, old.ID)
	return old, files, err
}

// retire queues blobs for deletion after a grace period, except those an
// object or upload part still points at (a copy shares its source's
// blobs). The blob rows are locked first, so a copy taking a reference
// (LockFilesShared) and the removal of the last other one are serialised.
func retire(ctx context.Context, q *dbq.Queries, files []uuid.UUID) error {
	if len(files) == 0 {
		return nil
	}
	if _, err := q.LockFiles(ctx, files); err != nil {
		return err
	}
	return q.RetireUnreferencedFiles(ctx, dbq.RetireUnreferencedFilesParams{FileIds: files, GraceSeconds: retireGrace.Seconds()})
}

// HeadObject implements s3api.ObjectBackend.
func (b *Backend) HeadObject(ctx context.Context, bucket, key, versionID string) (s3api.ObjectInfo, error) {
	q := dbq.New(b.pool)
	var row dbq.Object
	var versioning string
	var err error
	if versionID == "" {
		var r dbq.GetObjectRow
		r, err = q.GetObject(ctx, dbq.GetObjectParams{Bucket: bucket, Key: key})
		row, versioning = r.Object, r.Versioning
	} else {
		var r dbq.GetObjectVersionRow
		r, err = q.GetObjectVersion(ctx, dbq.GetObjectVersionParams{Bucket: bucket, Key: key, VersionID: versionID})
		row, versioning = r.Object, r.Versioning
	}
	if err != nil {
		return s3api.ObjectInfo{}, b.missing(ctx, bucket, versionID, err)
	}
	info := objectInfo(row, versioning)
	switch {
	case row.DeleteMarker && versionID == "":
		return info, s3api.ErrNoSuchKey
	case row.DeleteMarker:
		return info, s3api.ErrMethodNotAllowed
	}
	if row.PartCount > 0 {
		if info.Parts, err = objectParts(ctx, q, row); err != nil {
			return s3api.ObjectInfo{}, err
		}
	}
	return info, nil
}

// missing says why a lookup found no row: no bucket, no key, no version.
func (b *Backend) missing(ctx context.Context, bucket, versionID string, err error) error {
	if notFoundAs(err, nil) != nil {
		return storeError(err)
	}
	if _, err := b.HeadBucket(ctx, bucket); err != nil {
		return err
	}
	if versionID != "" {
		return s3api.ErrNoSuchVersion
	}
	return s3api.ErrNoSuchKey
}

// objectParts lists a multipart object's parts; a part stored as several
// segments is listed once, with their total size.
func objectParts(ctx context.Context, q *dbq.Queries, row dbq.Object) ([]s3api.PartInfo, error) {
	parts, err := q.ListObjectParts(ctx, row.ID)
	if err != nil {
		return nil, storeError(err)
	}
	out := make([]s3api.PartInfo, 0, len(parts))
	for _, p := range parts {
		if p.Segment > 0 {
			out[len(out)-1].Size += p.Size
			continue
		}
		out = append(out, s3api.PartInfo{PartNumber: int(p.PartNumber), Size: p.Size, ETag: p.Etag,
			LastModified: row.CreatedAt, Checksums: decodeChecksums(p.Checksums)})
	}
	return out, nil
}

// GetObject implements s3api.ObjectBackend. It reads the version info
// names; once that version is deleted and its grace period over, its
// chunks are gone and the read fails rather than mixing versions.
func (b *Backend) GetObject(ctx context.Context, info s3api.ObjectInfo, offset, length int64) (io.ReadCloser, error) {
	id, ok := parseID(info.ID)
	if !ok {
		return nil, s3api.ErrNoSuchKey
	}
	parts, err := b.objects.ObjectParts(ctx, id)
	if err != nil {
		return nil, blobError(err)
	}
	if len(parts) == 0 && info.Size > 0 {
		return nil, s3api.ErrNoSuchKey
	}
	rc, err := b.objects.OpenParts(ctx, parts, offset, length)
	return rc, blobError(err)
}

// DeleteObject implements s3api.ObjectBackend.
func (b *Backend) DeleteObject(ctx context.Context, bucket, key, versionID string) (s3api.Deleted, error) {
	var del s3api.Deleted
	err := b.tx(ctx, func(q *dbq.Queries) error {
		if err := q.LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: bucket, Key: key}); err != nil {
			return err
		}
		versioning, err := q.BucketVersioningForWrite(ctx, bucket)
		if err != nil {
			return notFoundAs(err, s3api.ErrNoSuchBucket)
		}
		switch {
		case versionID != "":
			del, err = deleteVersion(ctx, q, bucket, key, versionID)
		case versioning == "":
			var files []uuid.UUID
			if _, files, err = removeVersion(ctx, q, bucket, key, s3api.NullVersion); err == nil {
				err = retire(ctx, q, files)
			}
		default:
			var marker s3api.ObjectInfo
			marker, err = writeVersion(ctx, q, dbq.InsertObjectParams{ID: uuid.New(), Bucket: bucket, Key: key,
				Meta: mustJSON(s3api.ObjectMeta{}), Checksums: mustJSON(map[string]string{}), DeleteMarker: true}, nil, s3api.WriteCondition{})
			del = s3api.Deleted{VersionID: marker.VersionID, DeleteMarker: true}
		}
		return err
	})
	return del, err
}

// deleteVersion removes one version for good; when it was the latest, the
// newest one left becomes the latest.
func deleteVersion(ctx context.Context, q *dbq.Queries, bucket, key, versionID string) (s3api.Deleted, error) {
	old, files, err := removeVersion(ctx, q, bucket, key, versionID)
	if err != nil {
		return s3api.Deleted{}, err
	}
	if old.IsLatest {
		if err := q.PromoteNewest(ctx, dbq.PromoteNewestParams{Bucket: bucket, Key: key}); err != nil {
			return s3api.Deleted{}, err
		}
	}
	return s3api.Deleted{VersionID: versionID, DeleteMarker: old.DeleteMarker}, retire(ctx, q, files)
}

// CopyObject implements s3api.ObjectBackend: the new version points at the
// source's blobs, so a copy of any size moves no bytes. The blobs are
// locked (shared) and the source's row checked in the copy's transaction,
// so a concurrent delete of the source either finishes first (the copy
// fails with NoSuchKey) or sees the copy's reference and keeps the blobs.
func (b *Backend) CopyObject(ctx context.Context, src s3api.ObjectInfo, dstBucket, dstKey string, meta s3api.ObjectMeta) (s3api.ObjectInfo, error) {
	srcID, ok := parseID(src.ID)
	if !ok {
		return s3api.ObjectInfo{}, s3api.ErrNoSuchKey
	}
	var info s3api.ObjectInfo
	err := b.tx(ctx, func(q *dbq.Queries) error {
		row, parts, err := shareObject(ctx, q, srcID)
		if err != nil {
			return err
		}
		obj := dbq.InsertObjectParams{ID: uuid.New(), Bucket: dstBucket, Key: dstKey, Size: row.Size, Etag: row.Etag,
			Meta: mustJSON(meta), Checksums: row.Checksums, PartCount: row.PartCount}
		info, err = writeVersion(ctx, q, obj, parts, s3api.WriteCondition{})
		return err
	})
	return info, err
}

// shareObject takes shared locks on an object's blobs, then returns the
// object and its parts, or ErrNoSuchKey when it was deleted meanwhile.
func shareObject(ctx context.Context, q *dbq.Queries, id uuid.UUID) (dbq.Object, []objectPart, error) {
	rows, err := q.ListObjectParts(ctx, id)
	if err != nil {
		return dbq.Object{}, nil, err
	}
	files := make([]uuid.UUID, 0, len(rows))
	parts := make([]objectPart, len(rows))
	for i, p := range rows {
		files = append(files, p.FileID)
		parts[i] = objectPart{PartNumber: p.PartNumber, Segment: p.Segment, FileID: p.FileID, ByteOffset: p.ByteOffset, Size: p.Size,
			Etag: p.Etag, Checksums: p.Checksums, BlobOffset: p.BlobOffset}
	}
	if _, err := q.LockFilesShared(ctx, files); err != nil {
		return dbq.Object{}, nil, err
	}
	row, err := q.GetObjectByID(ctx, id)
	if err != nil {
		return row, nil, notFoundAs(err, s3api.ErrNoSuchKey)
	}
	return row, parts, nil
}

// PutObjectTagging implements s3api.ObjectBackend.
func (b *Backend) PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags map[string]string) (s3api.ObjectInfo, error) {
	var info s3api.ObjectInfo
	err := b.tx(ctx, func(q *dbq.Queries) error {
		if err := q.LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: bucket, Key: key}); err != nil {
			return err
		}
		var err error
		if info, err = b.HeadObject(ctx, bucket, key, versionID); err != nil {
			return err
		}
		info.Meta.Tags = tags
		id, _ := parseID(info.ID)
		return q.SetObjectMeta(ctx, dbq.SetObjectMetaParams{ID: id, Meta: mustJSON(info.Meta)})
	})
	return info, err
}

// objectInfo presents a version; versioning is its bucket's state ("":
// never versioned, so the null version has no version id to show).
func objectInfo(r dbq.Object, versioning string) s3api.ObjectInfo {
	var meta s3api.ObjectMeta
	_ = json.Unmarshal(r.Meta, &meta)
	info := s3api.ObjectInfo{Bucket: r.Bucket, Key: r.Key, ID: r.ID.String(), VersionID: r.VersionID, Size: r.Size,
		ETag: r.Etag, LastModified: r.CreatedAt, Meta: meta, Checksums: decodeChecksums(r.Checksums),
		IsLatest: r.IsLatest, DeleteMarker: r.DeleteMarker}
	if versioning == "" {
		info.VersionID = ""
	}
	return info
}

func decodeChecksums(raw json.RawMessage) map[string]string {
	var m map[string]string
	_ = json.Unmarshal(raw, &m)
	return m
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// noBucket reports a bucket deleted while an object was being written.
func noBucket(err error) error {
	if isForeignKeyViolation(err) {
		return s3api.ErrNoSuchBucket
	}
	return err
}

// objectPart is one blob (or a byte range of one) of an object as
// insertObject records it: a whole part, or one segment of a part copied
// from a range across the source's parts.
type objectPart struct {
	PartNumber int32
	Segment    int16
	FileID     uuid.UUID
	ByteOffset int64 // in the object
	Size       int64
	Etag       string
	Checksums  json.RawMessage
	BlobOffset int64 // in the blob
}
