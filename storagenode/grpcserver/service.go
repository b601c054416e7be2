// Package grpcserver serves a storage node's chunk store over gRPC: the
// sixfold.storage.v1.StorageService the gateway streams chunks through, and
// the standard grpc.health.v1 service. It translates chunk store errors into
// gRPC status codes and knows nothing of PostgreSQL.
package grpcserver

import (
	"context"
	"io"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"

	"sixfold/proto/shardcodec"
	"sixfold/proto/storagepb"
	"sixfold/storagenode/chunkstore"
)

// MaxRecvMsgSize admits one PutChunk message of the 4 MiB of data the
// contract allows plus its header and framing, with room to spare.
const MaxRecvMsgSize = 5 << 20

// Keepalive settings. Gateways ping every 10 s, even without streams, so the
// enforcement floor sits well below that: a ping that arrives a little early
// must not get the connection closed with "too_many_pings". The node pings
// too, so that the streams of a gateway that died or vanished from the
// network are cancelled within about 15 s instead of holding their temp
// files and goroutines until TCP gives up.
const (
	keepaliveMinTime = 5 * time.Second
	keepaliveTime    = 10 * time.Second
	keepaliveTimeout = 5 * time.Second
)

// ChunkPutter stores a chunk, or several at once; see chunkstore.Store.Put
// and chunkstore.Store.PutGroup for the contract.
type ChunkPutter interface {
	Put(ctx context.Context, id string, r io.Reader, expectedSize int64, digest chunkstore.Digest) (chunkstore.PutResult, error)
	PutGroup(ctx context.Context, puts []chunkstore.GroupPut) []chunkstore.GroupResult
}

// ChunkOpener reads a byte range of a chunk; see chunkstore.Store.Open.
type ChunkOpener interface {
	Open(id string, offset, length int64) (*chunkstore.Reader, error)
}

// ChunkDeleter removes a chunk; see chunkstore.Store.Delete.
type ChunkDeleter interface {
	Delete(id string) (bool, error)
}

// StatsReporter reports usage; see chunkstore.Store.Stats.
type StatsReporter interface {
	Stats() (chunkstore.Stats, error)
}

// ChunkStore is everything the service needs from the disk.
type ChunkStore interface {
	ChunkPutter
	ChunkOpener
	ChunkDeleter
	StatsReporter
}

var _ ChunkStore = (*chunkstore.Store)(nil)

// Service implements storagepb.StorageServiceServer over a ChunkStore. It
// starts out not serving; the caller flips it with SetServing once the node
// is registered, and back while draining.
type Service struct {
	storagepb.UnimplementedStorageServiceServer
	store   ChunkStore
	log     zerolog.Logger
	health  *health.Server
	obs     Observer
	serving atomic.Bool
	nodeID  atomic.Pointer[string]
}

var _ storagepb.StorageServiceServer = (*Service)(nil)

// New returns a Service over store that logs to log.
func New(store ChunkStore, log zerolog.Logger, opts ...Option) *Service {
	s := &Service{store: store, log: log, health: health.NewServer(), obs: nopObserver{}}
	for _, o := range opts {
		o(s)
	}
	s.SetNodeID("")
	s.SetServing(false)
	return s
}

// NewServer returns a gRPC server with the Service and the standard health
// service registered, the receive limit raised to MaxRecvMsgSize, keepalives
// in both directions, and RPCs logged. extra options are appended.
func NewServer(s *Service, extra ...grpc.ServerOption) *grpc.Server {
	opts := append(shardcodec.ServerOptions(),
		grpc.MaxRecvMsgSize(MaxRecvMsgSize),
		// Streams are served by long-lived workers instead of a fresh
		// goroutine each: a small PUT opens one stream per shard, and a
		// fresh goroutine grew its stack (runtime.copystack, ~9 % of a
		// node's CPU under 4 KiB PUTs at 16 at once) on every one. When
		// all workers are busy grpc still starts a goroutine.
		grpc.NumStreamWorkers(uint32(4*runtime.GOMAXPROCS(0))),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: keepaliveMinTime, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: keepaliveTime, Timeout: keepaliveTimeout}),
		grpc.ChainUnaryInterceptor(logUnary(s.log)),
		grpc.ChainStreamInterceptor(logStream(s.log)),
	)
	gs := grpc.NewServer(append(opts, extra...)...)
	storagepb.RegisterStorageServiceServer(gs, s)
	healthpb.RegisterHealthServer(gs, s.health)
	return gs
}

// SetNodeID sets the id HealthCheck and GetStats report: the node's
// storage_servers.id, known once it has registered.
func (s *Service) SetNodeID(id string) {
	s.nodeID.Store(&id)
}

// SetServing switches both health services between SERVING and NOT_SERVING.
func (s *Service) SetServing(serving bool) {
	s.serving.Store(serving)
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if serving {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus("", st)
	s.health.SetServingStatus(storagepb.StorageService_ServiceDesc.ServiceName, st)
}

// HealthCheck reports whether the node takes traffic, its id, and the
// seed design's healthy, space and chunk count fields. It answers even when
// the disk cannot be read, with healthy false and the space fields zero: a
// health check that fails with an error tells the caller less.
func (s *Service) HealthCheck(context.Context, *storagepb.HealthCheckRequest) (*storagepb.HealthCheckResponse, error) {
	serving := s.serving.Load()
	res := &storagepb.HealthCheckResponse{Status: storagepb.HealthCheckResponse_STATUS_NOT_SERVING, ServerId: *s.nodeID.Load()}
	if serving {
		res.Status = storagepb.HealthCheckResponse_STATUS_SERVING
	}
	st, err := s.store.Stats()
	if err != nil {
		s.log.Warn().Err(err).Msg("health check: chunk store stats")
		return res, nil
	}
	res.Healthy = serving
	res.AvailableSpace = st.AvailableBytes
	res.UsedSpace = st.UsedBytes
	res.ChunkCount = int32(min(st.Chunks, math.MaxInt32))
	return res, nil
}

// GetStats reports the chunk counters and disk space.
func (s *Service) GetStats(context.Context, *storagepb.GetStatsRequest) (*storagepb.GetStatsResponse, error) {
	st, err := s.store.Stats()
	if err != nil {
		return nil, s.fail("stats", err)
	}
	return &storagepb.GetStatsResponse{
		ServerId:       *s.nodeID.Load(),
		ChunkCount:     st.Chunks,
		UsedBytes:      st.UsedBytes,
		AvailableBytes: st.AvailableBytes,
		CapacityBytes:  st.CapacityBytes,
	}, nil
}

// DeleteChunk removes a chunk; a missing chunk answers existed=false.
func (s *Service) DeleteChunk(_ context.Context, req *storagepb.DeleteChunkRequest) (*storagepb.DeleteChunkResponse, error) {
	existed, err := s.store.Delete(req.GetChunkId())
	if err != nil {
		return nil, s.fail("delete", err)
	}
	return &storagepb.DeleteChunkResponse{Existed: existed}, nil
}
