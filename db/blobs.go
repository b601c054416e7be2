package db

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db/internal/dbq"
)

// Blobs is the metadata of the gateway's blobs: files, their chunks and
// the chunk deletion queue. Its errors are translated (ErrNotFound,
// ErrConflict, ErrUnavailable), so callers never see driver errors.
type Blobs struct{ pool *pgxpool.Pool }

// NewBlobs returns the blob metadata kept in pool's database.
func NewBlobs(pool *pgxpool.Pool) *Blobs { return &Blobs{pool: pool} }

// File is one blob's row.
type File struct {
	ID           uuid.UUID
	Filename     string
	ContentType  string
	Size         int64
	Checksum     string
	Status       string
	Metadata     json.RawMessage
	CreatedAt    time.Time
	Owner        string // the identity that uploaded it, "" when none was recorded
	DataShards   int
	ParityShards int
	BlockSize    int64
}

// ChunkLocation is where one chunk of a blob is stored.
type ChunkLocation struct {
	ID            uuid.UUID
	ServerID      uuid.UUID
	ServerAddress string
}

// PageAfter is where a listing page of files ended: the last file's
// creation time and id. A nil *PageAfter asks for the first page.
type PageAfter struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

func fileFromRow(f dbq.File) File {
	return File{ID: f.ID, Filename: f.Filename, ContentType: f.ContentType, Size: f.Size, Checksum: f.Checksum.String,
		Status: f.Status, Metadata: f.Metadata, CreatedAt: f.CreatedAt, Owner: f.OwnerIdentity.String,
		DataShards: int(f.DataShards), ParityShards: int(f.ParityShards), BlockSize: int64(f.BlockSize)}
}

func filesFromRows(rows []dbq.File, err error) ([]File, error) {
	if err != nil {
		return nil, Translate(err)
	}
	files := make([]File, len(rows))
	for i, r := range rows {
		files[i] = fileFromRow(r)
	}
	return files, nil
}

