package db

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"sixfold/db/internal/dbq"
)

// AdminServer is a storage server as the operator's view shows it.
type AdminServer struct {
	ID             uuid.UUID
	Name           string
	Address        string
	Status         string
	CapacityBytes  int64
	AvailableBytes int64
	ChunkCount     int64
	UsedSpace      int64
	LastHeartbeat  time.Time
	// HeartbeatAgeSeconds is measured by PostgreSQL's clock, so gateway
	// clock skew does not show.
	HeartbeatAgeSeconds float64
	// ChunksRecorded and BytesRecorded are the shards PostgreSQL records
	// stored on the server, as of the last statistics refresh.
	ChunksRecorded int64
	BytesRecorded  int64
}

// AdminTotals is what the cluster stores, as of StatsAsOf (the last
// statistics refresh): completed blobs of the /files door and of S3, their
// bytes, and the S3 objects and buckets.
type AdminTotals struct {
	Files      int64
	FilesBytes int64
	S3Bytes    int64
	S3Objects  int64
	S3Buckets  int64
	StatsAsOf  time.Time
}

// HealProgress is what the healer has done and what still waits for it.
type HealProgress struct {
	ShardsHealed int64
	BytesHealed  int64
	Failures     int64
	LastHealedAt *time.Time // nil before the first shard healed
	Pending      int64
}

// ClusterView is the operator's view of the cluster, read at one instant.
type ClusterView struct {
	Servers []AdminServer
	Ring    []RingPoint // the placement ring (PlacementRing)
	Totals  AdminTotals
	Heal    HealProgress
}

// ServerStatus is a server's status after an operator changed it.
type ServerStatus struct {
	ID      uuid.UUID
	Name    string
	Address string
	Status  string
}

// ClusterView reads servers, ring points, totals and the healer's progress
// in one read-only repeatable-read transaction, so they agree with each
// other (a shard the healer moved counts once, on its new node). staleAfter
// is the gateways' heartbeat timeout, healAfter their heal delay.
func (s *Store) ClusterView(ctx context.Context, staleAfter, healAfter time.Duration) (ClusterView, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return ClusterView{}, Translate(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only: nothing to keep
	q := dbq.New(tx)
	servers, err := q.AdminListServers(ctx)
	if err != nil {
		return ClusterView{}, Translate(err)
	}
	points, err := q.ListPlacementRingNodes(ctx, staleAfter.Seconds())
	if err != nil {
		return ClusterView{}, Translate(err)
	}
	totals, err := q.AdminTotals(ctx)
	if err != nil {
		return ClusterView{}, Translate(err)
	}
	heal, err := q.HealStatus(ctx, healAfter.Seconds())
	if err != nil {
		return ClusterView{}, Translate(err)
	}
	v := ClusterView{Servers: make([]AdminServer, len(servers)), Ring: make([]RingPoint, len(points)),
		Totals: AdminTotals(totals), Heal: healProgress(heal)}
	for i, r := range servers {
		v.Servers[i] = AdminServer(r)
	}
	for i, r := range points {
		v.Ring[i] = RingPoint{ServerID: r.ServerID, Address: r.Address, Hash: uint32(r.HashValue)}
	}
	return v, nil
}

// RefreshClusterStats recomputes the stored-chunk counts and totals the
// view shows, unless another gateway is at it already. It reports whether
// it refreshed.
func (s *Store) RefreshClusterStats(ctx context.Context) (bool, error) {
	refreshed := false
	err := WithTx(ctx, s.pool, func(q *dbq.Queries) error {
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
		return false, err
	}
	return refreshed, nil
}

// HealProgress reads the healer's progress alone; healAfter is the
// gateways' heal delay.
func (s *Store) HealProgress(ctx context.Context, healAfter time.Duration) (HealProgress, error) {
	row, err := s.q().HealStatus(ctx, healAfter.Seconds())
	if err != nil {
		return HealProgress{}, Translate(err)
	}
	return healProgress(row), nil
}

// SetServerStatus moves server id to target (maintenance, draining or
// active) as the operator asks; see the query for what "active" means for
// a server whose heartbeat is older than staleAfter. ErrNotFound: no such
// server.
func (s *Store) SetServerStatus(ctx context.Context, id uuid.UUID, target string, staleAfter time.Duration) (ServerStatus, error) {
	row, err := s.q().AdminSetServerStatus(ctx, dbq.AdminSetServerStatusParams{
		ID: id, Target: target, StaleAfterSeconds: staleAfter.Seconds(),
	})
	if err != nil {
		return ServerStatus{}, Translate(err)
	}
	return ServerStatus(row), nil
}

func healProgress(h dbq.HealStatusRow) HealProgress {
	out := HealProgress{ShardsHealed: h.ShardsHealed, BytesHealed: h.BytesHealed, Failures: h.Failures, Pending: h.Pending}
	if h.LastHealedAt.Valid {
		at := h.LastHealedAt.Time
		out.LastHealedAt = &at
	}
	return out
}
