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
	"path"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
	"sixfold/db/dbq"
	"sixfold/proto/storagepb"
)

// readAhead is how many chunk fetches run at once: the one being streamed
// to the client and the next, so a chunk boundary costs no round trip.
const readAhead = 2

// fetchBuffer is how many gRPC messages (≤1 MiB each) one fetch may queue.
const fetchBuffer = 4

// Stat returns a blob's metadata and chunks, whatever its status.
func (s *Service) Stat(ctx context.Context, id uuid.UUID) (Blob, error) {
	q := dbq.New(s.pool)
	f, err := q.GetFile(ctx, id)
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return s.statObject(ctx, q, id)
	}
	if err != nil {
		return Blob{}, metadataError(db.Translate(err))
	}
	rows, err := q.ListChunks(ctx, id)
	if err != nil {
		return Blob{}, metadataError(db.Translate(err))
	}
	b := blobFromRow(f)
	for _, r := range rows {
		b.Chunks = append(b.Chunks, Chunk{ID: r.ID, Number: int(r.ChunkNumber), Offset: r.ByteOffset, Size: r.Size,
			Hash: r.Hash.String, Status: r.Status, ServerID: r.StorageServerID, ServerAddress: r.ServerAddress})
	}
	return b, nil
}

// statObject presents a multipart S3 object, which spans several blobs, as
// one blob under the object's id, so GET /files/{id} serves it too.
func (s *Service) statObject(ctx context.Context, q *dbq.Queries, id uuid.UUID) (Blob, error) {
	obj, err := q.GetObjectByID(ctx, id)
	if err != nil {
		return Blob{}, metadataError(db.Translate(err))
	}
	rows, err := q.ListObjectChunks(ctx, id)
	if err != nil {
		return Blob{}, metadataError(db.Translate(err))
	}
	var meta struct{ ContentType string }
	_ = json.Unmarshal(obj.Meta, &meta)
	b := Blob{ID: obj.ID, Filename: path.Base(obj.Key), ContentType: meta.ContentType, Size: obj.Size,
		Status: "completed", Metadata: json.RawMessage("{}"), CreatedAt: obj.CreatedAt}
	if b.ContentType == "" {
		b.ContentType = "application/octet-stream"
	}
	for _, r := range rows {
		b.Chunks = append(b.Chunks, Chunk{ID: r.ID, Number: int(r.ChunkNumber), Offset: r.PartOffset + r.ByteOffset,
			Size: r.Size, Hash: r.Hash.String, Status: r.Status, ServerID: r.StorageServerID, ServerAddress: r.ServerAddress})
	}
	return b, nil
}

func blobFromRow(f dbq.File) Blob {
	return Blob{ID: f.ID, Filename: f.Filename, ContentType: f.ContentType, Size: f.Size, Checksum: f.Checksum.String,
		Status: f.Status, Metadata: f.Metadata, CreatedAt: f.CreatedAt}
}

// span is the part of one chunk a read needs.
type span struct {
	chunk  Chunk
	offset int64 // within the chunk
	length int64
}

// Open streams length bytes of a completed blob from offset. Every node the
// range needs is checked first, so a dead node fails the request before
// any byte is sent. The caller must Close the reader.
func (s *Service) Open(ctx context.Context, b Blob, offset, length int64) (io.ReadCloser, error) {
	if b.Status != "completed" {
		return nil, ErrNotFound
	}
	if offset < 0 || length < 0 || offset+length > b.Size {
		return nil, fmt.Errorf("range %d+%d outside blob of %d bytes", offset, length, b.Size)
	}
	return s.OpenChunks(ctx, b.Chunks, offset, length)
}

