package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"sixfold/gateway/erasure"
	"sixfold/proto/shardcodec"
	"sixfold/proto/storagepb"
)

// framesAhead is how many verified frames each shard stream reads ahead of
// the stripe being assembled, so all shards of a stripe arrive in parallel.
const framesAhead = 2

// precheckStriped refuses a range of a blob that cannot be read: a data
// shard it needs is lost or on a node known to be down, and fewer than
// DataShards shards are left to rebuild it from.
func (s *Service) precheckStriped(pc piece) error {
	b := pc.blob
	l := b.Layout()
	usable := make([]bool, l.Shards())
	n := 0
	for _, c := range b.Chunks {
		if c.Number < l.Shards() && c.Status == ChunkStored && !s.cluster.Down(c.ServerAddress) {
			usable[c.Number] = true
			n++
		}
	}
	if n >= l.Data {
		return nil
	}
	for _, sp := range neededShards(l, pc.offset, pc.length) {
		if !usable[sp] {
			s.cluster.RequestRefresh()
			return fmt.Errorf("%w: blob %s has %d usable shards of the %d it needs", ErrNodeUnavailable, b.ID, n, l.Data)
		}
	}
	return nil
}

// neededShards are the data shards holding any byte of the range.
func neededShards(l erasure.Layout, offset, length int64) []int {
	if length == 0 {
		return nil
	}
	seen := make([]bool, l.Data)
	first := offset / l.StripeBytes()
	last := (offset + length - 1) / l.StripeBytes()
	// Only the first and last stripes can leave a data shard out; any
	// stripe between them needs all six.
	var out []int
	for stripe := first; stripe <= last; stripe++ {
		if stripe > first && stripe < last {
			stripe = last - 1
			for i := range seen {
				seen[i] = true
			}
			continue
		}
		lo := max(offset, stripe*l.StripeBytes())
		hi := min(offset+length, (stripe+1)*l.StripeBytes())
		for _, sp := range l.Spans(lo, hi-lo) {
			seen[sp.Shard] = true
		}
	}
	for i, ok := range seen {
		if ok {
			out = append(out, i)
		}
	}
	return out
}

// stripeSource delivers the blocks of a striped blob's stripes, in
// increasing stripe order, from whichever shards are healthy: each block
// asked for is read from its own shard when that works, and otherwise
// reconstructed from any Data other shards. A shard that fails once —
// an error, a checksum mismatch, no progress within the stall timeout —
// is not asked again for the rest of the read.
type stripeSource struct {
	s      *Service
	ctx    context.Context
	l      erasure.Layout
	codec  *erasure.Codec
	chunks []Chunk // by shard number
	end    int64   // stripe after the last one to read

	streams []*shardStream // by shard number; nil until first needed
	calls   []*shardCall   // instead of streams when the read is one stripe
	bad     []bool
	scratch *erasure.Stripe // reconstruction target, made on first need
	held    [][]byte        // frame buffers behind the blocks last returned
}

func (s *Service) newStripeSource(ctx context.Context, b Blob, first, end int64) (*stripeSource, error) {
	codec, err := s.codec(b.DataShards, b.ParityShards)
	if err != nil {
		return nil, err
	}
	l := b.Layout()
	src := &stripeSource{s: s, ctx: ctx, l: l, codec: codec, end: end,
		chunks: make([]Chunk, l.Shards()), streams: make([]*shardStream, l.Shards()), bad: make([]bool, l.Shards())}
	seen := make([]bool, l.Shards())
	for _, c := range b.Chunks {
		if c.Number >= 0 && c.Number < l.Shards() {
			src.chunks[c.Number], seen[c.Number] = c, true
		}
	}
	for i := range src.bad {
		src.bad[i] = !seen[i] || src.chunks[i].Status != ChunkStored || s.cluster.Down(src.chunks[i].ServerAddress)
	}
	if end-first == 1 {
		src.calls = make([]*shardCall, l.Shards())
	}
	return src, nil
}

