package erasure

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

const mib = 1 << 20

// layoutCases pin the layout of a 6+2 code at the edges of a block and of a
// stripe, for a block small enough to test by hand and for the planned
// 1 MiB block up to the planned 10 GiB blob. The expected figures were
// worked out by hand from the package doc, not from the code.
var layoutCases = []struct {
	name         string
	l            Layout
	stripes      int64
	lastBlockLen int64
	shardSize    int64
}{
	{"16/empty", lay(16, 0), 0, 0, 0},
	{"16/one byte", lay(16, 1), 1, 1, 5},
	{"16/block-1", lay(16, 15), 1, 3, 7},
	{"16/block", lay(16, 16), 1, 3, 7},
	{"16/block+1", lay(16, 17), 1, 3, 7},
	{"16/stripe-1", lay(16, 6*16-1), 1, 16, 20},
	{"16/stripe", lay(16, 6*16), 1, 16, 20},
	{"16/stripe+1", lay(16, 6*16+1), 2, 1, 25},
	{"16/13 blocks+5", lay(16, 13*16+5), 3, 4, 48},
	{"1MiB/empty", lay(mib, 0), 0, 0, 0},
	{"1MiB/one byte", lay(mib, 1), 1, 1, 5},
	{"1MiB/block-1", lay(mib, mib-1), 1, 174763, 174767},
	{"1MiB/block", lay(mib, mib), 1, 174763, 174767},
	{"1MiB/block+1", lay(mib, mib+1), 1, 174763, 174767},
	{"1MiB/stripe-1", lay(mib, 6*mib-1), 1, mib, mib + 4},
	{"1MiB/stripe", lay(mib, 6*mib), 1, mib, mib + 4},
	{"1MiB/stripe+1", lay(mib, 6*mib+1), 2, 1, mib + 4 + 4 + 1},
	{"1MiB/13 blocks+5", lay(mib, 13*mib+5), 3, 174764, 2271928},
	{"1MiB/10GiB", lay(mib, 10<<30), 1707, 699051, 1789576535},
}

func lay(blockSize, size int64) Layout {
	return Layout{Data: 6, Parity: 2, BlockSize: blockSize, Size: size}
}

// refBlockLen and refLocate restate the package doc independently of
// layout.go, so the brute-force checks do not share its arithmetic.
func refStripes(l Layout) int64 {
	stripe := int64(l.Data) * l.BlockSize
	return (l.Size + stripe - 1) / stripe
}

func refBlockLen(l Layout, s int64) int64 {
	stripe := int64(l.Data) * l.BlockSize
	left := min(l.Size-s*stripe, stripe)
	return (left + int64(l.Data) - 1) / int64(l.Data)
}

func refLocate(l Layout, x int64) BlockSpan {
	stripe := int64(l.Data) * l.BlockSize
	s, within := x/stripe, x%stripe
	b := refBlockLen(l, s)
	return BlockSpan{Stripe: s, Shard: int(within / b), Start: within % b, Len: 1}
}

// refSpans maps every byte of [offset, offset+length) alone and merges
// neighbours that lie next to each other in one block.
func refSpans(l Layout, offset, length int64) []BlockSpan {
	var spans []BlockSpan
	for x := offset; x < offset+length; x++ {
		p := refLocate(l, x)
		if n := len(spans); n > 0 {
			last := &spans[n-1]
			if last.Stripe == p.Stripe && last.Shard == p.Shard && last.Start+last.Len == p.Start {
				last.Len++
				continue
			}
		}
		spans = append(spans, p)
	}
	return spans
}

func TestLayoutSizes(t *testing.T) {
	for _, tc := range layoutCases {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.l
			if err := l.Validate(); err != nil {
				t.Fatalf("Validate: got %v; want nil", err)
			}
			if got := l.Stripes(); got != tc.stripes {
				t.Errorf("Stripes: got %d; want %d", got, tc.stripes)
			}
			if tc.stripes > 0 {
				if got := l.BlockLen(tc.stripes - 1); got != tc.lastBlockLen {
					t.Errorf("BlockLen(last): got %d; want %d", got, tc.lastBlockLen)
				}
				if got := l.BlockLen(0); tc.stripes > 1 && got != l.BlockSize {
					t.Errorf("BlockLen(0) of a full stripe: got %d; want %d", got, l.BlockSize)
				}
			}
			if got := l.ShardSize(); got != tc.shardSize {
				t.Errorf("ShardSize: got %d; want %d", got, tc.shardSize)
			}
			if got, want := l.StoredBytes(), 8*tc.shardSize; got != want {
				t.Errorf("StoredBytes: got %d; want %d", got, want)
			}
			// Only headers and the last stripe's rounding may add to the
			// code's own rate of 8/6: 6·Stored − 8·Size = 8·(24·stripes + 6·⌈L/6⌉ − L).
			excess := 6*l.StoredBytes() - 8*l.Size
			if lo, hi := 8*24*tc.stripes, 8*(24*tc.stripes+5); excess < lo || excess > hi {
				t.Errorf("6·StoredBytes − 8·Size: got %d; want in [%d, %d]", excess, lo, hi)
			}
		})
	}
}

