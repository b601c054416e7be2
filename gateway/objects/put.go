package objects

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"sixfold/db"
	"sixfold/db/dbq"
	"sixfold/gateway/cluster"
	"sixfold/gateway/placement"
	"sixfold/proto/storagepb"
)

// PutInput describes one blob to store.
type PutInput struct {
	Filename    string
	ContentType string
	Metadata    json.RawMessage // a JSON object, or nil
	// Size is the exact body length when Exact, else a planning hint: the
	// chunk layout follows it and the last chunk takes whatever the body
	// holds beyond it (a multipart form's file part, whose length is only
	// known once its closing boundary is seen).
	Size  int64
	Exact bool
	// Body is read to its end: a reader that verifies its content (the S3
	// door's signature and checksum checks) reports a mismatch there, and
	// then nothing is stored.
	Body io.Reader
	// KnownSHA256, when set, returns the body's SHA-256 once Body has
	// reached io.EOF: a body that was hashed anyway (a SigV4 hex-signed
	// payload) is then not hashed a second time for the blob's checksum.
	KnownSHA256 func() []byte
	// Owner is the door the blob belongs to: "files" (default) or "s3".
	Owner string
	// OnCommit, when set, runs inside the transaction that completes the
	// blob, so whatever it records (an S3 object or part pointing at the
	// blob) becomes visible atomically with it. An error aborts the put.
	OnCommit func(ctx context.Context, q *dbq.Queries, b Blob) error
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, messageSize); return &b }}

// put streams in.Body once to six storage nodes and records the blob. The
// blob is visible only after every chunk is durable and the metadata
// transaction has committed; on any failure everything written is queued
// for deletion and the error is returned.
func (s *Service) put(ctx context.Context, in PutInput) (Blob, error) {
	if in.Size < 0 || in.Size > s.opts.MaxSize {
		return Blob{}, ErrTooLarge
	}
	blob := Blob{ID: uuid.New(), Filename: in.Filename, ContentType: in.ContentType, Metadata: in.Metadata, Status: "uploading"}
	if len(blob.Metadata) == 0 {
		blob.Metadata = json.RawMessage("{}")
	}
	nodes, err := s.place(ctx, blob.ID)
	if err != nil {
		return Blob{}, err
	}
	blob.Chunks = planChunks(in.Size, nodes)
	sessionID := uuid.New()
	if in.Owner == "" {
		in.Owner = "files"
	}
	if err := s.beginUpload(ctx, &blob, in, sessionID); err != nil {
		return Blob{}, err
	}
	if err := s.streamChunks(ctx, &blob, in, sessionID); err != nil {
		s.abandon(ctx, blob)
		return Blob{}, err
	}
	if err := s.finishUpload(ctx, &blob, in.OnCommit); err != nil {
		s.abandon(ctx, blob)
		return Blob{}, err
	}
	return blob, nil
}

