package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"sixfold/db"
	"sixfold/gateway/erasure"
	"sixfold/proto/storagepb"
)

// shardOutcome is how one shard's write ended: durable on its node with
// the given CRC32C, or err.
type shardOutcome struct {
	crc uint32
	err error
}

// putWhole stores and records a blob of known size that fits one stripe.
// Its rows are written while its shards are on their way, in a
// transaction that commits only once the write quorum is durable
// (db.NewBlob.Settle): a small PUT waits for the nodes and for
// PostgreSQL's statements at once rather than one after the other. No row
// of the blob is visible before that COMMIT, so whatever fails before it
// leaves nothing to read, and the shards are deleted outright.
func (s *Service) putWhole(ctx context.Context, b *Blob, in PutInput, sessionID uuid.UUID, started time.Time) error {
	l := b.Layout()
	codec, err := s.codec(l.Data, l.Parity)
	if err != nil {
		return err
	}
	body := newHashingReader(in)
	st, frames, err := s.readWhole(ctx, b, codec, body)
	if err != nil {
		return err
	}
	if err := b.setChecksum(body, in); err != nil {
		s.recycleStripe(st, l.Data, l.Shards())
		return err
	}
	crcs := make([]uint32, len(frames))
	for i := range b.Chunks { // as hoped for; Settle records what was not
		c := &b.Chunks[i]
		crcs[i] = erasure.FrameCRC32C(0, frames[i])
		c.Size, c.Status, c.Hash = l.ShardSize(), ChunkStored, shardHash(crcs[i])
	}
	writes := s.sendWhole(ctx, b, st, frames, crcs)
	settle := func() ([]uuid.UUID, error) {
		outcomes, err := writes.wait()
		if err != nil {
			return nil, err
		}
		s.settleShards(b, outcomes)
		return unwritten(b.Chunks), nil
	}
	err = s.recordWhole(ctx, b, in, sessionID, started, writes.sentAt, settle)
	if _, writeErr := writes.wait(); writeErr != nil {
		s.discardUnrecorded(ctx, *b) // Settle failed or never ran: nothing committed
		return writeErr
	}
	switch {
	case errors.Is(err, db.ErrNotCommitted):
		s.discardUnrecorded(ctx, *b) // no row knows its shards
	case err != nil:
		// A COMMIT whose outcome is unknown: only the metadata may say
		// whether its shards can go.
		s.abandon(ctx, *b)
	}
	return err
}

// readWhole reads a whole blob's body into one stripe and encodes it,
// returning the stripe and its shards' frames (nil for an empty blob).
func (s *Service) readWhole(ctx context.Context, b *Blob, codec *erasure.Codec, body io.Reader) (*erasure.Stripe, [][]byte, error) {
	l := b.Layout()
	st := s.newStripe(l.Data, l.Shards(), max(1, min(l.BlockSize, l.BlockLen(0))))
	n, err := st.Fill(body, b.Size)
	switch {
	case err != nil && err != io.EOF:
		err = BodyError(ctx, err)
	case n < b.Size:
		err = ErrIncompleteBody
	default:
		err = expectEOF(ctx, body)
	}
	if err == nil && n > 0 {
		err = codec.Encode(st)
	}
	if err != nil {
		s.recycleStripe(st, l.Data, l.Shards())
		return nil, nil, err
	}
	frames := make([][]byte, l.Shards())
	if n > 0 {
		for i := range frames {
			frames[i] = st.Frame(i)
		}
	}
	return st, frames, nil
}

// wholeWrite is the writing of a whole blob's shards (sendWhole).
type wholeWrite struct {
	sentAt   time.Time
	done     chan struct{} // closed when every call has returned
	outcomes []shardOutcome
	err      error // fewer shards durable than the write quorum
}

// wait returns each shard's outcome once the writes are over.
func (w *wholeWrite) wait() ([]shardOutcome, error) {
	<-w.done
	return w.outcomes, w.err
}

// sendWhole sends every shard of st to its node whole, in one message,
// all at once. A small object thereby skips what a stream costs per
// shard: its set-up, the round trip that waits for the node to accept it,
// and the separate messages for data and close. Once the write quorum is
// durable, the other shards get one stall timeout more, as streamed writes
// do; a shard not written is left to the healer. The stripe is recycled
// once every call has returned. crcs are the frames' CRC32Cs.
func (s *Service) sendWhole(ctx context.Context, b *Blob, st *erasure.Stripe, frames [][]byte, crcs []uint32) *wholeWrite {
	l := b.Layout()
	w := &wholeWrite{sentAt: time.Now(), done: make(chan struct{}), outcomes: make([]shardOutcome, len(frames))}
	done := make(chan int, len(frames))
	calls, cancel := context.WithCancel(ctx)
	queued := s.queueShards(b.Chunks, frames)
	for i := range frames {
		go func() {
			w.outcomes[i] = s.writeShardWhole(calls, &b.Chunks[i], frames[i], crcs[i], queued[i])
			done <- i
		}()
	}
	go func() {
		defer close(w.done)
		w.err = s.collectWhole(ctx, b, w.outcomes, done, cancel)
		s.recycleStripe(st, l.Data, l.Shards())
	}()
	return w
}

