package erasure

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// randomBlob is reproducible, so a failure names the size that broke.
func randomBlob(size int64) []byte {
	rng := rand.New(rand.NewPCG(uint64(size), 42))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// limitedReader fails the test if Fill reads past the bytes it was allowed.
type limitedReader struct {
	t     testing.TB
	r     io.Reader
	quota int64
}

func (lr *limitedReader) Read(p []byte) (int, error) {
	if int64(len(p)) > lr.quota {
		lr.t.Fatalf("Fill asked for %d bytes; want at most %d (the stripe's end)", len(p), lr.quota)
	}
	n, err := lr.r.Read(p)
	lr.quota -= int64(n)
	return n, err
}

// writeShards stripes blob the way a writer does, through one reused
// stripe, and returns each shard file's bytes. knownSize says whether Fill
// is told exactly what is left or must find the end itself. wrap lets the
// caller change how the reader hands out bytes.
func writeShards(t testing.TB, l Layout, blob []byte, knownSize bool, wrap func(io.Reader) io.Reader) [][]byte {
	t.Helper()
	c, err := NewCodec(l.Data, l.Parity)
	if err != nil {
		t.Fatalf("NewCodec(%d, %d): %v", l.Data, l.Parity, err)
	}
	st := NewStripe(l.Data, l.Shards(), l.BlockSize)
	stain(st, l.Shards())
	shards := make([][]byte, l.Shards())
	r := wrap(bytes.NewReader(blob)) // once: a wrapper may read ahead
	consumed := int64(0)
	for s := int64(0); ; s++ {
		want, rd := l.StripeBytes(), r
		if knownSize {
			want = l.Size - consumed
			if want == 0 {
				break
			}
			rd = &limitedReader{t: t, r: r, quota: want}
		}
		n, err := st.Fill(rd, want)
		consumed += n
		if err != nil && err != io.EOF {
			t.Fatalf("Fill of stripe %d: got %v; want nil or io.EOF", s, err)
		}
		if n == 0 {
			if err != io.EOF {
				t.Fatalf("Fill of stripe %d: got 0 bytes and nil; want io.EOF", s)
			}
			break
		}
		if s >= l.Stripes() {
			t.Fatalf("Fill returned stripe %d (%d bytes); want only %d stripes", s, n, l.Stripes())
		}
		if got, want := n, l.StripeData(s); got != want {
			t.Fatalf("Fill of stripe %d: got %d bytes; want %d", s, got, want)
		}
		if got, want := st.BlockLen(), l.BlockLen(s); got != want {
			t.Fatalf("BlockLen after Fill of stripe %d: got %d; want %d", s, got, want)
		}
		checkZeroTail(t, st, l, s)
		if err := c.Encode(st); err != nil {
			t.Fatalf("Encode of stripe %d: %v", s, err)
		}
		for i := range shards {
			shards[i] = append(shards[i], st.Frame(i)...)
		}
		if err == io.EOF {
			break
		}
	}
	if consumed != l.Size {
		t.Fatalf("Fill read %d bytes in all; want %d", consumed, l.Size)
	}
	return shards
}

// stain fills the first shards blocks of st, at full capacity, with bytes
// no blob here holds, as a previous stripe would leave them: stale bytes
// must never reach a shard.
func stain(st *Stripe, shards int) {
	st.SetBlockLen(st.Capacity())
	for i := range shards {
		for j := range st.Block(i) {
			st.Block(i)[j] = 0xff
		}
	}
}

// checkZeroTail checks the data blocks hold zeros past the blob's end, as
// the package doc promises and the parity depends on.
func checkZeroTail(t testing.TB, st *Stripe, l Layout, s int64) {
	t.Helper()
	b, data := l.BlockLen(s), l.StripeData(s)
	for i := range l.Data {
		for j, v := range st.Block(i) {
			if int64(i)*b+int64(j) >= data && v != 0 {
				t.Fatalf("stripe %d block %d byte %d past the blob's end: got %#x; want 0", s, i, j, v)
			}
		}
	}
}

// blockOf is stripe s's block in a shard file, found by the layout alone.
func blockOf(l Layout, shard []byte, s int64) []byte {
	off := l.FrameOffset(s) + FrameHeader
	return shard[off : off+l.BlockLen(s)]
}

func reassemble(l Layout, shards [][]byte) []byte {
	blob := make([]byte, 0, l.Size)
	for _, sp := range l.Spans(0, l.Size) {
		blob = append(blob, blockOf(l, shards[sp.Shard], sp.Stripe)[sp.Start:sp.Start+sp.Len]...)
	}
	return blob
}

// roundTripSizes are every size up to three small stripes, the table's
// sizes, and some larger ones.
func roundTripSizes() []Layout {
	var ls []Layout
	for size := range int64(3*6*16 + 2) {
		ls = append(ls, lay(16, size))
	}
	for _, size := range []int64{13*16 + 5, 999, 1000, 1024, 4321} {
		ls = append(ls, lay(16, size))
	}
	for _, tc := range layoutCases {
		if tc.l.BlockSize == mib && tc.l.Size < 64*mib {
			ls = append(ls, tc.l)
		}
	}
	return ls
}

func TestRoundTrip(t *testing.T) {
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"plain", func(r io.Reader) io.Reader { return r }},
		{"one byte", iotest.OneByteReader},
		{"half", iotest.HalfReader},
		{"eof with data", iotest.DataErrReader},
	}
	for _, l := range roundTripSizes() {
		for _, known := range []bool{true, false} {
			for _, rd := range readers {
				if l.BlockSize == mib && rd.name == "one byte" {
					continue // a million one-byte reads prove nothing new
				}
				t.Run(fmt.Sprintf("%d/%d/known=%v/%s", l.BlockSize, l.Size, known, rd.name), func(t *testing.T) {
					blob := randomBlob(l.Size)
					shards := writeShards(t, l, blob, known, rd.wrap)
					for i, sh := range shards {
						if got, want := int64(len(sh)), l.ShardSize(); got != want {
							t.Fatalf("shard %d length: got %d; want %d", i, got, want)
						}
					}
					if got := reassemble(l, shards); !bytes.Equal(got, blob) {
						t.Fatalf("reassembled blob differs (%d bytes; want %d)", len(got), len(blob))
					}
				})
			}
		}
	}
}

