// Package admin is the operator's door of the gateway. GET /admin/cluster
// reports every storage node (status, heartbeat age, capacity, shards, its
// share of the placement ring), what the cluster stores and how far the
// healer has got; PUT /admin/nodes/:id/status puts a node into maintenance,
// starts draining it, or makes it active again. server mounts [Handler]
// behind the same HTTP Basic keys as /files.
//
// A node in maintenance takes no new shards (the placement ring holds only
// active servers) but keeps serving the shards recorded against it. A
// draining node does the same while every gateway's healer
// (objects.RunHealer) moves its shards elsewhere; once none is left the
// healer marks it removed. Only the healer removes a node, so that a node
// is never retired while it still holds the only copy of a shard. Any of
// the three goes back to active on request. A status change fires the
// storage_servers trigger of migration 0004, so every gateway rebuilds its
// ring; the one that handled the request rebuilds before answering.
package admin

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Status is a node's status, as storage_servers.status holds it (the CHECK
// list of migration 0005).
type Status string

// Node statuses. Nodes themselves move between active and inactive; an
// operator sets maintenance, draining and active; the healer sets removed.
const (
	StatusActive      Status = "active"
	StatusInactive    Status = "inactive"
	StatusMaintenance Status = "maintenance"
	StatusDraining    Status = "draining"
	StatusRemoved     Status = "removed"
)

// Settable reports whether an operator may ask for status: maintenance,
// draining or active. Inactive belongs to the nodes' heartbeats, removed
// to the healer.
func (s Status) Settable() bool {
	return s == StatusMaintenance || s == StatusDraining || s == StatusActive
}

// ErrNotFound is returned (wrapped) by Store.SetStatus for an id no
// storage server has.
var ErrNotFound = errors.New("admin: no such storage node")

// ErrUnavailable is returned (wrapped) when PostgreSQL cannot be reached.
var ErrUnavailable = errors.New("admin: metadata store unavailable")

// Store reads the cluster's state and changes a node's status. [PG] is the
// PostgreSQL implementation; it must be safe for concurrent use.
type Store interface {
	// Cluster returns every node, the totals and the healer's progress, as
	// of one moment.
	Cluster(ctx context.Context) (Cluster, error)
	// SetStatus sets node id's status; a status that is not Settable is
	// refused. Maintenance and draining apply whatever the node's status.
	// Active releases a node in maintenance, draining or removed: it
	// becomes active when its heartbeat is fresh and inactive otherwise
	// (its next heartbeat activates it); a node the operator does not hold
	// keeps its status, so active never revives a dead node. It returns
	// the node's resulting status, or an error wrapping ErrNotFound.
	SetStatus(ctx context.Context, id uuid.UUID, status Status) (NodeStatus, error)
}

// Refresher rebuilds a gateway's cached placement ring; *cluster.Cluster
// is one.
type Refresher interface {
	Refresh(ctx context.Context) error
}

// Cluster is the body of GET /admin/cluster.
type Cluster struct {
	Nodes  []Node `json:"nodes"`
	Totals Totals `json:"totals"`
	Heal   Heal   `json:"heal"`
	// StatsAsOf is when the counts of stored chunks and bytes (per node
	// and in Totals) were last computed: they are refreshed in the
	// background every admin.stats_interval, so that this view stays fast
	// at millions of chunks.
	StatsAsOf time.Time `json:"stats_as_of"`
}

// Heal is the healer's progress, summed over every gateway since the
// cluster was created (PostgreSQL's heal_stats), and the work waiting.
type Heal struct {
	// ShardsHealed and BytesHealed count shards rebuilt or moved to a new
	// node, and the bytes written for them.
	ShardsHealed int64 `json:"shards_healed"`
	BytesHealed  int64 `json:"bytes_healed"`
	// Failures counts rebuilds that failed and were put back for a retry.
	Failures int64 `json:"failures"`
	// LastHealedAt is when a shard was last healed; null if never.
	LastHealedAt *time.Time `json:"last_healed_at"`
	// ShardsPending counts shards that wait to be rebuilt or moved:
	// missing or corrupt, on a draining or removed node, or on a node
	// silent for longer than the gateway's heal.after. Shards a healer is
	// working on count too.
	ShardsPending int64 `json:"shards_pending"`
}

// Node is one storage server as the operator sees it.
type Node struct {
	ID            uuid.UUID `json:"id"`
	Name          string    `json:"name"`
	Address       string    `json:"address"`
	Status        Status    `json:"status"`
	LastHeartbeat time.Time `json:"last_heartbeat"`
	// HeartbeatAgeSeconds is measured by PostgreSQL's clock.
	HeartbeatAgeSeconds float64 `json:"heartbeat_age_seconds"`
	CapacityBytes       int64   `json:"capacity_bytes"`
	AvailableBytes      int64   `json:"available_bytes"`
	// ChunkCount is the chunk files the node reported at its last heartbeat.
	ChunkCount int64 `json:"chunk_count"`
	// ChunksRecorded is the stored shards metadata places on the node;
	// on a draining node it falls to 0 as the healer moves them off.
	ChunksRecorded int64 `json:"chunks_recorded"`
	// BytesRecorded is the size of those shards; UsedBytes is what the
	// node itself reported its chunk files take.
	BytesRecorded int64 `json:"bytes_recorded"`
	UsedBytes     int64 `json:"used_bytes"`
	// RingPoints is how many of the node's points are on the placement
	// ring: 0 unless the node is active with a fresh heartbeat.
	RingPoints int `json:"ring_points"`
	// RingShare is the fraction of the uint32 hash space the node's points
	// own on the placement ring, so the expected fraction of new chunks
	// whose first choice it is. Shares of all nodes sum to 1 (or 0 for an
	// empty ring).
	RingShare float64 `json:"ring_share"`
}

// Totals sum up the cluster.
type Totals struct {
	Nodes            int `json:"nodes"`
	ActiveNodes      int `json:"active_nodes"`
	MaintenanceNodes int `json:"maintenance_nodes"`
	InactiveNodes    int `json:"inactive_nodes"`
	DrainingNodes    int `json:"draining_nodes"`
	RemovedNodes     int `json:"removed_nodes"`
	// RingNodes is the number of nodes on the placement ring.
	RingNodes int `json:"ring_nodes"`
	// CapacityBytes and AvailableBytes sum every node but removed ones.
	CapacityBytes  int64 `json:"capacity_bytes"`
	AvailableBytes int64 `json:"available_bytes"`
	// Files is the completed blobs of the /files door.
	Files      int64 `json:"files"`
	FilesBytes int64 `json:"files_bytes"`
	S3Objects  int64 `json:"s3_objects"`
	S3Buckets  int64 `json:"s3_buckets"`
	// S3Bytes is the bytes of every completed S3 blob: objects' parts and
	// parts of multipart uploads still in progress.
	S3Bytes int64 `json:"s3_bytes"`
	// BytesStored is FilesBytes + S3Bytes: the bytes clients stored, each
	// counted once; parity shards take more disk than this.
	BytesStored int64 `json:"bytes_stored"`
}

// NodeStatus is the body of PUT /admin/nodes/:id/status: the node and the
// status it has now.
type NodeStatus struct {
	ID      uuid.UUID `json:"id"`
	Name    string    `json:"name"`
	Address string    `json:"address"`
	Status  Status    `json:"status"`
}
