// Package health answers "can this gateway serve?": PostgreSQL reachable
// and at least one storage node active with a fresh heartbeat. Its report
// is the seed design's /health body, word for word, so monitoring written
// against the seed works unchanged; what sixfold knows beyond it rides in
// extra fields the seed does not name.
package health

import (
	"context"
	"time"

	"sixfold/db"
	"sixfold/gateway/cluster"
)

// Status is the report's overall verdict.
type Status string

// The seed's two verdicts: 200 goes with healthy, 503 with unhealthy.
const (
	StatusHealthy   Status = "healthy"
	StatusUnhealthy Status = "unhealthy"
)

// Database says whether PostgreSQL answered the report's queries.
type Database string

// The seed's two database states.
const (
	DatabaseConnected    Database = "connected"
	DatabaseDisconnected Database = "disconnected"
)

// Report is the /health body. The first four fields are the seed's:
//
//	{"status": "healthy", "database": "connected", "storage_servers": 6, "active_uploads": 3}
//
// The rest are extra detail under names the seed does not use.
type Report struct {
	Status   Status   `json:"status"`
	Database Database `json:"database"`
	// StorageServers counts the nodes that can take chunks now: status
	// active and a heartbeat fresher than storage.heartbeat_timeout. A node
	// in maintenance or draining, or silent, is not counted: monitoring
	// that alerts on fewer than six wants to hear about those.
	StorageServers int `json:"storage_servers"`
	// ActiveUploads counts upload sessions in progress, both doors.
	ActiveUploads int64 `json:"active_uploads"`
	// StorageServersTotal counts every registered node, whatever its state.
	StorageServersTotal int `json:"storage_servers_total"`
}

// Checker builds Reports. It is safe for concurrent use.
type Checker struct {
	DB               *db.Store
	Cluster          *cluster.Cluster
	HeartbeatTimeout time.Duration
}

// Check reports the cluster's state and whether the gateway can serve.
func (c *Checker) Check(ctx context.Context) (Report, bool) {
	r := Report{Status: StatusUnhealthy, Database: DatabaseDisconnected}
	servers, err := c.DB.ListStorageServers(ctx)
	if err != nil {
		return r, false
	}
	uploads, err := c.DB.CountActiveUploads(ctx)
	if err != nil {
		return r, false
	}
	r = summarize(servers, uploads, time.Now().Add(-c.HeartbeatTimeout))
	// Nodes PostgreSQL knows but the cached ring does not (a node that
	// joined since the last refresh): rebuild now, so that "healthy" means
	// this gateway can place chunks on them.
	if r.StorageServers != c.Cluster.ActiveNodes() {
		if err := c.Cluster.Refresh(ctx); err != nil {
			return r, false
		}
	}
	if r.StorageServers > 0 && c.Cluster.ActiveNodes() > 0 {
		r.Status = StatusHealthy
	}
	return r, r.Status == StatusHealthy
}

// summarize counts what PostgreSQL said, the database having answered; the
// verdict stays unhealthy for Check to decide.
func summarize(servers []db.StorageServer, uploads int64, freshSince time.Time) Report {
	r := Report{
		Status:              StatusUnhealthy,
		Database:            DatabaseConnected,
		ActiveUploads:       uploads,
		StorageServersTotal: len(servers),
	}
	for _, s := range servers {
		if s.Status == "active" && s.LastHeartbeat.After(freshSince) {
			r.StorageServers++
		}
	}
	return r
}

// ReadyNodes is how many active nodes a gateway needs to be ready: one per
// chunk, so every blob gets six distinct servers.
const ReadyNodes = 6

// Ready reports whether a gateway with this report should take traffic.
func Ready(r Report) bool {
	return r.Database == DatabaseConnected && r.StorageServers >= ReadyNodes
}
