package grpcserver

import (
	"bytes"
	"context"
	"errors"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"sixfold/proto/shardcodec"
	"sixfold/proto/storagepb"
	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/internal/bufpool"
)

// PutChunk streams a chunk into the store. The first message must carry the
// header; data may follow in it and in every later message. Once the
// header checks out the node says so in its response headers
// (storagepb.AcceptedHeader); the answer is sent only once the chunk is
// durable. A stream cancelled by the client leaves nothing behind.
//
// Messages are received as shardcodec.ReceivedPutChunk, their data read
// out of the buffers it arrived in.
func (s *Service) PutChunk(stream storagepb.StorageService_PutChunkServer) error {
	first := new(shardcodec.ReceivedPutChunk)
	err := stream.RecvMsg(first)
	if errors.Is(err, io.EOF) {
		return status.Error(codes.InvalidArgument, "empty PutChunk stream: the first message must carry the header")
	}
	if err != nil {
		return toStatus(err)
	}
	h := first.Header
	if h == nil {
		return status.Error(codes.InvalidArgument, "the first PutChunk message must carry the header")
	}
	if h.GetExpectedSize() < -1 {
		return status.Errorf(codes.InvalidArgument, "expected_size %d: want -1 (unknown) or a size", h.GetExpectedSize())
	}
	digest, err := storeDigest(h.GetDigest())
	if err != nil {
		return err
	}
	if err := stream.SendHeader(metadata.Pairs(storagepb.AcceptedHeader, "shard")); err != nil {
		return toStatus(err)
	}
	// Data after the first message only; io.EOF is a clean end of the
	// client's side.
	r := shardcodec.NewPutChunkReader(first, func() (*shardcodec.ReceivedPutChunk, error) {
		msg := new(shardcodec.ReceivedPutChunk)
		if err := stream.RecvMsg(msg); err != nil {
			return nil, err
		}
		if msg.Header != nil {
			msg.Free()
			return nil, status.Error(codes.InvalidArgument, "PutChunk header repeated after the first message")
		}
		return msg, nil
	})
	resp, err := s.put(stream.Context(), h.GetChunkId(), r, h.GetExpectedSize(), digest)
	if err != nil {
		return err
	}
	return stream.SendAndClose(resp)
}

// WriteChunk stores a chunk sent whole in one message, durable before the
// answer as with PutChunk. A call cancelled by the client leaves nothing
// behind.
func (s *Service) WriteChunk(ctx context.Context, req *storagepb.WriteChunkRequest) (*storagepb.PutChunkResponse, error) {
	return s.writeWhole(ctx, req)
}

// WriteChunks writes every chunk at once, in one group of the store's
// (chunkstore.PutGroup), so the small ones share one sync of its log, and
// answers with each one's outcome. Only a malformed request as a whole
// fails the call.
func (s *Service) WriteChunks(ctx context.Context, req *storagepb.WriteChunksRequest) (*storagepb.WriteChunksResponse, error) {
	writes := req.GetWrites()
	if len(writes) > maxBatchItems {
		return nil, status.Errorf(codes.InvalidArgument, "%d writes: at most %d in one call", len(writes), maxBatchItems)
	}
	// The data is in pooled buffers when the node's codec decoded it
	// (shardcodec): back to the pool once it is on disk.
	defer func() {
		for _, w := range writes {
			shardcodec.Release(w.GetData())
		}
	}()
	resp := &storagepb.WriteChunksResponse{Writes: make([]*storagepb.ChunkWrite, len(writes))}
	puts := make([]chunkstore.GroupPut, 0, len(writes))
	grouped := make([]int, 0, len(writes)) // the write each of puts is
	for i, w := range writes {
		put, err := wholeChunk(w)
		if err != nil {
			resp.Writes[i] = s.writeOutcome(ctx, w, nil, err)
			continue
		}
		puts, grouped = append(puts, put), append(grouped, i)
	}
	for j, res := range s.store.PutGroup(ctx, puts) {
		i := grouped[j]
		var out *storagepb.PutChunkResponse
		err := res.Err
		if err == nil {
			out = s.written(puts[j].ID, res.PutResult)
		} else {
			err = s.fail("put", err)
		}
		resp.Writes[i] = s.writeOutcome(ctx, writes[i], out, err)
	}
	return resp, nil
}

