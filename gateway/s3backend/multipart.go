package s3backend

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"

	"sixfold/db/dbq"
	"sixfold/gateway/objects"
	"sixfold/s3api"
	"sixfold/s3api/sigv4"
)

// CreateMultipartUpload implements s3api.MultipartBackend.
func (b *Backend) CreateMultipartUpload(ctx context.Context, bucket, key string, meta s3api.ObjectMeta) (string, error) {
	id := uuid.New()
	err := dbq.New(b.pool).InsertUpload(ctx, dbq.InsertUploadParams{ID: id, Bucket: bucket, Key: key, Meta: mustJSON(meta)})
	if err != nil {
		return "", storeError(noBucket(err))
	}
	return id.String(), nil
}

// upload finds an upload in progress that belongs to bucket/key.
func upload(ctx context.Context, q *dbq.Queries, bucket, key, uploadID string, lock bool) (dbq.MultipartUpload, error) {
	id, ok := parseID(uploadID)
	if !ok {
		return dbq.MultipartUpload{}, s3api.ErrNoSuchUpload
	}
	get := q.GetUpload
	if lock {
		get = q.LockUpload
	}
	u, err := get(ctx, id)
	if err != nil {
		return dbq.MultipartUpload{}, notFoundAs(err, s3api.ErrNoSuchUpload)
	}
	if u.Bucket != bucket || u.Key != key {
		return dbq.MultipartUpload{}, s3api.ErrNoSuchUpload
	}
	return u, nil
}

// UploadPart implements s3api.MultipartBackend: the part becomes a blob of
// its own; a part uploaded again replaces (and retires) the earlier one.
func (b *Backend) UploadPart(ctx context.Context, in s3api.UploadPartInput) (s3api.PartInfo, error) {
	if _, err := upload(ctx, dbq.New(b.pool), in.Bucket, in.Key, in.UploadID, false); err != nil {
		return s3api.PartInfo{}, err
	}
	var part s3api.PartInfo
	name := in.Key + " part " + strconv.Itoa(in.PartNumber)
	err := b.storeBlob(ctx, name, "", payload{size: in.Size, body: in.Body, sha256: knownSHA256(in.SHA256Known, in.Digests)}, func(ctx context.Context, q *dbq.Queries, blob objects.Blob) error {
		u, err := upload(ctx, q, in.Bucket, in.Key, in.UploadID, true)
		if err != nil {
			return err
		}
		if err := replacePart(ctx, q, u.ID, in.PartNumber); err != nil {
			return err
		}
		d := in.Digests()
		part = s3api.PartInfo{PartNumber: in.PartNumber, Size: blob.Size, ETag: hex.EncodeToString(d.MD5),
			LastModified: time.Now(), Checksums: d.Checksums}
		return q.InsertUploadPart(ctx, dbq.InsertUploadPartParams{UploadID: u.ID, PartNumber: int32(in.PartNumber),
			FileID: blob.ID, Size: blob.Size, Etag: part.ETag, Checksums: mustJSON(orEmpty(d.Checksums))})
	})
	return part, err
}

// replacePart removes an upload's part numbered n, if any, retiring its
// blob unless something else shares it.
func replacePart(ctx context.Context, q *dbq.Queries, upload uuid.UUID, n int) error {
	replaced, err := q.DeleteUploadPart(ctx, dbq.DeleteUploadPartParams{UploadID: upload, PartNumber: int32(n)})
	if err != nil {
		return err
	}
	return retire(ctx, q, replaced)
}

