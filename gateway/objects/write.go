package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"sixfold/gateway/erasure"
	"sixfold/proto/storagepb"
)

// stripesInFlight bounds the stripes one upload holds: one being filled
// from the body and two on their way to the nodes, so a node a little
// behind the others does not stall the upload.
const stripesInFlight = 3

// errStalled is why a writer whose node made no progress was given up.
var errStalled = errors.New("storage node made no progress within the stall timeout")

// upload is one blob's shard writers and the stripes they share.
type upload struct {
	s       *Service
	blob    *Blob
	writers []*shardWriter
	quorum  int

	capacity  int64 // block capacity of this upload's stripes
	free      chan *erasure.Stripe
	allocated int
	closed    bool // the writers' queues are closed
}

// sharedStripe is a stripe on its way to every writer; the last writer to
// be done with it returns it to the upload's free list.
type sharedStripe struct {
	st   *erasure.Stripe
	refs atomic.Int32
	free chan<- *erasure.Stripe
}

func (ss *sharedStripe) release() {
	if ss.refs.Add(-1) == 0 {
		ss.free <- ss.st
	}
}

// shardWriter streams one shard's frames to its node.
type shardWriter struct {
	index  int
	chunk  *Chunk
	stream storagepb.StorageService_PutChunkClient
	cancel context.CancelFunc
	queue  chan *sharedStripe
	done   chan struct{}

	completed atomic.Int64 // stripes handled (sent, or dropped after a failure)
	failed    atomic.Bool
	errMu     sync.Mutex // protects err
	err       error

	// Owned by the writer's goroutine until done is closed.
	crc  uint32
	sent int64
}

// newUpload opens one PutChunk stream per shard. A node that cannot be
// reached leaves its writer failed from the start; the caller checks that
// a quorum is live.
func (s *Service) newUpload(ctx context.Context, b *Blob, exact bool) *upload {
	l := b.Layout()
	up := &upload{s: s, blob: b, quorum: WriteQuorum(l.Data, l.Parity),
		capacity: l.BlockSize, free: make(chan *erasure.Stripe, stripesInFlight)}
	if exact {
		up.capacity = max(1, min(l.BlockSize, l.BlockLen(0)))
	}
	expected := int64(-1)
	if exact {
		expected = l.ShardSize()
	}
	// Every shard's stream opens at once: each waits a round trip for its
	// node to accept it (and retries a refusal), so one after another
	// would cost a small object one round trip per shard.
	var opening sync.WaitGroup
	for i := range b.Chunks {
		w := &shardWriter{index: i, chunk: &b.Chunks[i], queue: make(chan *sharedStripe, stripesInFlight), done: make(chan struct{})}
		up.writers = append(up.writers, w)
		wctx, cancel := context.WithCancel(ctx)
		w.cancel = cancel
		opening.Go(func() {
			if err := s.openShard(wctx, w, expected); err != nil {
				w.stream = nil
				w.fail(err)
			}
		})
	}
	opening.Wait()
	for _, w := range up.writers {
		if w.stream == nil {
			close(w.done)
			continue
		}
		go w.run(s, ctx)
	}
	return up
}

// openShard opens a shard's stream, retrying transient failures: a node
// that restarted leaves the gateway a connection that fails its first
// call, and a second attempt on a fresh connection succeeds.
func (s *Service) openShard(ctx context.Context, w *shardWriter, expected int64) error {
	return s.withRetries(ctx, w.chunk.ServerAddress, func() (bool, error) {
		err := s.openShardOnce(ctx, w, expected)
		return errors.Is(err, ErrNodeUnavailable), err
	})
}

