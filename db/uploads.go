package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"sixfold/db/dbq"
)

// Tx is an open metadata transaction, lent to code whose rows must commit
// atomically with a blob's (an S3 object or part pointing at the blob).
type Tx struct{ q *dbq.Queries }

// Queries is the generated queries on the transaction.
//
// Deprecated: transitional, for the S3 tables until they have typed
// methods in this package; dbq is to become internal.
func (t *Tx) Queries() *dbq.Queries { return t.q }

// NewUpload is a blob about to be streamed to its nodes: its row, its
// upload session's and its planned chunks'.
type NewUpload struct {
	File           File // Size: the declared size (-1: unknown); Owner unused
	Door           string
	SessionID      uuid.UUID
	SessionTimeout time.Duration
	ClientIP       string
	Chunks         []Chunk // ID, Number, Offset, Size, ServerID
}

// BeginUpload records a blob as uploading, with its session and chunks.
func (b *Blobs) BeginUpload(ctx context.Context, u NewUpload) error {
	f := u.File
	return WithTx(ctx, b.pool, func(q *dbq.Queries) error {
		err := q.InsertFile(ctx, dbq.InsertFileParams{ID: f.ID, Filename: f.Filename, ContentType: f.ContentType,
			Size: f.Size, Metadata: f.Metadata, Owner: u.Door,
			DataShards: int16(f.DataShards), ParityShards: int16(f.ParityShards), BlockSize: int32(f.BlockSize)})
		if err != nil {
			return err
		}
		if err := q.InsertUploadSession(ctx, dbq.InsertUploadSessionParams{ID: u.SessionID, FileID: f.ID,
			TimeoutSeconds: u.SessionTimeout.Seconds(), ClientIp: u.ClientIP}); err != nil {
			return err
		}
		rows := dbq.InsertChunksParams{FileID: f.ID}
		for _, c := range u.Chunks {
			rows.Ids, rows.Numbers = append(rows.Ids, c.ID), append(rows.Numbers, int16(c.Number))
			rows.Offsets, rows.Sizes = append(rows.Offsets, c.Offset), append(rows.Sizes, c.Size)
			rows.Servers = append(rows.Servers, c.ServerID)
		}
		return q.InsertChunks(ctx, rows)
	})
}

// TouchUploadSession records an upload's progress and extends its session
// by timeout.
func (b *Blobs) TouchUploadSession(ctx context.Context, sessionID uuid.UUID, received int64, timeout time.Duration) error {
	return Translate(dbq.New(b.pool).TouchUploadSession(ctx, dbq.TouchUploadSessionParams{ID: sessionID, BytesReceived: received,
		TimeoutSeconds: timeout.Seconds()}))
}

// CompleteUpload records an uploaded blob's chunks (Offset, Size, Hash,
// ServerID, Status) and its size and checksum, and completes its session;
// then onCommit, when set, writes in the same transaction, given the
// blob's creation time. ErrNotFound when the upload's rows are gone (its
// session expired).
func (b *Blobs) CompleteUpload(ctx context.Context, id uuid.UUID, size int64, checksum string, chunks []Chunk,
	onCommit func(tx *Tx, createdAt time.Time) error) (time.Time, error) {
	var createdAt time.Time
	err := WithTx(ctx, b.pool, func(q *dbq.Queries) error {
		done := dbq.CompleteChunksParams{}
		for _, c := range chunks {
			done.Ids, done.Offsets = append(done.Ids, c.ID), append(done.Offsets, c.Offset)
			done.Sizes, done.Hashes = append(done.Sizes, c.Size), append(done.Hashes, c.Hash)
			done.Servers, done.Statuses = append(done.Servers, c.ServerID), append(done.Statuses, c.Status)
		}
		n, err := q.CompleteChunks(ctx, done)
		if err != nil {
			return err
		}
		if n != int64(len(chunks)) {
			return fmt.Errorf("%w: chunks of %s vanished during upload (session expired?)", ErrNotFound, id)
		}
		createdAt, err = q.CompleteFile(ctx, dbq.CompleteFileParams{ID: id, Size: size, Checksum: optText(checksum)})
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: file %s vanished during upload (session expired?)", ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		if err := q.CompleteUploadSession(ctx, dbq.CompleteUploadSessionParams{FileID: id, BytesReceived: size}); err != nil {
			return err
		}
		if onCommit == nil {
			return nil
		}
		return onCommit(&Tx{q: q}, createdAt)
	})
	return createdAt, err
}

// AbandonUpload queues every chunk of a failed upload for deletion after
// delay and removes its rows, in one transaction.
func (b *Blobs) AbandonUpload(ctx context.Context, id uuid.UUID, chunks []ChunkLocation, delay time.Duration) error {
	return WithTx(ctx, b.pool, func(q *dbq.Queries) error {
		for _, c := range chunks {
			if err := q.EnqueueChunkDeletion(ctx, dbq.EnqueueChunkDeletionParams{ChunkID: c.ID, StorageServerID: c.ServerID,
				DelaySeconds: delay.Seconds()}); err != nil {
				return err
			}
		}
		_, err := q.DeleteFile(ctx, id)
		return err
	})
}
