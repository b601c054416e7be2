// Package cluster is the gateway's view of the storage nodes: a cached
// placement ring built from the points nodes registered in PostgreSQL, and
// one pooled gRPC connection per node address.
package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/keepalive"

	"sixfold/db"
	"sixfold/gateway/placement"
	"sixfold/gateway/reqid"
	"sixfold/proto/shardcodec"
	"sixfold/proto/storagepb"
)

// Options configures a Cluster.
type Options struct {
	// HeartbeatTimeout: nodes silent this long leave the placement ring.
	HeartbeatTimeout time.Duration
	// RefreshInterval is the period of the background ring rebuild.
	RefreshInterval time.Duration
	// ConnectTimeout bounds waiting for a node connection to become ready.
	ConnectTimeout time.Duration
	// UnaryInterceptors and StreamInterceptors wrap every call on every
	// node connection (metrics). Optional.
	UnaryInterceptors  []grpc.UnaryClientInterceptor
	StreamInterceptors []grpc.StreamClientInterceptor
	// TLS, when set, makes every node connection mutual TLS (see
	// LoadClientTLS); nil dials plaintext.
	TLS *tls.Config
}

// Node is a storage server as the ring knows it.
type Node struct {
	ID      uuid.UUID
	Address string
}

// Cluster is safe for concurrent use.
type Cluster struct {
	db   *db.Store
	opts Options
	log  zerolog.Logger

	refreshNow chan struct{}

	mu    sync.RWMutex // protects ring, nodes and down
	ring  *placement.Ring
	nodes map[placement.NodeID]Node
	down  map[string]bool // addresses of servers known to be down

	connMu sync.Mutex // protects conns
	conns  map[string]*grpc.ClientConn
}

// New returns a Cluster with an empty ring; call Refresh (or Run) to fill it.
func New(store *db.Store, opts Options, log zerolog.Logger) *Cluster {
	return &Cluster{
		db:         store,
		opts:       opts,
		log:        log,
		refreshNow: make(chan struct{}, 1),
		ring:       placement.FromPoints(nil, nil),
		nodes:      map[placement.NodeID]Node{},
		conns:      map[string]*grpc.ClientConn{},
	}
}

// Refresh rebuilds the ring from the active, fresh servers' points and marks
// servers with a stale heartbeat inactive.
func (c *Cluster) Refresh(ctx context.Context) error {
	staleAfter := c.opts.HeartbeatTimeout
	stale, err := c.db.MarkStaleServersInactive(ctx, staleAfter)
	if err != nil {
		return fmt.Errorf("ring refresh: %w", err)
	}
	for _, s := range stale {
		c.log.Warn().Str("server_id", s.ID.String()).Str("address", s.Address).Msg("storage node heartbeat is stale; marked inactive")
	}
	rows, err := c.db.PlacementRing(ctx, staleAfter)
	if err != nil {
		return fmt.Errorf("ring refresh: %w", err)
	}
	points := make([]placement.Point, len(rows))
	nodes := map[placement.NodeID]Node{}
	for i, r := range rows {
		id := placement.NodeID(r.ServerID.String())
		points[i] = placement.Point{Hash: r.Hash, Node: id}
		nodes[id] = Node{ID: r.ServerID, Address: r.Address}
	}
	downRows, err := c.db.DownServerAddresses(ctx, staleAfter)
	if err != nil {
		return fmt.Errorf("ring refresh: %w", err)
	}
	down := make(map[string]bool, len(downRows))
	for _, addr := range downRows {
		down[addr] = true
	}
	ring := placement.FromPoints(points, nil)
	c.mu.Lock()
	changed := len(nodes) != len(c.nodes)
	c.ring, c.nodes, c.down = ring, nodes, down
	c.mu.Unlock()
	c.retryFailedConns(nodes)
	if changed {
		c.log.Info().Int("nodes", len(nodes)).Int("points", len(points)).Msg("placement ring rebuilt")
	}
	return nil
}

// retryFailedConns reconnects at once to ring nodes whose connection is in
// transient failure: a node that just came back (its registration notified
// us) must not wait out grpc's reconnect backoff, up to two minutes.
func (c *Cluster) retryFailedConns(nodes map[placement.NodeID]Node) {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	for _, n := range nodes {
		if conn, ok := c.conns[n.Address]; ok && conn.GetState() == connectivity.TransientFailure {
			conn.ResetConnectBackoff()
		}
	}
}