// blocks returns stripe st's blocks with blocks[i] filled for every i in
// need; the others may be empty. They stay valid until the next call.
func (src *stripeSource) blocks(stripe int64, need []bool) ([][]byte, error) {
	src.release()
	blocks := make([][]byte, src.l.Shards())
	var lost []int
	src.open(stripe, need, blocks)
	for i, n := range need {
		if n && src.read(i, stripe, blocks) != nil {
			lost = append(lost, i)
		}
	}
	if len(lost) == 0 {
		return blocks, nil
	}
	if err := src.gatherSurvivors(stripe, blocks); err != nil {
		return nil, err
	}
	want := make([]bool, len(blocks))
	if src.scratch == nil {
		src.scratch = erasure.NewStripe(src.l.Data, src.l.Shards(), src.l.BlockSize)
	}
	src.scratch.SetBlockLen(src.l.BlockLen(stripe))
	for i := range blocks {
		if blocks[i] == nil {
			blocks[i] = src.scratch.EmptyBlock(i)
			want[i] = need[i]
		}
	}
	if err := src.codec.Reconstruct(blocks, want); err != nil {
		return nil, fmt.Errorf("%w: stripe %d: %w", ErrNodeUnavailable, stripe, err)
	}
	return blocks, nil
}

// gatherSurvivors reads further shards of the stripe, data shards first,
// until Data blocks are present.
func (src *stripeSource) gatherSurvivors(stripe int64, blocks [][]byte) error {
	for {
		present := 0
		for _, b := range blocks {
			if b != nil {
				present++
			}
		}
		short := src.l.Data - present
		if short <= 0 {
			return nil
		}
		more := make([]bool, len(blocks))
		picked := 0
		for i := range blocks {
			if picked < short && blocks[i] == nil && !src.bad[i] {
				more[i] = true
				picked++
			}
		}
		if picked < short {
			return fmt.Errorf("%w: stripe %d of a blob has %d readable shards, %d needed", ErrNodeUnavailable, stripe, present+picked, src.l.Data)
		}
		src.open(stripe, more, blocks)
		for i, m := range more {
			if m {
				_ = src.read(i, stripe, blocks)
			}
		}
	}
}

// open starts the reads of the needed shards that are not open yet, all
// at once, so their first frames arrive in parallel: streams and calls as
// it goes, batched frames once all of them are queued.
func (src *stripeSource) open(stripe int64, need []bool, blocks [][]byte) {
	var queued []*readBatcher
	defer func() {
		for _, b := range queued {
			b.kick()
		}
	}()
	for i, n := range need {
		if !n || src.bad[i] {
			continue
		}
		if src.calls != nil {
			if src.calls[i] == nil {
				call, err := src.s.startFrameRead(src.ctx, src.l, src.chunks[i], stripe)
				if err != nil {
					src.fail(i, err)
					continue
				}
				if call.batcher != nil {
					queued = append(queued, call.batcher)
				}
				src.calls[i] = call
			}
			continue
		}
		if src.streams[i] == nil {
			st, err := src.s.openShardStream(src.ctx, src.l, src.chunks[i], stripe, src.end)
			if err != nil {
				src.fail(i, err)
				continue
			}
			src.streams[i] = st
		}
	}
}

// read puts shard i's block of stripe into blocks[i], or marks the shard
// bad and returns why not.
func (src *stripeSource) read(i int, stripe int64, blocks [][]byte) error {
	if src.bad[i] {
		return errors.New("shard already given up")
	}
	if src.calls != nil {
		buf, block, err := src.s.recvFrame(src.ctx, src.calls[i], src.l, src.chunks[i], stripe)
		if err != nil {
			return src.fail(i, err)
		}
		src.held = append(src.held, buf)
		blocks[i] = block
		return nil
	}
	st := src.streams[i]
	timer := time.NewTimer(src.s.opts.StallTimeout)
	defer timer.Stop()
	for {
		select {
		case f, ok := <-st.frames:
			if !ok {
				return src.fail(i, io.ErrUnexpectedEOF)
			}
			if f.err != nil {
				return src.fail(i, f.err)
			}
			if f.stripe < stripe {
				shardcodec.Release(f.buf)
				continue
			}
			src.held = append(src.held, f.buf)
			blocks[i] = f.block
			return nil
		case <-timer.C:
			return src.fail(i, fmt.Errorf("%w: node %s, shard %d", errStalled, src.chunks[i].ServerAddress, i))
		case <-src.ctx.Done():
			return src.ctx.Err()
		}
	}
}