// collectWhole waits for sendWhole's calls, as sendWhole says, and fails
// when fewer than the write quorum of shards became durable.
func (s *Service) collectWhole(ctx context.Context, b *Blob, outcomes []shardOutcome, done <-chan int, cancel func()) error {
	l := b.Layout()
	quorum := WriteQuorum(l.Data, l.Parity)
	finished := make([]bool, len(outcomes))
	ok, pending := 0, len(outcomes)
	var late <-chan time.Time
collect:
	for pending > 0 && ok+pending >= quorum {
		select {
		case i := <-done:
			finished[i], pending = true, pending-1
			if outcomes[i].err == nil {
				ok++
			}
			if ok >= quorum && late == nil && pending > 0 {
				late = time.After(s.opts.StallTimeout)
			}
		case <-late:
			break collect
		}
	}
	// The calls still out are given up; the stripe's frames are in use
	// until every call has returned.
	cancel()
	for range pending {
		<-done
	}
	for i := range outcomes {
		if !finished[i] {
			outcomes[i].err = fmt.Errorf("%w: node %s did not confirm shard %d", errStalled, b.Chunks[i].ServerAddress, i)
		}
	}
	if ok < quorum {
		if err := ctx.Err(); err != nil {
			return err
		}
		errs := make([]error, len(outcomes))
		for i, o := range outcomes {
			errs[i] = o.err
		}
		return quorumFailure(errs, ok, quorum)
	}
	return nil
}

// queueShards queues the frames that go through their nodes' write
// batchers, all of them before any batcher sends, so that the shards an
// object has on one node go in one call, where the node's log syncs them
// together. It returns each frame's first attempt: nil for a frame sent
// in a call of its own.
func (s *Service) queueShards(chunks []Chunk, frames [][]byte) []*shardWrite {
	queued := make([]*shardWrite, len(frames))
	var batchers []*writeBatcher
	for i, frame := range frames {
		if len(frame) > batchedFrameMax {
			continue
		}
		b := s.writeBatcher(chunks[i].ServerAddress)
		queued[i] = b.add(shardRequest(&chunks[i], frame), int64(len(frame)))
		batchers = append(batchers, b)
	}
	for _, b := range batchers {
		b.kick()
	}
	return queued
}

// shardRequest asks a node to store frame as shard c.
func shardRequest(c *Chunk, frame []byte) *storagepb.WriteChunkRequest {
	return &storagepb.WriteChunkRequest{Data: frame, Header: &storagepb.PutChunkHeader{ChunkId: c.ID.String(),
		ExpectedSize: int64(len(frame)), Digest: storagepb.Digest_DIGEST_CRC32C}}
}

// writeShardWhole sends one shard whole: up to batchedFrameMax through the
// node's write batcher (in a WriteChunks call, perhaps with other
// uploads' shards), larger in a WriteChunk call of its own; each attempt
// bounded by the call timeout (storage.grpc_timeout); crc is the frame's
// CRC32C, which the node must report back. queued, if not nil, is the
// first attempt, already queued (queueShards). Only a call that
// did not reach the node's store is retried, as only a refused stream
// open is: no connection, or the node answering Unavailable or
// ResourceExhausted (starting, or shedding load). A node that tried and
// failed (a broken disk answers Internal) or ran out of time would fail
// again, and its shard is left to the healer at once rather than holding
// the upload through max_retries × retry_delay.
func (s *Service) writeShardWhole(ctx context.Context, c *Chunk, frame []byte, crc uint32, queued *shardWrite) shardOutcome {
	var req *storagepb.WriteChunkRequest
	if queued != nil {
		req = queued.req
	} else {
		req = shardRequest(c, frame)
	}
	out := shardOutcome{crc: crc}
	out.err = s.withRetries(ctx, c.ServerAddress, func() (bool, error) {
		attempt := queued
		queued = nil
		return s.writeShardOnce(ctx, c, req, out.crc, attempt)
	})
	return out
}

// writeShardOnce makes one attempt, or waits for queued, and says whether
// a failure is worth another (writeShardWhole).
func (s *Service) writeShardOnce(ctx context.Context, c *Chunk, req *storagepb.WriteChunkRequest, crc uint32, queued *shardWrite) (retry bool, err error) {
	var resp *storagepb.PutChunkResponse
	if queued != nil {
		resp, err = queued.wait(ctx)
	} else {
		resp, err = s.sendShard(ctx, c, req)
	}
	if err != nil {
		code := status.Code(err)
		return code == codes.Unavailable || code == codes.ResourceExhausted, s.nodeError(ctx, c.ServerAddress, err)
	}
	if resp.GetSize() != int64(len(req.Data)) || resp.GetCrc32C() != crc {
		return false, fmt.Errorf("%w: node %s stored %d bytes (crc32c %08x) of shard %s, sent %d (crc32c %08x)",
			ErrNodeUnavailable, c.ServerAddress, resp.GetSize(), resp.GetCrc32C(), c.ID, len(req.Data), crc)
	}
	return false, nil
}

// sendShard sends a shard whole to its node: up to batchedFrameMax through
// the node's write batcher, larger in a WriteChunk call of its own within
// the call timeout.
func (s *Service) sendShard(ctx context.Context, c *Chunk, req *storagepb.WriteChunkRequest) (*storagepb.PutChunkResponse, error) {
	if len(req.Data) <= batchedFrameMax {
		b := s.writeBatcher(c.ServerAddress)
		w := b.add(req, int64(len(req.Data)))
		b.kick()
		return w.wait(ctx)
	}
	client, err := s.cluster.Client(c.ServerAddress)
	if err != nil {
		return nil, err
	}
	callCtx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	return client.WriteChunk(callCtx, req)
}