// place picks six nodes for a blob, skipping (and re-placing around) nodes
// that cannot be connected to before any data flows.
func (s *Service) place(ctx context.Context, blobID uuid.UUID) ([]cluster.Node, error) {
	ring, nodes := s.cluster.Snapshot()
	if len(nodes) == 0 {
		// Nodes may have registered since the last refresh.
		if err := s.cluster.Refresh(ctx); err != nil {
			return nil, metadataError(err)
		}
		ring, nodes = s.cluster.Snapshot()
	}
	unreachable := map[placement.NodeID]bool{}
	for range len(nodes) + 1 {
		ids := ring.PlaceBlob(blobID.String(), ChunkCount, func(n placement.NodeID) bool { return unreachable[n] })
		if ids == nil {
			break
		}
		if bad := s.firstUnreachable(ctx, ids, nodes); bad != "" {
			unreachable[bad] = true
			s.cluster.RequestRefresh()
			continue
		}
		placed := make([]cluster.Node, len(ids))
		for i, id := range ids {
			placed[i] = nodes[id]
		}
		return placed, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, ErrNoNodes
}

func (s *Service) firstUnreachable(ctx context.Context, ids []placement.NodeID, nodes map[placement.NodeID]cluster.Node) placement.NodeID {
	for _, id := range ids {
		if !s.cluster.WaitReady(ctx, nodes[id].Address) {
			s.log.Warn().Str("server_id", string(id)).Str("address", nodes[id].Address).Msg("storage node unreachable; placing around it")
			return id
		}
	}
	return ""
}

func planChunks(size int64, nodes []cluster.Node) []Chunk {
	sizes := plannedSizes(size)
	chunks := make([]Chunk, ChunkCount)
	var offset int64
	for i := range chunks {
		chunks[i] = Chunk{ID: uuid.New(), Number: i, Offset: offset, Size: sizes[i], Status: "pending",
			ServerID: nodes[i].ID, ServerAddress: nodes[i].Address}
		offset += sizes[i]
	}
	return chunks
}

func (s *Service) beginUpload(ctx context.Context, b *Blob, in PutInput, sessionID uuid.UUID) error {
	err := db.WithTx(ctx, s.pool, func(q *dbq.Queries) error {
		err := q.InsertFile(ctx, dbq.InsertFileParams{ID: b.ID, Filename: b.Filename, ContentType: b.ContentType,
			Size: in.Size, Metadata: b.Metadata, Owner: in.Owner})
		if err != nil {
			return err
		}
		if err := q.InsertUploadSession(ctx, dbq.InsertUploadSessionParams{ID: sessionID, FileID: b.ID, TimeoutSeconds: s.opts.SessionTimeout.Seconds()}); err != nil {
			return err
		}
		rows := dbq.InsertChunksParams{FileID: b.ID}
		for _, c := range b.Chunks {
			rows.Ids, rows.Numbers = append(rows.Ids, c.ID), append(rows.Numbers, int16(c.Number))
			rows.Offsets, rows.Sizes = append(rows.Offsets, c.Offset), append(rows.Sizes, c.Size)
			rows.Servers = append(rows.Servers, c.ServerID)
		}
		return q.InsertChunks(ctx, rows)
	})
	return metadataError(err)
}

// streamChunks sends the body's bytes to the chunks' nodes in order. While
// chunk i+1 streams, chunk i's node is still fsyncing: its answer is awaited
// in the background so the two overlap.
func (s *Service) streamChunks(ctx context.Context, b *Blob, in PutInput, sessionID uuid.UUID) error {
	bufp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bufp)
	body := &hashingReader{r: in.Body}
	if in.KnownSHA256 == nil {
		body.h = sha256.New()
	}
	g, gctx := errgroup.WithContext(ctx)
	var offset int64
	for i := range b.Chunks {
		c := &b.Chunks[i]
		unbounded := !in.Exact && i == len(b.Chunks)-1
		stream, n, err := s.sendChunk(gctx, c, body, *bufp, unbounded)
		if err != nil {
			// A node that failed while fsyncing an earlier chunk cancels
			// gctx, and this chunk then fails with that cancellation: the
			// node's failure is the one to report, not a client that left.
			if gErr := g.Wait(); gErr != nil && ctx.Err() == nil && errors.Is(err, context.Canceled) {
				return gErr
			}
			return err
		}
		if in.Exact && n < c.Size {
			_ = g.Wait()
			return ErrIncompleteBody
		}
		c.Offset, c.Size = offset, n
		offset += n
		g.Go(func() error { return s.awaitChunk(gctx, stream, c) })
		s.touchSession(gctx, sessionID, offset)
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if in.Exact {
		if err := expectEOF(ctx, body); err != nil {
			return err
		}
	}
	if offset > s.opts.MaxSize {
		return ErrTooLarge
	}
	sum, err := body.sum(in.KnownSHA256)
	if err != nil {
		return err
	}
	b.Size, b.Checksum = offset, hex.EncodeToString(sum)
	return nil
}

// sendChunk opens a PutChunk stream and sends up to c.Size bytes of body
// (everything left when unbounded). It returns the open stream for
// awaitChunk and the number of bytes sent.
func (s *Service) sendChunk(ctx context.Context, c *Chunk, body io.Reader, buf []byte, unbounded bool) (storagepb.StorageService_PutChunkClient, int64, error) {
	client, err := s.cluster.Client(c.ServerAddress)
	if err != nil {
		return nil, 0, err
	}
	stream, err := client.PutChunk(ctx)
	if err != nil {
		return nil, 0, s.nodeError(ctx, c.ServerAddress, err)
	}
	expected := c.Size
	if unbounded {
		expected = -1
	}
	if err := stream.Send(&storagepb.PutChunkRequest{Header: &storagepb.PutChunkHeader{ChunkId: c.ID.String(), ExpectedSize: expected}}); err != nil {
		return nil, 0, s.sendError(ctx, c, stream, err)
	}
	var sent int64
	for unbounded || sent < c.Size {
		want := int64(len(buf))
		if !unbounded {
			want = min(want, c.Size-sent)
		}
		n, readErr := fill(body, buf[:want])
		if n > 0 {
			if err := stream.Send(&storagepb.PutChunkRequest{Data: buf[:n]}); err != nil {
				return nil, 0, s.sendError(ctx, c, stream, err)
			}
			sent += int64(n)
		}
		if readErr == io.EOF {
			break
		}
		if readErr != nil {
			return nil, 0, bodyError(ctx, readErr)
		}
		if unbounded && sent > s.opts.MaxSize {
			return nil, 0, ErrTooLarge
		}
	}
	return stream, sent, nil
}

// awaitChunk closes the send side and checks the node's account of what
// it made durable against what was sent.
func (s *Service) awaitChunk(ctx context.Context, stream storagepb.StorageService_PutChunkClient, c *Chunk) error {
	resp, err := stream.CloseAndRecv()
	if err != nil {
		// Not stream.Context(): grpc cancels that when the stream fails,
		// which would disguise a dead node as a client that went away.
		return s.nodeError(ctx, c.ServerAddress, err)
	}
	if resp.GetSize() != c.Size {
		return fmt.Errorf("%w: node %s stored %d bytes of chunk %s, sent %d", ErrNodeUnavailable, c.ServerAddress, resp.GetSize(), c.ID, c.Size)
	}
	c.Hash, c.Status = resp.GetSha256(), "stored"
	return nil
}

// sendError fetches the stream's real status: Send reports only io.EOF
// when the node has aborted the stream.
func (s *Service) sendError(ctx context.Context, c *Chunk, stream storagepb.StorageService_PutChunkClient, err error) error {
	if errors.Is(err, io.EOF) {
		_, err = stream.CloseAndRecv()
	}
	return s.nodeError(ctx, c.ServerAddress, err)
}

func (s *Service) touchSession(ctx context.Context, sessionID uuid.UUID, received int64) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := dbq.New(s.pool).TouchUploadSession(ctx, dbq.TouchUploadSessionParams{ID: sessionID, BytesReceived: received, TimeoutSeconds: s.opts.SessionTimeout.Seconds()})
	if err != nil && ctx.Err() == nil {
		s.log.Warn().Err(err).Str("session_id", sessionID.String()).Msg("upload session progress not recorded")
	}
}

