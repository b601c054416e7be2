// Package placement decides which storage nodes hold the chunks of a blob,
// with a consistent-hash ring: each node owns virtual nodes (ring points),
// and a key belongs to the first point at or after its hash, wrapping, so
// adding one node to N moves only about 1/(N+1) of the keys. The package is
// pure (no I/O, logging, clock or randomness): equal inputs, equal output.
//
// Storage nodes register the points [PointsFor] gives them; the gateway
// builds its [Ring] from the loaded points with [FromPoints].
package placement

import (
	"cmp"
	"slices"

	"github.com/cespare/xxhash/v2"

	"sixfold/db/ringpoint"
)

// DefaultVnodes is the number of ring points each storage node registers.
const DefaultVnodes = 150

// NodeID identifies a storage node (its server id).
type NodeID string

// Point is one virtual node: a ring position owned by a node.
type Point struct {
	Hash uint32
	Node NodeID
}

// HashFunc hashes a key. Only the low 32 bits of its result are used as the
// ring position. It must be deterministic, safe for concurrent use, and must
// neither modify nor retain its argument.
type HashFunc func([]byte) uint64

// Ring is a consistent-hash ring. It is immutable after construction and
// safe for concurrent use. The zero value is an empty ring, which locates
// and places nothing.
type Ring struct {
	hash   HashFunc
	hashes []uint32 // ring positions, ascending; ties ordered by node id
	owners []int    // owners[j] indexes nodes: the owner of hashes[j]
	nodes  []NodeID // distinct, ascending
}

// PointsFor returns the vnodes ring points of node, in virtual-node order:
// point i is at uint32(hash(ringpoint.Key(node, i))), which with a nil hash
// (xxhash.Sum64) is ringpoint.Of, the points nodes register. It returns nil
// when vnodes <= 0.
func PointsFor(node NodeID, vnodes int, hash HashFunc) []Point {
	if vnodes <= 0 {
		return nil
	}
	hash = orDefault(hash)
	points := make([]Point, vnodes)
	for i := range points {
		points[i] = Point{Hash: uint32(hash(ringpoint.Key(string(node), i))), Node: node}
	}
	return points
}

// New builds a ring of nodes with vnodes points each (see [PointsFor]).
// A nil hash means xxhash.Sum64. It equals FromPoints of all their points.
func New(nodes []NodeID, vnodes int, hash HashFunc) *Ring {
	var points []Point
	for _, n := range nodes {
		points = append(points, PointsFor(n, vnodes, hash)...)
	}
	return FromPoints(points, hash)
}

// FromPoints builds a ring from points, typically loaded from the database.
// hash (nil means xxhash.Sum64) hashes the keys to locate, so it must be the
// function the points were computed with. Points sharing one position are
// kept and ordered by node id, so the lowest node id owns that position
// whatever the input order. FromPoints does not retain or modify points.
func FromPoints(points []Point, hash HashFunc) *Ring {
	sorted := slices.Clone(points)
	slices.SortFunc(sorted, func(a, b Point) int {
		return cmp.Or(cmp.Compare(a.Hash, b.Hash), cmp.Compare(a.Node, b.Node))
	})
	r := &Ring{hash: orDefault(hash), hashes: make([]uint32, len(sorted)), owners: make([]int, len(sorted))}
	for _, p := range sorted {
		r.nodes = append(r.nodes, p.Node)
	}
	slices.Sort(r.nodes)
	r.nodes = slices.Compact(r.nodes)
	for j, p := range sorted {
		r.hashes[j] = p.Hash
		r.owners[j], _ = slices.BinarySearch(r.nodes, p.Node)
	}
	return r
}

// Len returns the number of points on the ring.
func (r *Ring) Len() int { return len(r.hashes) }

// Nodes returns a new slice of the ring's distinct nodes, ascending.
func (r *Ring) Nodes() []NodeID { return slices.Clone(r.nodes) }

// Locate returns the owner of key: the node of the first point at or after
// uint32(hash(key)), wrapping past the top of the ring. It reports false,
// and returns "", when the ring is empty.
func (r *Ring) Locate(key string) (NodeID, bool) {
	if len(r.hashes) == 0 {
		return "", false
	}
	return r.nodes[r.owners[r.search([]byte(key))]], true
}

// PlaceBlob returns the nodes for the chunks of a blob, element i for chunk
// i, whose key is blobID + "#" + i. Each chunk takes the first node on the
// clockwise walk from its key's hash that skip does not reject and no
// earlier chunk of the blob uses. If every usable node is used already, it
// takes the usable node used fewest times, the first met on the walk among
// equals. So chunks land on distinct nodes while there are enough usable
// nodes, and otherwise spread as evenly as possible.
//
// skip may be nil; it is called once per node per call and must be
// deterministic for the placement to be. PlaceBlob returns nil when chunks
// <= 0 or no node is usable. It costs one binary search per chunk plus a
// walk that usually ends within a few points.
func (r *Ring) PlaceBlob(blobID string, chunks int, skip func(NodeID) bool) []NodeID {
	uses := make([]int, len(r.nodes)) // times used by this blob; -1: skipped
	for n, id := range r.nodes {
		if skip != nil && skip(id) {
			uses[n] = -1
		}
	}
	if chunks <= 0 || !slices.Contains(uses, 0) {
		return nil
	}
	placed := make([]NodeID, chunks)
	for i := range placed {
		// Chunk i's key has the shape of a virtual node's: blobID#i.
		n := r.walk(r.search(ringpoint.Key(blobID, i)), uses)
		uses[n]++
		placed[i] = r.nodes[n]
	}
	return placed
}

// walk returns the first unused node from point index start on, or else the
// least-used one met first, ignoring skipped nodes (at least one is not).
func (r *Ring) walk(start int, uses []int) int {
	best := -1
	for k := range len(r.owners) {
		n := r.owners[(start+k)%len(r.owners)]
		switch {
		case uses[n] == 0:
			return n
		case uses[n] > 0 && (best < 0 || uses[n] < uses[best]):
			best = n
		}
	}
	return best
}

// search returns the index of the first point at or after key's position,
// wrapping to 0. The ring must not be empty.
func (r *Ring) search(key []byte) int {
	j, _ := slices.BinarySearch(r.hashes, uint32(r.hash(key)))
	return j % len(r.hashes)
}

func orDefault(hash HashFunc) HashFunc {
	if hash == nil {
		return xxhash.Sum64
	}
	return hash
}
