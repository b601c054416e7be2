// Package admin is the operator's door of the gateway. GET /admin/cluster
// reports every storage node (status, heartbeat age, capacity, chunks, its
// share of the placement ring) and what the cluster stores; PUT
// /admin/nodes/:id/status puts a node into maintenance or takes it out.
// httpapi mounts [Handler] behind the same HTTP Basic keys as /files.
//
// A node in maintenance takes no new chunks (the placement ring holds only
// active servers) but keeps serving the chunks recorded against it. The
// status change fires the storage_servers trigger of migration 0004, so
// every gateway rebuilds its ring; the one that handled the request
// rebuilds before answering.
package admin

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Node statuses, as storage_servers.status holds them.
const (
	StatusActive      = "active"
	StatusInactive    = "inactive"
	StatusMaintenance = "maintenance"
)

// ErrNotFound is returned (wrapped) by Store.SetMaintenance for an id no
// storage server has.
var ErrNotFound = errors.New("admin: no such storage node")

// ErrUnavailable is returned (wrapped) when PostgreSQL cannot be reached.
var ErrUnavailable = errors.New("admin: metadata store unavailable")

// Store reads the cluster's state and changes a node's status. [PG] is the
// PostgreSQL implementation; it must be safe for concurrent use.
type Store interface {
	// Cluster returns every node and the totals, as of one moment.
	Cluster(ctx context.Context) (Cluster, error)
	// SetMaintenance puts node id into maintenance (on) or takes it out
	// (off: active when its heartbeat is fresh, inactive otherwise). A node
	// not in maintenance keeps its status when off is asked. It returns the
	// node's resulting status, or an error wrapping ErrNotFound.
	SetMaintenance(ctx context.Context, id uuid.UUID, on bool) (NodeStatus, error)
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
}

// Node is one storage server as the operator sees it.
type Node struct {
	ID      uuid.UUID `json:"id"`
	Name    string    `json:"name"`
	Address string    `json:"address"`
	// Status is active, inactive or maintenance.
	Status        string    `json:"status"`
	LastHeartbeat time.Time `json:"last_heartbeat"`
	// HeartbeatAgeSeconds is measured by PostgreSQL's clock.
	HeartbeatAgeSeconds float64 `json:"heartbeat_age_seconds"`
	CapacityBytes       int64   `json:"capacity_bytes"`
	AvailableBytes      int64   `json:"available_bytes"`
	// ChunkCount is the chunk files the node reported at its last heartbeat.
	ChunkCount int64 `json:"chunk_count"`
	// ChunksRecorded is the stored chunks metadata places on the node.
	ChunksRecorded int64 `json:"chunks_recorded"`
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
	// RingNodes is the number of nodes on the placement ring.
	RingNodes      int   `json:"ring_nodes"`
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
	// BytesStored is FilesBytes + S3Bytes: every byte stored once (each
	// byte lives in exactly one chunk).
	BytesStored int64 `json:"bytes_stored"`
}

// NodeStatus is the body of PUT /admin/nodes/:id/status: the node and the
// status it has now.
type NodeStatus struct {
	ID      uuid.UUID `json:"id"`
	Name    string    `json:"name"`
	Address string    `json:"address"`
	Status  string    `json:"status"`
}