// fail gives shard i up for this read. A shard whose bytes are wrong or
// gone is flagged in PostgreSQL, so the healer rebuilds it.
func (src *stripeSource) fail(i int, err error) error {
	src.bad[i] = true
	if st := src.streams[i]; st != nil {
		st.cancel()
	}
	if src.calls != nil && src.calls[i] != nil {
		src.calls[i].cancel()
	}
	if src.ctx.Err() != nil {
		return err
	}
	c := src.chunks[i]
	if errors.Is(err, erasure.ErrChecksum) || errors.Is(err, ErrCorruptChunk) {
		return src.s.corrupt(c, err.Error())
	}
	src.s.log.Warn().Err(err).Str("chunk_id", c.ID.String()).Int("shard", i).Str("server", c.ServerAddress).
		Msg("shard unreadable; reconstructing from parity")
	return err
}

// release hands the frame buffers behind the last blocks back to the pool.
func (src *stripeSource) release() {
	for _, buf := range src.held {
		shardcodec.Release(buf)
	}
	src.held = src.held[:0]
}

// close ends the calls and hands every frame buffer the read owns back to
// the pool: a ranged GET of a few MiB would otherwise leave its streams'
// read-ahead to the collector, and under the transfer manager's parallel
// part GETs that garbage cost a fifth of the gateway's CPU once a memory
// limit made the collector keep up with it.
func (src *stripeSource) close() {
	src.release()
	for _, st := range src.streams {
		if st != nil {
			st.cancel()
			st.drain()
		}
	}
	for _, call := range src.calls {
		if call != nil {
			call.cancel()
		}
	}
}

// shardStream reads one shard's frames in the background.
type shardStream struct {
	frames chan shardFrame
	cancel context.CancelFunc
}

type shardFrame struct {
	stripe int64
	buf    []byte
	block  []byte
	err    error
}

// drain releases the frames read but not consumed. The stream's goroutine
// keeps the one it is filling, if any, to the collector.
func (st *shardStream) drain() {
	for {
		select {
		case f, ok := <-st.frames:
			if !ok {
				return
			}
			shardcodec.Release(f.buf)
		default:
			return
		}
	}
}

// shardCall is one node call reading a range of a shard's frames, or one
// frame's read in a batch (batched and its batcher are set, and ctx and
// stream are not).
type shardCall struct {
	ctx     context.Context
	cancel  context.CancelFunc
	stream  grpc.ServerStreamingClient[storagepb.GetChunkResponse]
	batched *frameRead
	batcher *readBatcher
}

// startFrameRead asks c's node for stripe's frame: in a call of its own
// with the stall timeout as its deadline when the frame is large, and
// otherwise queued in the node's batcher, which the caller must kick once
// it has queued the stripe's other frames.
func (s *Service) startFrameRead(ctx context.Context, l erasure.Layout, c Chunk, stripe int64) (*shardCall, error) {
	size := erasure.FrameHeader + l.BlockLen(stripe)
	if size > batchedFrameMax {
		return s.startShardRead(ctx, l, c, stripe, stripe+1, s.opts.StallTimeout)
	}
	req := &storagepb.GetChunkRequest{ChunkId: c.ID.String(), Offset: l.FrameOffset(stripe), Length: size}
	b := s.readBatcher(c.ServerAddress)
	return &shardCall{cancel: func() {}, batched: b.add(req, size), batcher: b}, nil
}

