package objects_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"sixfold/db/ringpoint"
	"sixfold/gateway/cluster"
	"sixfold/gateway/objects"
	"sixfold/gateway/placement"
	"sixfold/proto/shardcodec"
	"sixfold/proto/storagepb"
	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/grpcserver"
)

// testCluster is storage nodes served in-process: each a real grpcserver
// over a real chunk store in a temp dir, reached over bufconn, with faults
// injected by a server interceptor. It is the objects.Nodes the service
// under test talks to; the ring is the one the nodes would register.
type testCluster struct {
	nodes []*testNode

	mu      sync.Mutex      // protects down and offRing
	down    map[string]bool // addresses PostgreSQL would report down
	offRing map[string]bool // addresses left out of Snapshot (draining)

	refreshes atomic.Int64
}

var _ objects.Nodes = (*testCluster)(nil)

// testNode is one storage node and the faults injected into it.
type testNode struct {
	id      uuid.UUID
	address string
	dir     string // the chunk store's data directory
	conn    *grpc.ClientConn
	faults  faults
}

func newTestCluster(t *testing.T, n int) *testCluster {
	t.Helper()
	c := &testCluster{down: map[string]bool{}, offRing: map[string]bool{}}
	for i := range n {
		c.nodes = append(c.nodes, startNode(t, i))
	}
	return c
}

// startNode serves one node. Its cleanup thaws it first, so that a call
// blocked in the interceptor cannot hold the server's Stop.
func startNode(t *testing.T, i int) *testNode {
	t.Helper()
	n := &testNode{id: uuid.New(), address: fmt.Sprintf("storage-%d.bufconn:7000", i), dir: t.TempDir()}
	n.faults.init()
	store, err := chunkstore.Open(n.dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := grpcserver.New(store, zerolog.Nop())
	svc.SetNodeID(n.id.String())
	svc.SetServing(true)
	// Fixed flow-control windows (no BDP growth): a frozen node then stops
	// a shard stream after 64 KiB, whatever ran over the connection before.
	gs := grpcserver.NewServer(svc, grpc.ChainUnaryInterceptor(n.faults.unary), grpc.ChainStreamInterceptor(n.faults.stream),
		grpc.InitialWindowSize(64<<10), grpc.InitialConnWindowSize(64<<10))
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(func() {
		n.faults.clear()
		gs.Stop()
	})
	// The gateway's own connection settings (cluster.Cluster), so flow
	// control and message limits behave as in production.
	n.conn, err = grpc.NewClient("passthrough:///"+n.address,
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(4<<20),
		grpc.WithInitialConnWindowSize(16<<20),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(8<<20)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.conn.Close() })
	return n
}

// Snapshot returns the ring of the points the nodes would register
// (placement.DefaultVnodes each, as storagenode/registry computes them),
// as cluster.Cluster loads them from PostgreSQL.
func (c *testCluster) Snapshot() (*placement.Ring, map[placement.NodeID]cluster.Node) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var points []placement.Point
	nodes := map[placement.NodeID]cluster.Node{}
	for _, n := range c.nodes {
		if c.offRing[n.address] {
			continue
		}
		id := placement.NodeID(n.id.String())
		for _, h := range ringpoint.All(n.id.String(), placement.DefaultVnodes) {
			points = append(points, placement.Point{Hash: h, Node: id})
		}
		nodes[id] = cluster.Node{ID: n.id, Address: n.address}
	}
	return placement.FromPoints(points, nil), nodes
}

func (c *testCluster) Refresh(context.Context) error { return nil }

func (c *testCluster) RequestRefresh() { c.refreshes.Add(1) }

func (c *testCluster) Client(address string) (storagepb.StorageServiceClient, error) {
	n := c.byAddress(address)
	if n == nil {
		return nil, fmt.Errorf("no test node at %s", address)
	}
	return storagepb.NewStorageServiceClient(n.conn), nil
}

// WaitReady reports bufconn connections ready unless the node is known
// down: a node dead behind a working connection is found by its calls.
func (c *testCluster) WaitReady(_ context.Context, address string) bool {
	return c.byAddress(address) != nil && !c.Down(address)
}

func (c *testCluster) Down(address string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.down[address]
}

func (c *testCluster) byAddress(address string) *testNode {
	for _, n := range c.nodes {
		if n.address == address {
			return n
		}
	}
	return nil
}

func (c *testCluster) byID(id uuid.UUID) *testNode {
	for _, n := range c.nodes {
		if n.id == id {
			return n
		}
	}
	return nil
}

// setDown makes Down (and WaitReady) report the node as PostgreSQL would
// once its heartbeat is stale. It injects no fault by itself.
func (c *testCluster) setDown(n *testNode, down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down[n.address] = down
}

func (c *testCluster) leaveRing(n *testNode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offRing[n.address] = true
}

// reset removes every fault and down mark and zeroes the call counts.
func (c *testCluster) reset() {
	c.mu.Lock()
	clear(c.down)
	c.mu.Unlock()
	for _, n := range c.nodes {
		n.faults.clear()
	}
}

// chunkPath is where the node's chunk store keeps chunk id.
func (n *testNode) chunkPath(id uuid.UUID) string {
	s := id.String()
	return filepath.Join(n.dir, "chunks", s[:2], s)
}

