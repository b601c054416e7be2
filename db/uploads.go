package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"sixfold/db/internal/dbq"
)

// Tx is an open metadata transaction: Store.WithTx's, or one lent by
// CompleteUpload to code whose rows must commit atomically with a blob's
// (an S3 object or part pointing at the blob).
type Tx struct {
	db dbq.DBTX
	q  *dbq.Queries
}

func newTx(tx pgx.Tx) *Tx { return &Tx{db: tx, q: dbq.New(tx)} }

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

// BeginUpload records a blob as uploading, with its session and chunks, in
// one statement: one round trip and one commit (see queries/uploads.sql).
func (b *Blobs) BeginUpload(ctx context.Context, u NewUpload) error {
	f := u.File
	p := dbq.BeginUploadParams{ID: f.ID, Filename: f.Filename, ContentType: f.ContentType,
		Size: f.Size, Metadata: f.Metadata, Owner: u.Door,
		DataShards: int16(f.DataShards), ParityShards: int16(f.ParityShards), BlockSize: int32(f.BlockSize),
		SessionID: u.SessionID, TimeoutSeconds: u.SessionTimeout.Seconds(), ClientIp: u.ClientIP}
	for _, c := range u.Chunks {
		p.ChunkIds, p.ChunkNumbers = append(p.ChunkIds, c.ID), append(p.ChunkNumbers, int16(c.Number))
		p.ChunkOffsets, p.ChunkSizes = append(p.ChunkOffsets, c.Offset), append(p.ChunkSizes, c.Size)
		p.ChunkServers = append(p.ChunkServers, c.ServerID)
	}
	return Translate(dbq.New(b.pool).BeginUpload(ctx, p))
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
// session expired). The completion itself is one statement; it still runs
// in a transaction, so that a short chunk count (or onCommit's error) can
// undo it.
func (b *Blobs) CompleteUpload(ctx context.Context, id uuid.UUID, size int64, checksum string, chunks []Chunk,
	onCommit func(tx *Tx, createdAt time.Time) error) (time.Time, error) {
	p := dbq.CompleteUploadParams{FileID: id, Size: size, Checksum: optText(checksum)}
	for _, c := range chunks {
		p.ChunkIds, p.ChunkOffsets = append(p.ChunkIds, c.ID), append(p.ChunkOffsets, c.Offset)
		p.ChunkSizes, p.ChunkHashes = append(p.ChunkSizes, c.Size), append(p.ChunkHashes, c.Hash)
		p.ChunkServers, p.ChunkStatuses = append(p.ChunkServers, c.ServerID), append(p.ChunkStatuses, c.Status)
	}
	complete := func(q *dbq.Queries) (time.Time, error) {
		row, err := q.CompleteUpload(ctx, p)
		if errors.Is(err, pgx.ErrNoRows) {
			return time.Time{}, fmt.Errorf("%w: file %s vanished during upload (session expired?)", ErrNotFound, id)
		}
		if err != nil {
			return time.Time{}, err
		}
		if row.ChunksCompleted != int64(len(chunks)) {
			return time.Time{}, fmt.Errorf("%w: chunks of %s vanished during upload (session expired?)", ErrNotFound, id)
		}
		return row.CreatedAt, nil
	}
	var createdAt time.Time
	err := withTx(ctx, b.pool, func(tx pgx.Tx) error {
		var err error
		if createdAt, err = complete(dbq.New(tx)); err != nil {
			return err
		}
		if onCommit == nil {
			return nil
		}
		return onCommit(newTx(tx), createdAt)
	})
	return createdAt, err
}

// NewBlob is a blob whose shards are already on their nodes, recorded in
// one go (RecordBlob) rather than begun and then completed.
type NewBlob struct {
	File           File // Size and Checksum final; Owner unused
	Door           string
	SessionID      uuid.UUID // its session is recorded completed
	StartedAt      time.Time
	SessionTimeout time.Duration
	ClientIP       string
	Chunks         []Chunk // every field but ServerAddress; Status stored or missing
	// Settle, when set, runs after the blob's statements and onCommit,
	// before the COMMIT. The rows were then written with Chunks' statuses
	// as hoped for while the shards were still on their way; Settle waits
	// for their writes and names the chunks that were not stored, which
	// are recorded missing. An error from it rolls everything back.
	Settle func() (unwritten []uuid.UUID, err error)
}

// RecordBlob records a blob written whole as completed, with its session
// and chunks, in one statement, then runs onCommit and nb.Settle (each when
// not nil) in the same transaction. It returns the blob's created_at. An
// error matching ErrNotCommitted means nothing was recorded, so the blob's shards are
// known to no row and may be deleted outright; after any other error the
// blob may be recorded.
func (b *Blobs) RecordBlob(ctx context.Context, nb NewBlob, onCommit func(tx *Tx, createdAt time.Time) error) (time.Time, error) {
	f := nb.File
	p := dbq.RecordBlobParams{ID: f.ID, Filename: f.Filename, ContentType: f.ContentType, Size: f.Size,
		Checksum: optText(f.Checksum), Metadata: f.Metadata, Owner: nb.Door,
		DataShards: int16(f.DataShards), ParityShards: int16(f.ParityShards), BlockSize: int32(f.BlockSize),
		SessionID: nb.SessionID, StartedAt: nb.StartedAt,
		TimeoutSeconds: nb.SessionTimeout.Seconds(), ClientIp: nb.ClientIP}
	for _, c := range nb.Chunks {
		p.ChunkIds, p.ChunkNumbers = append(p.ChunkIds, c.ID), append(p.ChunkNumbers, int16(c.Number))
		p.ChunkOffsets, p.ChunkSizes = append(p.ChunkOffsets, c.Offset), append(p.ChunkSizes, c.Size)
		p.ChunkHashes, p.ChunkServers = append(p.ChunkHashes, c.Hash), append(p.ChunkServers, c.ServerID)
		p.ChunkStatuses = append(p.ChunkStatuses, c.Status)
	}
	var createdAt time.Time
	err := withTx(ctx, b.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		var err error
		if createdAt, err = q.RecordBlob(ctx, p); err != nil {
			return err
		}
		if onCommit != nil {
			if err := onCommit(newTx(tx), createdAt); err != nil {
				return err
			}
		}
		if nb.Settle == nil {
			return nil
		}
		var unwritten []uuid.UUID
		err = whileIdle(ctx, tx.Conn().PgConn(), func() (err error) {
			unwritten, err = nb.Settle()
			return err
		})
		if err != nil || len(unwritten) == 0 {
			return err
		}
		return q.MarkUnwrittenChunks(ctx, unwritten)
	})
	return createdAt, err
}