// writeOutcome is one write's part of a WriteChunks answer.
func (s *Service) writeOutcome(ctx context.Context, w *storagepb.WriteChunkRequest, res *storagepb.PutChunkResponse, err error) *storagepb.ChunkWrite {
	out := &storagepb.ChunkWrite{Result: res}
	if err != nil {
		st := status.Convert(err)
		out.Code, out.Message = uint32(st.Code()), st.Message()
		logItem(ctx, s.log, "batched write failed", w.GetHeader().GetChunkId(), err)
	}
	return out
}

// writeWhole is WriteChunk's work.
func (s *Service) writeWhole(ctx context.Context, req *storagepb.WriteChunkRequest) (*storagepb.PutChunkResponse, error) {
	defer shardcodec.Release(req.GetData())
	put, err := wholeChunk(req)
	if err != nil {
		return nil, err
	}
	return s.put(ctx, put.ID, bytes.NewReader(put.Data), int64(len(put.Data)), put.Digest)
}

// wholeChunk checks a chunk sent whole in one message.
func wholeChunk(req *storagepb.WriteChunkRequest) (chunkstore.GroupPut, error) {
	h := req.GetHeader()
	if h == nil {
		return chunkstore.GroupPut{}, status.Error(codes.InvalidArgument, "WriteChunk needs a header")
	}
	data := req.GetData()
	if size := h.GetExpectedSize(); size != -1 && size != int64(len(data)) {
		return chunkstore.GroupPut{}, status.Errorf(codes.InvalidArgument, "expected_size %d with %d bytes of data: want -1 or the data's length", size, len(data))
	}
	digest, err := storeDigest(h.GetDigest())
	if err != nil {
		return chunkstore.GroupPut{}, err
	}
	return chunkstore.GroupPut{ID: h.GetChunkId(), Data: data, Digest: digest}, nil
}

// put makes a chunk durable and answers what the node now holds.
func (s *Service) put(ctx context.Context, id string, r io.Reader, expectedSize int64, digest chunkstore.Digest) (*storagepb.PutChunkResponse, error) {
	res, err := s.store.Put(ctx, id, r, expectedSize, digest)
	if err != nil {
		return nil, s.fail("put", err)
	}
	return s.written(id, res), nil
}

// written counts a chunk made durable and answers what the node now holds.
func (s *Service) written(id string, res chunkstore.PutResult) *storagepb.PutChunkResponse {
	s.obs.ChunkWritten(res.Size)
	return &storagepb.PutChunkResponse{ChunkId: id, Size: res.Size, Sha256: res.SHA256, Crc32C: res.CRC32C}
}

// storeDigest maps the wire's digest choice onto the store's. proto3 enums
// are open, so a value this node does not know (from a newer gateway)
// arrives as a bare number and is refused (InvalidArgument) rather than
// silently hashed some other way.
func storeDigest(d storagepb.Digest) (chunkstore.Digest, error) {
	switch d {
	case storagepb.Digest_DIGEST_SHA256:
		return chunkstore.DigestSHA256, nil
	case storagepb.Digest_DIGEST_CRC32C:
		return chunkstore.DigestCRC32C, nil
	}
	return 0, status.Errorf(codes.InvalidArgument, "digest %v: want DIGEST_SHA256 or DIGEST_CRC32C", d)
}

