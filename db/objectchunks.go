package db

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"sixfold/db/internal/dbq"
)

// ObjectHead is what the /files door shows of an S3 object it serves by
// id: its name, size, S3 metadata (JSON) and creation time.
type ObjectHead struct {
	ID        uuid.UUID
	Key       string
	Size      int64
	Meta      json.RawMessage
	CreatedAt time.Time
}

// ObjectHead returns the S3 object version whose id is id, or ErrNotFound.
func (b *Blobs) ObjectHead(ctx context.Context, id uuid.UUID) (ObjectHead, error) {
	o, err := dbq.New(b.pool).GetObjectByID(ctx, id)
	if err != nil {
		return ObjectHead{}, Translate(err)
	}
	return ObjectHead{ID: o.ID, Key: o.Key, Size: o.Size, Meta: o.Meta, CreatedAt: o.CreatedAt}, nil
}

// ObjectChunk is one shard of an S3 object with where it sits: its part
// (one blob per part, or per segment of a copied part), the blob's layout,
// and the shard itself.
type ObjectChunk struct {
	PartNumber int32
	Segment    int16
	PartOffset int64 // the part's first byte in the object
	BlobID     uuid.UUID
	BlobSize   int64
	BlobOffset int64 // the segment's first byte in its blob
	PartSize   int64
	// The blob's layout.
	DataShards, ParityShards int
	BlockSize                int64
	Chunk                    Chunk // the shard
}

// ObjectChunks returns every shard of an S3 object version, ordered by
// part, segment and chunk number; none when the version has no parts (an
// empty object) or no longer exists.
func (b *Blobs) ObjectChunks(ctx context.Context, objectID uuid.UUID) ([]ObjectChunk, error) {
	rows, err := dbq.New(b.pool).ListObjectChunks(ctx, objectID)
	return convertRows(rows, err, func(r dbq.ListObjectChunksRow) ObjectChunk {
		return ObjectChunk{PartNumber: r.PartNumber, Segment: r.Segment, PartOffset: r.PartOffset,
			BlobID: r.FileID, BlobSize: r.BlobSize, BlobOffset: r.BlobOffset, PartSize: r.PartSize,
			DataShards: int(r.DataShards), ParityShards: int(r.ParityShards), BlockSize: int64(r.BlockSize),
			Chunk: Chunk{ID: r.ID, Number: int(r.ChunkNumber), Offset: r.ByteOffset, Size: r.Size,
				Hash: r.Hash.String, Status: r.Status, ServerID: r.StorageServerID, ServerAddress: r.ServerAddress}}
	})
}
