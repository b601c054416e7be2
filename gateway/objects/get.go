package objects

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/google/uuid"

	"sixfold/db"
	"sixfold/s3api"
)

// Stat returns a blob's metadata and chunks, whatever its status. An id
// that names an S3 object instead returns the object as a blob of Parts.
func (s *Service) Stat(ctx context.Context, id uuid.UUID) (Blob, error) {
	f, rows, err := s.blobs.GetFile(ctx, id)
	if errors.Is(err, db.ErrNotFound) {
		return s.statObject(ctx, id)
	}
	if err != nil {
		return Blob{}, metadataError(err)
	}
	b := blobFromFile(f)
	if len(rows) == 0 && b.Status == BlobCompleted {
		// Every completed blob has its shard rows: none means it was
		// deleted between the two queries.
		return Blob{}, fmt.Errorf("%w: blob %s deleted while it was read", ErrNotFound, id)
	}
	for _, r := range rows {
		b.Chunks = append(b.Chunks, Chunk{ID: r.ID, Number: r.Number, Offset: r.Offset, Size: r.Size,
			Hash: r.Hash, Status: ChunkStatus(r.Status), ServerID: r.ServerID, ServerAddress: r.ServerAddress})
	}
	return b, nil
}

// statObject presents an S3 object, which spans one blob per part, as one
// blob under the object's id, so GET /files/{id} serves it too.
func (s *Service) statObject(ctx context.Context, id uuid.UUID) (Blob, error) {
	obj, err := s.blobs.ObjectHead(ctx, id)
	if err != nil {
		return Blob{}, metadataError(err)
	}
	parts, err := s.ObjectParts(ctx, id)
	if err != nil {
		return Blob{}, err
	}
	var meta struct{ ContentType string }
	_ = json.Unmarshal(obj.Meta, &meta)
	b := Blob{ID: obj.ID, Filename: path.Base(obj.Key), ContentType: meta.ContentType, Size: obj.Size,
		Status: BlobCompleted, Metadata: json.RawMessage("{}"), CreatedAt: obj.CreatedAt, Parts: parts}
	if b.ContentType == "" {
		b.ContentType = s3api.DefaultContentType
	}
	return b, nil
}

// ObjectParts returns an S3 object version's parts, each a range of one
// blob with its shards, ready for OpenParts; none for an empty object or
// one no longer stored.
func (s *Service) ObjectParts(ctx context.Context, objectID uuid.UUID) ([]Part, error) {
	rows, err := s.blobs.ObjectChunks(ctx, objectID)
	if err != nil {
		return nil, metadataError(err)
	}
	return PartsOf(rows), nil
}

// PartsOf groups an S3 object version's shards, as db lists them (by
// part, segment and chunk number), into its parts, ready for OpenParts:
// for a caller that read them along with the version (a GET).
func PartsOf(rows []db.ObjectChunk) []Part {
	var parts []Part
	for _, r := range rows {
		if n := len(parts); n == 0 || parts[n-1].number != r.PartNumber || parts[n-1].segment != r.Segment {
			parts = append(parts, Part{number: r.PartNumber, segment: r.Segment, Offset: r.PartOffset, BlobOffset: r.BlobOffset, Size: r.PartSize,
				Blob: Blob{ID: r.BlobID, Size: r.BlobSize, Status: BlobCompleted,
					DataShards: r.DataShards, ParityShards: r.ParityShards, BlockSize: r.BlockSize}})
		}
		p := &parts[len(parts)-1]
		c := r.Chunk
		p.Blob.Chunks = append(p.Blob.Chunks, Chunk{ID: c.ID, Number: c.Number, Offset: c.Offset, Size: c.Size,
			Hash: c.Hash, Status: ChunkStatus(c.Status), ServerID: c.ServerID, ServerAddress: c.ServerAddress})
	}
	return parts
}

func blobFromFile(f db.File) Blob {
	return Blob{ID: f.ID, Filename: f.Filename, ContentType: f.ContentType, Size: f.Size, Checksum: f.Checksum,
		Status: BlobStatus(f.Status), Metadata: f.Metadata, CreatedAt: f.CreatedAt, Owner: f.Owner,
		DataShards: f.DataShards, ParityShards: f.ParityShards, BlockSize: f.BlockSize}
}

// Open streams length bytes of a completed blob from offset. Before it
// returns, it checks that every part of the range is readable from the
// shards not known to be lost or down, so a request that cannot succeed
// fails before any byte is promised. The caller must Close the reader.
func (s *Service) Open(ctx context.Context, b Blob, offset, length int64) (io.ReadCloser, error) {
	if b.Status != BlobCompleted {
		return nil, ErrNotFound
	}
	if offset < 0 || length < 0 || offset+length > b.Size {
		return nil, fmt.Errorf("range %d+%d outside blob of %d bytes", offset, length, b.Size)
	}
	parts := b.Parts
	if parts == nil {
		parts = []Part{{Blob: b}}
	}
	return s.OpenParts(ctx, parts, offset, length)
}

// piece is the part of one blob a read needs.
type piece struct {
	blob           Blob
	offset, length int64 // within the blob
}

// OpenParts streams length bytes from offset of the byte sequence the
// parts make up, one blob after another (an S3 multipart object).
func (s *Service) OpenParts(ctx context.Context, parts []Part, offset, length int64) (io.ReadCloser, error) {
	var pieces []piece
	end := offset + length
	for _, p := range parts {
		lo, hi := max(offset, p.Offset), min(end, p.Offset+p.length())
		if lo < hi {
			pieces = append(pieces, piece{blob: p.Blob, offset: p.BlobOffset + lo - p.Offset, length: hi - lo})
		}
	}
	for _, pc := range pieces {
		if err := s.precheck(ctx, pc); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	return s.observeDownload(&piecesReader{ctx: ctx, cancel: cancel, s: s, pieces: pieces}, length), nil
}

func (s *Service) precheck(ctx context.Context, pc piece) error {
	if pc.blob.Striped() {
		return s.precheckStriped(pc)
	}
	return s.precheckLegacy(ctx, pc)
}

// piecesReader reads its pieces one after another, opening each blob's
// reader when the previous one is done.
type piecesReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	s      *Service
	pieces []piece
	cur    io.ReadCloser
}

func (r *piecesReader) Read(p []byte) (int, error) {
	for {
		if r.cur == nil {
			if len(r.pieces) == 0 {
				return 0, io.EOF
			}
			r.cur = r.s.openPiece(r.ctx, r.pieces[0])
			r.pieces = r.pieces[1:]
		}
		n, err := r.cur.Read(p)
		if errors.Is(err, io.EOF) {
			r.cur.Close()
			r.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// WriteTo copies piece after piece into w, each through its own WriteTo
// where it has one.
func (r *piecesReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if r.cur == nil {
			if len(r.pieces) == 0 {
				return total, nil
			}
			r.cur = r.s.openPiece(r.ctx, r.pieces[0])
			r.pieces = r.pieces[1:]
		}
		n, err := io.Copy(w, r.cur)
		total += n
		if err != nil {
			return total, err
		}
		r.cur.Close()
		r.cur = nil
	}
}

func (r *piecesReader) Close() error {
	r.cancel()
	if r.cur != nil {
		r.cur.Close()
	}
	return nil
}

func (s *Service) openPiece(ctx context.Context, pc piece) io.ReadCloser {
	if pc.blob.Striped() {
		return s.openStriped(ctx, pc)
	}
	return s.openLegacy(ctx, pc)
}