func TestFillStopsAtWant(t *testing.T) {
	// A reader shared with what follows the blob (a multipart body, a
	// chunked stream) must be left exactly at the blob's end.
	blob := randomBlob(100)
	r := bytes.NewReader(blob)
	st := NewStripe(6, 8, 16)
	n, err := st.Fill(r, 37)
	if n != 37 || err != nil {
		t.Fatalf("Fill(37): got %d, %v; want 37, nil", n, err)
	}
	if got, want := r.Len(), 100-37; got != want {
		t.Errorf("bytes left in the reader: got %d; want %d", got, want)
	}
	if got, want := st.BlockLen(), int64(7); got != want {
		t.Errorf("BlockLen: got %d; want %d", got, want)
	}
}

func TestFillShortOfWant(t *testing.T) {
	// A body that ends before the size it declared leaves Fill holding
	// fewer bytes than it laid blocks out for: they must still end up in
	// the layout of the bytes it got, with zeros after them.
	const data, capacity = 6, 16
	st := NewStripe(data, data+2, capacity)
	for want := int64(1); want <= data*capacity; want++ {
		for have := int64(0); have <= want; have++ {
			stain(st, data)
			blob := randomBlob(have)
			n, err := st.Fill(bytes.NewReader(blob), want)
			wantErr := error(nil)
			if have < want {
				wantErr = io.EOF
			}
			if n != have || err != wantErr {
				t.Fatalf("Fill(%d) of %d bytes: got %d, %v; want %d, %v", want, have, n, err, have, wantErr)
			}
			l := Layout{Data: data, Parity: 2, BlockSize: capacity, Size: have}
			if got, want := st.BlockLen(), l.BlockLen(0); got != want {
				t.Fatalf("Fill(%d) of %d bytes: BlockLen %d; want %d", want, have, got, want)
			}
			b := st.BlockLen()
			for i := range int64(data) {
				expect := make([]byte, b)
				copy(expect, blob[min(i*b, have):min((i+1)*b, have)])
				if !bytes.Equal(st.Block(int(i)), expect) {
					t.Fatalf("Fill(%d) of %d bytes: block %d = %x; want %x", want, have, i, st.Block(int(i)), expect)
				}
			}
		}
	}
}

