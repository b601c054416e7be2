package erasure

import "encoding/binary"

// A shard's digest is the CRC32C of all its frames, headers included, and
// every frame's header is the CRC32C of its block. Extending the digest
// over a frame whose block has already been checksummed would read the
// block a second time, after the stripe has left the cache (two fifths of
// the gateway's CRC work under a 1 GiB PUT): FrameCRC32C instead extends it
// over the four header bytes and then appends the block's known checksum,
// which is arithmetic on 32-bit values. hash/crc32 has no such combine,
// so it is written here (the method is zlib's crc32_combine).

// castagnoliReversed is the Castagnoli polynomial in the bit order
// hash/crc32 computes with (lowest power in the top bit).
const castagnoliReversed = 0x82f63b78

// powers[k] is x^(2^k) modulo the polynomial: enough for any length a
// frame can have, in bytes (8·len needs bits up to 2^(3+60)).
var powers = func() (p [64]uint32) {
	p[0] = 1 << 30 // x^1
	for k := 1; k < len(p); k++ {
		p[k] = multiplyModP(p[k-1], p[k-1])
	}
	return p
}()

// multiplyModP returns a·b modulo the polynomial.
func multiplyModP(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ castagnoliReversed
		} else {
			b >>= 1
		}
	}
	return p
}

// shiftFactor is x^(8·n) modulo the polynomial: what a CRC is multiplied
// by to move it past n more bytes.
func shiftFactor(n int64) uint32 {
	f := uint32(1) << 31 // x^0
	for k := 3; n != 0; k, n = k+1, n>>1 {
		if n&1 != 0 {
			f = multiplyModP(powers[k], f)
		}
	}
	return f
}

// CombineCRC32C returns the CRC32C of a followed by b from the CRC32C of
// each and b's length.
func CombineCRC32C(crcA, crcB uint32, lenB int64) uint32 {
	return multiplyModP(shiftFactor(lenB), crcA) ^ crcB
}

// FrameCRC32C extends crc with a sealed frame, trusting its header for
// its block's checksum. A header that does not match its block gives a
// digest that does not match the frame's bytes, so a node that reports
// the bytes it stored is still caught by the comparison.
func FrameCRC32C(crc uint32, frame []byte) uint32 {
	if len(frame) < FrameHeader {
		return CRC32C(crc, frame)
	}
	crc = CRC32C(crc, frame[:FrameHeader])
	return CombineCRC32C(crc, binary.BigEndian.Uint32(frame), int64(len(frame)-FrameHeader))
}
