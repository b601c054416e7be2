package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
		ChunkCount: s.ChunkCount, ChunksRecorded: s.ChunksRecorded,
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
