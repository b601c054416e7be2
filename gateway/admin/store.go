package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/gateway/placement"
)

var _ Store = (*PG)(nil)

// PG is the Store over PostgreSQL. It is safe for concurrent use.
type PG struct {
	db   *db.Store
	opts PGOptions
}

// PGOptions are the gateway settings the operator's view must agree with.
type PGOptions struct {
	// HeartbeatTimeout must be the gateways' storage.heartbeat_timeout, so
	// that the ring reported is the one they place shards on. Required.
	HeartbeatTimeout time.Duration
	// HealAfter must be the gateways' heal.after, so that the shards
	// reported pending are those the healer will take. Required.
	HealAfter time.Duration
}

// NewPG returns a Store reading store.
func NewPG(store *db.Store, opts PGOptions) *PG {
	return &PG{db: store, opts: opts}
}

// Cluster reads servers, ring points, totals and the healer's progress in
// one read-only repeatable-read transaction, so they agree with each other
// (a shard the healer moved counts once, on its new node).
func (p *PG) Cluster(ctx context.Context) (Cluster, error) {
	v, err := p.db.ClusterView(ctx, p.opts.HeartbeatTimeout, p.opts.HealAfter)
	if err != nil {
		return Cluster{}, storeError(err)
	}
	c := buildCluster(v.Servers, v.Ring, v.Totals)
	c.Heal = toHeal(v.Heal)
	return c, nil
}

// RefreshStats recomputes the stored-chunk counts the view shows, unless
// another gateway is at it already. It reports whether it refreshed.
func (p *PG) RefreshStats(ctx context.Context) (bool, error) {
	refreshed, err := p.db.RefreshClusterStats(ctx)
	if err != nil {
		return false, storeError(err)
	}
	return refreshed, nil
}

// RunStatsRefresher refreshes the statistics at once and then every
// interval until ctx ends. Any number of gateways may run it: one
// refreshes each turn.
func (p *PG) RunStatsRefresher(ctx context.Context, interval time.Duration, log zerolog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		start := time.Now()
		refreshed, err := p.RefreshStats(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn().Err(err).Msg("cluster statistics refresh failed; will retry")
		case refreshed:
			log.Debug().Dur("took", time.Since(start)).Msg("cluster statistics refreshed")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Heal reads the healer's progress alone, without the rest of the view.
func (p *PG) Heal(ctx context.Context) (Heal, error) {
	row, err := p.db.HealProgress(ctx, p.opts.HealAfter)
	if err != nil {
		return Heal{}, storeError(err)
	}
	return toHeal(row), nil
}

// SetStatus implements Store.
func (p *PG) SetStatus(ctx context.Context, id uuid.UUID, status Status) (NodeStatus, error) {
	if !status.Settable() {
		// The query takes any target but maintenance and draining for
		// active, so a typo must not release a node.
		return NodeStatus{}, fmt.Errorf("admin: status %q is not an operator's to set", status)
	}
	row, err := p.db.SetServerStatus(ctx, id, string(status), p.opts.HeartbeatTimeout)
	if err != nil {
		return NodeStatus{}, storeError(err)
	}
	return NodeStatus{ID: row.ID, Name: row.Name, Address: row.Address, Status: Status(row.Status)}, nil
}

// storeError maps db's sentinels onto this package's.
func storeError(err error) error {
	switch {
	case errors.Is(err, db.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, db.ErrUnavailable):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// buildCluster joins the servers with their ring shares and sums up.
func buildCluster(servers []db.AdminServer, points []db.RingPoint, t db.AdminTotals) Cluster {
	ring := make([]placement.Point, len(points))
	for i, p := range points {
		ring[i] = placement.Point{Hash: p.Hash, Node: placement.NodeID(p.ServerID.String())}
	}
	shares := ringShares(ring)
	c := Cluster{Nodes: make([]Node, 0, len(servers)), Totals: Totals{
		Files: t.Files, FilesBytes: t.FilesBytes, S3Objects: t.S3Objects, S3Buckets: t.S3Buckets,
		S3Bytes: t.S3Bytes, BytesStored: t.FilesBytes + t.S3Bytes, RingNodes: len(shares),
	}}
	c.StatsAsOf = t.StatsAsOf.UTC()
	for _, s := range servers {
		n := toNode(s, shares[placement.NodeID(s.ID.String())])
		c.Nodes = append(c.Nodes, n)
		c.Totals.add(n)
	}
	return c
}

func toHeal(h db.HealProgress) Heal {
	out := Heal{ShardsHealed: h.ShardsHealed, BytesHealed: h.BytesHealed, Failures: h.Failures, ShardsPending: h.Pending}
	if h.LastHealedAt != nil {
		at := h.LastHealedAt.UTC()
		out.LastHealedAt = &at
	}
	return out
}

func toNode(s db.AdminServer, sh share) Node {
	return Node{
		ID: s.ID, Name: s.Name, Address: s.Address, Status: Status(s.Status),
		LastHeartbeat: s.LastHeartbeat.UTC(), HeartbeatAgeSeconds: max(0, s.HeartbeatAgeSeconds),
		CapacityBytes: s.CapacityBytes, AvailableBytes: s.AvailableBytes,
		ChunkCount: s.ChunkCount, ChunksRecorded: s.ChunksRecorded, BytesRecorded: s.BytesRecorded, UsedBytes: s.UsedSpace,
		RingPoints: sh.points, RingShare: sh.fraction,
	}
}

// add counts n in the node totals.
func (t *Totals) add(n Node) {
	t.Nodes++
	if n.Status != StatusRemoved {
		// A retired node's disks are no longer the cluster's.
		t.CapacityBytes += n.CapacityBytes
		t.AvailableBytes += n.AvailableBytes
	}
	switch n.Status {
	case StatusActive:
		t.ActiveNodes++
	case StatusMaintenance:
		t.MaintenanceNodes++
	case StatusDraining:
		t.DrainingNodes++
	case StatusRemoved:
		t.RemovedNodes++
	default:
		t.InactiveNodes++
	}
}