// UploadPartCopy implements s3api.MultipartBackend. A range that lies in
// one blob of the source (any range of a single-PUT object, or within one
// part of a multipart one) becomes a part that points at that blob; a
// range across the source's parts is streamed into a new blob.
func (b *Backend) UploadPartCopy(ctx context.Context, in s3api.UploadPartCopyInput) (s3api.PartInfo, error) {
	srcID, ok := parseID(in.Src.ID)
	if !ok {
		return s3api.PartInfo{}, s3api.ErrNoSuchKey
	}
	part := s3api.PartInfo{PartNumber: in.PartNumber, Size: in.Length, LastModified: time.Now(),
		ETag: s3api.CopyPartETag(in.Src.ETag, in.Offset, in.Length)}
	streamed := false
	err := b.tx(ctx, func(q *dbq.Queries) error {
		u, err := upload(ctx, q, in.Bucket, in.Key, in.UploadID, true)
		if err != nil {
			return err
		}
		_, parts, err := shareObject(ctx, q, srcID)
		if err != nil {
			return err
		}
		slice, ok := sliceOf(parts, in.Offset, in.Length)
		if !ok {
			streamed = true
			return nil
		}
		if err := replacePart(ctx, q, u.ID, in.PartNumber); err != nil {
			return err
		}
		return q.InsertUploadPart(ctx, dbq.InsertUploadPartParams{UploadID: u.ID, PartNumber: int32(in.PartNumber),
			FileID: slice.FileID, Size: in.Length, Etag: part.ETag, Checksums: mustJSON(map[string]string{}),
			BlobOffset: slice.BlobOffset})
	})
	if err != nil || !streamed {
		return part, err
	}
	return b.streamPartCopy(ctx, in)
}

// sliceOf finds the one blob that holds [offset, offset+length) of an
// object made of parts; BlobOffset is where the range starts in it.
func sliceOf(parts []objectPart, offset, length int64) (objectPart, bool) {
	for _, p := range parts {
		if offset >= p.ByteOffset && offset+length <= p.ByteOffset+p.Size {
			return objectPart{FileID: p.FileID, BlobOffset: p.BlobOffset + offset - p.ByteOffset}, true
		}
	}
	return objectPart{}, false
}

// streamPartCopy copies a range across several of the source's blobs
// through the gateway, as an ordinary part.
func (b *Backend) streamPartCopy(ctx context.Context, in s3api.UploadPartCopyInput) (s3api.PartInfo, error) {
	body, err := b.GetObject(ctx, in.Src, in.Offset, in.Length)
	if err != nil {
		return s3api.PartInfo{}, err
	}
	defer body.Close()
	h := md5.New()
	return b.UploadPart(ctx, s3api.UploadPartInput{Bucket: in.Bucket, Key: in.Key, UploadID: in.UploadID,
		PartNumber: in.PartNumber, Size: in.Length, Body: io.TeeReader(body, h),
		Digests: func() s3api.Digests { return s3api.Digests{MD5: h.Sum(nil)} }})
}

// CompleteMultipartUpload implements s3api.MultipartBackend: the object
// becomes the listed parts' blobs in order; unlisted parts are retired.
func (b *Backend) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []s3api.CompletePart, cond s3api.WriteCondition) (s3api.ObjectInfo, error) {
	var info s3api.ObjectInfo
	err := b.tx(ctx, func(q *dbq.Queries) error {
		u, err := upload(ctx, q, bucket, key, uploadID, true)
		if err != nil {
			return err
		}
		stored, err := q.ListUploadParts(ctx, u.ID)
		if err != nil {
			return err
		}
		obj, objParts, err := b.assemble(u, stored, parts)
		if err != nil {
			return err
		}
		if info, err = writeVersion(ctx, q, obj, objParts, cond); err != nil {
			return err
		}
		if err := q.DeleteUploadParts(ctx, u.ID); err != nil {
			return err
		}
		if err := q.DeleteUpload(ctx, u.ID); err != nil {
			return err
		}
		return retire(ctx, q, unlisted(stored, objParts))
	})
	return info, err
}

