package s3backend

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"time"

	"github.com/google/uuid"

	"sixfold/db/dbq"
	"sixfold/gateway/objects"
	"sixfold/s3api"
)

// PutObject implements s3api.ObjectBackend: the payload becomes one blob,
// and the key is pointed at it in the blob's completing transaction.
func (b *Backend) PutObject(ctx context.Context, in s3api.PutObjectInput) (s3api.ObjectInfo, error) {
	if _, err := b.HeadBucket(ctx, in.Bucket); err != nil {
		return s3api.ObjectInfo{}, err
	}
	var info s3api.ObjectInfo
	err := b.storeBlob(ctx, in.Key, in.Meta.ContentType, payload{size: in.Size, body: in.Body, sha256: knownSHA256(in.SHA256Known, in.Digests)}, func(ctx context.Context, q *dbq.Queries, blob objects.Blob) error {
		d := in.Digests()
		row := dbq.InsertObjectParams{ID: blob.ID, Bucket: in.Bucket, Key: in.Key, Size: blob.Size,
			Etag: hex.EncodeToString(d.MD5), Meta: mustJSON(in.Meta), Checksums: mustJSON(orEmpty(d.Checksums))}
		part := objectPart{PartNumber: 1, FileID: blob.ID, Size: blob.Size,
			Etag: row.Etag, Checksums: row.Checksums}
		if err := replaceObject(ctx, q, row, []objectPart{part}, in.IfNoneMatch); err != nil {
			return err
		}
		info = objectInfo(dbq.Object{ID: row.ID, Bucket: row.Bucket, Key: row.Key, Size: row.Size, Etag: row.Etag,
			Meta: row.Meta, Checksums: row.Checksums, CreatedAt: time.Now()})
		return nil
	})
	return info, err
}

// replaceObject points bucket/key at a new object, retiring the blobs of
// the one it replaces, all in the caller's transaction.
func replaceObject(ctx context.Context, q *dbq.Queries, obj dbq.InsertObjectParams, parts []objectPart, ifNoneMatch bool) error {
	if err := q.LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: obj.Bucket, Key: obj.Key}); err != nil {
		return err
	}
	if err := removeObject(ctx, q, obj.Bucket, obj.Key, ifNoneMatch); err != nil {
		return err
	}
	if err := q.InsertObject(ctx, obj); err != nil {
		return noBucket(err)
	}
	rows := dbq.InsertObjectPartsParams{ObjectID: obj.ID}
	for _, p := range parts {
		rows.PartNumbers, rows.FileIds = append(rows.PartNumbers, p.PartNumber), append(rows.FileIds, p.FileID)
		rows.Offsets, rows.Sizes = append(rows.Offsets, p.ByteOffset), append(rows.Sizes, p.Size)
		rows.Etags, rows.Checksums = append(rows.Etags, p.Etag), append(rows.Checksums, string(p.Checksums))
	}
	return q.InsertObjectParts(ctx, rows)
}

// removeObject deletes bucket/key if present (ErrPreconditionFailed
// instead when failIfExists) and retires its blobs after a grace period.
func removeObject(ctx context.Context, q *dbq.Queries, bucket, key string, failIfExists bool) error {
	old, err := q.LockObject(ctx, dbq.LockObjectParams{Bucket: bucket, Key: key})
	if err != nil {
		if notFoundAs(err, nil) == nil {
			return nil
		}
		return err
	}
	if failIfExists {
		return s3api.ErrPreconditionFailed
	}
	files, err := q.DeleteObjectReturningFiles(ctx, old.ID)
	if err != nil {
		return err
	}
	return q.DeleteFilesLater(ctx, dbq.DeleteFilesLaterParams{FileIds: files, GraceSeconds: retireGrace.Seconds()})
}

