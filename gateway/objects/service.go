// Package objects is the gateway's object service: it stores a byte stream
// as one blob of six chunks on six storage nodes, reads blobs back as
// streams with read-ahead, and deletes them through a durable queue. It
// speaks gRPC to nodes and SQL to PostgreSQL; the HTTP doors sit above it.
package objects

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"sixfold/gateway/cluster"
)

// ChunkCount is how many chunks every blob is split into.
const ChunkCount = 6

// messageSize is the most data one gRPC message carries; it stays well
// under grpc-go's 4 MiB default receive limit.
const messageSize = 1 << 20

// Errors callers branch on. Wrapped errors keep the detail for logs.
var (
	ErrNotFound        = errors.New("object not found")
	ErrIncompleteBody  = errors.New("request body ended before its declared size")
	ErrBodyTimeout     = errors.New("request body arrived too slowly")
	ErrTooLarge        = errors.New("object exceeds the maximum size")
	ErrNoNodes         = errors.New("no storage node available")
	ErrNodeUnavailable = errors.New("storage node unavailable")
	ErrCorruptChunk    = errors.New("stored chunk failed its checksum")
	ErrUnavailable     = errors.New("metadata store unavailable")
)

// Blob is a stored object's metadata.
type Blob struct {
	ID          uuid.UUID
	Filename    string
	ContentType string
	Size        int64
	Checksum    string // hex SHA-256 of the whole blob
	Status      string
	Metadata    json.RawMessage
	CreatedAt   time.Time
	Chunks      []Chunk
}

// Chunk is one of a blob's six pieces and where it lives.
type Chunk struct {
	ID            uuid.UUID
	Number        int
	Offset        int64
	Size          int64
	Hash          string
	Status        string
	ServerID      uuid.UUID
	ServerAddress string
}

// Options tunes the service.
type Options struct {
	// MaxSize is the largest blob accepted.
	MaxSize int64
	// SessionTimeout is how long an upload may go without progress.
	SessionTimeout time.Duration
	// Observer, when set, is told about every upload and download
	// (metrics). Optional.
	Observer Observer
}

// Service is safe for concurrent use.
type Service struct {
	pool    *pgxpool.Pool
	cluster *cluster.Cluster
	opts    Options
	log     zerolog.Logger
	kick    chan struct{} // wakes the deletion worker
}

// New wires a Service.
func New(pool *pgxpool.Pool, c *cluster.Cluster, opts Options, log zerolog.Logger) *Service {
	return &Service{pool: pool, cluster: c, opts: opts, log: log, kick: make(chan struct{}, 1)}
}

// plannedSizes splits size into six chunk sizes: ceil(size/6) each, the
// remainder in the last ones (which may be empty for tiny blobs).
func plannedSizes(size int64) [ChunkCount]int64 {
	var sizes [ChunkCount]int64
	per := (size + ChunkCount - 1) / ChunkCount
	left := size
	for i := range sizes {
		sizes[i] = min(per, left)
		left -= sizes[i]
	}
	return sizes
}
