package admin

import (
	"cmp"
	"slices"

	"sixfold/gateway/placement"
)

// ringSize is the number of positions on the ring: the uint32 hash space.
const ringSize = 1 << 32

// share is one node's part of the ring.
type share struct {
	points   int     // points the node has on the ring
	fraction float64 // of the hash space its points own
}

// ringShares computes each node's part of a ring made of points. A key
// belongs to the first point at or after its hash, wrapping (see
// placement.Ring.Locate), so a point owns the arc from the previous
// distinct position (exclusive) up to its own (inclusive); the lowest
// position also owns the wrap past the top. Points sharing a position are
// ordered by node id and the lowest owns it, as in placement.FromPoints;
// the others own nothing. Fractions sum to 1 unless points is empty.
func ringShares(points []placement.Point) map[placement.NodeID]share {
	sorted := slices.Clone(points)
	slices.SortFunc(sorted, func(a, b placement.Point) int {
		return cmp.Or(cmp.Compare(a.Hash, b.Hash), cmp.Compare(a.Node, b.Node))
	})
	shares := make(map[placement.NodeID]share)
	for i, p := range sorted {
		s := shares[p.Node]
		s.points++
		if i == 0 || p.Hash != sorted[i-1].Hash {
			s.fraction += float64(arc(sorted, i)) / ringSize
		}
		shares[p.Node] = s
	}
	return shares
}

// arc is the length of the hash range the point sorted[i] owns, i being
// the first point at its position.
func arc(sorted []placement.Point, i int) uint64 {
	here := uint64(sorted[i].Hash)
	if i > 0 {
		return here - uint64(sorted[i-1].Hash)
	}
	last := uint64(sorted[len(sorted)-1].Hash)
	if last == here { // every point at one position: it owns the whole ring
		return ringSize
	}
	return here + ringSize - last
}
