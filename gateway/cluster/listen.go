package cluster

import (
	"context"
	"time"
)

// ringChannel is the PostgreSQL channel a trigger on storage_servers
// notifies when a server joins or changes status (migration 0004).
const ringChannel = "sixfold_ring"

// Listen holds one pooled connection in LISTEN on the ring channel and asks
// for a ring refresh on every notification, until ctx ends. A lost
// connection (PostgreSQL restarting) is re-established with backoff; the
// periodic refresh covers any notification missed meanwhile.
func (c *Cluster) Listen(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := c.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		c.log.Warn().Err(err).Dur("retry_in", backoff).Msg("ring notifications lost; listening again")
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (c *Cluster) listenOnce(ctx context.Context) error {
	return c.db.Listen(ctx, ringChannel, c.RequestRefresh)
}
