// Package erasure is the pure arithmetic and coding of sixfold's blob
// layout: how a blob's bytes are cut into stripes of data blocks, how
// parity blocks are computed for each stripe (Reed-Solomon), and how every
// block is framed behind its own CRC32C in a shard file. It does no I/O
// beyond the io.Reader it is handed, so it can be tested exhaustively.
//
// A blob of Size bytes is cut into stripes of Data·BlockSize bytes. In
// stripe s, data shard i holds bytes [i·b, (i+1)·b) of the stripe, where b
// is the stripe's block length: BlockSize for every full stripe and
// ceil(L/Data) for a last stripe of L < Data·BlockSize bytes, so that all
// shards of a blob have the same length and a small blob costs only
// (Data+Parity)/Data of its size. Bytes past the blob's end in the last
// stripe's blocks are zeros. Each parity shard holds the stripe's parity
// block of the same length b.
//
// A shard file is its blocks in stripe order, each preceded by the CRC32C
// (Castagnoli, big-endian) of the block: a frame. Any block can therefore be
// verified alone, and the frame of stripe s starts at s·(FrameHeader+BlockSize).
package erasure

import "fmt"

// FrameHeader is the size of the checksum before every block.
const FrameHeader = 4

// MaxShards bounds Data+Parity (the schema allows chunk numbers below 64;
// Reed-Solomon over GF(2^8) allows 256).
const MaxShards = 64

// Layout describes one blob's striping. The zero BlockSize is invalid:
// blobs written before parity use a different, contiguous layout.
type Layout struct {
	Data      int   // data shards
	Parity    int   // parity shards
	BlockSize int64 // bytes of a full block
	Size      int64 // bytes of the blob
}

// Validate reports a layout that cannot describe a blob.
func (l Layout) Validate() error {
	switch {
	case l.Data < 1 || l.Parity < 0 || l.Data+l.Parity > MaxShards:
		return fmt.Errorf("erasure: %d data + %d parity shards is not a valid code", l.Data, l.Parity)
	case l.BlockSize < 1:
		return fmt.Errorf("erasure: block size %d", l.BlockSize)
	case l.Size < 0:
		return fmt.Errorf("erasure: size %d", l.Size)
	}
	return nil
}

// Shards is Data+Parity.
func (l Layout) Shards() int { return l.Data + l.Parity }

// StripeBytes is how many blob bytes a full stripe holds.
func (l Layout) StripeBytes() int64 { return int64(l.Data) * l.BlockSize }

// Stripes is how many stripes the blob has (0 for an empty blob).
func (l Layout) Stripes() int64 {
	return ceilDiv(l.Size, l.StripeBytes())
}

// StripeData is how many blob bytes stripe s holds.
func (l Layout) StripeData(s int64) int64 {
	return min(l.StripeBytes(), l.Size-s*l.StripeBytes())
}

// BlockLen is the length of every block of stripe s.
func (l Layout) BlockLen(s int64) int64 {
	return ceilDiv(l.StripeData(s), int64(l.Data))
}

// FrameOffset is where stripe s's frame starts in every shard file.
func (l Layout) FrameOffset(s int64) int64 {
	return s * (FrameHeader + l.BlockSize)
}

// ShardSize is the length of every shard file: all frames, headers included.
func (l Layout) ShardSize() int64 {
	n := l.Stripes()
	if n == 0 {
		return 0
	}
	return l.FrameOffset(n-1) + FrameHeader + l.BlockLen(n-1)
}

// StoredBytes is what the whole blob occupies across all its shards.
func (l Layout) StoredBytes() int64 { return int64(l.Shards()) * l.ShardSize() }

// BlockSpan is the part of one data block that holds blob bytes.
type BlockSpan struct {
	Stripe int64
	Shard  int   // a data shard
	Start  int64 // offset within the block
	Len    int64
}

// Spans lists, in blob order, the data-block pieces that hold blob bytes
// [offset, offset+length). The caller checks the range is inside the blob.
func (l Layout) Spans(offset, length int64) []BlockSpan {
	var spans []BlockSpan
	end := offset + length
	for offset < end {
		s := offset / l.StripeBytes()
		within := offset - s*l.StripeBytes()
		b := l.BlockLen(s)
		shard := within / b
		start := within - shard*b
		n := min(b-start, end-offset, l.StripeData(s)-within)
		spans = append(spans, BlockSpan{Stripe: s, Shard: int(shard), Start: start, Len: n})
		offset += n
	}
	return spans
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}