// HeadObject implements s3api.ObjectBackend.
func (b *Backend) HeadObject(ctx context.Context, bucket, key string) (s3api.ObjectInfo, error) {
	q := dbq.New(b.pool)
	row, err := q.GetObject(ctx, dbq.GetObjectParams{Bucket: bucket, Key: key})
	if err != nil {
		if notFoundAs(err, nil) != nil {
			return s3api.ObjectInfo{}, storeError(err)
		}
		if _, err := b.HeadBucket(ctx, bucket); err != nil {
			return s3api.ObjectInfo{}, err
		}
		return s3api.ObjectInfo{}, s3api.ErrNoSuchKey
	}
	info := objectInfo(row)
	if row.PartCount > 0 {
		parts, err := q.ListObjectParts(ctx, row.ID)
		if err != nil {
			return s3api.ObjectInfo{}, storeError(err)
		}
		for _, p := range parts {
			info.Parts = append(info.Parts, s3api.PartInfo{PartNumber: int(p.PartNumber), Size: p.Size, ETag: p.Etag,
				LastModified: row.CreatedAt, Checksums: decodeChecksums(p.Checksums)})
		}
	}
	return info, nil
}

// GetObject implements s3api.ObjectBackend. It reads the version info
// names; once that version is replaced and its grace period over, its
// chunks are gone and the read fails rather than mixing versions.
func (b *Backend) GetObject(ctx context.Context, info s3api.ObjectInfo, offset, length int64) (io.ReadCloser, error) {
	id, ok := parseID(info.VersionID)
	if !ok {
		return nil, s3api.ErrNoSuchKey
	}
	rows, err := dbq.New(b.pool).ListObjectChunks(ctx, id)
	if err != nil {
		return nil, storeError(err)
	}
	if len(rows) == 0 && info.Size > 0 {
		return nil, s3api.ErrNoSuchKey
	}
	rc, err := b.objects.OpenParts(ctx, objects.PartsFromRows(rows), offset, length)
	return rc, blobError(err)
}

// DeleteObject implements s3api.ObjectBackend.
func (b *Backend) DeleteObject(ctx context.Context, bucket, key string) error {
	if _, err := b.HeadBucket(ctx, bucket); err != nil {
		return err
	}
	return b.tx(ctx, func(q *dbq.Queries) error {
		if err := q.LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: bucket, Key: key}); err != nil {
			return err
		}
		return removeObject(ctx, q, bucket, key, false)
	})
}

// CopyObject implements s3api.ObjectBackend by streaming the source's
// bytes into a new blob: simple, and a copy never shares blobs, so
// deleting either object cannot affect the other.
func (b *Backend) CopyObject(ctx context.Context, src s3api.ObjectInfo, dstBucket, dstKey string, meta s3api.ObjectMeta, replaceMeta bool) (s3api.ObjectInfo, error) {
	body, err := b.GetObject(ctx, src, 0, src.Size)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	defer body.Close()
	if !replaceMeta {
		meta = src.Meta
	}
	h := md5.New()
	return b.PutObject(ctx, s3api.PutObjectInput{
		Bucket: dstBucket, Key: dstKey, Size: src.Size, Meta: meta,
		Body:    io.TeeReader(body, h),
		Digests: func() s3api.Digests { return s3api.Digests{MD5: h.Sum(nil)} },
	})
}

func objectInfo(r dbq.Object) s3api.ObjectInfo {
	var meta s3api.ObjectMeta
	_ = json.Unmarshal(r.Meta, &meta)
	return s3api.ObjectInfo{Bucket: r.Bucket, Key: r.Key, ID: r.ID.String(), VersionID: r.ID.String(), Size: r.Size,
		ETag: r.Etag, LastModified: r.CreatedAt, Meta: meta, Checksums: decodeChecksums(r.Checksums)}
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

// objectPart is one blob of an object as replaceObject records it.
type objectPart struct {
	PartNumber int32
	FileID     uuid.UUID
	ByteOffset int64
	Size       int64
	Etag       string
	Checksums  json.RawMessage
}
