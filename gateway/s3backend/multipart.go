package s3backend

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
	"sixfold/gateway/objects"
	"sixfold/s3api"
	"sixfold/s3api/sigv4"
)

// CreateMultipartUpload implements s3api.MultipartBackend.
func (b *Backend) CreateMultipartUpload(ctx context.Context, bucket, key string, meta s3api.ObjectMeta) (string, error) {
	id := uuid.New()
	err := b.store.CreateMultipartUpload(ctx, db.MultipartUpload{ID: id, Bucket: bucket, Key: key, Meta: mustJSON(meta)})
	if err != nil {
		return "", storeError(noBucket(err))
	}
	return id.String(), nil
}

// upload finds an upload in progress that belongs to bucket/key.
func (b *Backend) upload(ctx context.Context, bucket, key, uploadID string) (db.MultipartUpload, error) {
	return ownUpload(ctx, bucket, key, uploadID, b.store.GetMultipartUpload)
}

// lockUpload is upload, locking the upload until tx ends.
func lockUpload(ctx context.Context, tx *db.Tx, bucket, key, uploadID string) (db.MultipartUpload, error) {
	return ownUpload(ctx, bucket, key, uploadID, tx.LockMultipartUpload)
}

func ownUpload(ctx context.Context, bucket, key, uploadID string,
	get func(context.Context, uuid.UUID) (db.MultipartUpload, error)) (db.MultipartUpload, error) {
	id, ok := parseID(uploadID)
	if !ok {
		return db.MultipartUpload{}, s3api.ErrNoSuchUpload
	}
	u, err := get(ctx, id)
	if err != nil {
		return db.MultipartUpload{}, notFoundAs(err, s3api.ErrNoSuchUpload)
	}
	if u.Bucket != bucket || u.Key != key {
		return db.MultipartUpload{}, s3api.ErrNoSuchUpload
	}
	return u, nil
}

// UploadPart implements s3api.MultipartBackend: the part becomes a blob of
// its own; a part uploaded again replaces (and retires) the earlier one.
func (b *Backend) UploadPart(ctx context.Context, in s3api.UploadPartInput) (s3api.PartInfo, error) {
	if _, err := b.upload(ctx, in.Bucket, in.Key, in.UploadID); err != nil {
		return s3api.PartInfo{}, err
	}
	var part s3api.PartInfo
	name := in.Key + " part " + strconv.Itoa(in.PartNumber)
	err := b.storeBlob(ctx, name, "", payload{size: in.Size, body: in.Body, sha256: knownSHA256(in.SHA256Known, in.Digests)}, func(ctx context.Context, tx *db.Tx, blob objects.Blob) error {
		u, err := lockUpload(ctx, tx, in.Bucket, in.Key, in.UploadID)
		if err != nil {
			return err
		}
		if err := replacePart(ctx, tx, u.ID, in.PartNumber); err != nil {
			return err
		}
		d := in.Digests()
		part = s3api.PartInfo{PartNumber: in.PartNumber, Size: blob.Size, ETag: hex.EncodeToString(d.MD5),
			LastModified: time.Now(), Checksums: d.Checksums}
		return tx.InsertMultipartPart(ctx, u.ID, db.MultipartPart{PartNumber: int32(in.PartNumber),
			FileID: blob.ID, Size: blob.Size, ETag: part.ETag, Checksums: mustJSON(orEmpty(d.Checksums))})
	})
	return part, err
}

// replacePart removes an upload's part numbered n, if any, retiring its
// blob unless something else shares it.
func replacePart(ctx context.Context, tx *db.Tx, upload uuid.UUID, n int) error {
	replaced, err := tx.DeleteMultipartPart(ctx, upload, int32(n))
	if err != nil {
		return err
	}
	return retire(ctx, tx, replaced)
}