// RequestRefresh asks Run to rebuild the ring soon; it never blocks. Called
// when a node call fails, so a dead node leaves the ring without waiting for
// the next period.
func (c *Cluster) RequestRefresh() {
	select {
	case c.refreshNow <- struct{}{}:
	default:
	}
}

// Run refreshes the ring every RefreshInterval and on request until ctx ends.
func (c *Cluster) Run(ctx context.Context) {
	ticker := time.NewTicker(c.opts.RefreshInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-c.refreshNow:
		}
		refreshCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := c.Refresh(refreshCtx); err != nil && ctx.Err() == nil {
			c.log.Warn().Err(err).Msg("ring refresh failed; keeping the cached ring")
		}
		cancel()
	}
}

// Snapshot returns the current ring and its nodes. Both are immutable.
func (c *Cluster) Snapshot() (*placement.Ring, map[placement.NodeID]Node) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.ring, c.nodes
}

// ActiveNodes is the number of servers on the placement ring.
func (c *Cluster) ActiveNodes() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.nodes)
}

// Down reports, without waiting, whether the server at address is known to
// be down: PostgreSQL says its heartbeat is stale or it shut down, or its
// connection is failing. Readers route around such a node at no cost.
func (c *Cluster) Down(address string) bool {
	c.mu.RLock()
	down := c.down[address]
	c.mu.RUnlock()
	if down {
		return true
	}
	c.connMu.Lock()
	conn, ok := c.conns[address]
	c.connMu.Unlock()
	return ok && conn.GetState() == connectivity.TransientFailure
}

// Client returns a storage client over the pooled connection to address.
func (c *Cluster) Client(address string) (storagepb.StorageServiceClient, error) {
	conn, err := c.conn(address)
	if err != nil {
		return nil, err
	}
	return storagepb.NewStorageServiceClient(conn), nil
}

// WaitReady reports whether the connection to address is (or becomes,
// within ConnectTimeout) ready to carry a stream.
func (c *Cluster) WaitReady(ctx context.Context, address string) bool {
	conn, err := c.conn(address)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.ConnectTimeout)
	defer cancel()
	retried := false
	for {
		state := conn.GetState()
		wait := ctx
		switch state {
		case connectivity.Ready:
			return true
		case connectivity.Shutdown:
			return false
		case connectivity.Idle:
			conn.Connect()
		case connectivity.TransientFailure:
			// A node that failed recently gets one fresh attempt, not a
			// wait through grpc's reconnect backoff. The channel stays in
			// TRANSIENT_FAILURE while it retries (sticky, gRFC A62), so
			// the attempt gets a short wait of its own: a dead node must
			// cost a request milliseconds, not the whole connect timeout.
			if retried {
				return false
			}
			retried = true
			conn.ResetConnectBackoff()
			var stop context.CancelFunc
			wait, stop = context.WithTimeout(ctx, retryWait)
			defer stop()
		}
		if !conn.WaitForStateChange(wait, state) {
			return false
		}
	}
}

// retryWait bounds the one reconnect attempt WaitReady makes to a node in
// transient failure; loopback and LAN dials answer well within it.
const retryWait = 300 * time.Millisecond

func (c *Cluster) conn(address string) (*grpc.ClientConn, error) {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	if conn, ok := c.conns[address]; ok {
		return conn, nil
	}
	conn, err := grpc.NewClient(address, append(shardcodec.DialOptions(),
		grpc.WithTransportCredentials(c.transportCredentials(address)),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(8<<20)),
		// A node that vanishes without closing its connections (power
		// loss, a partition, SIGSTOP) is noticed within Time+Timeout.
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 5 * time.Second, PermitWithoutStream: true}),
		grpc.WithChainUnaryInterceptor(append([]grpc.UnaryClientInterceptor{reqid.UnaryClientInterceptor}, c.opts.UnaryInterceptors...)...),
		grpc.WithChainStreamInterceptor(append([]grpc.StreamClientInterceptor{reqid.StreamClientInterceptor}, c.opts.StreamInterceptors...)...),
	)...)
	if err != nil {
		return nil, fmt.Errorf("storage node %s: %w", address, err)
	}
	c.conns[address] = conn
	return conn, nil
}

// Close closes every pooled connection.
func (c *Cluster) Close() {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	for addr, conn := range c.conns {
		_ = conn.Close()
		delete(c.conns, addr)
	}
}
