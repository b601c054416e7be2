package registry

import (
	"strconv"

	"github.com/cespare/xxhash/v2"
)

// RingPoints returns the ring positions of virtual nodes 0..n-1 of a server:
// uint32(xxhash64(serverID + "#" + i)). serverID is the server's UUID in its
// canonical string form. The gateway's placement ring uses the same formula;
// the two must never diverge.
func RingPoints(serverID string, n int) []uint32 {
	points := make([]uint32, n)
	for i := range points {
		points[i] = uint32(xxhash.Sum64String(serverID + "#" + strconv.Itoa(i)))
	}
	return points
}
