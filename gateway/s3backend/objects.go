package s3backend

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
	"sixfold/gateway/objects"
	"sixfold/s3api"
)

// PutObject implements s3api.ObjectBackend: the payload becomes one blob,
// and the key gets it as its new version in the blob's completing
// transaction.
func (b *Backend) PutObject(ctx context.Context, in s3api.PutObjectInput) (s3api.ObjectInfo, error) {
	if in.Size < 0 || in.Size > bucketCheckedLate {
		if _, err := b.HeadBucket(ctx, in.Bucket); err != nil {
			return s3api.ObjectInfo{}, err
		}
	}
	var info s3api.ObjectInfo
	err := b.storeBlob(ctx, in.Key, in.Meta.ContentType, payload{size: in.Size, body: in.Body, sha256: knownSHA256(in.SHA256Known, in.Digests)}, func(ctx context.Context, tx *db.Tx, blob objects.Blob) error {
		d := in.Digests()
		row := db.Object{ID: blob.ID, Bucket: in.Bucket, Key: in.Key, Size: blob.Size,
			ETag: hex.EncodeToString(d.MD5), Meta: mustJSON(in.Meta), Checksums: mustJSON(orEmpty(d.Checksums))}
		part := db.ObjectPart{PartNumber: 1, FileID: blob.ID, Size: blob.Size,
			ETag: row.ETag, Checksums: row.Checksums}
		var err error
		info, err = writeVersion(ctx, tx, row, []db.ObjectPart{part}, in.Condition)
		return err
	})
	return info, err
}

// bucketCheckedLate is the largest body a PUT stores before learning
// whether its bucket exists. The transaction that records the object finds
// out anyway (lockKey: NoSuchBucket, and the blob is discarded with it), so
// the early check only spares a large body's bytes a useless trip to the
// nodes; for a small one it would cost every successful PUT a round trip
// to PostgreSQL (one statement in seven) to spare a rare error a few
// small writes.
const bucketCheckedLate = 1 << 20

// writeVersion makes obj, with its parts, the latest version of its key,
// in the caller's transaction, as putVersion says.
func writeVersion(ctx context.Context, tx *db.Tx, obj db.Object, parts []db.ObjectPart, cond s3api.WriteCondition) (s3api.ObjectInfo, error) {
	k, err := lockKey(ctx, tx, obj.Bucket, obj.Key, s3api.NullVersion)
	if err != nil {
		return s3api.ObjectInfo{}, err
	}
	return putVersion(ctx, tx, k, obj, parts, cond)
}

// lockKey takes a key for writing (db.Tx.LockKeyForWrite), with the
// version versionID.
func lockKey(ctx context.Context, tx *db.Tx, bucket, key, versionID string) (db.KeyForWrite, error) {
	k, err := tx.LockKeyForWrite(ctx, bucket, key, versionID)
	if err != nil {
		return k, notFoundAs(err, s3api.ErrNoSuchBucket)
	}
	return k, nil
}

// putVersion makes obj the latest version of the key k holds (locked with
// its null version): a new version in a versioning-enabled bucket, else
// the null version, replacing the earlier null version (whose blobs are
// retired unless another object shares them). A new key costs one
// statement; an overwrite adds the removal of what it replaces.
func putVersion(ctx context.Context, tx *db.Tx, k db.KeyForWrite, obj db.Object, parts []db.ObjectPart, cond s3api.WriteCondition) (s3api.ObjectInfo, error) {
	cur := k.Latest
	if cur == nil {
		cur = &db.Object{}
	}
	if err := cond.Check(k.Latest != nil && !cur.DeleteMarker, cur.ETag); err != nil {
		return s3api.ObjectInfo{}, err
	}
	replaced := k.Version
	obj.VersionID = s3api.NullVersion
	if k.Versioning == s3api.VersioningEnabled {
		obj.VersionID, replaced = obj.ID.String(), nil
	}
	var retired []uuid.UUID
	if replaced != nil {
		var err error
		if retired, err = tx.DeleteObject(ctx, replaced.ID); err != nil {
			return s3api.ObjectInfo{}, err
		}
	}
	if k.Latest != nil && (replaced == nil || replaced.ID != k.Latest.ID) {
		if err := tx.DemoteLatest(ctx, obj.Bucket, obj.Key); err != nil {
			return s3api.ObjectInfo{}, err
		}
	}
	if err := tx.InsertObject(ctx, obj, parts); err != nil {
		return s3api.ObjectInfo{}, noBucket(err)
	}
	if err := retire(ctx, tx, retired); err != nil {
		return s3api.ObjectInfo{}, err
	}
	obj.CreatedAt, obj.IsLatest = time.Now(), true
	return objectInfo(obj, k.Versioning), nil
}

