package objects

import (
	"testing"
	"time"
)

// SetUnrecordedLimit shortens how long a blob written whole may wait to be
// recorded, for t.
func SetUnrecordedLimit(t *testing.T, d time.Duration) {
	old := unrecordedLimit
	unrecordedLimit = d
	t.Cleanup(func() { unrecordedLimit = old })
}

// SetAbandonWaits shortens how long a failed upload's cleanup keeps the
// client waiting for PostgreSQL, and then keeps trying without it, for t.
func SetAbandonWaits(t *testing.T, patience, horizon time.Duration) {
	oldPatience, oldHorizon := abandonPatience, abandonHorizon
	abandonPatience, abandonHorizon = patience, horizon
	t.Cleanup(func() { abandonPatience, abandonHorizon = oldPatience, oldHorizon })
}

// QueuedReads is how many batched frame reads wait for a call to the node
// at address.
func (s *Service) QueuedReads(address string) int { return queued(s.readBatcher(address)) }

// QueuedWrites is how many batched shard writes wait for a call to the
// node at address.
func (s *Service) QueuedWrites(address string) int { return queued(s.writeBatcher(address)) }

func queued[Req, Res any](b *nodeBatcher[Req, Res]) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}
