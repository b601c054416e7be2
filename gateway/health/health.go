// Package health answers "can this gateway serve?": PostgreSQL reachable
// and at least one storage node active with a fresh heartbeat.
package health

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"sixfold/db/dbq"
	"sixfold/gateway/cluster"
)

// Report is the /health body.
type Report struct {
	Status         string        `json:"status"` // "ok" or "unavailable"
	Database       string        `json:"database"`
	StorageServers ServerSummary `json:"storage_servers"`
	ActiveUploads  int64         `json:"active_uploads"`
}

// ServerSummary counts storage servers.
type ServerSummary struct {
	Active int `json:"active"`
	Total  int `json:"total"`
}

// Checker builds Reports. It is safe for concurrent use.
type Checker struct {
	Pool             *pgxpool.Pool
	Cluster          *cluster.Cluster
	HeartbeatTimeout time.Duration
}

// Check reports the cluster's state and whether the gateway can serve.
func (c *Checker) Check(ctx context.Context) (Report, bool) {
	r := Report{Status: "unavailable", Database: "unreachable"}
	q := dbq.New(c.Pool)
	servers, err := q.ListStorageServers(ctx)
	if err != nil {
		return r, false
	}
	r.Database = "ok"
	r.StorageServers.Total = len(servers)
	fresh := time.Now().Add(-c.HeartbeatTimeout)
	for _, s := range servers {
		if s.Status == "active" && s.LastHeartbeat.After(fresh) {
			r.StorageServers.Active++
		}
	}
	if r.ActiveUploads, err = q.CountActiveUploads(ctx); err != nil {
		return r, false
	}
	// Nodes PostgreSQL knows but the cached ring does not (a node that
	// joined since the last refresh): rebuild now, so that "ok" means this
	// gateway can place chunks on them.
	if r.StorageServers.Active != c.Cluster.ActiveNodes() {
		if err := c.Cluster.Refresh(ctx); err != nil {
			return r, false
		}
	}
	healthy := r.StorageServers.Active > 0 && c.Cluster.ActiveNodes() > 0
	if healthy {
		r.Status = "ok"
	}
	return r, healthy
}

// ReadyNodes is how many active nodes a gateway needs to be ready: one per
// chunk, so every blob gets six distinct servers.
const ReadyNodes = 6

// Ready reports whether a gateway with this report should take traffic.
func Ready(r Report) bool {
	return r.Database == "ok" && r.StorageServers.Active >= ReadyNodes
}
