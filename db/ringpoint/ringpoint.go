// Package ringpoint is the one definition of where a storage server's
// virtual nodes sit on the placement ring. A node computes its points with
// it when it registers them in ring_nodes; a gateway reads them from there
// and locates keys with the same hash, so a change here is a change of
// every object's placement and needs a migration of the ring, not an edit.
package ringpoint

import (
	"strconv"

	"github.com/cespare/xxhash/v2"
)

// Key is the bytes hashed for virtual node i of a server: its id (the
// UUID's canonical string), "#", and i in decimal.
func Key(serverID string, i int) []byte {
	return strconv.AppendInt(append(append(make([]byte, 0, len(serverID)+21), serverID...), '#'), int64(i), 10)
}

// Of is virtual node i's position: the low 32 bits of xxhash64(Key).
func Of(serverID string, i int) uint32 {
	return uint32(xxhash.Sum64(Key(serverID, i)))
}

// All returns the positions of virtual nodes 0..n-1 of a server.
func All(serverID string, n int) []uint32 {
	points := make([]uint32, max(n, 0))
	for i := range points {
		points[i] = Of(serverID, i)
	}
	return points
}