// startShardRead asks c's node for the frames of stripes [first, end),
// within limit when limit > 0. It returns once the request is sent, so
// calls to several nodes started one after another run at once.
func (s *Service) startShardRead(ctx context.Context, l erasure.Layout, c Chunk, first, end int64, limit time.Duration) (*shardCall, error) {
	client, err := s.cluster.Client(c.ServerAddress)
	if err != nil {
		return nil, err
	}
	var cancel context.CancelFunc
	if limit > 0 {
		ctx, cancel = context.WithTimeout(ctx, limit)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	from := l.FrameOffset(first)
	to := l.FrameOffset(end-1) + erasure.FrameHeader + l.BlockLen(end-1)
	req := &storagepb.GetChunkRequest{ChunkId: c.ID.String(), Offset: from, Length: to - from}
	// Frames larger than a node sends in one message are copied out of
	// the node's own messages instead.
	if frame := erasure.FrameHeader + l.BlockSize; frame <= storagepb.MaxMessageSize {
		req.MessageSize = frame
	}
	stream, err := client.GetChunk(ctx, req)
	if err != nil {
		cancel()
		return nil, s.nodeError(ctx, c.ServerAddress, err)
	}
	return &shardCall{ctx: ctx, cancel: cancel, stream: stream}, nil
}

// recvFrame receives a one-stripe call's frame in the caller's goroutine
// and returns the buffer holding it (for shardcodec.Release) and its
// verified block. A read of one stripe waits for one frame per shard, so
// the goroutine, channels and timer a streamed read keeps per shard cost
// more than they save: 5–8 % of a 4 KiB GET's gateway CPU. The call's own
// deadline stands in for the stall timer.
func (s *Service) recvFrame(ctx context.Context, call *shardCall, l erasure.Layout, c Chunk, stripe int64) ([]byte, []byte, error) {
	if call.batched != nil {
		return s.recvBatched(ctx, call.batched, l, c, stripe)
	}
	buf, block, err := newFrameSource(call, l, stripe, stripe+1).next()
	if err != nil {
		if errors.Is(call.ctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("%w: node %s, shard %d", errStalled, c.ServerAddress, c.Number)
		} else {
			err = s.readError(call.ctx, c, err)
		}
		call.cancel()
		return nil, nil, err
	}
	s.awaitEnd(call, c)
	call.cancel()
	return buf, block, nil
}

// recvBatched waits for a batched frame read and returns its frame and
// verified block, failing as recvFrame does.
func (s *Service) recvBatched(ctx context.Context, r *frameRead, l erasure.Layout, c Chunk, stripe int64) ([]byte, []byte, error) {
	data, err := r.wait(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if status.Code(err) == codes.DeadlineExceeded {
			return nil, nil, fmt.Errorf("%w: node %s, shard %d", errStalled, c.ServerAddress, c.Number)
		}
		return nil, nil, s.readError(ctx, c, err)
	}
	if want := erasure.FrameHeader + l.BlockLen(stripe); int64(len(data)) != want {
		return nil, nil, s.readError(ctx, c, fmt.Errorf("stripe %d: %d of %d bytes: %w", stripe, len(data), want, io.ErrUnexpectedEOF))
	}
	block, err := erasure.Check(data)
	if err != nil {
		return nil, nil, s.readError(ctx, c, fmt.Errorf("stripe %d: %w", stripe, err))
	}
	return data, block, nil
}

// awaitEnd reads a call that delivered its last frame to its end before
// the frame is handed over: a reader that closes on its last byte then
// finds the call already finished, rather than cancelling a call that
// delivered everything (which counts as a failed node call).
func (s *Service) awaitEnd(call *shardCall, c Chunk) {
	if _, tail := call.stream.Recv(); !errors.Is(tail, io.EOF) && call.ctx.Err() == nil {
		s.log.Debug().Err(tail).Str("chunk_id", c.ID.String()).Msg("shard call did not end after its last frame")
	}
}

// openShardStream asks c's node for the frames of stripes [first, end)
// and reads them in the background, framesAhead ahead of the reader.
func (s *Service) openShardStream(ctx context.Context, l erasure.Layout, c Chunk, first, end int64) (*shardStream, error) {
	call, err := s.startShardRead(ctx, l, c, first, end, 0)
	if err != nil {
		return nil, err
	}
	ctx, cancel := call.ctx, call.cancel
	st := &shardStream{frames: make(chan shardFrame, framesAhead), cancel: cancel}
	go func() {
		defer close(st.frames)
		frames := newFrameSource(call, l, first, end)
		for frames.stripe < end {
			stripe := frames.stripe
			buf, block, err := frames.next()
			if err != nil {
				err = s.readError(ctx, c, err)
			} else if frames.stripe >= end {
				s.awaitEnd(call, c)
			}
			select {
			case st.frames <- shardFrame{stripe: stripe, buf: buf, block: block, err: err}:
			case <-ctx.Done():
				shardcodec.Release(buf)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return st, nil
}

// frameSource reads a call's frames one after another. A node asked for
// one frame per message (message_size) sends each frame whole: it is
// verified and handed on in the buffer the codec decoded it into. A message
// that is not exactly the next frame (a node that predates message_size)
// switches the rest of the call to copying frames out of the messages.
type frameSource struct {
	call   *shardCall
	l      erasure.Layout
	stripe int64 // of the next frame
	end    int64
	copied *erasure.FrameReader // once frames are copied out
}

func newFrameSource(call *shardCall, l erasure.Layout, first, end int64) *frameSource {
	return &frameSource{call: call, l: l, stripe: first, end: end}
}

// next returns the next frame's buffer (for shardcodec.Release) and its
// verified block.
func (fs *frameSource) next() ([]byte, []byte, error) {
	if fs.copied == nil {
		msg, err := fs.call.stream.Recv()
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, nil, err
		}
		data := msg.GetData()
		if int64(len(data)) == erasure.FrameHeader+fs.l.BlockLen(fs.stripe) {
			block, err := erasure.Check(data)
			if err != nil {
				shardcodec.Release(data)
				return nil, nil, fmt.Errorf("stripe %d: %w", fs.stripe, err)
			}
			fs.stripe++
			return data, block, nil
		}
		body := shardcodec.NewReader(data, func() ([]byte, error) {
			m, err := fs.call.stream.Recv()
			return m.GetData(), err
		})
		fs.copied = erasure.NewFrameReader(body, fs.l, fs.stripe, fs.end)
	}
	buf := shardcodec.Buffer(int(erasure.FrameHeader + fs.l.BlockLen(fs.stripe)))
	block, err := fs.copied.Next(buf)
	if err != nil {
		shardcodec.Release(buf)
		return nil, nil, err
	}
	fs.stripe++
	return buf, block, nil
}

// readError classifies a failed shard read: a node's NotFound or DataLoss
// and a checksum mismatch are the shard's fault; anything else the node's.
func (s *Service) readError(ctx context.Context, c Chunk, err error) error {
	if errors.Is(err, erasure.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: shard %s on %s: %w", ErrCorruptChunk, c.ID, c.ServerAddress, err)
	}
	return s.nodeError(ctx, c.ServerAddress, err)
}

// openStriped reads a range of a striped blob.
func (s *Service) openStriped(ctx context.Context, pc piece) io.ReadCloser {
	l := pc.blob.Layout()
	r := &stripedReader{l: l, next: pc.offset, end: pc.offset + pc.length}
	if pc.length == 0 {
		return r
	}
	first := pc.offset / l.StripeBytes()
	last := (pc.offset + pc.length - 1) / l.StripeBytes()
	r.src, r.err = s.newStripeSource(ctx, pc.blob, first, last+1)
	return r
}

// stripedReader copies out the wanted bytes of each stripe in turn.
type stripedReader struct {
	l         erasure.Layout
	src       *stripeSource
	next, end int64    // blob offsets still to deliver
	pending   [][]byte // rest of the current stripe's bytes, in order
	err       error
}

func (r *stripedReader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.next >= r.end {
			return 0, io.EOF
		}
		r.err = r.loadStripe()
	}
	n := copy(p, r.pending[0])
	r.pending[0] = r.pending[0][n:]
	if len(r.pending[0]) == 0 {
		r.pending = r.pending[1:]
	}
	return n, nil
}

// WriteTo hands each stripe's wanted bytes to w as they are, so a copy to
// a response writes whole blocks instead of going through io.Copy's
// 32 KiB buffer: one memmove and most write syscalls fewer per byte.
func (r *stripedReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		for len(r.pending) > 0 {
			n, err := w.Write(r.pending[0])
			total += int64(n)
			r.pending[0] = r.pending[0][n:]
			if len(r.pending[0]) == 0 {
				r.pending = r.pending[1:]
			}
			if err != nil {
				return total, err
			}
		}
		if r.err != nil {
			return total, r.err
		}
		if r.next >= r.end {
			return total, nil
		}
		r.err = r.loadStripe()
	}
}

// loadStripe fetches the blocks holding the stripe of r.next and queues
// the wanted bytes of that stripe.
func (r *stripedReader) loadStripe() error {
	stripe := r.next / r.l.StripeBytes()
	upto := min(r.end, (stripe+1)*r.l.StripeBytes())
	spans := r.l.Spans(r.next, upto-r.next)
	need := make([]bool, r.l.Shards())
	for _, sp := range spans {
		need[sp.Shard] = true
	}
	blocks, err := r.src.blocks(stripe, need)
	if err != nil {
		return err
	}
	for _, sp := range spans {
		r.pending = append(r.pending, blocks[sp.Shard][sp.Start:sp.Start+sp.Len])
	}
	r.next = upto
	return nil
}

func (r *stripedReader) Close() error {
	if r.src != nil {
		r.src.close()
	}
	return nil
}