// UploadPartCopy implements s3api.MultipartBackend. The part shares the
// source's blobs instead of copying their bytes: a range within one blob
// becomes a part that points into it, and a range across several of the
// source's parts becomes one segment per blob it crosses.
func (b *Backend) UploadPartCopy(ctx context.Context, in s3api.UploadPartCopyInput) (s3api.PartInfo, error) {
	srcID, ok := parseID(in.Src.ID)
	if !ok {
		return s3api.PartInfo{}, s3api.ErrNoSuchKey
	}
	part := s3api.PartInfo{PartNumber: in.PartNumber, Size: in.Length, LastModified: time.Now()}
	err := b.tx(ctx, func(tx *db.Tx) error {
		u, err := lockUpload(ctx, tx, in.Bucket, in.Key, in.UploadID)
		if err != nil {
			return err
		}
		_, parts, err := shareObject(ctx, tx, srcID)
		if err != nil {
			return err
		}
		segments, ok := segmentsOf(parts, in.Offset, in.Length)
		if !ok {
			return fmt.Errorf("copy of bytes %d+%d: the source's parts do not cover them", in.Offset, in.Length)
		}
		part.ETag = copiedETag(in.Src.ETag, parts, in.Offset, in.Length)
		if err := replacePart(ctx, tx, u.ID, in.PartNumber); err != nil {
			return err
		}
		for i, s := range segments {
			err := tx.InsertMultipartPart(ctx, u.ID, db.MultipartPart{PartNumber: int32(in.PartNumber),
				Segment: int16(i), FileID: s.FileID, Size: s.Size, BlobOffset: s.BlobOffset, ETag: part.ETag,
				Checksums: mustJSON(map[string]string{})})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return part, err
}

// segmentsOf finds the blob ranges that hold [offset, offset+length) of an
// object made of parts, in order; false when the parts leave a gap.
func segmentsOf(parts []db.ObjectPart, offset, length int64) ([]db.ObjectPart, bool) {
	if length == 0 {
		// Only an empty object is copied with no bytes: its one empty blob.
		if len(parts) == 0 {
			return nil, false
		}
		return []db.ObjectPart{{FileID: parts[0].FileID, BlobOffset: parts[0].BlobOffset}}, true
	}
	var out []db.ObjectPart
	covered, end := offset, offset+length
	for _, p := range parts {
		lo, hi := max(covered, p.ByteOffset), min(end, p.ByteOffset+p.Size)
		if lo >= hi {
			continue
		}
		if lo != covered {
			return nil, false
		}
		out = append(out, db.ObjectPart{FileID: p.FileID, BlobOffset: p.BlobOffset + lo - p.ByteOffset, Size: hi - lo})
		covered = hi
	}
	return out, covered == end
}

// copiedETag is the ETag of a part copied from [offset, offset+length) of
// a source whose parts (segments) are given. A range that is exactly one
// whole part of the source keeps that part's ETag, which for an uploaded
// part or a single-PUT object is the MD5 of those bytes, as S3 sends;
// any other range gets s3api.CopyPartETag, because its MD5 would mean
// reading the bytes the copy exists to avoid reading.
func copiedETag(srcETag string, parts []db.ObjectPart, offset, length int64) string {
	for i, p := range parts {
		if p.Segment != 0 || p.ByteOffset != offset {
			continue
		}
		size := p.Size
		for _, next := range parts[i+1:] {
			if next.PartNumber != p.PartNumber {
				break
			}
			size += next.Size
		}
		if size == length && p.ETag != "" {
			return p.ETag
		}
	}
	return s3api.CopyPartETag(srcETag, offset, length)
}

// CompleteMultipartUpload implements s3api.MultipartBackend: the object
// becomes the listed parts' blobs in order; unlisted parts are retired.
func (b *Backend) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []s3api.CompletePart, cond s3api.WriteCondition) (s3api.ObjectInfo, error) {
	var info s3api.ObjectInfo
	err := b.tx(ctx, func(tx *db.Tx) error {
		u, err := lockUpload(ctx, tx, bucket, key, uploadID)
		if err != nil {
			return err
		}
		stored, err := tx.MultipartParts(ctx, u.ID)
		if err != nil {
			return err
		}
		obj, objParts, err := b.assemble(u, stored, parts)
		if err != nil {
			return err
		}
		if info, err = writeVersion(ctx, tx, obj, objParts, cond); err != nil {
			return err
		}
		if err := tx.DeleteMultipartUpload(ctx, u.ID); err != nil {
			return err
		}
		return retire(ctx, tx, unlisted(stored, objParts))
	})
	return info, err
}

// assemble checks the client's part list against the stored parts and
// builds the object row: ETag = MD5 of the concatenated binary part MD5s
// plus "-N", and a composite checksum when every part has one.
func (b *Backend) assemble(u db.MultipartUpload, stored []db.MultipartPart, listed []s3api.CompletePart) (db.Object, []db.ObjectPart, error) {
	// A part copied across the source's parts is several rows (segments),
	// in order; the first carries what the part as a whole is.
	byNumber := make(map[int32][]db.MultipartPart, len(stored))
	for _, p := range stored {
		byNumber[p.PartNumber] = append(byNumber[p.PartNumber], p)
	}
	var meta s3api.ObjectMeta
	_ = json.Unmarshal(u.Meta, &meta)
	obj := db.Object{ID: uuid.New(), Bucket: u.Bucket, Key: u.Key, Meta: u.Meta, PartCount: int32(len(listed))}
	var md5s bytes.Buffer
	composite := newComposite(meta.ChecksumAlgorithm)
	for _, l := range listed {
		if segs, ok := byNumber[int32(l.PartNumber)]; !ok || segs[0].ETag != l.ETag {
			return obj, nil, s3api.ErrInvalidPart
		}
	}
	parts := make([]db.ObjectPart, 0, len(listed))
	for i, l := range listed {
		segs := byNumber[int32(l.PartNumber)]
		var size int64
		for _, s := range segs {
			size += s.Size
		}
		if i < len(listed)-1 && size < minPartSize {
			return obj, nil, s3api.ErrEntityTooSmall
		}
		first := segs[0]
		raw, _ := hex.DecodeString(first.ETag)
		md5s.Write(raw)
		composite.add(decodeChecksums(first.Checksums))
		for _, s := range segs {
			parts = append(parts, db.ObjectPart{PartNumber: s.PartNumber, Segment: s.Segment, FileID: s.FileID,
				ByteOffset: obj.Size, Size: s.Size, ETag: s.ETag, Checksums: s.Checksums, BlobOffset: s.BlobOffset})
			obj.Size += s.Size
		}
	}
	if obj.Size > b.opts.MaxSize {
		return obj, nil, s3api.ErrEntityTooLarge
	}
	sum := md5.Sum(md5s.Bytes())
	obj.ETag = hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(listed))
	obj.Checksums = mustJSON(composite.result(len(listed)))
	return obj, parts, nil
}

// composite builds S3's composite checksum of a multipart object: the
// algorithm applied to the concatenated binary part checksums, "-N".
type composite struct {
	alg   string
	raw   bytes.Buffer
	whole bool // every part so far carried a checksum of alg
}

func newComposite(alg string) *composite {
	return &composite{alg: alg, whole: alg != "" && sigv4.ValidAlgorithm(alg)}
}

func (c *composite) add(partSums map[string]string) {
	v, ok := partSums[c.alg]
	raw, err := base64.StdEncoding.DecodeString(v)
	if !ok || err != nil {
		c.whole = false
		return
	}
	c.raw.Write(raw)
}

func (c *composite) result(parts int) map[string]string {
	if !c.whole {
		return map[string]string{}
	}
	h, err := sigv4.NewChecksum(c.alg)
	if err != nil {
		return map[string]string{}
	}
	h.Write(c.raw.Bytes())
	return map[string]string{c.alg: base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(parts)}
}

func unlisted(stored []db.MultipartPart, used []db.ObjectPart) []uuid.UUID {
	keep := map[uuid.UUID]bool{}
	for _, p := range used {
		keep[p.FileID] = true
	}
	var out []uuid.UUID
	for _, p := range stored {
		if !keep[p.FileID] {
			out = append(out, p.FileID)
		}
	}
	return out
}

// AbortMultipartUpload implements s3api.MultipartBackend.
func (b *Backend) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	return b.tx(ctx, func(tx *db.Tx) error {
		u, err := lockUpload(ctx, tx, bucket, key, uploadID)
		if err != nil {
			return err
		}
		return dropUpload(ctx, tx, u.ID)
	})
}