// GetChunk streams a byte range of a chunk in messages of message_size
// bytes, or of bufpool.Size when the request leaves it 0; the last may be
// shorter. An empty range sends no message.
func (s *Service) GetChunk(req *storagepb.GetChunkRequest, stream storagepb.StorageService_GetChunkServer) error {
	size := req.GetMessageSize()
	if size < 0 || size > storagepb.MaxMessageSize {
		return status.Errorf(codes.InvalidArgument, "message_size %d: want 0 to %d", size, storagepb.MaxMessageSize)
	}
	r, err := s.store.Open(req.GetChunkId(), req.GetOffset(), req.GetLength())
	if err != nil {
		return s.fail("get", err)
	}
	defer r.Close()
	if size == 0 {
		size = bufpool.Size
	}
	if n := req.GetLength(); n > 0 && n < size {
		size = n // a small read takes a buffer of its own size
	}
	sent, err := s.sendAll(stream, r, int(size))
	s.obs.ChunkRead(sent)
	return err
}

// sendAll sends r in messages of size bytes and returns the bytes sent.
// Each message is read straight into the buffer it is sent from
// (shardcodec.ChunkData), which gRPC hands back to the pool once written.
// Only a failed read is the node's own (disk) failure.
func (s *Service) sendAll(stream storagepb.StorageService_GetChunkServer, r io.Reader, size int) (int64, error) {
	var sent int64
	for {
		msg := shardcodec.NewChunkData(size)
		n, err := io.ReadFull(r, msg.Data())
		if n > 0 {
			msg.SetLen(n)
			if serr := stream.SendMsg(msg); serr != nil {
				return sent, toStatus(serr)
			}
			sent += int64(n)
		} else {
			msg.Release()
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return sent, nil
		}
		if err != nil {
			return sent, s.fail("get", err)
		}
	}
}

// maxBatchItems bounds the reads of one ReadChunks call and the writes of
// one WriteChunks call, so a request of many tiny ones cannot hold the
// node for long.
const maxBatchItems = 1024

// ReadChunks reads each range in turn and answers with all of them. A read
// fails on its own (its code and message in its answer) for anything that
// is the read's: a bad range, a missing chunk, a disk error. Only a
// malformed request as a whole fails the call.
func (s *Service) ReadChunks(ctx context.Context, req *storagepb.ReadChunksRequest) (*storagepb.ReadChunksResponse, error) {
	reads := req.GetReads()
	if len(reads) > maxBatchItems {
		return nil, status.Errorf(codes.InvalidArgument, "%d reads: at most %d in one call", len(reads), maxBatchItems)
	}
	var total int64
	for i, rd := range reads {
		if rd.GetLength() <= 0 {
			return nil, status.Errorf(codes.InvalidArgument, "read %d: length %d: a batched read must say how much it wants", i, rd.GetLength())
		}
		if total += rd.GetLength(); total > storagepb.MaxMessageSize {
			return nil, status.Errorf(codes.InvalidArgument, "reads of more than %d bytes in all", storagepb.MaxMessageSize)
		}
	}
	resp := &storagepb.ReadChunksResponse{Reads: make([]*storagepb.ChunkRead, len(reads))}
	for i, rd := range reads {
		if err := ctx.Err(); err != nil {
			return nil, toStatus(err)
		}
		data, err := s.readRange(rd)
		out := &storagepb.ChunkRead{Data: data}
		if err != nil {
			st := status.Convert(s.fail("get", err))
			out.Code, out.Message = uint32(st.Code()), st.Message()
			logItem(ctx, s.log, "batched read failed", rd.GetChunkId(), st.Err())
		}
		s.obs.ChunkRead(int64(len(data)))
		resp.Reads[i] = out
	}
	return resp, nil
}

// readRange reads one batched range whole.
func (s *Service) readRange(rd *storagepb.GetChunkRequest) ([]byte, error) {
	r, err := s.store.Open(rd.GetChunkId(), rd.GetOffset(), rd.GetLength())
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data := make([]byte, r.Len())
	n, err := io.ReadFull(r, data)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil // the file is shorter than it was: the gateway's checks catch it
	}
	return data[:n], err
}
