package db

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"sixfold/db/internal/dbq"
)

// Object is one version of an S3 key, or a delete marker.
type Object struct {
	ID           uuid.UUID
	Bucket       string
	Key          string
	VersionID    string
	Seq          int64 // orders a key's versions, newest highest
	Size         int64
	ETag         string
	Meta         json.RawMessage
	Checksums    json.RawMessage
	PartCount    int32 // 0 for an object stored by one PUT
	CreatedAt    time.Time
	IsLatest     bool
	DeleteMarker bool
}

func objectFromRow(r dbq.Object) Object {
	return Object{ID: r.ID, Bucket: r.Bucket, Key: r.Key, VersionID: r.VersionID, Seq: r.Seq, Size: r.Size,
		ETag: r.Etag, Meta: r.Meta, Checksums: r.Checksums, PartCount: r.PartCount, CreatedAt: r.CreatedAt,
		IsLatest: r.IsLatest, DeleteMarker: r.DeleteMarker}
}

// ObjectPart is one blob, or a byte range of one, of an object: a whole
// part, or one segment of a part copied from a range across a source's
// parts.
type ObjectPart struct {
	PartNumber int32
	Segment    int16
	FileID     uuid.UUID
	ByteOffset int64 // the first byte's offset in the object
	Size       int64
	ETag       string
	Checksums  json.RawMessage
	BlobOffset int64 // the first byte's offset in the blob
}

func objectPartFromRow(r dbq.ObjectPart) ObjectPart {
	return ObjectPart{PartNumber: r.PartNumber, Segment: r.Segment, FileID: r.FileID, ByteOffset: r.ByteOffset,
		Size: r.Size, ETag: r.Etag, Checksums: r.Checksums, BlobOffset: r.BlobOffset}
}

// GetObject returns the latest version of a key (maybe a delete marker),
// or the version versionID when it is not "", with its bucket's
// versioning state; ErrNotFound when there is none.
func (s *Store) GetObject(ctx context.Context, bucket, key, versionID string) (Object, string, error) {
	q := s.q()
	if versionID == "" {
		r, err := q.GetObject(ctx, dbq.GetObjectParams{Bucket: bucket, Key: key})
		if err != nil {
			return Object{}, "", Translate(err)
		}
		return objectFromRow(r.Object), r.Versioning, nil
	}
	r, err := q.GetObjectVersion(ctx, dbq.GetObjectVersionParams{Bucket: bucket, Key: key, VersionID: versionID})
	if err != nil {
		return Object{}, "", Translate(err)
	}
	return objectFromRow(r.Object), r.Versioning, nil
}

// ReadSpan names the parts of a version a read needs: those holding a
// byte of [From, To), and of them only part Part when it is not 0.
type ReadSpan struct {
	From, To int64
	Part     int32
}

// GetObjectForRead is GetObject with the shards of the version's parts in
// span, as Blobs.ObjectChunks lists them, read in the same round trip: what
// a GET needs before it reads any byte. The shards are none for a delete
// marker, an empty object, one no longer stored, or a span past its end.
func (s *Store) GetObjectForRead(ctx context.Context, bucket, key, versionID string, span ReadSpan) (Object, string, []ObjectChunk, error) {
	var rows []dbq.GetObjectForReadRow
	var err error
	if versionID == "" {
		rows, err = s.q().GetObjectForRead(ctx, dbq.GetObjectForReadParams{Bucket: bucket, Key: key,
			RangeStart: span.From, RangeEnd: span.To, PartNumber: span.Part})
	} else {
		var vrows []dbq.GetObjectVersionForReadRow
		vrows, err = s.q().GetObjectVersionForRead(ctx, dbq.GetObjectVersionForReadParams{Bucket: bucket, Key: key, VersionID: versionID,
			RangeStart: span.From, RangeEnd: span.To, PartNumber: span.Part})
		rows = make([]dbq.GetObjectForReadRow, len(vrows))
		for i, r := range vrows {
			rows[i] = dbq.GetObjectForReadRow(r)
		}
	}
	if err != nil {
		return Object{}, "", nil, Translate(err)
	}
	if len(rows) == 0 {
		return Object{}, "", nil, ErrNotFound
	}
	var chunks []ObjectChunk
	if rows[0].ChunkID != uuid.Nil {
		chunks = make([]ObjectChunk, len(rows))
		for i, r := range rows {
			chunks[i] = ObjectChunk{PartNumber: r.PartNumber, Segment: r.Segment, PartOffset: r.PartOffset,
				BlobID: r.FileID, BlobSize: r.BlobSize, BlobOffset: r.BlobOffset, PartSize: r.PartSize,
				DataShards: int(r.DataShards), ParityShards: int(r.ParityShards), BlockSize: int64(r.BlockSize),
				Chunk: Chunk{ID: r.ChunkID, Number: int(r.ChunkNumber), Offset: r.ByteOffset, Size: r.ChunkSize,
					Hash: r.Hash.String, Status: r.Status, ServerID: r.StorageServerID, ServerAddress: r.ServerAddress}}
		}
	}
	r := rows[0]
	return Object{ID: r.ID, Bucket: bucket, Key: key, VersionID: r.VersionID, Seq: r.Seq, Size: r.Size,
		ETag: r.Etag, Meta: json.RawMessage(r.Meta), Checksums: json.RawMessage(r.Checksums), PartCount: r.PartCount,
		CreatedAt: r.CreatedAt, IsLatest: r.IsLatest, DeleteMarker: r.DeleteMarker}, r.Versioning, chunks, nil
}

