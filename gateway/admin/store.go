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
	// staleAfter is the gateways' heartbeat timeout: a node silent this
	// long is off the placement ring, as cluster.Cluster builds it.
	staleAfter time.Duration
}

// NewPG returns a Store reading pool; heartbeatTimeout must be the
// gateways' storage.heartbeat_timeout, so that the ring it reports is the
// one they place chunks on.
func NewPG(pool *pgxpool.Pool, heartbeatTimeout time.Duration) *PG {
	return &PG{pool: pool, staleAfter: heartbeatTimeout}
}

// Cluster reads servers, ring points and totals in one read-only
// repeatable-read transaction, so the three agree with each other.
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
	points, err := q.ListPlacementRingNodes(ctx, p.staleAfter.Seconds())
	if err != nil {
		return Cluster{}, storeError(err)
	}
	totals, err := q.AdminTotals(ctx)
	if err != nil {
		return Cluster{}, storeError(err)
	}
	return buildCluster(servers, points, totals), nil
}

// SetMaintenance implements Store.
func (p *PG) SetMaintenance(ctx context.Context, id uuid.UUID, on bool) (NodeStatus, error) {
	row, err := dbq.New(p.pool).AdminSetServerStatus(ctx, dbq.AdminSetServerStatusParams{
		ID: id, Target: map[bool]string{true: StatusMaintenance, false: StatusActive}[on], StaleAfterSeconds: p.staleAfter.Seconds(),
	})
	if err != nil {
		return NodeStatus{}, storeError(err)
	}
	return NodeStatus{ID: row.ID, Name: row.Name, Address: row.Address, Status: row.Status}, nil
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

func toNode(s dbq.AdminListServersRow, sh share) Node {
	return Node{
		ID: s.ID, Name: s.Name, Address: s.Address, Status: s.Status,
		LastHeartbeat: s.LastHeartbeat.UTC(), HeartbeatAgeSeconds: max(0, s.HeartbeatAgeSeconds),
		CapacityBytes: s.CapacityBytes, AvailableBytes: s.AvailableBytes,
		ChunkCount: s.ChunkCount, ChunksRecorded: s.ChunksRecorded,
		RingPoints: sh.points, RingShare: sh.fraction,
	}
}

// add counts n in the node totals.
func (t *Totals) add(n Node) {
	t.Nodes++
	t.CapacityBytes += n.CapacityBytes
	t.AvailableBytes += n.AvailableBytes
	switch n.Status {
	case StatusActive:
		t.ActiveNodes++
	case StatusMaintenance:
		t.MaintenanceNodes++
	default:
		t.InactiveNodes++
	}
}
