// Package objects is the gateway's object service: it stores a byte stream
// as one blob of six data shards plus parity shards (Reed-Solomon, striped;
// see package erasure) on distinct storage nodes, reads blobs back as
// verified streams that reconstruct around missing, slow or corrupt shards,
// heals shards that were lost, and deletes blobs through a durable queue.
// It speaks gRPC to nodes (through the Nodes interface it defines) and SQL
// to PostgreSQL; the HTTP doors sit above it.
package objects

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/gateway/cluster"
	"sixfold/gateway/erasure"
	"sixfold/gateway/placement"
	"sixfold/proto/storagepb"
)

// DataShards is how many data shards every blob is split into: the seed's
// six chunks.
const DataShards = 6

// ChunkCount is the number of chunks of a blob written before parity.
const ChunkCount = DataShards

// messageSize is the most data one gRPC message of a pre-parity chunk
// carries; it stays well under grpc-go's 4 MiB default receive limit.
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

// BlobStatus is a blob's files.status, one of the values the table's
// CHECK constraint lists.
type BlobStatus string

const (
	BlobUploading BlobStatus = "uploading"
	BlobCompleted BlobStatus = "completed"
	BlobFailed    BlobStatus = "failed"
)

// ChunkStatus is a shard's chunks.status, one of the values the table's
// CHECK constraint lists.
type ChunkStatus string

const (
	ChunkPending ChunkStatus = "pending"
	ChunkStored  ChunkStatus = "stored"
	ChunkCorrupt ChunkStatus = "corrupt"
	ChunkMissing ChunkStatus = "missing"
)

// Blob is a stored object's metadata.
type Blob struct {
	ID          uuid.UUID
	Filename    string
	ContentType string
	Size        int64
	Checksum    string // hex SHA-256 of the whole blob
	Status      BlobStatus
	Metadata    json.RawMessage
	CreatedAt   time.Time
	// Owner is the identity that uploaded a /files blob (see SetOwner);
	// "" when none was recorded.
	Owner string
	// DataShards, ParityShards and BlockSize are the blob's layout; a
	// BlockSize of 0 marks a blob written before parity: six contiguous
	// chunks, each checked by its SHA-256.
	DataShards   int
	ParityShards int
	BlockSize    int64
	Chunks       []Chunk
	// Parts, when set, make the blob a view of an S3 multipart object: the
	// bytes are those of the parts, one after another, and Chunks is empty.
	Parts []Part
}

// Striped reports whether the blob has the parity layout.
func (b Blob) Striped() bool { return b.BlockSize > 0 }

// Layout is the blob's striping; meaningful only when Striped.
func (b Blob) Layout() erasure.Layout {
	return erasure.Layout{Data: b.DataShards, Parity: b.ParityShards, BlockSize: b.BlockSize, Size: b.Size}
}

// Part is one blob of a multipart object, at Offset in the object.
type Part struct {
	Offset int64
	Blob   Blob
	// BlobOffset and Size select the bytes of Blob the part is made of (a
	// server-side copy of a range shares the source's blob); Size 0 with
	// BlobOffset 0 means the whole blob.
	BlobOffset, Size int64
	// number and segment name the object_parts row, while rows are grouped.
	number  int32
	segment int16
}

// length is how many bytes of the object the part holds.
func (p Part) length() int64 {
	if p.Size == 0 && p.BlobOffset == 0 {
		return p.Blob.Size
	}
	return p.Size
}

// Chunk is one of a blob's shards (a chunk, for blobs before parity) and
// where it lives.
type Chunk struct {
	ID            uuid.UUID
	Number        int
	Offset        int64 // in the blob, for pre-parity chunks; 0 for shards
	Size          int64 // bytes of the chunk file
	Hash          string
	Status        ChunkStatus
	ServerID      uuid.UUID
	ServerAddress string
}

// Role names what a shard holds: "data" or "parity".
func (b Blob) Role(c Chunk) string {
	if c.Number >= b.DataShards && b.Striped() {
		return "parity"
	}
	return "data"
}

// Nodes is what the object service needs of the storage cluster: where new
// shards go, and connections to the nodes that hold them. *cluster.Cluster
// implements it; tests provide in-process nodes.
type Nodes interface {
	// Snapshot returns the placement ring and the nodes on it.
	Snapshot() (*placement.Ring, map[placement.NodeID]cluster.Node)
	// Refresh rebuilds the ring now; RequestRefresh asks for it soon.
	Refresh(ctx context.Context) error
	RequestRefresh()
	// Client returns a client for the node at address.
	Client(address string) (storagepb.StorageServiceClient, error)
	// WaitReady reports whether address's connection is, or becomes within
	// a bounded wait, ready.
	WaitReady(ctx context.Context, address string) bool
	// Down reports, without waiting, that address is known to be down:
	// reads route around it at no cost.
	Down(address string) bool
}

var _ Nodes = (*cluster.Cluster)(nil)