// expectEOF reads past a body's declared end: a verifying reader checks
// its digests only when it reaches EOF, and a body longer than declared
// must not be stored cut short.
func expectEOF(ctx context.Context, body io.Reader) error {
	var probe [1]byte
	n, err := body.Read(probe[:])
	for n == 0 && err == nil {
		n, err = body.Read(probe[:])
	}
	if n > 0 {
		return fmt.Errorf("%w: the body is longer than its declared size", ErrIncompleteBody)
	}
	if err != io.EOF {
		return bodyError(ctx, err)
	}
	return nil
}

func (s *Service) finishUpload(ctx context.Context, b *Blob, onCommit func(context.Context, *dbq.Queries, Blob) error) error {
	err := db.WithTx(ctx, s.pool, func(q *dbq.Queries) error {
		stored := dbq.CompleteChunksParams{}
		for _, c := range b.Chunks {
			stored.Ids, stored.Offsets = append(stored.Ids, c.ID), append(stored.Offsets, c.Offset)
			stored.Sizes, stored.Hashes = append(stored.Sizes, c.Size), append(stored.Hashes, c.Hash)
			stored.Servers = append(stored.Servers, c.ServerID)
		}
		n, err := q.CompleteChunks(ctx, stored)
		if err != nil {
			return err
		}
		if n != int64(len(b.Chunks)) {
			return fmt.Errorf("%w: chunks of %s vanished during upload (session expired?)", db.ErrNotFound, b.ID)
		}
		createdAt, err := q.CompleteFile(ctx, dbq.CompleteFileParams{ID: b.ID, Size: b.Size, Checksum: text(b.Checksum)})
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: file %s vanished during upload (session expired?)", db.ErrNotFound, b.ID)
		}
		if err != nil {
			return err
		}
		b.CreatedAt = createdAt
		if err := q.CompleteUploadSession(ctx, dbq.CompleteUploadSessionParams{FileID: b.ID, BytesReceived: b.Size}); err != nil {
			return err
		}
		if onCommit == nil {
			return nil
		}
		b.Status = "completed"
		return onCommit(ctx, q, *b)
	})
	if err != nil {
		return metadataError(err)
	}
	b.Status = "completed"
	return nil
}

// abandon queues every chunk of a failed upload for deletion and removes
// its rows. It runs even when the client's context is gone; if PostgreSQL
// is unreachable too, the upload session expires and the cleanup job
// finishes the work.
func (s *Service) abandon(ctx context.Context, b Blob) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err := db.WithTx(ctx, s.pool, func(q *dbq.Queries) error {
		for _, c := range b.Chunks {
			if err := q.EnqueueChunkDeletion(ctx, dbq.EnqueueChunkDeletionParams{ChunkID: c.ID, StorageServerID: c.ServerID}); err != nil {
				return err
			}
		}
		_, err := q.DeleteFile(ctx, b.ID)
		return err
	})
	if err != nil {
		s.log.Warn().Err(err).Str("file_id", b.ID.String()).Msg("failed upload not cleaned up now; its session will expire")
		return
	}
	s.deleteChunksNow(ctx, b.Chunks)
}

// fill reads until buf is full or r fails. Unlike io.ReadFull it passes
// r's own error through, so a clean io.EOF is never confused with a body
// cut short (io.ErrUnexpectedEOF from net/http or mime/multipart).
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

type hashingReader struct {
	r io.Reader
	h hash.Hash
}

// sum is the body's SHA-256: the one computed here, or the one known.
func (hr *hashingReader) sum(known func() []byte) ([]byte, error) {
	if hr.h != nil {
		return hr.h.Sum(nil), nil
	}
	if s := known(); len(s) == sha256.Size {
		return s, nil
	}
	return nil, errors.New("objects: the body's known SHA-256 is missing after EOF")
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	if hr.h != nil {
		hr.h.Write(p[:n])
	}
	return n, err
}
