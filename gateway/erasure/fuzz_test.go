package erasure

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"
)

// fuzzLayout bounds the fuzzer's layout so that one frame buffer stays
// under 64 KiB while sizes still reach many stripes.
func fuzzLayout(data uint8, blockSize uint16, size uint32) Layout {
	return Layout{
		Data:      1 + int(data)%MaxShards,
		Parity:    0,
		BlockSize: 1 + int64(blockSize),
		Size:      int64(size),
	}
}

// FuzzFrameReader feeds a shard reader untrusted bytes, as a storage node
// or a disk may return, and compares every outcome with a model of the
// format: frames back to back from the first stripe, each of
// FrameHeader+BlockLen(stripe) bytes, good only if its CRC32C matches.
func FuzzFrameReader(f *testing.F) {
	for _, tc := range layoutCases {
		if tc.l.BlockSize != 16 {
			continue
		}
		l := tc.l
		shards := writeShards(f, l, randomBlob(l.Size), true, plain)
		for _, first := range []int64{0, l.Stripes() / 2} {
			in := shards[0][l.FrameOffset(first):]
			f.Add(in, uint8(l.Data-1), uint16(l.BlockSize-1), uint32(l.Size), uint16(first))
			f.Add(in[:len(in)/2], uint8(l.Data-1), uint16(l.BlockSize-1), uint32(l.Size), uint16(first))
		}
	}
	f.Add([]byte{}, uint8(5), uint16(15), uint32(0), uint16(0))
	f.Fuzz(func(t *testing.T, in []byte, data uint8, blockSize uint16, size uint32, first uint16) {
		l := fuzzLayout(data, blockSize, size)
		if err := l.Validate(); err != nil {
			t.Fatalf("fuzzLayout made an invalid layout %+v: %v", l, err)
		}
		start := int64(first) % (l.Stripes() + 2) // a little past the end too
		fr := NewFrameReader(bytes.NewReader(in), l, start, l.Stripes())
		buf := make([]byte, FrameHeader+l.BlockSize)
		rest := in // the model's view of the stream
		for s := start; ; s++ {
			block, err := fr.Next(buf)
			want := modelNext(l, s, rest)
			if want == nil {
				if block == nil || err != nil {
					t.Fatalf("%+v stripe %d: got %d bytes, %v; want a block", l, s, len(block), err)
				}
			} else if block != nil || err == nil {
				t.Fatalf("%+v stripe %d: got %d bytes, %v; want %v", l, s, len(block), err, want)
			} else if !errors.Is(err, want) {
				t.Fatalf("%+v stripe %d: got %v; want %v", l, s, err, want)
			}
			if err != nil {
				return
			}
			if s >= l.Stripes() {
				t.Fatalf("%+v: got a block for stripe %d; want at most %d stripes", l, s, l.Stripes())
			}
			n := FrameHeader + l.BlockLen(s)
			if got, want := int64(len(block)), l.BlockLen(s); got != want {
				t.Fatalf("%+v stripe %d: got a %d-byte block; want %d", l, s, got, want)
			}
			if !bytes.Equal(block, rest[FrameHeader:n]) {
				t.Fatalf("%+v stripe %d: block is not the stream's bytes", l, s)
			}
			if got, want := crc32.Checksum(block, crc32.MakeTable(crc32.Castagnoli)), binary.BigEndian.Uint32(rest); got != want {
				t.Fatalf("%+v stripe %d: got a block of CRC %#08x; want %#08x", l, s, got, want)
			}
			rest = rest[n:]
		}
	})
}

// modelNext is what reading stripe s's frame from the stream rest must
// give: nil for a good block, or the error.
func modelNext(l Layout, s int64, rest []byte) error {
	if s >= refStripes(l) {
		return io.EOF
	}
	n := FrameHeader + refBlockLen(l, s)
	if int64(len(rest)) < n {
		return io.ErrUnexpectedEOF
	}
	table := crc32.MakeTable(crc32.Castagnoli)
	if binary.BigEndian.Uint32(rest) != crc32.Checksum(rest[FrameHeader:n], table) {
		return ErrChecksum
	}
	return nil
}