func TestFillEmpty(t *testing.T) {
	st := NewStripe(6, 8, 16)
	n, err := st.Fill(bytes.NewReader(nil), 96)
	if n != 0 || err != io.EOF || st.BlockLen() != 0 {
		t.Errorf("Fill of an empty reader: got %d, %v, BlockLen %d; want 0, io.EOF, 0", n, err, st.BlockLen())
	}
}

func TestFillNothingWanted(t *testing.T) {
	for _, want := range []int64{0, -1} {
		st := NewStripe(6, 8, 16)
		r := bytes.NewReader(randomBlob(10))
		n, err := st.Fill(r, want)
		if n != 0 || err != nil || st.BlockLen() != 0 || r.Len() != 10 {
			t.Errorf("Fill(%d): got %d, %v, BlockLen %d, %d bytes left; want 0, nil, 0, 10 left", want, n, err, st.BlockLen(), r.Len())
		}
	}
}

func TestFillPassesReaderError(t *testing.T) {
	// A body cut short must not look like a clean end of the blob.
	boom := errors.New("connection reset")
	st := NewStripe(6, 8, 16)
	r := io.MultiReader(bytes.NewReader(randomBlob(20)), iotest.ErrReader(boom))
	n, err := st.Fill(r, 96)
	if n != 20 || !errors.Is(err, boom) {
		t.Errorf("Fill: got %d, %v; want 20, %v", n, err, boom)
	}
}

// stripeOf loads stripe s of shard files into a fresh stripe.
func stripeOf(l Layout, shards [][]byte, s int64) (*Stripe, [][]byte) {
	st := NewStripe(l.Data, l.Shards(), l.BlockSize)
	st.SetBlockLen(l.BlockLen(s))
	orig := make([][]byte, l.Shards())
	for i := range orig {
		orig[i] = blockOf(l, shards[i], s)
		copy(st.Block(i), orig[i])
	}
	return st, orig
}

// subsets lists every subset of n shards with at most k members.
func subsets(n, k int) [][]bool {
	var out [][]bool
	for mask := 0; mask < 1<<n; mask++ {
		lost := make([]bool, n)
		count := 0
		for i := range n {
			if mask&(1<<i) != 0 {
				lost[i] = true
				count++
			}
		}
		if count <= k {
			out = append(out, lost)
		}
	}
	return out
}

// loseBlocks blanks the lost blocks the way a reader hands them to
// Reconstruct, after scribbling on them so that a block left untouched
// cannot pass for a recovered one.
func loseBlocks(st *Stripe, orig [][]byte, lost []bool) [][]byte {
	blocks := make([][]byte, len(orig))
	for i := range blocks {
		copy(st.Block(i), orig[i])
		blocks[i] = st.Block(i)
		if lost[i] {
			for j := range blocks[i] {
				blocks[i][j] = 0xa5
			}
			blocks[i] = st.EmptyBlock(i)
		}
	}
	return blocks
}

func lostNames(lost []bool) string {
	var names []int
	for i, l := range lost {
		if l {
			names = append(names, i)
		}
	}
	return fmt.Sprint(names)
}

