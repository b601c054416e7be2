package objects

import (
	"context"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"sixfold/proto/storagepb"
)

// A small GET reads one frame of a few hundred bytes from each of six
// nodes, and a node call costs far more CPU than those bytes, on both
// ends: under 16 concurrent 4 KiB GETs the nodes' calls took a third of
// the machine. So frames up to batchedFrameMax go through a per-node
// batcher: a read is sent at once while fewer than batchCallsPerNode calls
// to its node are out, and otherwise waits for one of them to end and
// goes in the next call with every read that queued meanwhile. An idle
// gateway sends every read alone, as before; a busy one sends a few calls
// per node instead of one per frame.
const (
	// batchedFrameMax covers a small object's frames (a 4 KiB object's are
	// 683 bytes; the nodes' log takes shards up to 64 KiB too). A larger
	// frame's own call costs little beside its bytes, and its bytes are
	// better decoded by shardcodec into pooled buffers.
	batchedFrameMax = 64 << 10
	// batchCallsPerNode calls to one node may be out at once; more would
	// make smaller batches, fewer would leave a node idle while the
	// gateway waits for a call's answer to travel back.
	batchCallsPerNode = 2
	// batchReadsMax bounds the reads of one call (the node's limit too).
	batchReadsMax = 1024
)

// batchedRead is one frame read waiting in, or sent with, a batch.
type batchedRead struct {
	req  *storagepb.GetChunkRequest
	done chan struct{} // closed once data or err is set
	data []byte
	err  error
}

// nodeBatcher gathers the batched reads bound for one node.
type nodeBatcher struct {
	s       *Service
	address string

	mu       sync.Mutex
	queue    []*batchedRead
	inFlight int // calls out, at most batchCallsPerNode
}

// batcher returns the batcher of the node at address.
func (s *Service) batcher(address string) *nodeBatcher {
	if b, ok := s.batchers.Load(address); ok {
		return b.(*nodeBatcher)
	}
	b, _ := s.batchers.LoadOrStore(address, &nodeBatcher{s: s, address: address})
	return b.(*nodeBatcher)
}

// queueRead queues req for its node. The read is done when its done
// channel closes, but not sent before the batcher is kicked: a GET queues
// all its frames first, so two of them bound for one node share a call.
func (s *Service) queueRead(address string, req *storagepb.GetChunkRequest) (*nodeBatcher, *batchedRead) {
	r := &batchedRead{req: req, done: make(chan struct{})}
	b := s.batcher(address)
	b.mu.Lock()
	b.queue = append(b.queue, r)
	b.mu.Unlock()
	return b, r
}

// kick sends what is queued if a call slot is free; otherwise the call
// that frees one takes it.
func (b *nodeBatcher) kick() {
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

// run sends calls while reads are queued, then gives its slot back.
func (b *nodeBatcher) run() {
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
	}
}

// take removes from the queue the reads of the next call: as many as fit
// one answer, oldest first. The caller holds b.mu.
func (b *nodeBatcher) take() []*batchedRead {
	var bytes int64
	n := 0
	for n < len(b.queue) && n < batchReadsMax {
		if bytes += b.queue[n].req.GetLength(); bytes > storagepb.MaxMessageSize && n > 0 {
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

// send makes one call for batch and hands each read its answer. The call
// serves many requests, so no one request's cancellation ends it; the
// stall timeout bounds it as it bounds a single frame's call.
func (b *nodeBatcher) send(batch []*batchedRead) {
	ctx, cancel := context.WithTimeout(context.Background(), b.s.opts.StallTimeout)
	defer cancel()
	reads := make([]*storagepb.GetChunkRequest, len(batch))
	for i, r := range batch {
		reads[i] = r.req
	}
	if obs := b.s.opts.Observer; obs != nil {
		obs.ReadsBatched(len(batch))
	}
	resp, err := b.call(ctx, reads)
	if err == nil && len(resp.GetReads()) != len(batch) {
		err = status.Errorf(codes.Internal, "node answered %d reads of %d", len(resp.GetReads()), len(batch))
	}
	for i, r := range batch {
		if err != nil {
			r.err = err
		} else if got := resp.GetReads()[i]; got.GetCode() != 0 {
			r.err = status.Error(codes.Code(got.GetCode()), got.GetMessage())
		} else {
			r.data = got.GetData()
		}
		close(r.done)
	}
}

func (b *nodeBatcher) call(ctx context.Context, reads []*storagepb.GetChunkRequest) (*storagepb.ReadChunksResponse, error) {
	client, err := b.s.cluster.Client(b.address)
	if err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	return client.ReadChunks(ctx, &storagepb.ReadChunksRequest{Reads: reads})
}
