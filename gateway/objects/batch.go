package objects

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"sixfold/proto/storagepb"
)

// A small object's shards are a few hundred bytes each (683 for 4 KiB),
// and a node call costs far more CPU than that, on both ends: under 16
// concurrent 4 KiB GETs the nodes' calls took a third of the machine. So
// shard reads and writes of up to batchedFrameMax go through a per-node
// batcher: one is sent at once while fewer than batchCallsPerNode calls of
// its kind to its node are out, and otherwise waits for one of them to
// end and goes in the next call with every other that queued meanwhile.
// An idle gateway sends each alone, as before; a busy one sends a few
// calls per node instead of one per shard.
const (
	// batchedFrameMax covers a small object's frames (and the shards the
	// nodes' log takes, up to 64 KiB). A larger frame's own call costs
	// little beside its bytes, and its bytes are better decoded by
	// shardcodec into pooled buffers.
	batchedFrameMax = 64 << 10
	// batchCallsPerNode calls of a kind to one node may be out at once;
	// more would make smaller batches, fewer would leave the node idle
	// while an answer travels back and the next call is sent.
	batchCallsPerNode = 2
	// batchItemsMax bounds the reads or writes of one call (the node's
	// limit too).
	batchItemsMax = 1024
)

// batchItem is one read or write waiting in, or sent with, a batch.
type batchItem[Req, Res any] struct {
	req  Req
	size int64         // bytes it adds to the call's message
	done chan struct{} // closed once res or err is set
	res  Res
	err  error
}

// nodeBatcher gathers one kind of call's items bound for one node; send
// makes one call for a batch and sets every item's res or err.
type nodeBatcher[Req, Res any] struct {
	send func(batch []*batchItem[Req, Res])

	mu       sync.Mutex
	queue    []*batchItem[Req, Res]
	inFlight int // calls out, at most batchCallsPerNode
}

// batcherFor returns the batcher in m for address, made by make if new.
func batcherFor[Req, Res any](m *sync.Map, address string, make func() *nodeBatcher[Req, Res]) *nodeBatcher[Req, Res] {
	if b, ok := m.Load(address); ok {
		return b.(*nodeBatcher[Req, Res])
	}
	b, _ := m.LoadOrStore(address, make())
	return b.(*nodeBatcher[Req, Res])
}

// add queues req. The item is done when its done channel closes, but not
// sent before the batcher is kicked: a GET queues all its frames first, so
// two of them bound for one node share a call.
func (b *nodeBatcher[Req, Res]) add(req Req, size int64) *batchItem[Req, Res] {
	it := &batchItem[Req, Res]{req: req, size: size, done: make(chan struct{})}
	b.mu.Lock()
	b.queue = append(b.queue, it)
	b.mu.Unlock()
	return it
}

// kick sends what is queued if a call slot is free; otherwise the call
// that frees one takes it.
func (b *nodeBatcher[Req, Res]) kick() {
	b.mu.Lock()
	start := len(b.queue) > 0 && b.inFlight < batchCallsPerNode
	if start {
		b.inFlight++
	}
	b.mu.Unlock()
	if start {
		go b.run()
	}
}

