// Package hashpipe hashes a stream on goroutines of its own. An upload's
// digests (MD5 for the ETag, SHA-256 for the stored checksum, the
// checksums a client declares) cost more CPU than everything else the
// gateway does with the bytes: computed in the goroutine that reads the
// body, they cap one stream at the rate of the slowest hash on one core
// (MD5: about 700 MiB/s) and leave the second core idle. Here each hash
// runs on its own goroutine over copies of the bytes, so reading, encoding
// and hashing overlap.
//
// Bodies smaller than one block never start a goroutine: they are hashed
// as they are written, which for a 4 KiB object is cheaper than any
// hand-off.
package hashpipe

import (
	"hash"
	"runtime"
	"sync"
	"sync/atomic"
)

// blockSize is how many bytes are handed to the hashers at once: large
// enough that the hand-off is noise against the hashing, small enough that
// blocksInFlight of them are a few MiB.
const blockSize = 1 << 20

// blocksInFlight bounds the bytes copied but not yet hashed: a writer that
// gets this far ahead of the slowest hash waits for it.
const blocksInFlight = 4

var blockPool = sync.Pool{New: func() any { b := make([]byte, 0, blockSize); return &b }}

type block struct {
	data    *[]byte
	pending atomic.Int32 // hashers yet to finish with data
}

func (b *block) release() {
	if b.pending.Add(-1) == 0 {
		*b.data = (*b.data)[:0]
		blockPool.Put(b.data)
	}
}

// Pipe is an io.Writer feeding every hash it was made with. Write copies;
// Wait returns once every hash has seen every byte written, after which
// the hashes may be summed. A Pipe is not safe for concurrent use.
type Pipe struct {
	hashes  []hash.Hash
	cur     *[]byte // bytes not yet handed off; nil before the first full block
	written int64
	async   *workers // nil until the stream outgrows one block
	cleanup runtime.Cleanup
}

type workers struct {
	queues []chan *block
	done   sync.WaitGroup
	closed atomic.Bool
}

// New returns a Pipe feeding hashes.
func New(hashes ...hash.Hash) *Pipe {
	return &Pipe{hashes: hashes}
}

// Write never fails.
func (p *Pipe) Write(b []byte) (int, error) {
	n := len(b)
	if p.async == nil && p.written+int64(n) <= blockSize {
		// Still within the first block: hash in place.
		for _, h := range p.hashes {
			h.Write(b)
		}
		p.written += int64(n)
		return n, nil
	}
	if p.async == nil {
		p.start()
	}
	p.written += int64(n)
	for len(b) > 0 {
		if p.cur == nil {
			p.cur = blockPool.Get().(*[]byte)
		}
		room := blockSize - len(*p.cur)
		take := min(room, len(b))
		*p.cur = append(*p.cur, b[:take]...)
		b = b[take:]
		if len(*p.cur) == blockSize {
			p.handOff()
		}
	}
	return n, nil
}

// start launches one goroutine per hash. A Pipe dropped without Wait (a
// request abandoned half-way) must not leave them blocked forever: the
// cleanup closes their queues once the Pipe is unreachable.
func (p *Pipe) start() {
	w := &workers{queues: make([]chan *block, len(p.hashes))}
	for i, h := range p.hashes {
		q := make(chan *block, blocksInFlight)
		w.queues[i] = q
		w.done.Add(1)
		go func() {
			defer w.done.Done()
			for b := range q {
				h.Write(*b.data)
				b.release()
			}
		}()
	}
	p.async = w
	p.cleanup = runtime.AddCleanup(p, (*workers).close, w)
}

func (p *Pipe) handOff() {
	b := &block{data: p.cur}
	p.cur = nil
	b.pending.Store(int32(len(p.async.queues)))
	for _, q := range p.async.queues {
		q <- b
	}
}

func (w *workers) close() {
	if w.closed.CompareAndSwap(false, true) {
		for _, q := range w.queues {
			close(q)
		}
	}
}

// Wait hands off what is left and returns once every hash has seen every
// byte. Writing after Wait is a mistake.
func (p *Pipe) Wait() {
	if p.async == nil {
		return
	}
	if p.cur != nil && len(*p.cur) > 0 {
		p.handOff()
	}
	p.cleanup.Stop()
	p.async.close()
	p.async.done.Wait()
}

// Written is the number of bytes written so far.
func (p *Pipe) Written() int64 { return p.written }
