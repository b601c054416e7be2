package objects

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"sixfold/proto/storagepb"
)

// Blobs written before parity are six contiguous chunks, each checked by
// its SHA-256 when read whole; they are read here as they always were.

// readAhead is how many chunk fetches of a pre-parity blob run at once: the
// one being streamed to the client and the next.
const readAhead = 2

// fetchBuffer is how many gRPC messages (≤1 MiB each) one fetch may queue.
const fetchBuffer = 4

// span is the part of one pre-parity chunk a read needs.
type span struct {
	chunk  Chunk
	offset int64 // within the chunk
	length int64
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

// precheckLegacy refuses a range that needs a chunk known bad or on a node
// that cannot be reached: without parity there is no way around either.
func (s *Service) precheckLegacy(ctx context.Context, pc piece) error {
	checked := map[string]bool{}
	for _, sp := range spansFor(pc.blob.Chunks, pc.offset, pc.length) {
		if sp.chunk.Status != ChunkStored {
			return fmt.Errorf("%w: chunk %s is flagged %s", ErrCorruptChunk, sp.chunk.ID, sp.chunk.Status)
		}
		addr := sp.chunk.ServerAddress
		if checked[addr] {
			continue
		}
		if !s.cluster.WaitReady(ctx, addr) {
			s.cluster.RequestRefresh()
			return fmt.Errorf("%w: chunk %s is on %s", ErrNodeUnavailable, sp.chunk.ID, addr)
		}
		checked[addr] = true
	}
	return nil
}

func (s *Service) openLegacy(ctx context.Context, pc piece) io.ReadCloser {
	ctx, cancel := context.WithCancel(ctx)
	r := &legacyReader{ctx: ctx, cancel: cancel, s: s, spans: spansFor(pc.blob.Chunks, pc.offset, pc.length)}
	r.startFetches()
	return r
}

// fetch is one chunk's bytes in flight: data is closed when the chunk is
// done, and err (read only after that) says whether it ended well.
type fetch struct {
	data chan []byte
	err  error
}

type legacyReader struct {
	ctx     context.Context
	cancel  context.CancelFunc
	s       *Service
	spans   []span
	started int      // spans whose fetch has begun
	window  []*fetch // begun and not yet fully read, in order
	current []byte   // unread rest of the current message
}

func (r *legacyReader) startFetches() {
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

func (r *legacyReader) Read(p []byte) (int, error) {
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

func (r *legacyReader) Close() error {
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
			return s.legacyReadError(ctx, sp.chunk, err)
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

func (s *Service) legacyReadError(ctx context.Context, c Chunk, err error) error {
	err = s.nodeError(ctx, c.ServerAddress, err)
	if errors.Is(err, ErrCorruptChunk) {
		return s.corrupt(c, err.Error())
	}
	return err
}

// corrupt flags a chunk whose bytes are wrong or gone, logs which, and
// returns ErrCorruptChunk. For a parity blob the healer then rebuilds it.
func (s *Service) corrupt(c Chunk, why string) error {
	s.log.Error().Str("chunk_id", c.ID.String()).Str("server", c.ServerAddress).Str("reason", why).Msg("chunk failed verification")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.blobs.MarkChunkCorrupt(ctx, c.ID); err != nil {
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