// withRetries makes a node call until it succeeds, fails for good (call
// says whether its failure is worth another try), or has been made
// 1 + Retries times: the first retry at once, the later ones RetryDelay
// apart, each once address's connection is ready again.
func (s *Service) withRetries(ctx context.Context, address string, call func() (retry bool, err error)) error {
	var err error
	for attempt := range 1 + s.opts.Retries {
		if attempt > 1 {
			select {
			case <-time.After(s.opts.RetryDelay):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if attempt > 0 && !s.cluster.WaitReady(ctx, address) {
			break
		}
		var retry bool
		if retry, err = call(); err == nil || ctx.Err() != nil || !retry {
			return err
		}
	}
	return err
}

func (s *Service) openShardOnce(ctx context.Context, w *shardWriter, expected int64) error {
	client, err := s.cluster.Client(w.chunk.ServerAddress)
	if err != nil {
		return err
	}
	stream, err := client.PutChunk(ctx)
	if err != nil {
		return s.nodeError(ctx, w.chunk.ServerAddress, err)
	}
	w.stream = stream
	hdr := &storagepb.PutChunkHeader{ChunkId: w.chunk.ID.String(), ExpectedSize: expected, Digest: storagepb.Digest_DIGEST_CRC32C}
	if err := stream.Send(&storagepb.PutChunkRequest{Header: hdr}); err != nil {
		return s.sendError(ctx, w, err)
	}
	return s.awaitAccept(ctx, w)
}

// awaitAccept waits for the node to accept the shard's stream
// (storagepb.AcceptedHeader). A refusal then (a node not serving yet, or
// any error before data) is returned while the call can still be retried.
// A node answers before it touches its disk, so one silent for the stall
// timeout is stalled (frozen, or its process wedged) and the write goes on
// without it at once. Nodes must therefore be upgraded before gateways: a
// node that predates the early answer looks stalled.
func (s *Service) awaitAccept(ctx context.Context, w *shardWriter) error {
	stream := w.stream
	accepted := make(chan bool, 1)
	go func() {
		// Header gives no error: a stream that ended instead has no
		// AcceptedHeader, and its status comes from CloseAndRecv.
		md, _ := stream.Header()
		accepted <- len(md.Get(storagepb.AcceptedHeader)) > 0
	}()
	timer := time.NewTimer(s.opts.StallTimeout)
	defer timer.Stop()
	select {
	case ok := <-accepted:
		if ok {
			return nil
		}
		_, err := stream.CloseAndRecv()
		if err == nil {
			err = fmt.Errorf("node %s ended shard %s's stream before any data", w.chunk.ServerAddress, w.chunk.ID)
		}
		return s.nodeError(ctx, w.chunk.ServerAddress, err)
	case <-timer.C:
		return fmt.Errorf("%w: node %s did not accept shard %d", errStalled, w.chunk.ServerAddress, w.index)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run sends each queued stripe's frame for this shard; once the queue is
// closed it waits for the node's account and checks it against what was
// sent. After a failure it keeps releasing stripes without sending.
func (w *shardWriter) run(s *Service, ctx context.Context) {
	defer close(w.done)
	for ss := range w.queue {
		if !w.failed.Load() {
			frame := ss.st.Frame(w.index)
			if err := w.stream.Send(&storagepb.PutChunkRequest{Data: frame}); err != nil {
				w.fail(s.sendError(ctx, w, err))
			} else {
				w.crc = erasure.FrameCRC32C(w.crc, frame)
				w.sent += int64(len(frame))
			}
		}
		ss.release()
		w.completed.Add(1)
	}
	if w.failed.Load() {
		return
	}
	resp, err := w.stream.CloseAndRecv()
	switch {
	case err != nil:
		// Not stream.Context(): grpc cancels that when the stream fails,
		// which would disguise a dead node as a client that went away.
		w.fail(s.nodeError(ctx, w.chunk.ServerAddress, err))
	case resp.GetSize() != w.sent || resp.GetCrc32C() != w.crc:
		w.fail(fmt.Errorf("%w: node %s stored %d bytes (crc32c %08x) of shard %s, sent %d (crc32c %08x)",
			ErrNodeUnavailable, w.chunk.ServerAddress, resp.GetSize(), resp.GetCrc32C(), w.chunk.ID, w.sent, w.crc))
	}
}

// fail records the writer's first error and cancels its stream, which
// also unblocks a Send stuck on a frozen node.
func (w *shardWriter) fail(err error) {
	w.errMu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.errMu.Unlock()
	w.failed.Store(true)
	if w.cancel != nil {
		w.cancel()
	}
}

func (w *shardWriter) failure() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

// ok reports a shard made durable and verified; valid once done is closed.
func (w *shardWriter) ok() bool { return !w.failed.Load() }

// sendError fetches the stream's real status: Send reports only io.EOF
// when the node has aborted the stream.
func (s *Service) sendError(ctx context.Context, w *shardWriter, err error) error {
	if errors.Is(err, io.EOF) && w.stream != nil {
		_, err = w.stream.CloseAndRecv()
	}
	return s.nodeError(ctx, w.chunk.ServerAddress, err)
}

func (up *upload) live() int {
	n := 0
	for _, w := range up.writers {
		if !w.failed.Load() {
			n++
		}
	}
	return n
}

// quorumError is the upload's failure once too few shards can be written
// (quorumFailure).
func (up *upload) quorumError() error {
	errs := make([]error, len(up.writers))
	for i, w := range up.writers {
		errs[i] = w.failure()
	}
	return quorumFailure(errs, up.live(), up.quorum)
}

// quorumFailure is a write's failure when only live of its shards could
// be written and quorum were needed: the first node error behind it
// (errs holds each shard's, nil for one written), as a retryable
// ErrNodeUnavailable.
func quorumFailure(errs []error, live, quorum int) error {
	for _, err := range errs {
		if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			continue
		}
		if errors.Is(err, ErrNodeUnavailable) || errors.Is(err, ErrCorruptChunk) {
			return fmt.Errorf("%d of %d shards writable, %d needed: %w", live, len(errs), quorum, err)
		}
		return fmt.Errorf("%w: %d of %d shards writable, %d needed: %w", ErrNodeUnavailable, live, len(errs), quorum, err)
	}
	return fmt.Errorf("%w: %d of %d shards writable, %d needed", ErrNodeUnavailable, live, len(errs), quorum)
}

// stripe returns a stripe to fill. When all of the upload's stripes are
// still held by writers, it waits; a wait that sees no progress for the
// stall timeout gives up the writers furthest behind, as long as others
// are ahead of them and the quorum still holds.
func (up *upload) stripe() (*erasure.Stripe, error) {
	select {
	case st := <-up.free:
		return st, nil
	default:
	}
	l := up.blob.Layout()
	if up.allocated < stripesInFlight {
		up.allocated++
		return up.s.newStripe(l.Data, l.Shards(), up.capacity), nil
	}
	stall := up.s.opts.StallTimeout
	timer := time.NewTimer(stall)
	defer timer.Stop()
	idle := 0
	for {
		select {
		case st := <-up.free:
			return st, nil
		case <-timer.C:
			idle++
			if up.dropLaggards() == 0 && idle < 6 {
				timer.Reset(stall)
				continue
			}
			if up.live() < up.quorum || idle >= 6 {
				return nil, up.quorumError()
			}
			idle = 0
			timer.Reset(stall)
		}
	}
}

// dropLaggards fails the live writers that are furthest behind, when some
// other live writer is ahead of them, and returns how many it failed.
func (up *upload) dropLaggards() int {
	lo, hi := int64(-1), int64(-1)
	for _, w := range up.writers {
		if w.failed.Load() {
			continue
		}
		c := w.completed.Load()
		if lo < 0 || c < lo {
			lo = c
		}
		hi = max(hi, c)
	}
	if lo == hi {
		return 0
	}
	dropped := 0
	for _, w := range up.writers {
		if !w.failed.Load() && w.completed.Load() == lo {
			w.fail(fmt.Errorf("%w: node %s, shard %d", errStalled, w.chunk.ServerAddress, w.index))
			dropped++
		}
	}
	return dropped
}

// dispatch hands an encoded stripe to every writer. Queues hold as many
// stripes as exist, so this never blocks.
func (up *upload) dispatch(st *erasure.Stripe) {
	ss := &sharedStripe{st: st, free: up.free}
	ss.refs.Store(int32(len(up.writers)))
	for _, w := range up.writers {
		if w.stream == nil {
			ss.release()
			continue
		}
		w.queue <- ss
	}
}

func (up *upload) recycle(st *erasure.Stripe) { up.free <- st }

// finish closes the writers' queues and waits for their nodes' answers.
// Nodes answer after fsync, which takes time proportional to the shard,
// so there is no fixed deadline: once the quorum has answered, the rest
// get one stall timeout more; without progress for six stall timeouts the
// upload fails.
func (up *upload) finish() error {
	up.closeQueues()
	stall := up.s.opts.StallTimeout
	idle := 0
	for {
		pending, ok := 0, 0
		for _, w := range up.writers {
			select {
			case <-w.done:
				if w.ok() {
					ok++
				}
			default:
				pending++
			}
		}
		if pending == 0 {
			break
		}
		if ok+pending < up.quorum {
			break
		}
		if up.waitAny(stall) {
			idle = 0
			continue
		}
		idle++
		if ok >= up.quorum || idle >= 6 {
			for _, w := range up.writers {
				select {
				case <-w.done:
				default:
					w.fail(fmt.Errorf("%w: node %s did not confirm shard %d", errStalled, w.chunk.ServerAddress, w.index))
					<-w.done
				}
			}
			break
		}
	}
	if up.live() < up.quorum {
		return up.quorumError()
	}
	return nil
}

// closeQueues tells the writers no more stripes come. Only the goroutine
// that dispatches closes them, once.
func (up *upload) closeQueues() {
	if up.closed {
		return
	}
	up.closed = true
	for _, w := range up.writers {
		if w.stream != nil {
			close(w.queue)
		}
	}
}

// waitAny waits up to d for one more writer to finish.
func (up *upload) waitAny(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	cases := 0
	done := make(chan struct{}, len(up.writers))
	stop := make(chan struct{})
	defer close(stop)
	for _, w := range up.writers {
		select {
		case <-w.done:
			continue
		default:
		}
		cases++
		go func() {
			select {
			case <-w.done:
				done <- struct{}{}
			case <-stop:
			}
		}()
	}
	if cases == 0 {
		return true
	}
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

// stop cancels every writer still running and waits for them, returning
// their stripes to the pool. It runs on every exit path.
func (up *upload) stop() {
	for _, w := range up.writers {
		select {
		case <-w.done:
			continue
		default:
		}
		w.fail(context.Canceled)
	}
	up.closeQueues()
	for _, w := range up.writers {
		<-w.done
	}
	for {
		select {
		case st := <-up.free:
			up.s.recycleStripe(st, up.blob.DataShards, len(up.writers))
		default:
			return
		}
	}
}
