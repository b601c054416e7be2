package erasure

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/reedsolomon"
)

// ErrChecksum means a block's bytes do not match the CRC32C before them.
var ErrChecksum = errors.New("erasure: block checksum mismatch")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Codec computes and recovers the parity of stripes for one shape of code.
// It is safe for concurrent use.
type Codec struct {
	data, parity int
	rs           reedsolomon.Encoder // nil when parity is 0
}

// NewCodec returns a codec of data data shards and parity parity shards.
func NewCodec(data, parity int) (*Codec, error) {
	if data < 1 || parity < 0 || data+parity > MaxShards {
		return nil, fmt.Errorf("erasure: %d data + %d parity shards is not a valid code", data, parity)
	}
	c := &Codec{data: data, parity: parity}
	if parity > 0 {
		rs, err := reedsolomon.New(data, parity)
		if err != nil {
			return nil, fmt.Errorf("erasure: %w", err)
		}
		c.rs = rs
	}
	return c, nil
}

// Data is the number of data shards.
func (c *Codec) Data() int { return c.data }

// Parity is the number of parity shards.
func (c *Codec) Parity() int { return c.parity }

// Encode computes the parity blocks of st from its data blocks and then the
// checksum header of every frame.
func (c *Codec) Encode(st *Stripe) error {
	if c.rs != nil {
		if err := c.rs.Encode(st.blocks()); err != nil {
			return fmt.Errorf("erasure: encode: %w", err)
		}
	}
	for i := range st.frames {
		Seal(st.Frame(i))
	}
	return nil
}

// Reconstruct recomputes the blocks of one stripe that want asks for and
// that are absent (nil or empty) in blocks, from at least Data present
// ones. Every block, present or to be filled, must have the stripe's block
// length or, when absent, the capacity for it (blocks[i][:0] of a buffer):
// recovered blocks are written there, without allocating.
func (c *Codec) Reconstruct(blocks [][]byte, want []bool) error {
	if c.rs == nil {
		return errors.New("erasure: a code without parity cannot reconstruct")
	}
	if err := c.rs.ReconstructSome(blocks, want); err != nil {
		return fmt.Errorf("erasure: reconstruct: %w", err)
	}
	return nil
}

// Seal writes the CRC32C of frame's block into its header.
func Seal(frame []byte) {
	binary.BigEndian.PutUint32(frame, crc32.Checksum(frame[FrameHeader:], castagnoli))
}

// Check verifies a frame and returns its block.
func Check(frame []byte) ([]byte, error) {
	if len(frame) < FrameHeader {
		return nil, fmt.Errorf("%w: %d-byte frame", ErrChecksum, len(frame))
	}
	block := frame[FrameHeader:]
	if binary.BigEndian.Uint32(frame) != crc32.Checksum(block, castagnoli) {
		return nil, ErrChecksum
	}
	return block, nil
}

// CRC32C extends crc with p, for the whole-shard digest nodes report.
func CRC32C(crc uint32, p []byte) uint32 { return crc32.Update(crc, castagnoli, p) }

// Stripe holds one stripe's frames: Data+Parity buffers of FrameHeader plus
// up to the block size each, backed by one allocation. Reuse stripes: fresh
// memory costs far more than encoding it.
type Stripe struct {
	frames   [][]byte // each FrameHeader+capacity long
	data     int
	capacity int64 // largest block this stripe can hold
	blockLen int64 // current block length
}

// NewStripe allocates a stripe for shards shards (data of them data) of
// blocks up to capacity bytes.
func NewStripe(data, shards int, capacity int64) *Stripe {
	backing := make([]byte, int64(shards)*(FrameHeader+capacity))
	st := &Stripe{frames: make([][]byte, shards), data: data, capacity: capacity}
	for i := range st.frames {
		off := int64(i) * (FrameHeader + capacity)
		st.frames[i] = backing[off : off+FrameHeader+capacity : off+FrameHeader+capacity]
	}
	return st
}

// Capacity is the largest block length the stripe holds.
func (st *Stripe) Capacity() int64 { return st.capacity }

// BlockLen is the length of the stripe's blocks as last filled or set.
func (st *Stripe) BlockLen() int64 { return st.blockLen }

// SetBlockLen sets the block length (at most Capacity) for a stripe that is
// about to be filled block by block (a read or a rebuild).
func (st *Stripe) SetBlockLen(n int64) { st.blockLen = n }

// Frame is shard i's frame: header and block.
func (st *Stripe) Frame(i int) []byte { return st.frames[i][:FrameHeader+st.blockLen] }

// Block is shard i's block.
func (st *Stripe) Block(i int) []byte { return st.frames[i][FrameHeader : FrameHeader+st.blockLen] }

// EmptyBlock is shard i's block buffer with length 0 and room for a block,
// the form Codec.Reconstruct fills.
func (st *Stripe) EmptyBlock(i int) []byte { return st.frames[i][FrameHeader:FrameHeader] }

func (st *Stripe) blocks() [][]byte {
	b := make([][]byte, len(st.frames))
	for i := range b {
		b[i] = st.Block(i)
	}
	return b
}

// Fill reads the next stripe of a blob from r: up to want bytes (at most
// data·Capacity), laid out as the package doc describes, with zeros past
// the data. It returns the bytes read and r's error: io.EOF only when r
// ended, which may be with a short or empty stripe. Reading stops at want,
// so r is never read past a known stripe end.
func (st *Stripe) Fill(r io.Reader, want int64) (int64, error) {
	want = min(want, int64(st.data)*st.capacity)
	// Blocks are filled at the length want gives them, so a short stripe
	// of known size (every multipart part's last) lands in place; only a
	// reader that ends early makes layOut move bytes.
	stride := ceilDiv(want, int64(st.data))
	var n int64
	var err error
	for i := 0; i < st.data && n < want && err == nil; i++ {
		var k int
		k, err = fill(r, st.frames[i][FrameHeader:FrameHeader+min(stride, want-n)])
		n += int64(k)
	}
	st.layOut(n, stride)
	return n, err
}

// layOut spreads n bytes, read into the data blocks stride bytes apart,
// into blocks of ceil(n/data) bytes, and zeroes the rest of every data
// block.
func (st *Stripe) layOut(n, stride int64) {
	blockLen := ceilDiv(n, int64(st.data))
	if blockLen < stride {
		st.compact(n, stride, blockLen)
	}
	st.blockLen = blockLen
	for i := 0; i < st.data; i++ {
		used := min(max(n-int64(i)*blockLen, 0), blockLen)
		clear(st.frames[i][FrameHeader+used : FrameHeader+blockLen])
	}
}

// compact moves n bytes held stride apart to blockLen (< stride) apart, in
// place: no buffer to allocate, and each byte moves once. Target block i
// draws only on source blocks up to i, and the source bytes in block i are
// needed only by targets from i on; so targets go last to first, and
// within one the piece already in its own block moves before earlier
// blocks' pieces overwrite where it was.
func (st *Stripe) compact(n, stride, blockLen int64) {
	for i := int64(st.data) - 1; i >= 0; i-- {
		lo, hi := i*blockLen, min((i+1)*blockLen, n)
		if lo >= hi {
			continue
		}
		target := st.frames[i][FrameHeader:]
		for k := (hi - 1) / stride; k >= lo/stride; k-- {
			from, to := max(lo, k*stride), min(hi, (k+1)*stride)
			copy(target[from-lo:to-lo], st.frames[k][FrameHeader+from-k*stride:FrameHeader+to-k*stride])
		}
	}
}

// fill reads until buf is full or r fails, passing r's own error through
// (a clean io.EOF stays distinguishable from a body cut short).
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