func TestLayoutOverheadOf10GiB(t *testing.T) {
	l := lay(mib, 10<<30)
	got := float64(l.StoredBytes()) / float64(l.Size)
	if want := 8.0 / 6; got < want || got > want*1.0001 {
		t.Errorf("StoredBytes/Size: got %.6f; want %.6f within 0.01%%", got, want)
	}
}

func TestLayoutFrameOffsets(t *testing.T) {
	for _, tc := range layoutCases {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.l
			// Frames must be back to back, so the shard ends where the
			// last frame does.
			end := int64(0)
			for s := range l.Stripes() {
				if got := l.FrameOffset(s); got != end {
					t.Fatalf("FrameOffset(%d): got %d; want %d", s, got, end)
				}
				if got, want := l.FrameOffset(s), s*(FrameHeader+l.BlockSize); got != want {
					t.Fatalf("FrameOffset(%d): got %d; want %d", s, got, want)
				}
				end += FrameHeader + l.BlockLen(s)
			}
			if got := l.ShardSize(); got != end {
				t.Errorf("ShardSize: got %d; want %d", got, end)
			}
		})
	}
}

func TestSpansCoverBlob(t *testing.T) {
	for _, tc := range layoutCases {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.l
			var next, total int64 // blob offset the next span must start at
			for i, sp := range l.Spans(0, l.Size) {
				b := l.BlockLen(sp.Stripe)
				if sp.Len < 1 || sp.Shard < 0 || sp.Shard >= l.Data || sp.Start < 0 || sp.Start+sp.Len > b {
					t.Fatalf("span %d %+v: outside a %d-byte data block", i, sp, b)
				}
				if end := int64(sp.Shard)*b + sp.Start + sp.Len; end > l.StripeData(sp.Stripe) {
					t.Fatalf("span %d %+v: ends at stripe byte %d; want at most %d", i, sp, end, l.StripeData(sp.Stripe))
				}
				at := sp.Stripe*l.StripeBytes() + int64(sp.Shard)*b + sp.Start
				if at != next {
					t.Fatalf("span %d %+v: starts at blob byte %d; want %d", i, sp, at, next)
				}
				next += sp.Len
				total += sp.Len
			}
			if total != l.Size {
				t.Errorf("sum of span lengths: got %d; want %d", total, l.Size)
			}
		})
	}
}

func TestSpansAgreeWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, tc := range layoutCases {
		if tc.l.Size == 0 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			l := tc.l
			for i := range 300 {
				o, n := randomRange(rng, l, i)
				got, want := l.Spans(o, n), refSpans(l, o, n)
				if !slices.Equal(got, want) {
					t.Fatalf("Spans(%d, %d): got %+v; want %+v", o, n, got, want)
				}
			}
		})
	}
}

// randomRange picks ranges that mostly start near a block or stripe edge,
// where the arithmetic can go wrong, and keeps them short enough to check
// byte by byte except for a few long ones that cross several blocks.
func randomRange(rng *rand.Rand, l Layout, i int) (offset, length int64) {
	if i%2 == 0 {
		offset = rng.Int64N(l.Size)
	} else {
		s := rng.Int64N(l.Stripes())
		edge := s*l.StripeBytes() + rng.Int64N(int64(l.Data)+1)*refBlockLen(l, s)
		offset = min(max(edge+rng.Int64N(81)-40, 0), l.Size-1)
	}
	maxLen := min(3*l.BlockSize, 4096)
	if i%50 == 0 {
		maxLen = 3 * l.BlockSize
	}
	return offset, rng.Int64N(min(maxLen, l.Size-offset) + 1)
}

func TestSpansSmallLayoutsExhaustively(t *testing.T) {
	// Every range of every blob up to three stripes long, for shapes
	// other than 6+2, so no edge case rests on one shape.
	for _, data := range []int{1, 2, 3, 6, 10} {
		for _, block := range []int64{1, 2, 5} {
			for size := int64(0); size <= 3*int64(data)*block+1; size++ {
				l := Layout{Data: data, Parity: 1, BlockSize: block, Size: size}
				for o := int64(0); o <= size; o++ {
					for n := int64(0); o+n <= size; n++ {
						if got, want := l.Spans(o, n), refSpans(l, o, n); !slices.Equal(got, want) {
							t.Fatalf("%+v Spans(%d, %d): got %+v; want %+v", l, o, n, got, want)
						}
					}
				}
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		l  Layout
		ok bool
	}{
		{Layout{Data: 6, Parity: 2, BlockSize: 1, Size: 0}, true},
		{Layout{Data: 1, Parity: 0, BlockSize: 1, Size: 1}, true},
		{Layout{Data: 60, Parity: 4, BlockSize: 1, Size: 1}, true},
		{Layout{Data: 0, Parity: 2, BlockSize: 16, Size: 1}, false},
		{Layout{Data: 6, Parity: -1, BlockSize: 16, Size: 1}, false},
		{Layout{Data: 60, Parity: 5, BlockSize: 16, Size: 1}, false},
		{Layout{Data: 6, Parity: 2, BlockSize: 0, Size: 1}, false},
		{Layout{Data: 6, Parity: 2, BlockSize: 16, Size: -1}, false},
	} {
		t.Run(fmt.Sprintf("%+v", tc.l), func(t *testing.T) {
			if err := tc.l.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate: got %v; want ok=%v", err, tc.ok)
			}
		})
	}
}
