package objects

import (
	"testing"

	"github.com/rs/zerolog"
)

func TestStripeClasses(t *testing.T) {
	for _, tc := range []struct {
		blockSize, capacity, want int64
	}{
		{1 << 20, 1, 1 << 10},
		{1 << 20, 683, 1 << 10}, // a 4 KiB object's blocks
		{1 << 20, 1 << 10, 1 << 10},
		{1 << 20, 1<<10 + 1, 2 << 10},
		{1 << 20, 174763, 256 << 10}, // a 1 MiB object's blocks
		{1 << 20, 512 << 10, 512 << 10},
		{1 << 20, 512<<10 + 1, 1 << 20},
		{1 << 20, 1 << 20, 1 << 20},
		{3 << 19, 1<<20 + 1, 3 << 19}, // a block size that is no power of two
		{3 << 19, 1 << 20, 1 << 20},
		{64, 1, 64}, // blocks smaller than the smallest class
		{64, 64, 64},
	} {
		s := New(nil, nil, Options{BlockSize: tc.blockSize}, zerolog.Nop())
		st := s.newStripe(DataShards, DataShards+s.opts.ParityShards, tc.capacity)
		if got := st.Capacity(); got != tc.want {
			t.Errorf("block size %d: a stripe for blocks of %d bytes holds %d; want %d", tc.blockSize, tc.capacity, got, tc.want)
		}
		class, _ := s.stripeClass(tc.capacity)
		if class < 0 || class >= len(s.stripes) {
			t.Errorf("block size %d: blocks of %d bytes go to pool %d of %d", tc.blockSize, tc.capacity, class, len(s.stripes))
		}
	}
}

func TestStripesOfOtherShapesAreRightSized(t *testing.T) {
	s := New(nil, nil, Options{BlockSize: 1 << 20}, zerolog.Nop())
	if got := s.newStripe(4, 6, 683).Capacity(); got != 683 {
		t.Errorf("a 4+2 stripe for blocks of 683 bytes holds %d; want 683 (only the service's own shape is pooled)", got)
	}
}

// BenchmarkWholeStripeCycle is what a whole small PUT's stripe costs the
// gateway: taken, filled with a 1 MiB body and given back.
func BenchmarkWholeStripeCycle(b *testing.B) {
	s := New(nil, nil, Options{ParityShards: 2}, zerolog.Nop())
	shards := DataShards + s.opts.ParityShards
	capacity := (int64(1<<20) + DataShards - 1) / DataShards
	b.ReportAllocs()
	b.SetBytes(1 << 20)
	for b.Loop() {
		st := s.newStripe(DataShards, shards, capacity)
		st.SetBlockLen(capacity)
		for i := range shards {
			st.Block(i)[0] = 1
		}
		s.recycleStripe(st, DataShards, shards)
	}
}