// ObjectParts returns an object's parts in order.
func (s *Store) ObjectParts(ctx context.Context, id uuid.UUID) ([]ObjectPart, error) {
	rows, err := s.q().ListObjectParts(ctx, id)
	return convertRows(rows, err, objectPartFromRow)
}

// LockObjectName serialises the writers of one key (put, complete,
// delete) for the rest of the transaction, so that concurrent overwrites
// apply one after the other.
func (t *Tx) LockObjectName(ctx context.Context, bucket, key string) error {
	return Translate(t.q.LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: bucket, Key: key}))
}

// KeyForWrite is what a writer of a key learns once it holds the key.
// Latest and Version carry ID, VersionID, ETag, IsLatest and DeleteMarker.
type KeyForWrite struct {
	Versioning string  // the bucket's versioning state
	Latest     *Object // the key's latest version, locked; nil when it has none
	Version    *Object // the version asked for, locked; nil when there is none (it may be Latest)
}

// LockKeyForWrite serialises the writers of one key (put, complete,
// delete) for the rest of the transaction, then reads and locks what the
// write needs (KeyForWrite): two statements, because the read must see
// what the previous holder of the key committed. They share one round
// trip: PostgreSQL takes the second's snapshot only once the first has
// returned, with the lock held. ErrNotFound when there is no such bucket.
func (t *Tx) LockKeyForWrite(ctx context.Context, bucket, key, versionID string) (KeyForWrite, error) {
	q := aheadOf(t.db)
	q.LockObjectName(ctx, dbq.LockObjectNameParams{Bucket: bucket, Key: key}) //nolint:errcheck // its error comes back with the rows
	rows, err := q.LockKeyForWrite(ctx, dbq.LockKeyForWriteParams{Bucket: bucket, Key: key, VersionID: versionID})
	if err != nil {
		return KeyForWrite{}, Translate(err)
	}
	if len(rows) == 0 {
		return KeyForWrite{}, fmt.Errorf("%w: bucket %q", ErrNotFound, bucket)
	}
	k := KeyForWrite{Versioning: rows[0].Versioning}
	for _, r := range rows {
		if !r.Found {
			continue
		}
		o := &Object{ID: r.ID, Bucket: bucket, Key: key, VersionID: r.VersionID, ETag: r.Etag, IsLatest: r.IsLatest,
			DeleteMarker: r.DeleteMarker}
		if r.IsLatest {
			k.Latest = o
		}
		if r.VersionID == versionID {
			k.Version = o
		}
	}
	return k, nil
}

// DeleteObject deletes one version and returns the blobs its parts
// pointed at, for the caller to retire.
func (t *Tx) DeleteObject(ctx context.Context, id uuid.UUID) ([]uuid.UUID, error) {
	files, err := t.q.DeleteObjectReturningFiles(ctx, id)
	return files, Translate(err)
}

// DemoteLatest makes a key's latest version an older one.
func (t *Tx) DemoteLatest(ctx context.Context, bucket, key string) error {
	return Translate(t.q.DemoteLatest(ctx, dbq.DemoteLatestParams{Bucket: bucket, Key: key}))
}