func TestReconstructEveryLossPattern(t *testing.T) {
	layouts := []Layout{lay(16, 1), lay(16, 15), lay(16, 17), lay(16, 95), lay(16, 97), lay(16, 13*16+5), lay(mib, mib+1), lay(mib, 13*mib+5)}
	layouts = append(layouts,
		Layout{Data: 6, Parity: 3, BlockSize: 16, Size: 13*16 + 5},
		Layout{Data: 6, Parity: 3, BlockSize: mib, Size: 6*mib + 1})
	for _, l := range layouts {
		t.Run(fmt.Sprintf("%d+%d/%d/%d", l.Data, l.Parity, l.BlockSize, l.Size), func(t *testing.T) {
			c, err := NewCodec(l.Data, l.Parity)
			if err != nil {
				t.Fatal(err)
			}
			shards := writeShards(t, l, randomBlob(l.Size), true, func(r io.Reader) io.Reader { return r })
			patterns := subsets(l.Shards(), l.Parity)
			for s := range l.Stripes() {
				st, orig := stripeOf(l, shards, s)
				for _, lost := range patterns {
					blocks := loseBlocks(st, orig, lost)
					if err := c.Reconstruct(blocks, lost); err != nil {
						t.Fatalf("stripe %d lost %s: got %v; want nil", s, lostNames(lost), err)
					}
					for i := range blocks {
						if !bytes.Equal(blocks[i], orig[i]) {
							t.Fatalf("stripe %d lost %s: block %d got %x; want %x", s, lostNames(lost), i, head(blocks[i]), head(orig[i]))
						}
						// Recovered in place: the stripe's own frame is
						// ready to be sealed and written.
						if !bytes.Equal(st.Block(i), orig[i]) {
							t.Fatalf("stripe %d lost %s: st.Block(%d) got %x; want %x", s, lostNames(lost), i, head(st.Block(i)), head(orig[i]))
						}
					}
				}
			}
		})
	}
}

func head(b []byte) []byte { return b[:min(len(b), 16)] }