// retire queues blobs for deletion after the grace period, except those
// something still points at (db.Tx.RetireBlobs).
func retire(ctx context.Context, tx *db.Tx, files []uuid.UUID) error {
	return tx.RetireBlobs(ctx, files, retireGrace)
}

// HeadObject implements s3api.ObjectBackend.
func (b *Backend) HeadObject(ctx context.Context, bucket, key, versionID string) (s3api.ObjectInfo, error) {
	row, versioning, err := b.store.GetObject(ctx, bucket, key, versionID)
	if err != nil {
		return s3api.ObjectInfo{}, b.missing(ctx, bucket, versionID, err)
	}
	return b.head(ctx, row, versioning, versionID, true)
}

// head is HeadObject's answer about the version row, with a multipart
// object's part list when withParts.
func (b *Backend) head(ctx context.Context, row db.Object, versioning, versionID string, withParts bool) (s3api.ObjectInfo, error) {
	info := objectInfo(row, versioning)
	switch {
	case row.DeleteMarker && versionID == "":
		return info, s3api.ErrNoSuchKey
	case row.DeleteMarker:
		return info, s3api.ErrMethodNotAllowed
	}
	if row.PartCount > 0 && withParts {
		var err error
		if info.Parts, err = b.objectParts(ctx, row); err != nil {
			return s3api.ObjectInfo{}, err
		}
	}
	return info, nil
}

// HeadObjectForRead implements s3api.ReadLookup: HeadObject with the
// parts that span reads, read in the same statement, kept in info.Located
// for GetObject (which looks the parts up again if they fall short). A
// multipart object's part list, a second statement, is read only for a
// span that names a part (?partNumber), the one GET that needs it: a plain
// or ranged GET of a multipart object (a download client's) costs one
// statement.
func (b *Backend) HeadObjectForRead(ctx context.Context, bucket, key, versionID string, span s3api.ReadSpan) (s3api.ObjectInfo, error) {
	row, versioning, chunks, err := b.store.GetObjectForRead(ctx, bucket, key, versionID, db.ReadSpan(span))
	if err != nil {
		return s3api.ObjectInfo{}, b.missing(ctx, bucket, versionID, err)
	}
	info, err := b.head(ctx, row, versioning, versionID, span.Part > 0)
	if err == nil {
		info.Located = located(objects.PartsOf(chunks))
	}
	return info, err
}

// located are the parts of a version a read's span found: consecutive
// ones, which hold the bytes from the first one's offset to the last one's
// end.
type located []objects.Part

