package objects

import (
	"testing"
)

func TestPlannedSizes(t *testing.T) {
	tests := []struct {
		size int64
		want [ChunkCount]int64
	}{
		{0, [6]int64{0, 0, 0, 0, 0, 0}},
		{1, [6]int64{1, 0, 0, 0, 0, 0}},
		{5, [6]int64{1, 1, 1, 1, 1, 0}},
		{6, [6]int64{1, 1, 1, 1, 1, 1}},
		{7, [6]int64{2, 2, 2, 1, 0, 0}},
		{12, [6]int64{2, 2, 2, 2, 2, 2}},
		{(1 << 20) + 3, [6]int64{174764, 174764, 174764, 174764, 174764, 174759}},
	}
	for _, tt := range tests {
		got := plannedSizes(tt.size)
		if got != tt.want {
			t.Errorf("plannedSizes(%d) = %v; want %v", tt.size, got, tt.want)
		}
		var sum int64
		for _, s := range got {
			sum += s
		}
		if sum != tt.size {
			t.Errorf("plannedSizes(%d) sums to %d", tt.size, sum)
		}
	}
}

func TestSpansFor(t *testing.T) {
	// Chunks of 10 bytes at 0, 10, 20 and an empty one at 30.
	chunks := []Chunk{{Number: 0, Offset: 0, Size: 10}, {Number: 1, Offset: 10, Size: 10}, {Number: 2, Offset: 20, Size: 10}, {Number: 3, Offset: 30, Size: 0}}
	type want struct {
		number         int
		offset, length int64
	}
	tests := []struct {
		name           string
		offset, length int64
		want           []want
	}{
		{"whole", 0, 30, []want{{0, 0, 10}, {1, 0, 10}, {2, 0, 10}}},
		{"inside one chunk", 12, 5, []want{{1, 2, 5}}},
		{"across a boundary", 9, 2, []want{{0, 9, 1}, {1, 0, 1}}},
		{"exactly one chunk", 10, 10, []want{{1, 0, 10}}},
		{"last byte", 29, 1, []want{{2, 9, 1}}},
		{"nothing", 5, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := spansFor(chunks, tt.offset, tt.length)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d spans %+v; want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				if got[i].chunk.Number != w.number || got[i].offset != w.offset || got[i].length != w.length {
					t.Errorf("span %d = chunk %d +%d len %d; want chunk %d +%d len %d", i, got[i].chunk.Number, got[i].offset, got[i].length, w.number, w.offset, w.length)
				}
			}
		})
	}
}

func TestRetryAfterBacksOffAndCaps(t *testing.T) {
	prev := retryAfter(0)
	for a := int32(1); a < 20; a++ {
		d := retryAfter(a)
		if d < prev {
			t.Fatalf("retryAfter(%d) = %s < retryAfter(%d) = %s", a, d, a-1, prev)
		}
		prev = d
	}
	if prev.Minutes() != 5 {
		t.Errorf("retryAfter caps at %s; want 5m", prev)
	}
}
