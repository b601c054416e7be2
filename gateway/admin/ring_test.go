package admin

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"sixfold/gateway/placement"
)

func TestRingShares(t *testing.T) {
	const quarter = 1 << 30
	tests := []struct {
		name   string
		points []placement.Point
		want   map[placement.NodeID]share
	}{
		{"empty ring", nil, map[placement.NodeID]share{}},
		{"one point owns everything", []placement.Point{{Hash: 7, Node: "a"}},
			map[placement.NodeID]share{"a": {1, 1}}},
		{"the lowest point owns the wrap", []placement.Point{{Hash: quarter, Node: "a"}, {Hash: 2 * quarter, Node: "b"}},
			map[placement.NodeID]share{"a": {1, 0.75}, "b": {1, 0.25}}},
		{"input order does not matter", []placement.Point{{Hash: 3 * quarter, Node: "b"}, {Hash: quarter, Node: "a"}},
			map[placement.NodeID]share{"a": {1, 0.5}, "b": {1, 0.5}}},
		{"a shared position goes to the lowest node id", []placement.Point{
			{Hash: quarter, Node: "b"}, {Hash: quarter, Node: "a"}, {Hash: 3 * quarter, Node: "c"}},
			map[placement.NodeID]share{"a": {1, 0.5}, "b": {1, 0}, "c": {1, 0.5}}},
		{"every point at one position", []placement.Point{{Hash: 5, Node: "b"}, {Hash: 5, Node: "a"}},
			map[placement.NodeID]share{"a": {1, 1}, "b": {1, 0}}},
		{"the top of the ring", []placement.Point{{Hash: 0, Node: "a"}, {Hash: math.MaxUint32, Node: "b"}},
			map[placement.NodeID]share{"a": {1, 1.0 / ringSize}, "b": {1, 1 - 1.0/ringSize}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ringShares(tt.points)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v; want %v", got, tt.want)
			}
			for node, want := range tt.want {
				if g := got[node]; g.points != want.points || math.Abs(g.fraction-want.fraction) > 1e-12 {
					t.Errorf("node %s: got %+v; want %+v", node, g, want)
				}
			}
		})
	}
}

// TestRingSharesAgreeWithPlacement builds real rings and checks that the
// owner ringShares credits with each arc is the node placement.Ring
// locates at both ends of that arc, and that the shares sum to 1.
func TestRingSharesAgreeWithPlacement(t *testing.T) {
	identity := func(key []byte) uint64 { n, _ := strconv.ParseUint(string(key), 10, 32); return n }
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		var points []placement.Point
		for i := range 6 {
			node := placement.NodeID("node-" + strconv.Itoa(i))
			for range 1 + rng.IntN(150) {
				// Few distinct positions in some rounds, so that ties happen.
				h := rng.Uint32()
				if round%2 == 0 {
					h = uint32(rng.IntN(50)) << 26
				}
				points = append(points, placement.Point{Hash: h, Node: node})
			}
		}
		ring := placement.FromPoints(points, identity)
		want := sharesByLocate(t, ring, points)
		got := ringShares(points)
		total := 0.0
		for node, s := range got {
			total += s.fraction
			if math.Abs(s.fraction-want[node]) > 1e-9 {
				t.Fatalf("round %d node %s: ringShares %v; by Locate %v", round, node, s.fraction, want[node])
			}
		}
		if math.Abs(total-1) > 1e-9 {
			t.Fatalf("round %d: shares sum to %v", round, total)
		}
	}
}

// sharesByLocate credits each arc between distinct positions to the node
// ring locates there, checking it locates the same node at the arc's
// first and last key.
func sharesByLocate(t *testing.T, ring *placement.Ring, points []placement.Point) map[placement.NodeID]float64 {
	t.Helper()
	positions := map[uint32]bool{}
	for _, p := range points {
		positions[p.Hash] = true
	}
	sorted := make([]uint64, 0, len(positions))
	for h := range positions {
		sorted = append(sorted, uint64(h))
	}
	slices.Sort(sorted)
	out := map[placement.NodeID]float64{}
	for i, end := range sorted {
		start := (sorted[(i+len(sorted)-1)%len(sorted)] + 1) % ringSize
		atEnd, _ := ring.Locate(strconv.FormatUint(end, 10))
		atStart, _ := ring.Locate(strconv.FormatUint(start, 10))
		if atEnd != atStart {
			t.Fatalf("arc (%d..%d] is not one node's: %s at its start, %s at its end", start-1, end, atStart, atEnd)
		}
		length := (end - start + 1 + ringSize) % ringSize
		if length == 0 {
			length = ringSize
		}
		out[atEnd] += float64(length) / ringSize
	}
	return out
}