// OpenChunks streams length bytes from offset of the byte sequence the
// chunks make up; each chunk's Offset is absolute in that sequence (an S3
// multipart object is its parts' chunks, one blob after another).
func (s *Service) OpenChunks(ctx context.Context, chunks []Chunk, offset, length int64) (io.ReadCloser, error) {
	spans := spansFor(chunks, offset, length)
	checked := map[string]bool{}
	for _, sp := range spans {
		if sp.chunk.Status == "corrupt" || sp.chunk.Status == "missing" {
			// Known bad: refuse before a status line promises the bytes.
			return nil, fmt.Errorf("%w: chunk %s is flagged %s", ErrCorruptChunk, sp.chunk.ID, sp.chunk.Status)
		}
		addr := sp.chunk.ServerAddress
		if checked[addr] {
			continue
		}
		if !s.cluster.WaitReady(ctx, addr) {
			s.cluster.RequestRefresh()
			return nil, fmt.Errorf("%w: chunk %s is on %s", ErrNodeUnavailable, sp.chunk.ID, addr)
		}
		checked[addr] = true
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &blobReader{ctx: ctx, cancel: cancel, s: s, spans: spans}
	r.startFetches()
	return s.observeDownload(r, length), nil
}

func spansFor(chunks []Chunk, offset, length int64) []span {
	var spans []span
	end := offset + length
	for _, c := range chunks {
		lo, hi := max(offset, c.Offset), min(end, c.Offset+c.Size)
		if lo < hi {
			spans = append(spans, span{chunk: c, offset: lo - c.Offset, length: hi - lo})
		}
	}
	return spans
}

// fetch is one chunk's bytes in flight: data is closed when the chunk is
// done, and err (read only after that) says whether it ended well.
type fetch struct {
	data chan []byte
	err  error
}

type blobReader struct {
	ctx     context.Context
	cancel  context.CancelFunc
	s       *Service
	spans   []span
	started int      // spans whose fetch has begun
	window  []*fetch // begun and not yet fully read, in order
	current []byte   // unread rest of the current message
}

func (r *blobReader) startFetches() {
	for len(r.window) < readAhead && r.started < len(r.spans) {
		f := &fetch{data: make(chan []byte, fetchBuffer)}
		sp := r.spans[r.started]
		go func() {
			f.err = r.s.fetchSpan(r.ctx, sp, f.data)
			close(f.data)
		}()
		r.window = append(r.window, f)
		r.started++
	}
}

func (r *blobReader) Read(p []byte) (int, error) {
	for len(r.current) == 0 {
		if len(r.window) == 0 {
			return 0, io.EOF
		}
		msg, ok := <-r.window[0].data
		if !ok {
			if err := r.window[0].err; err != nil {
				return 0, err
			}
			r.window = r.window[1:]
			r.startFetches()
			continue
		}
		r.current = msg
	}
	n := copy(p, r.current)
	r.current = r.current[n:]
	return n, nil
}

func (r *blobReader) Close() error {
	r.cancel()
	return nil
}

// fetchSpan streams one chunk range into out. A chunk read whole is
// checked against its recorded SHA-256, and its last message is held back
// until the check passes, so corrupt bytes never complete a response.
func (s *Service) fetchSpan(ctx context.Context, sp span, out chan<- []byte) error {
	client, err := s.cluster.Client(sp.chunk.ServerAddress)
	if err != nil {
		return err
	}
	stream, err := client.GetChunk(ctx, &storagepb.GetChunkRequest{ChunkId: sp.chunk.ID.String(), Offset: sp.offset, Length: sp.length})
	if err != nil {
		return s.nodeError(ctx, sp.chunk.ServerAddress, err)
	}
	var verify hash.Hash
	if sp.offset == 0 && sp.length == sp.chunk.Size {
		verify = sha256.New()
	}
	var held []byte
	var got int64
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.readError(ctx, sp.chunk, err)
		}
		got += int64(len(msg.Data))
		if verify == nil {
			if err := send(ctx, out, msg.Data); err != nil {
				return err
			}
			continue
		}
		verify.Write(msg.Data)
		if held != nil {
			if err := send(ctx, out, held); err != nil {
				return err
			}
		}
		held = msg.Data
	}
	if got != sp.length {
		return s.corrupt(sp.chunk, fmt.Sprintf("node returned %d bytes, want %d", got, sp.length))
	}
	if verify != nil {
		if sum := hex.EncodeToString(verify.Sum(nil)); sum != sp.chunk.Hash {
			return s.corrupt(sp.chunk, "sha256 "+sum+" does not match the recorded "+sp.chunk.Hash)
		}
		if held != nil {
			return send(ctx, out, held)
		}
	}
	return nil
}

func (s *Service) readError(ctx context.Context, c Chunk, err error) error {
	err = s.nodeError(ctx, c.ServerAddress, err)
	if errors.Is(err, ErrCorruptChunk) {
		return s.corrupt(c, err.Error())
	}
	return err
}

// corrupt flags a chunk whose bytes are wrong or gone, logs which, and
// returns ErrCorruptChunk.
func (s *Service) corrupt(c Chunk, why string) error {
	s.log.Error().Str("chunk_id", c.ID.String()).Str("server", c.ServerAddress).Str("reason", why).Msg("chunk failed verification")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := dbq.New(s.pool).MarkChunkCorrupt(ctx, c.ID); err != nil {
		s.log.Warn().Err(err).Str("chunk_id", c.ID.String()).Msg("could not flag corrupt chunk")
	}
	return fmt.Errorf("%w: chunk %s on %s: %s", ErrCorruptChunk, c.ID, c.ServerAddress, why)
}

func send(ctx context.Context, out chan<- []byte, data []byte) error {
	select {
	case out <- data:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