// optText is s as a nullable text column: NULL when empty.
func optText(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

// bounds is the page end as a listing query's (created_at, id) bounds:
// NULL for the first page.
func (p *PageAfter) bounds() (pgtype.Timestamptz, pgtype.UUID) {
	if p == nil {
		return pgtype.Timestamptz{}, pgtype.UUID{}
	}
	return pgtype.Timestamptz{Time: p.CreatedAt, Valid: true}, pgtype.UUID{Bytes: p.ID, Valid: true}
}

// ListCompletedFiles returns up to limit completed files, newest first,
// after the given page end.
func (b *Blobs) ListCompletedFiles(ctx context.Context, limit int, after *PageAfter) ([]File, error) {
	createdAt, id := after.bounds()
	return filesFromRows(dbq.New(b.pool).ListCompletedFiles(ctx, dbq.ListCompletedFilesParams{Limit: int32(limit),
		AfterCreatedAt: createdAt, AfterID: id}))
}

// ListCompletedFilesOwnedBy is ListCompletedFiles restricted to the files
// owner uploaded.
func (b *Blobs) ListCompletedFilesOwnedBy(ctx context.Context, owner string, limit int, after *PageAfter) ([]File, error) {
	createdAt, id := after.bounds()
	return filesFromRows(dbq.New(b.pool).ListCompletedFilesOwnedBy(ctx, dbq.ListCompletedFilesOwnedByParams{Limit: int32(limit),
		OwnerIdentity: pgtype.Text{String: owner, Valid: true}, AfterCreatedAt: createdAt, AfterID: id}))
}

// CountActiveUploads counts the upload sessions in progress.
func (b *Blobs) CountActiveUploads(ctx context.Context) (int64, error) {
	n, err := dbq.New(b.pool).CountActiveUploads(ctx)
	return n, Translate(err)
}

// SetFileMetadata replaces a completed file's user metadata; false when
// there is no such file.
func (b *Blobs) SetFileMetadata(ctx context.Context, id uuid.UUID, metadata json.RawMessage) (bool, error) {
	n, err := dbq.New(b.pool).UpdateFileMetadata(ctx, dbq.UpdateFileMetadataParams{ID: id, Metadata: metadata})
	return n > 0, Translate(err)
}

// SetFileOwner records the identity that uploaded file id; false when
// there is no such file.
func (b *Blobs) SetFileOwner(ctx context.Context, id uuid.UUID, owner string) (bool, error) {
	n, err := dbq.New(b.pool).SetFileOwner(ctx, dbq.SetFileOwnerParams{ID: id, OwnerIdentity: pgtype.Text{String: owner, Valid: true}})
	return n > 0, Translate(err)
}

// DeleteFile removes completed file id in one transaction that queues its
// chunks for deletion once delay has passed, and returns where they are.
// ErrNotFound when there is no such completed file.
func (b *Blobs) DeleteFile(ctx context.Context, id uuid.UUID, delay time.Duration) ([]ChunkLocation, error) {
	var chunks []ChunkLocation
	err := WithTx(ctx, b.pool, func(q *dbq.Queries) error {
		chunks = nil
		if _, err := q.GetCompletedFileForUpdate(ctx, id); err != nil {
			return err
		}
		rows, err := q.ListChunks(ctx, id)
		if err != nil {
			return err
		}
		for _, r := range rows {
			chunks = append(chunks, ChunkLocation{ID: r.ID, ServerID: r.StorageServerID, ServerAddress: r.ServerAddress})
		}
		if _, err := q.EnqueueFileChunkDeletions(ctx, dbq.EnqueueFileChunkDeletionsParams{FileID: id, DelaySeconds: delay.Seconds()}); err != nil {
			return err
		}
		_, err = q.DeleteFile(ctx, id)
		return err
	})
	if err != nil {
		return nil, Translate(err)
	}
	return chunks, nil
}

// FinishChunkDeletion takes a chunk deleted on its node off the queue.
func (b *Blobs) FinishChunkDeletion(ctx context.Context, chunkID uuid.UUID) error {
	return Translate(dbq.New(b.pool).FinishChunkDeletion(ctx, chunkID))
}

// PostponeChunkDeletion records why a queued chunk's deletion failed and
// makes it due again after retryAfter (at once when zero).
func (b *Blobs) PostponeChunkDeletion(ctx context.Context, chunkID uuid.UUID, lastError string, retryAfter time.Duration) error {
	return Translate(dbq.New(b.pool).PostponeChunkDeletion(ctx, dbq.PostponeChunkDeletionParams{ChunkID: chunkID,
		LastError: optText(lastError), RetryAfterSeconds: retryAfter.Seconds()}))
}

// Chunk is one shard of a blob and where it is stored.
type Chunk struct {
	ID            uuid.UUID
	Number        int
	Offset        int64
	Size          int64
	Hash          string
	Status        string
	ServerID      uuid.UUID
	ServerAddress string
}

// GetFile returns file id, whatever its status, with its chunks in order.
// ErrNotFound when there is no such file.
func (b *Blobs) GetFile(ctx context.Context, id uuid.UUID) (File, []Chunk, error) {
	q := dbq.New(b.pool)
	f, err := q.GetFile(ctx, id)
	if err != nil {
		return File{}, nil, Translate(err)
	}
	rows, err := q.ListChunks(ctx, id)
	if err != nil {
		return File{}, nil, Translate(err)
	}
	chunks := make([]Chunk, len(rows))
	for i, r := range rows {
		chunks[i] = Chunk{ID: r.ID, Number: int(r.ChunkNumber), Offset: r.ByteOffset, Size: r.Size,
			Hash: r.Hash.String, Status: r.Status, ServerID: r.StorageServerID, ServerAddress: r.ServerAddress}
	}
	return fileFromRow(f), chunks, nil
}