// dropUpload deletes an upload in progress and retires its parts' blobs.
func dropUpload(ctx context.Context, tx *db.Tx, id uuid.UUID) error {
	stored, err := tx.MultipartParts(ctx, id)
	if err != nil {
		return err
	}
	if err := tx.DeleteMultipartUpload(ctx, id); err != nil {
		return err
	}
	return retire(ctx, tx, unlisted(stored, nil))
}

// ListParts implements s3api.MultipartBackend.
func (b *Backend) ListParts(ctx context.Context, bucket, key, uploadID string, after, limit int) ([]s3api.PartInfo, bool, error) {
	u, err := b.upload(ctx, bucket, key, uploadID)
	if err != nil {
		return nil, false, err
	}
	rows, err := b.store.ListMultipartParts(ctx, u.ID, after, limit+1)
	if err != nil {
		return nil, false, storeError(err)
	}
	truncated := len(rows) > limit
	rows = rows[:min(len(rows), limit)]
	out := make([]s3api.PartInfo, len(rows))
	for i, r := range rows {
		out[i] = s3api.PartInfo{PartNumber: int(r.PartNumber), Size: r.Size, ETag: r.ETag, LastModified: r.CreatedAt,
			Checksums: decodeChecksums(r.Checksums)}
	}
	return out, truncated, nil
}

// ListMultipartUploads implements s3api.MultipartBackend.
func (b *Backend) ListMultipartUploads(ctx context.Context, bucket, prefix, afterKey, afterUploadID string, limit int) ([]s3api.Upload, bool, error) {
	if _, err := b.HeadBucket(ctx, bucket); err != nil {
		return nil, false, err
	}
	afterID, ok := parseID(afterUploadID)
	if !ok {
		afterID = uuid.Nil
		if afterKey != "" {
			// A key marker alone skips every upload of that key.
			afterID = uuid.Max
		}
	}
	rows, err := b.store.ListMultipartUploads(ctx, bucket, prefix, afterKey, afterID, limit+1)
	if err != nil {
		return nil, false, storeError(err)
	}
	truncated := len(rows) > limit
	rows = rows[:min(len(rows), limit)]
	out := make([]s3api.Upload, len(rows))
	for i, r := range rows {
		out[i] = s3api.Upload{Key: r.Key, UploadID: r.ID.String(), Initiated: r.InitiatedAt}
	}
	return out, truncated, nil
}

// ExpireUploads aborts multipart uploads older than maxAge, as if the
// client had sent AbortMultipartUpload, and returns how many it aborted.
func (b *Backend) ExpireUploads(ctx context.Context, maxAge time.Duration) (int, error) {
	var n int
	err := b.tx(ctx, func(tx *db.Tx) error {
		ids, err := tx.ClaimAbandonedUploads(ctx, maxAge, 100)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := dropUpload(ctx, tx, id); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}