// Options tunes the service.
type Options struct {
	// MaxSize is the largest blob accepted.
	MaxSize int64
	// SessionTimeout is how long an upload may go without progress.
	SessionTimeout time.Duration
	// ParityShards is P, the parity shards of new blobs (0: none).
	ParityShards int
	// BlockSize is the block of new blobs' stripes. Default 1 MiB.
	BlockSize int64
	// StallTimeout is how long a node call may make no progress before it
	// is given up: a read reconstructs the shard from parity, a write goes
	// on without it while the write quorum holds. Default 5s.
	StallTimeout time.Duration
	// CallTimeout (storage.grpc_timeout) is the longest the gateway waits
	// on a node for one answer: the deadline of a unary call, and the cap
	// on StallTimeout, because a shard stream's whole length grows with
	// its object (a 10 GiB object's shards are 1.7 GiB each) and cannot
	// have a fixed deadline. Default 60s, the seed's.
	CallTimeout time.Duration
	// Retries is how often opening a shard stream is retried after a
	// transient node error, RetryDelay apart, before the write goes on
	// without that shard (storage.max_retries, storage.retry_delay).
	// Defaults 3 and 100ms; negative means none and no pause. A read does
	// not retry: it fails over to parity at once, which is faster than
	// waiting.
	Retries    int
	RetryDelay time.Duration
	// Heal configures the healer (RunHealer).
	Heal HealOptions
	// Retention is how long the chunks of a deleted blob stay on their
	// nodes before the deletion job removes them, so that a database
	// restored to a point within it still finds its bytes (gc.retention).
	// 0 deletes them at once.
	Retention time.Duration
	// Observer, when set, is told about every upload and download
	// (metrics). Optional.
	Observer Observer
}

func (o Options) withDefaults() Options {
	if o.BlockSize <= 0 {
		o.BlockSize = 1 << 20
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = time.Minute
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = 5 * time.Second
	}
	o.StallTimeout = min(o.StallTimeout, o.CallTimeout)
	switch {
	case o.Retries == 0:
		o.Retries = 3
	case o.Retries < 0:
		o.Retries = 0
	}
	switch {
	case o.RetryDelay == 0:
		o.RetryDelay = 100 * time.Millisecond
	case o.RetryDelay < 0:
		o.RetryDelay = 0
	}
	o.Heal = o.Heal.withDefaults()
	return o
}

// WriteQuorum is how many of a blob's shards must be durable for a write
// to succeed: every data shard's worth plus one when there is parity, so a
// blob acknowledged with a shard missing still survives one more loss
// before the healer has run.
func WriteQuorum(data, parity int) int {
	return data + min(parity, 1)
}

// Service is safe for concurrent use.
type Service struct {
	blobs   *db.Blobs
	cluster Nodes
	opts    Options
	log     zerolog.Logger
	kick    chan struct{} // wakes the deletion worker
	healNow chan struct{} // wakes the healer

	codecMu sync.Mutex // protects codecs
	codecs  map[[2]int]*erasure.Codec

	stripes []sync.Pool // *erasure.Stripe of the default shape, by stripeClass

	heal healCounters

	readBatchers  sync.Map // node address → *readBatcher
	writeBatchers sync.Map // node address → *writeBatcher
}

// New wires a Service to its metadata (db.NewBlobs) and its nodes.
func New(blobs *db.Blobs, c Nodes, opts Options, log zerolog.Logger) *Service {
	s := &Service{blobs: blobs, cluster: c, opts: opts.withDefaults(), log: log,
		kick: make(chan struct{}, 1), healNow: make(chan struct{}, 1), codecs: map[[2]int]*erasure.Codec{}}
	top, _ := s.stripeClass(s.opts.BlockSize)
	s.stripes = make([]sync.Pool, top+1)
	return s
}

// codec returns the shared codec of a shape.
func (s *Service) codec(data, parity int) (*erasure.Codec, error) {
	s.codecMu.Lock()
	defer s.codecMu.Unlock()
	key := [2]int{data, parity}
	if c, ok := s.codecs[key]; ok {
		return c, nil
	}
	c, err := erasure.NewCodec(data, parity)
	if err != nil {
		return nil, err
	}
	s.codecs[key] = c
	return c, nil
}

// minPooledBlock is the smallest block capacity stripes are pooled at: a
// 4 KiB object's blocks are 683 bytes.
const minPooledBlock = 1 << 10

// stripeClass returns the block capacity that a stripe for blocks of up to
// capacity bytes is made and pooled at, and the index of its pool: the next
// power of two from minPooledBlock on, or the block size itself once that
// is reached. Rounding up costs a small object at most twice its stripe,
// and lets whole small PUTs reuse stripes instead of leaving one right-sized
// stripe of garbage each (a 1 MiB PUT's is 1.4 MiB).
func (s *Service) stripeClass(capacity int64) (int, int64) {
	class, c := 0, int64(minPooledBlock)
	for c < capacity && c < s.opts.BlockSize {
		class, c = class+1, c<<1
	}
	return class, min(c, s.opts.BlockSize)
}

// stripePool returns the pool of stripes of a shape whose blocks hold up to
// capacity bytes, and the block capacity its stripes have; nil when such
// stripes are not pooled. Only the service's own shape, which every new
// blob has, is pooled.
func (s *Service) stripePool(data, shards int, capacity int64) (*sync.Pool, int64) {
	if data != DataShards || shards != DataShards+s.opts.ParityShards || capacity > s.opts.BlockSize {
		return nil, 0
	}
	class, classCapacity := s.stripeClass(capacity)
	return &s.stripes[class], classCapacity
}

// newStripe returns a stripe for blocks of up to capacity bytes, perhaps
// more: a pooled one of its class (stripeClass) when its shape is pooled,
// and a right-sized new one otherwise.
func (s *Service) newStripe(data, shards int, capacity int64) *erasure.Stripe {
	pool, classCapacity := s.stripePool(data, shards, capacity)
	if pool == nil {
		return erasure.NewStripe(data, shards, capacity)
	}
	if st, ok := pool.Get().(*erasure.Stripe); ok {
		return st
	}
	return erasure.NewStripe(data, shards, classCapacity)
}

// recycleStripe pools a stripe that newStripe may hand out again; no frame
// of it may be in use any more.
func (s *Service) recycleStripe(st *erasure.Stripe, data, shards int) {
	if pool, classCapacity := s.stripePool(data, shards, st.Capacity()); pool != nil && classCapacity == st.Capacity() {
		pool.Put(st)
	}
}