func TestReconstructTooManyLost(t *testing.T) {
	for _, l := range []Layout{lay(16, 13*16+5), {Data: 6, Parity: 3, BlockSize: 16, Size: 97}} {
		t.Run(fmt.Sprintf("%d+%d/%d", l.Data, l.Parity, l.Size), func(t *testing.T) {
			c, err := NewCodec(l.Data, l.Parity)
			if err != nil {
				t.Fatal(err)
			}
			shards := writeShards(t, l, randomBlob(l.Size), true, func(r io.Reader) io.Reader { return r })
			checked := 0
			for _, lost := range subsets(l.Shards(), l.Parity+1) {
				if countTrue(lost) != l.Parity+1 {
					continue
				}
				for s := range l.Stripes() {
					st, orig := stripeOf(l, shards, s)
					blocks := loseBlocks(st, orig, lost)
					if err := c.Reconstruct(blocks, lost); err == nil {
						t.Fatalf("stripe %d lost %s: got nil error; want one", s, lostNames(lost))
					}
					for i := range blocks {
						if lost[i] && len(blocks[i]) != 0 {
							t.Fatalf("stripe %d lost %s: block %d got %d bytes after a failed reconstruct; want 0", s, lostNames(lost), i, len(blocks[i]))
						}
					}
					checked++
				}
			}
			if checked == 0 {
				t.Fatal("no loss pattern checked")
			}
		})
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func TestReconstructOnlyWanted(t *testing.T) {
	// A read that lost a data and a parity shard needs only the data back.
	l := lay(16, 13*16+5)
	c, _ := NewCodec(6, 2)
	shards := writeShards(t, l, randomBlob(l.Size), true, func(r io.Reader) io.Reader { return r })
	st, orig := stripeOf(l, shards, 0)
	lost := []bool{false, false, true, false, false, false, false, true}
	blocks := loseBlocks(st, orig, lost)
	want := []bool{false, false, true, false, false, false, false, false}
	if err := c.Reconstruct(blocks, want); err != nil {
		t.Fatalf("Reconstruct: got %v; want nil", err)
	}
	if !bytes.Equal(blocks[2], orig[2]) {
		t.Errorf("block 2: got %x; want %x", blocks[2], orig[2])
	}
	if len(blocks[7]) != 0 {
		t.Errorf("unwanted block 7: got %d bytes; want 0", len(blocks[7]))
	}
}

func TestCodecShapes(t *testing.T) {
	for _, tc := range []struct {
		data, parity int
		ok           bool
	}{
		{6, 2, true}, {1, 0, true}, {6, 0, true}, {60, 4, true},
		{0, 2, false}, {6, -1, false}, {61, 4, false},
	} {
		t.Run(fmt.Sprintf("%d+%d", tc.data, tc.parity), func(t *testing.T) {
			c, err := NewCodec(tc.data, tc.parity)
			if (err == nil) != tc.ok {
				t.Fatalf("NewCodec: got %v; want ok=%v", err, tc.ok)
			}
			if err == nil && (c.Data() != tc.data || c.Parity() != tc.parity) {
				t.Errorf("shape: got %d+%d; want %d+%d", c.Data(), c.Parity(), tc.data, tc.parity)
			}
		})
	}
}

func TestCodecWithoutParity(t *testing.T) {
	// With no parity a shard is just framed data: it seals, and it cannot
	// rebuild anything.
	l := Layout{Data: 6, Parity: 0, BlockSize: 16, Size: 13*16 + 5}
	blob := randomBlob(l.Size)
	shards := writeShards(t, l, blob, false, func(r io.Reader) io.Reader { return r })
	if got := reassemble(l, shards); !bytes.Equal(got, blob) {
		t.Fatal("reassembled blob differs")
	}
	c, _ := NewCodec(6, 0)
	st, orig := stripeOf(l, shards, 0)
	lost := []bool{true, false, false, false, false, false}
	if err := c.Reconstruct(loseBlocks(st, orig, lost), lost); err == nil {
		t.Error("Reconstruct without parity: got nil error; want one")
	}
}

func TestSealMatchesCRC32C(t *testing.T) {
	// The header is part of the on-disk format: CRC32C, big-endian.
	frame := append([]byte{0, 0, 0, 0}, "hello, shard"...)
	Seal(frame)
	want := crc32.Checksum(frame[4:], crc32.MakeTable(crc32.Castagnoli))
	if got := binary.BigEndian.Uint32(frame); got != want {
		t.Errorf("header: got %#08x; want %#08x", got, want)
	}
	if got := CRC32C(CRC32C(0, frame[4:9]), frame[9:]); got != want {
		t.Errorf("CRC32C in two steps: got %#08x; want %#08x", got, want)
	}
}

func TestCheckFlippedBit(t *testing.T) {
	for _, blockLen := range []int{0, 1, 7, 16, 1000} {
		t.Run(fmt.Sprint(blockLen), func(t *testing.T) {
			frame := append(make([]byte, FrameHeader), randomBlob(int64(blockLen))...)
			Seal(frame)
			block, err := Check(frame)
			if err != nil || !bytes.Equal(block, frame[FrameHeader:]) {
				t.Fatalf("Check of a sealed frame: got %v; want its block and nil", err)
			}
			for bit := range 8 * len(frame) {
				frame[bit/8] ^= 1 << (bit % 8)
				block, err := Check(frame)
				if !errors.Is(err, ErrChecksum) || block != nil {
					t.Fatalf("bit %d flipped: got %d-byte block, %v; want nil, ErrChecksum", bit, len(block), err)
				}
				frame[bit/8] ^= 1 << (bit % 8)
			}
		})
	}
}

func TestCheckShortFrame(t *testing.T) {
	for n := range FrameHeader {
		if block, err := Check(make([]byte, n)); !errors.Is(err, ErrChecksum) || block != nil {
			t.Errorf("%d-byte frame: got %v, %v; want nil, ErrChecksum", n, block, err)
		}
	}
}

func benchStripe(b *testing.B) (*Codec, *Stripe) {
	c, err := NewCodec(6, 2)
	if err != nil {
		b.Fatal(err)
	}
	st := NewStripe(6, 8, mib)
	if _, err := st.Fill(bytes.NewReader(randomBlob(6*mib)), 6*mib); err != nil {
		b.Fatal(err)
	}
	return c, st
}

// BenchmarkEncode6p2 reports blob bytes per second through parity and
// all eight checksums, for a full 1 MiB-block stripe.
func BenchmarkEncode6p2(b *testing.B) {
	c, st := benchStripe(b)
	b.SetBytes(6 * mib)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Encode(st); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReconstructOneLost reports blob bytes per second of a read
// that lost one data shard of a full 1 MiB-block 6+2 stripe.
func BenchmarkReconstructOneLost(b *testing.B) {
	c, st := benchStripe(b)
	if err := c.Encode(st); err != nil {
		b.Fatal(err)
	}
	blocks := make([][]byte, 8)
	want := []bool{true, false, false, false, false, false, false, false}
	b.SetBytes(6 * mib)
	b.ReportAllocs()
	for b.Loop() {
		for i := range blocks {
			blocks[i] = st.Block(i)
		}
		blocks[0] = st.EmptyBlock(0)
		if err := c.Reconstruct(blocks, want); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck reports bytes per second of the read path's verification
// of one 1 MiB block against its frame's CRC32C.
func BenchmarkCheck(b *testing.B) {
	c, st := benchStripe(b)
	if err := c.Encode(st); err != nil {
		b.Fatal(err)
	}
	frame := st.Frame(0)
	b.SetBytes(int64(len(frame) - FrameHeader))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFrameCRC32CMatchesTheBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{0, 1, 3, 4, 5, 683, 4096, 174763, 1 << 20} {
		frame := make([]byte, FrameHeader+n)
		for i := range frame {
			frame[i] = byte(rng.Uint32())
		}
		Seal(frame)
		prefix := make([]byte, rng.IntN(100))
		for i := range prefix {
			prefix[i] = byte(rng.Uint32())
		}
		start := CRC32C(0, prefix)
		if got, want := FrameCRC32C(start, frame), CRC32C(start, frame); got != want {
			t.Fatalf("%d-byte block: FrameCRC32C %08x, CRC32C %08x", n, got, want)
		}
	}
	// A header that lies about its block must not yield the bytes' digest.
	frame := make([]byte, FrameHeader+4096)
	Seal(frame)
	frame[FrameHeader] ^= 1
	if FrameCRC32C(0, frame) == CRC32C(0, frame) {
		t.Fatal("a frame whose block changed after sealing still combined to its bytes' digest")
	}
	for _, short := range [][]byte{nil, {1, 2, 3}} {
		if got, want := FrameCRC32C(9, short), CRC32C(9, short); got != want {
			t.Fatalf("%d-byte frame: %08x, want %08x", len(short), got, want)
		}
	}
}

func TestCombineCRC32C(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 1<<16)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for range 200 {
		cut := rng.IntN(len(data) + 1)
		a, b := data[:cut], data[cut:]
		if got, want := CombineCRC32C(CRC32C(0, a), CRC32C(0, b), int64(len(b))), CRC32C(0, data); got != want {
			t.Fatalf("cut at %d: %08x, want %08x", cut, got, want)
		}
	}
}

// BenchmarkShardDigest compares extending a shard's digest over a sealed
// 1 MiB stripe's frame by reading it again with combining its header's
// checksum.
func BenchmarkShardDigest(b *testing.B) {
	frame := make([]byte, FrameHeader+(1<<20)/6+1)
	Seal(frame)
	b.Run("read again", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		var crc uint32
		for b.Loop() {
			crc = CRC32C(crc, frame)
		}
	})
	b.Run("combined", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		var crc uint32
		for b.Loop() {
			crc = FrameCRC32C(crc, frame)
		}
	})
}

// BenchmarkFillPart reports blob bytes per second read into one reused
// stripe from a multipart part of 8 MiB: a full stripe, then a last one of
// 2 MiB, whose length the reader is told.
func BenchmarkFillPart(b *testing.B) {
	part := randomBlob(8 * mib)
	st := NewStripe(6, 8, mib)
	r := bytes.NewReader(part)
	b.SetBytes(int64(len(part)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(part)
		for left := int64(len(part)); left > 0; {
			n, err := st.Fill(r, left)
			if err != nil && err != io.EOF {
				b.Fatal(err)
			}
			left -= n
		}
	}
}