// run sends calls while items are queued, then gives its slot back.
func (b *nodeBatcher[Req, Res]) run() {
	for {
		b.mu.Lock()
		batch := b.take()
		if len(batch) == 0 {
			b.inFlight--
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.send(batch)
		for _, it := range batch {
			close(it.done)
		}
	}
}

// take removes from the queue the items of the next call: as many as fit
// one message, oldest first. The caller holds b.mu.
func (b *nodeBatcher[Req, Res]) take() []*batchItem[Req, Res] {
	var bytes int64
	n := 0
	for n < len(b.queue) && n < batchItemsMax {
		if bytes += b.queue[n].size; bytes > storagepb.MaxMessageSize && n > 0 {
			break
		}
		n++
	}
	batch := b.queue[:n:n]
	b.queue = b.queue[n:]
	if len(b.queue) == 0 {
		b.queue = nil // let the backing array go
	}
	return batch
}

// wait returns the item's outcome once it is done, or ctx's error first.
func (it *batchItem[Req, Res]) wait(ctx context.Context) (Res, error) {
	select {
	case <-it.done:
		return it.res, it.err
	case <-ctx.Done():
		var zero Res
		return zero, ctx.Err()
	}
}

type (
	frameRead    = batchItem[*storagepb.GetChunkRequest, []byte]
	readBatcher  = nodeBatcher[*storagepb.GetChunkRequest, []byte]
	shardWrite   = batchItem[*storagepb.WriteChunkRequest, *storagepb.PutChunkResponse]
	writeBatcher = nodeBatcher[*storagepb.WriteChunkRequest, *storagepb.PutChunkResponse]
)

// readBatcher returns the batcher of frame reads from the node at address.
// A ReadChunks call serves many requests, so no one request's cancellation
// ends it; the stall timeout bounds it as it bounds a single frame's call.
func (s *Service) readBatcher(address string) *readBatcher {
	return batcherFor(&s.readBatchers, address, func() *readBatcher {
		return &readBatcher{send: func(batch []*frameRead) {
			sendBatch(s, address, "ReadChunks", s.opts.StallTimeout, batch,
				func(ctx context.Context, client storagepb.StorageServiceClient, reads []*storagepb.GetChunkRequest) ([]*storagepb.ChunkRead, error) {
					resp, err := client.ReadChunks(ctx, &storagepb.ReadChunksRequest{Reads: reads})
					return resp.GetReads(), err
				}, (*storagepb.ChunkRead).GetData)
		}}
	})
}

// writeBatcher returns the batcher of shard writes to the node at address.
// A WriteChunks call is bounded by the call timeout, as a single WriteChunk
// call is. It serves many uploads, so no one upload's cancellation ends
// it: a write given up on may still land, and is then an orphan for the
// nodes' sweep, as a write that raced its cancellation already could be.
func (s *Service) writeBatcher(address string) *writeBatcher {
	return batcherFor(&s.writeBatchers, address, func() *writeBatcher {
		return &writeBatcher{send: func(batch []*shardWrite) {
			sendBatch(s, address, "WriteChunks", s.opts.CallTimeout, batch,
				func(ctx context.Context, client storagepb.StorageServiceClient, writes []*storagepb.WriteChunkRequest) ([]*storagepb.ChunkWrite, error) {
					resp, err := client.WriteChunks(ctx, &storagepb.WriteChunksRequest{Writes: writes})
					return resp.GetWrites(), err
				}, (*storagepb.ChunkWrite).GetResult)
		}}
	})
}

// sendBatch makes one batched call (method) to the node at address within
// timeout and gives each item of batch its outcome: the call's error, its
// answer's own failure, or its answer's result.
func sendBatch[Req, Res any, A answer](s *Service, address, method string, timeout time.Duration, batch []*batchItem[Req, Res],
	call func(context.Context, storagepb.StorageServiceClient, []Req) ([]A, error), result func(A) Res) {
	if obs := s.opts.Observer; obs != nil {
		obs.Batched(method, len(batch))
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	reqs := make([]Req, len(batch))
	for i, it := range batch {
		reqs[i] = it.req
	}
	var answers []A
	client, err := s.cluster.Client(address)
	if err == nil {
		answers, err = call(ctx, client, reqs)
	}
	if err == nil && len(answers) != len(batch) {
		err = status.Errorf(codes.Internal, "node gave %d answers to a call of %d", len(answers), len(batch))
	}
	for i, it := range batch {
		switch {
		case err != nil:
			it.err = err
		case answers[i].GetCode() != 0:
			it.err = status.Error(codes.Code(answers[i].GetCode()), answers[i].GetMessage())
		default:
			it.res = result(answers[i])
		}
	}
}

// answer is one read's or write's part of a batched call's answer.
type answer interface {
	GetCode() uint32
	GetMessage() string
}