// whileIdle runs wait while conn sits idle in its transaction, watching
// the connection meanwhile. A server that ends the session then (a
// shutdown, a terminated backend, a crash) says so on the connection, or
// closes it, before any COMMIT was sent: the transaction is then known not
// to have committed, and whileIdle fails. Otherwise a COMMIT sent on a
// connection that died during the wait would fail with an outcome nobody
// can know, and the blob's shards could only be cleaned up through the
// metadata, which is the very thing that is gone.
func whileIdle(ctx context.Context, conn *pgconn.PgConn, wait func() error) error {
	watching, stop := context.WithCancel(ctx)
	ended := make(chan error, 1)
	go func() {
		for {
			msg, err := conn.ReceiveMessage(watching)
			switch {
			case err != nil && watching.Err() != nil && (pgconn.Timeout(err) || errors.Is(err, context.Canceled)):
				ended <- nil // stopped: the session was alive as far as it showed
				return
			case err != nil:
				ended <- err
				return
			}
			if e, ok := msg.(*pgproto3.ErrorResponse); ok {
				ended <- pgconn.ErrorResponseToPgError(e)
				return
			}
			// A notice or a parameter's new value: the session goes on.
		}
	}()
	err := wait()
	stop()
	if lost := <-ended; lost != nil {
		return fmt.Errorf("%w: the session ended while the transaction waited: %w", ErrUnavailable, lost)
	}
	return err
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