// assemble checks the client's part list against the stored parts and
// builds the object row: ETag = MD5 of the concatenated binary part MD5s
// plus "-N", and a composite checksum when every part has one.
func (b *Backend) assemble(u dbq.MultipartUpload, stored []dbq.MultipartPart, listed []s3api.CompletePart) (dbq.InsertObjectParams, []objectPart, error) {
	byNumber := make(map[int32]dbq.MultipartPart, len(stored))
	for _, p := range stored {
		byNumber[p.PartNumber] = p
	}
	var meta s3api.ObjectMeta
	_ = json.Unmarshal(u.Meta, &meta)
	obj := dbq.InsertObjectParams{ID: uuid.New(), Bucket: u.Bucket, Key: u.Key, Meta: u.Meta, PartCount: int32(len(listed))}
	var md5s bytes.Buffer
	composite := newComposite(meta.ChecksumAlgorithm)
	for _, l := range listed {
		if p, ok := byNumber[int32(l.PartNumber)]; !ok || p.Etag != l.ETag {
			return obj, nil, s3api.ErrInvalidPart
		}
	}
	parts := make([]objectPart, len(listed))
	for i, l := range listed {
		p := byNumber[int32(l.PartNumber)]
		if i < len(listed)-1 && p.Size < minPartSize {
			return obj, nil, s3api.ErrEntityTooSmall
		}
		raw, _ := hex.DecodeString(p.Etag)
		md5s.Write(raw)
		composite.add(decodeChecksums(p.Checksums))
		parts[i] = objectPart{PartNumber: p.PartNumber, FileID: p.FileID,
			ByteOffset: obj.Size, Size: p.Size, Etag: p.Etag, Checksums: p.Checksums, BlobOffset: p.BlobOffset}
		obj.Size += p.Size
	}
	if obj.Size > b.opts.MaxSize {
		return obj, nil, s3api.ErrEntityTooLarge
	}
	sum := md5.Sum(md5s.Bytes())
	obj.Etag = hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(listed))
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

func unlisted(stored []dbq.MultipartPart, used []objectPart) []uuid.UUID {
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
	return b.tx(ctx, func(q *dbq.Queries) error {
		u, err := upload(ctx, q, bucket, key, uploadID, true)
		if err != nil {
			return err
		}
		return dropUpload(ctx, q, u.ID)
	})
}

// dropUpload deletes an upload in progress and retires its parts' blobs.
func dropUpload(ctx context.Context, q *dbq.Queries, id uuid.UUID) error {
	stored, err := q.ListUploadParts(ctx, id)
	if err != nil {
		return err
	}
	if err := q.DeleteUpload(ctx, id); err != nil {
		return err
	}
	return retire(ctx, q, unlisted(stored, nil))
}

// ListParts implements s3api.MultipartBackend.
func (b *Backend) ListParts(ctx context.Context, bucket, key, uploadID string, after, limit int) ([]s3api.PartInfo, bool, error) {
	q := dbq.New(b.pool)
	u, err := upload(ctx, q, bucket, key, uploadID, false)
	if err != nil {
		return nil, false, err
	}
	rows, err := q.ListUploadPartsPage(ctx, dbq.ListUploadPartsPageParams{UploadID: u.ID, PartNumber: int32(after), Limit: int32(limit + 1)})
	if err != nil {
		return nil, false, storeError(err)
	}
	truncated := len(rows) > limit
	rows = rows[:min(len(rows), limit)]
	out := make([]s3api.PartInfo, len(rows))
	for i, r := range rows {
		out[i] = s3api.PartInfo{PartNumber: int(r.PartNumber), Size: r.Size, ETag: r.Etag, LastModified: r.CreatedAt,
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
	rows, err := dbq.New(b.pool).ListUploadsPage(ctx, dbq.ListUploadsPageParams{Bucket: bucket, Prefix: prefix,
		AfterKey: afterKey, AfterID: afterID, MaxRows: int32(limit + 1)})
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
	err := b.tx(ctx, func(q *dbq.Queries) error {
		ids, err := q.ClaimAbandonedUploads(ctx, dbq.ClaimAbandonedUploadsParams{MaxAgeSeconds: maxAge.Seconds(), MaxRows: 100})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := dropUpload(ctx, q, id); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}