// PromoteNewest makes the newest remaining version of a key its latest.
func (t *Tx) PromoteNewest(ctx context.Context, bucket, key string) error {
	return Translate(t.q.PromoteNewest(ctx, dbq.PromoteNewestParams{Bucket: bucket, Key: key}))
}

// InsertObject inserts a version (its ID, Bucket, Key, VersionID, Size,
// ETag, Meta, Checksums, PartCount and DeleteMarker) with all its parts,
// in one statement however many parts it has. ErrMissingParent when its
// bucket is gone.
func (t *Tx) InsertObject(ctx context.Context, o Object, parts []ObjectPart) error {
	p := dbq.InsertObjectWithPartsParams{ID: o.ID, Bucket: o.Bucket, Key: o.Key, Size: o.Size, Etag: o.ETag,
		Meta: o.Meta, Checksums: o.Checksums, PartCount: o.PartCount, VersionID: o.VersionID, DeleteMarker: o.DeleteMarker}
	for _, part := range parts {
		p.PartNumbers, p.Segments = append(p.PartNumbers, part.PartNumber), append(p.Segments, part.Segment)
		p.FileIds, p.Offsets = append(p.FileIds, part.FileID), append(p.Offsets, part.ByteOffset)
		p.Sizes, p.PartEtags = append(p.Sizes, part.Size), append(p.PartEtags, part.ETag)
		p.PartChecksums, p.BlobOffsets = append(p.PartChecksums, string(part.Checksums)), append(p.BlobOffsets, part.BlobOffset)
	}
	return Translate(t.q.InsertObjectWithParts(ctx, p))
}

// SetObjectMeta replaces a version's metadata (JSON).
func (t *Tx) SetObjectMeta(ctx context.Context, id uuid.UUID, meta json.RawMessage) error {
	return Translate(t.q.SetObjectMeta(ctx, dbq.SetObjectMetaParams{ID: id, Meta: meta}))
}

// ShareObject takes shared locks on the blobs of an object's parts, then
// returns the object and its parts; ErrNotFound when it was deleted
// meanwhile. Holding the locks until the transaction ends keeps a
// concurrent retirement (RetireBlobs) from removing blobs the caller is
// about to point at: either the deletion commits first and the object is
// gone here, or it waits and then sees the caller's reference.
func (t *Tx) ShareObject(ctx context.Context, id uuid.UUID) (Object, []ObjectPart, error) {
	rows, err := t.q.ListObjectParts(ctx, id)
	parts, err := convertRows(rows, err, objectPartFromRow)
	if err != nil {
		return Object{}, nil, err
	}
	files := make([]uuid.UUID, len(parts))
	for i, p := range parts {
		files[i] = p.FileID
	}
	if _, err := t.q.LockFilesShared(ctx, files); err != nil {
		return Object{}, nil, Translate(err)
	}
	r, err := t.q.GetObjectByID(ctx, id)
	if err != nil {
		return Object{}, nil, Translate(err)
	}
	return objectFromRow(r), parts, nil
}

// RetireBlobs queues the chunks of the given blobs for deletion after
// grace and removes their rows, except for blobs that an object or upload
// part still points at (a copy shares its source's blobs). The blob rows
// are locked first, so a copy taking a reference (ShareObject) and the
// removal of the last other one are serialised.
func (t *Tx) RetireBlobs(ctx context.Context, files []uuid.UUID, grace time.Duration) error {
	if len(files) == 0 {
		return nil
	}
	// In id order, as every writer that locks several blobs does, so two
	// of them cannot each hold one the other waits for.
	files = slices.SortedFunc(slices.Values(files), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	if err := execBatch(t.q.LockFile(ctx, files)); err != nil {
		return err
	}
	retire := make([]dbq.RetireUnreferencedFileParams, len(files))
	for i, id := range files {
		retire[i] = dbq.RetireUnreferencedFileParams{FileID: id, GraceSeconds: grace.Seconds()}
	}
	return execBatch(t.q.RetireUnreferencedFile(ctx, retire))
}

// execBatch runs the statements of a batch (sent in one round trip) and
// returns the first one's error.
func execBatch(b interface{ Exec(func(int, error)) }) error {
	var first error
	b.Exec(func(_ int, err error) {
		if first == nil && err != nil {
			first = Translate(err)
		}
	})
	return first
}
