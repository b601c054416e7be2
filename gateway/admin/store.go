package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/db/dbq"
	"sixfold/gateway/placement"
)

var _ Store = (*PG)(nil)

// PG is the Store over PostgreSQL. It is safe for concurrent use.
type PG struct {
	pool *pgxpool.Pool
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

// NewPG returns a Store reading pool.
func NewPG(pool *pgxpool.Pool, opts PGOptions) *PG {
	return &PG{pool: pool, opts: opts}
}

// Cluster reads servers, ring points, totals and the healer's progress in
// one read-only repeatable-read transaction, so they agree with each other
// (a shard the healer moved counts once, on its new node).
func (p *PG) Cluster(ctx context.Context) (Cluster, error) {
	tx, err := p.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return Cluster{}, storeError(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only: nothing to keep
	q := dbq.New(tx)
	servers, err := q.AdminListServers(ctx)
	if err != nil {
		return Cluster{}, storeError(err)
	}
	points, err := q.ListPlacementRingNodes(ctx, p.opts.HeartbeatTimeout.Seconds())
	if err != nil {
		return Cluster{}, storeError(err)
	}
	totals, err := q.AdminTotals(ctx)
	if err != nil {
		return Cluster{}, storeError(err)
	}
	heal, err := q.HealStatus(ctx, p.opts.HealAfter.Seconds())
	if err != nil {
		return Cluster{}, storeError(err)
	}
	c := buildCluster(servers, points, totals)
	c.Heal = toHeal(heal)
	return c, nil
}

// RefreshStats recomputes the stored-chunk counts the view shows, unless
// another gateway is at it already. It reports whether it refreshed.
func (p *PG) RefreshStats(ctx context.Context) (bool, error) {
	refreshed := false
	err := db.WithTx(ctx, p.pool, func(q *dbq.Queries) error {
		locked, err := q.TryStatsRefreshLock(ctx)
		if err != nil || !locked {
			return err
		}
		if err := q.RefreshServerChunkStats(ctx); err != nil {
			return err
		}
		refreshed = true
		return q.RefreshStoredTotals(ctx)
	})
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
	row, err := dbq.New(p.pool).HealStatus(ctx, p.opts.HealAfter.Seconds())
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
	row, err := dbq.New(p.pool).AdminSetServerStatus(ctx, dbq.AdminSetServerStatusParams{
		ID: id, Target: string(status), StaleAfterSeconds: p.opts.HeartbeatTimeout.Seconds(),
	})
	if err != nil {
		return NodeStatus{}, storeError(err)
	}
	return NodeStatus{ID: row.ID, Name: row.Name, Address: row.Address, Status: Status(row.Status)}, nil
}

// storeError maps db's sentinels onto this package's.
func storeError(err error) error {
	err = db.Translate(err)
	switch {
	case errors.Is(err, db.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, db.ErrUnavailable):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// buildCluster joins the servers with their ring shares and sums up.
func buildCluster(servers []dbq.AdminListServersRow, points []dbq.ListPlacementRingNodesRow, t dbq.AdminTotalsRow) Cluster {
	ring := make([]placement.Point, len(points))
	for i, p := range points {
		ring[i] = placement.Point{Hash: uint32(p.HashValue), Node: placement.NodeID(p.ServerID.String())}
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

func toHeal(h dbq.HealStatusRow) Heal {
	out := Heal{ShardsHealed: h.ShardsHealed, BytesHealed: h.BytesHealed, Failures: h.Failures, ShardsPending: h.Pending}
	if h.LastHealedAt.Valid {
		at := h.LastHealedAt.Time.UTC()
		out.LastHealedAt = &at
	}
	return out
}

func toNode(s dbq.AdminListServersRow, sh share) Node {
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
