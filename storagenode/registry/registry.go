// Package registry makes a storage node a member of the cluster. At start it
// checks that its data directory is its own (package identity), then
// records the node and its ring points in PostgreSQL, retrying until
// PostgreSQL answers, and marks the directory; while the node runs it
// heartbeats its capacity and chunk count; at shutdown it marks the node
// inactive. A PostgreSQL outage never stops the node: failed heartbeats are
// logged and retried. Statuses an operator chose (maintenance, draining,
// removed) are never undone by the node: the queries keep them.
package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/storagenode/chunkstore"
)

// StatsSource reports what the node stores; *chunkstore.Store is one.
type StatsSource interface {
	Stats() (chunkstore.Stats, error)
}

// Options describe the node to the cluster.
type Options struct {
	Name              string        // label for humans
	Address           string        // host:port gateways dial; the node's identity
	VirtualNodes      int           // ring points to register
	HeartbeatInterval time.Duration // period of Run
	// HeartbeatTimeout bounds one heartbeat's write; 0 means
	// HeartbeatInterval, so that a slow write never overlaps the next.
	HeartbeatTimeout time.Duration
	// DataDir, when set, is checked against PostgreSQL before the node
	// registers and then receives its identity marker (package identity)
	// and a node-id file for humans. The id itself always comes from
	// PostgreSQL.
	DataDir string
	// Observer, when set, hears the outcome of every registration attempt
	// and heartbeat.
	Observer HeartbeatObserver
}

// HeartbeatObserver hears whether the node's row in PostgreSQL is being
// kept fresh; the metrics package is one. It must be safe for concurrent use.
type HeartbeatObserver interface {
	// HeartbeatDone reports one registration or heartbeat that finished at
	// at, with err nil on success.
	HeartbeatDone(at time.Time, err error)
}

// Registry registers one node and keeps its row fresh.
type Registry struct {
	db    *db.Store
	opts  Options
	stats StatsSource
	log   zerolog.Logger

	mu       sync.Mutex // protects id and proposed
	id       uuid.UUID  // the node's storage_servers.id; uuid.Nil until registered
	proposed uuid.UUID  // the id the data directory's marker names, if any
}

// New returns a Registry that is not yet registered.
func New(store *db.Store, opts Options, stats StatsSource, log zerolog.Logger) *Registry {
	return &Registry{db: store, opts: opts, stats: stats, log: log}
}

// ID is the node's id, or uuid.Nil before the first registration.
func (r *Registry) ID() uuid.UUID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.id
}

// Register upserts the node by address and writes its ring points, in one
// transaction. A node already known by its address keeps its id. The first
// registration proposes the id of the data directory's marker, or else a
// fresh UUID; later ones propose the id already held, so a row deleted
// behind the node's back comes back with the same id.
func (r *Registry) Register(ctx context.Context) (uuid.UUID, error) {
	st, err := r.stats.Stats()
	if err != nil {
		return uuid.Nil, err
	}
	candidate := r.candidate()
	if candidate == uuid.Nil {
		candidate = uuid.New()
	}
	id, err := r.db.RegisterNode(ctx, db.NodeRegistration{
		ID: candidate, Name: r.opts.Name, Address: r.opts.Address, Stats: nodeStats(st), VirtualNodes: r.opts.VirtualNodes,
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("register %s: %w", r.opts.Address, err)
	}
	r.setID(id)
	return id, nil
}

func nodeStats(st chunkstore.Stats) db.NodeStats {
	return db.NodeStats{CapacityBytes: st.CapacityBytes, AvailableBytes: st.AvailableBytes, UsedBytes: st.UsedBytes, Chunks: st.Chunks}
}

// candidate is the id a registration proposes, or uuid.Nil for a fresh one.
func (r *Registry) candidate() uuid.UUID {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.id != uuid.Nil {
		return r.id
	}
	return r.proposed
}

func (r *Registry) setID(id uuid.UUID) {
	r.mu.Lock()
	changed := r.id != id
	r.id = id
	r.mu.Unlock()
	if changed && r.opts.DataDir != "" {
		if err := writeNodeID(r.opts.DataDir, id); err != nil {
			r.log.Warn().Err(err).Msg("cannot write node-id file")
		}
	}
}

// writeNodeID replaces <dir>/node-id atomically.
func writeNodeID(dir string, id uuid.UUID) error {
	tmp := filepath.Join(dir, "node-id.tmp")
	if err := os.WriteFile(tmp, []byte(id.String()+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "node-id"))
}

// Deactivate marks the node inactive so gateways stop placing chunks on it.
// A node an operator put in maintenance, draining or removed keeps that
// status, so that a restart does not bring it back onto the ring. Stop Run first: a
// heartbeat turns an inactive node active again.
func (r *Registry) Deactivate(ctx context.Context) error {
	id := r.ID()
	if id == uuid.Nil {
		return nil
	}
	return r.db.DeactivateServer(ctx, id)
}
