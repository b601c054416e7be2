package erasure

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

func plain(r io.Reader) io.Reader { return r }

// frameLayouts are the table's layouts a test can afford to write out.
func frameLayouts() []Layout {
	var ls []Layout
	for _, tc := range layoutCases {
		if tc.l.Size < 64*mib {
			ls = append(ls, tc.l)
		}
	}
	return ls
}

// readAll reads frames until an error and returns the blocks, copied.
func readAll(fr *FrameReader, buf []byte) ([][]byte, error) {
	var blocks [][]byte
	for {
		block, err := fr.Next(buf)
		if err != nil {
			if block != nil {
				return blocks, fmt.Errorf("a %d-byte block alongside %w", len(block), err)
			}
			return blocks, err
		}
		blocks = append(blocks, bytes.Clone(block))
	}
}

func TestFrameReaderFromEveryStripe(t *testing.T) {
	for _, l := range frameLayouts() {
		t.Run(fmt.Sprintf("%d/%d", l.BlockSize, l.Size), func(t *testing.T) {
			shards := writeShards(t, l, randomBlob(l.Size), true, plain)
			buf := make([]byte, FrameHeader+l.BlockSize)
			for i, shard := range shards {
				for first := range l.Stripes() + 1 {
					from := min(l.FrameOffset(first), int64(len(shard))) // the frame after the last lies past the end
					fr := NewFrameReader(bytes.NewReader(shard[from:]), l, first, l.Stripes())
					blocks, err := readAll(fr, buf)
					if err != io.EOF {
						t.Fatalf("shard %d from stripe %d: got %v; want io.EOF", i, first, err)
					}
					if got, want := int64(len(blocks)), l.Stripes()-first; got != want {
						t.Fatalf("shard %d from stripe %d: got %d blocks; want %d", i, first, got, want)
					}
					for k, block := range blocks {
						s := first + int64(k)
						if want := blockOf(l, shard, s); !bytes.Equal(block, want) {
							t.Fatalf("shard %d stripe %d: got %x; want %x", i, s, head(block), head(want))
						}
					}
					if block, err := fr.Next(buf); block != nil || err != io.EOF {
						t.Fatalf("shard %d: Next after the end: got %d bytes, %v; want nil, io.EOF", i, len(block), err)
					}
					if got := fr.Stripe(); got != l.Stripes() {
						t.Fatalf("shard %d: Stripe at the end: got %d; want %d", i, got, l.Stripes())
					}
				}
			}
		})
	}
}

func TestFrameReaderStopsAtEnd(t *testing.T) {
	// A ranged read must not pull frames it does not need off the wire.
	l := lay(16, 13*16+5)
	shard := writeShards(t, l, randomBlob(l.Size), true, plain)[0]
	r := bytes.NewReader(shard[l.FrameOffset(1):])
	fr := NewFrameReader(r, l, 1, 2)
	blocks, err := readAll(fr, make([]byte, FrameHeader+l.BlockSize))
	if err != io.EOF || len(blocks) != 1 {
		t.Fatalf("got %d blocks, %v; want 1, io.EOF", len(blocks), err)
	}
	if got, want := int64(r.Len()), l.ShardSize()-l.FrameOffset(2); got != want {
		t.Errorf("bytes left unread: got %d; want %d", got, want)
	}
}

func TestFrameReaderTruncated(t *testing.T) {
	for _, l := range []Layout{lay(16, 1), lay(16, 97), lay(16, 13*16+5), lay(mib, 6*mib+1)} {
		t.Run(fmt.Sprintf("%d/%d", l.BlockSize, l.Size), func(t *testing.T) {
			shard := writeShards(t, l, randomBlob(l.Size), true, plain)[0]
			buf := make([]byte, FrameHeader+l.BlockSize)
			for _, cut := range cuts(l) {
				fr := NewFrameReader(bytes.NewReader(shard[:cut]), l, 0, l.Stripes())
				blocks, err := readAll(fr, buf)
				if err != io.ErrUnexpectedEOF {
					t.Fatalf("cut at %d: got %v; want io.ErrUnexpectedEOF", cut, err)
				}
				complete := int64(0) // frames wholly before the cut
				for complete < l.Stripes() && l.FrameOffset(complete)+FrameHeader+l.BlockLen(complete) <= cut {
					complete++
				}
				if got := int64(len(blocks)); got != complete {
					t.Fatalf("cut at %d: got %d blocks; want %d", cut, got, complete)
				}
				if block, err := fr.Next(buf); block != nil || err == nil {
					t.Fatalf("cut at %d: Next after the error: got %d bytes, %v; want no block", cut, len(block), err)
				}
			}
		})
	}
}

// cuts are the lengths of a shard cut short: every one for small blocks,
// the edges of each frame for large ones.
func cuts(l Layout) []int64 {
	var out []int64
	if l.BlockSize <= 16 {
		for c := range l.ShardSize() {
			out = append(out, c)
		}
		return out
	}
	for s := range l.Stripes() {
		off := l.FrameOffset(s)
		for _, c := range []int64{off, off + 1, off + FrameHeader - 1, off + FrameHeader, off + FrameHeader + l.BlockLen(s) - 1} {
			if c < l.ShardSize() && (len(out) == 0 || c > out[len(out)-1]) {
				out = append(out, c)
			}
		}
	}
	return out
}

func TestFrameReaderCorrupt(t *testing.T) {
	for _, l := range []Layout{lay(16, 97), lay(16, 13*16+5)} {
		t.Run(fmt.Sprintf("%d/%d", l.BlockSize, l.Size), func(t *testing.T) {
			shard := writeShards(t, l, randomBlob(l.Size), true, plain)[7]
			buf := make([]byte, FrameHeader+l.BlockSize)
			for bit := range 8 * int64(len(shard)) {
				bad := bytes.Clone(shard)
				bad[bit/8] ^= 1 << (bit % 8)
				hit := int64(0) // the stripe whose frame holds the flipped bit
				for hit+1 < l.Stripes() && l.FrameOffset(hit+1) <= bit/8 {
					hit++
				}
				fr := NewFrameReader(bytes.NewReader(bad), l, 0, l.Stripes())
				blocks, err := readAll(fr, buf)
				if !errors.Is(err, ErrChecksum) {
					t.Fatalf("bit %d flipped: got %v; want ErrChecksum", bit, err)
				}
				if got := int64(len(blocks)); got != hit {
					t.Fatalf("bit %d flipped: got %d good blocks; want %d", bit, got, hit)
				}
				if block, _ := fr.Next(buf); block != nil {
					t.Fatalf("bit %d flipped: Next after the error: got %d bytes; want none", bit, len(block))
				}
			}
		})
	}
}

func TestFrameReaderSmallBuffer(t *testing.T) {
	l := lay(16, 13*16+5)
	shard := writeShards(t, l, randomBlob(l.Size), true, plain)[0]
	fr := NewFrameReader(bytes.NewReader(shard), l, 0, l.Stripes())
	if block, err := fr.Next(make([]byte, FrameHeader+l.BlockSize-1)); block != nil || err == nil {
		t.Errorf("Next with a short buffer: got %d bytes, %v; want nil and an error", len(block), err)
	}
}