// has reports whether chunk id's file is on the node's disk.
func (n *testNode) has(t *testing.T, id uuid.UUID) bool {
	t.Helper()
	_, err := os.Stat(n.chunkPath(id))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// chunkFiles counts the chunk files on the node's disk.
func (n *testNode) chunkFiles(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(n.dir, "chunks", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

// flipByte inverts one byte of a stored chunk file, as disk rot would.
func (n *testNode) flipByte(t *testing.T, id uuid.UUID, offset int64) {
	t.Helper()
	f, err := os.OpenFile(n.chunkPath(id), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, offset); err != nil {
		t.Fatalf("read byte %d of chunk %s: %v", offset, id, err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, offset); err != nil {
		t.Fatal(err)
	}
}

// truncate cuts chunk id's file to size bytes, or deletes it when size is
// negative, as a lost write or an operator's mistake would.
func (n *testNode) truncate(t *testing.T, id uuid.UUID, size int64) {
	t.Helper()
	var err error
	if size < 0 {
		err = os.Remove(n.chunkPath(id))
	} else {
		err = os.Truncate(n.chunkPath(id), size)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// faults is what a node's interceptor does to the calls it receives. The
// checks run when a call arrives and on every message of a stream, so a
// node can also die or freeze in the middle of a transfer.
type faults struct {
	mu       sync.Mutex      // protects the fields below
	dead     bool            // every call fails with Unavailable
	frozen   chan struct{}   // non-nil: calls block until it is closed
	cutAfter int64           // >0: a PutChunk stream fails past this many data bytes
	refuse   map[string]bool // full method names failing with Unavailable
	dropNext map[string]int  // the next this many calls of a method fail with Unavailable
	broken   map[string]bool // full method names failing with Internal, as a node whose disk fails
	calls    map[string]int  // calls received, by full method name
}

func (f *faults) init() {
	f.refuse, f.calls, f.dropNext, f.broken = map[string]bool{}, map[string]int{}, map[string]int{}, map[string]bool{}
}

// drop makes the next n calls of method fail with Unavailable, as a node
// that is restarting or shedding load refuses them.
func (f *faults) drop(method string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropNext[method] = n
}

// breakMethod makes every call of method fail with Internal, as the
// calls of a node that is up but cannot write its disk do.
func (f *faults) breakMethod(method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.broken[method] = true
}

func (f *faults) kill() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dead = true
}

// freeze makes calls block, as a SIGSTOPped node's would.
func (f *faults) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen == nil {
		f.frozen = make(chan struct{})
	}
}

func (f *faults) thaw() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen != nil {
		close(f.frozen)
		f.frozen = nil
	}
}

func (f *faults) cut(after int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cutAfter = after
}

func (f *faults) refuseMethod(method string, refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse[method] = refuse
}

func (f *faults) clear() {
	f.thaw()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dead, f.cutAfter = false, 0
	f.init()
}

func (f *faults) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// check blocks while the node is frozen and then fails if it is dead or
// refuses method ("" for a message within a call).
func (f *faults) check(ctx context.Context, method string) error {
	for {
		f.mu.Lock()
		frozen, dead, refused := f.frozen, f.dead, f.refuse[method]
		f.mu.Unlock()
		if frozen == nil {
			if dead || refused {
				return status.Error(codes.Unavailable, "injected: node unavailable")
			}
			return nil
		}
		select {
		case <-frozen:
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		}
	}
}

func (f *faults) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	f.mu.Lock()
	f.calls[info.FullMethod]++
	dropped := f.dropNext[info.FullMethod] > 0
	if dropped {
		f.dropNext[info.FullMethod]--
	}
	broken := f.broken[info.FullMethod]
	f.mu.Unlock()
	if dropped {
		return nil, status.Error(codes.Unavailable, "injected: call dropped")
	}
	if broken {
		return nil, status.Error(codes.Internal, "injected: the disk failed")
	}
	if err := f.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (f *faults) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	f.mu.Lock()
	f.calls[info.FullMethod]++
	dropped := f.dropNext[info.FullMethod] > 0
	if dropped {
		f.dropNext[info.FullMethod]--
	}
	f.mu.Unlock()
	if dropped {
		return status.Error(codes.Unavailable, "injected: call dropped")
	}
	if err := f.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, &faultyStream{ServerStream: ss, f: f, method: info.FullMethod})
}

// faultyStream applies the node's faults to every message of a stream.
type faultyStream struct {
	grpc.ServerStream
	f        *faults
	method   string
	received int64 // PutChunk data bytes so far
}

func (s *faultyStream) RecvMsg(m any) error {
	if err := s.f.check(s.Context(), ""); err != nil {
		return err
	}
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	switch req := m.(type) {
	case *storagepb.PutChunkRequest:
		s.received += int64(len(req.GetData()))
	case *shardcodec.ReceivedPutChunk: // how a node receives them
		for _, piece := range req.Data {
			s.received += int64(len(piece))
		}
	default:
		if s.method == storagepb.StorageService_PutChunk_FullMethodName {
			// Passing it through would quietly disarm the cut fault.
			return status.Errorf(codes.Internal, "fault injector: PutChunk message of unknown type %T", m)
		}
		return nil
	}
	s.f.mu.Lock()
	cutAfter := s.f.cutAfter
	s.f.mu.Unlock()
	if cutAfter > 0 && s.received > cutAfter {
		return status.Errorf(codes.Unavailable, "injected: stream cut after %d bytes", cutAfter)
	}
	return nil
}

func (s *faultyStream) SendMsg(m any) error {
	if err := s.f.check(s.Context(), ""); err != nil {
		return err
	}
	return s.ServerStream.SendMsg(m)
}