// covers says whether the parts hold [offset, offset+length).
func (l located) covers(offset, length int64) bool {
	if len(l) == 0 {
		return false
	}
	last := l[len(l)-1]
	return offset >= l[0].Offset && offset+length <= last.Offset+last.Size
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
func (b *Backend) objectParts(ctx context.Context, row db.Object) ([]s3api.PartInfo, error) {
	parts, err := b.store.ObjectParts(ctx, row.ID)
	if err != nil {
		return nil, storeError(err)
	}
	out := make([]s3api.PartInfo, 0, len(parts))
	for _, p := range parts {
		if p.Segment > 0 {
			out[len(out)-1].Size += p.Size
			continue
		}
		out = append(out, s3api.PartInfo{PartNumber: int(p.PartNumber), Size: p.Size, ETag: p.ETag,
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
	loc, ok := info.Located.(located)
	parts := []objects.Part(loc)
	if !ok || !loc.covers(offset, length) {
		var err error
		if parts, err = b.objects.ObjectParts(ctx, id); err != nil {
			return nil, blobError(err)
		}
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
	err := b.tx(ctx, func(tx *db.Tx) error {
		named := versionID
		if named == "" {
			named = s3api.NullVersion
		}
		k, err := lockKey(ctx, tx, bucket, key, named)
		if err != nil {
			return err
		}
		switch {
		case versionID != "":
			del, err = deleteVersion(ctx, tx, k, versionID)
		case k.Versioning == "":
			err = removeVersion(ctx, tx, k.Version)
		default:
			var marker s3api.ObjectInfo
			marker, err = putVersion(ctx, tx, k, db.Object{ID: uuid.New(), Bucket: bucket, Key: key,
				Meta: mustJSON(s3api.ObjectMeta{}), Checksums: mustJSON(map[string]string{}), DeleteMarker: true}, nil, s3api.WriteCondition{})
			del = s3api.Deleted{VersionID: marker.VersionID, DeleteMarker: true}
		}
		return err
	})
	return del, err
}

// removeVersion deletes a version, if there is one, and retires the blobs
// it pointed at.
func removeVersion(ctx context.Context, tx *db.Tx, v *db.Object) error {
	if v == nil {
		return nil
	}
	files, err := tx.DeleteObject(ctx, v.ID)
	if err != nil {
		return err
	}
	return retire(ctx, tx, files)
}

// deleteVersion removes the version k holds for good; when it was the
// latest, the newest one left becomes the latest. Deleting a version that
// is not there succeeds, as in S3.
func deleteVersion(ctx context.Context, tx *db.Tx, k db.KeyForWrite, versionID string) (s3api.Deleted, error) {
	old := k.Version
	if old == nil {
		return s3api.Deleted{VersionID: versionID}, nil
	}
	files, err := tx.DeleteObject(ctx, old.ID)
	if err != nil {
		return s3api.Deleted{}, err
	}
	if old.IsLatest {
		if err := tx.PromoteNewest(ctx, old.Bucket, old.Key); err != nil {
			return s3api.Deleted{}, err
		}
	}
	return s3api.Deleted{VersionID: versionID, DeleteMarker: old.DeleteMarker}, retire(ctx, tx, files)
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
	err := b.tx(ctx, func(tx *db.Tx) error {
		row, parts, err := shareObject(ctx, tx, srcID)
		if err != nil {
			return err
		}
		obj := db.Object{ID: uuid.New(), Bucket: dstBucket, Key: dstKey, Size: row.Size, ETag: row.ETag,
			Meta: mustJSON(meta), Checksums: row.Checksums, PartCount: row.PartCount}
		info, err = writeVersion(ctx, tx, obj, parts, s3api.WriteCondition{})
		return err
	})
	return info, err
}

// shareObject locks an object's blobs against retirement for the rest of
// the transaction and returns the object with its parts, or ErrNoSuchKey
// when it was deleted meanwhile.
func shareObject(ctx context.Context, tx *db.Tx, id uuid.UUID) (db.Object, []db.ObjectPart, error) {
	row, parts, err := tx.ShareObject(ctx, id)
	if err != nil {
		return row, nil, notFoundAs(err, s3api.ErrNoSuchKey)
	}
	return row, parts, nil
}

// PutObjectTagging implements s3api.ObjectBackend.
func (b *Backend) PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags map[string]string) (s3api.ObjectInfo, error) {
	var info s3api.ObjectInfo
	err := b.tx(ctx, func(tx *db.Tx) error {
		if err := tx.LockObjectName(ctx, bucket, key); err != nil {
			return err
		}
		var err error
		if info, err = b.HeadObject(ctx, bucket, key, versionID); err != nil {
			return err
		}
		info.Meta.Tags = tags
		id, _ := parseID(info.ID)
		return tx.SetObjectMeta(ctx, id, mustJSON(info.Meta))
	})
	return info, err
}

// objectInfo presents a version; versioning is its bucket's state ("":
// never versioned, so the null version has no version id to show).
func objectInfo(r db.Object, versioning string) s3api.ObjectInfo {
	var meta s3api.ObjectMeta
	_ = json.Unmarshal(r.Meta, &meta)
	info := s3api.ObjectInfo{Bucket: r.Bucket, Key: r.Key, ID: r.ID.String(), VersionID: r.VersionID, Size: r.Size,
		ETag: r.ETag, LastModified: r.CreatedAt, Meta: meta, Checksums: decodeChecksums(r.Checksums),
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
	if errors.Is(err, db.ErrMissingParent) {
		return s3api.ErrNoSuchBucket
	}
	return err
}
