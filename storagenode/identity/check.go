package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
)

// ErrRefused matches every *RefusedError.
var ErrRefused = errors.New("identity: refused to start on this data directory")

// RefusedError says why a node must not start on its data directory and
// what the operator can do about it. Retrying cannot help: only the
// operator can.
type RefusedError struct {
	DataDir  string
	Address  string    // the address the node would register under
	ServerID uuid.UUID // the server the refusal is about
	Reason   string
	Fix      string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refusing to start on data directory %s: %s. Fix: %s", e.DataDir, e.Reason, e.Fix)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool {
	return target == ErrRefused
}

// Queries is what Check reads from PostgreSQL; *db.Store is one.
type Queries interface {
	ListStorageServers(ctx context.Context) ([]db.StorageServer, error)
	ListStoredChunksOnServer(ctx context.Context, server, after uuid.UUID, minAge time.Duration, limit int) ([]db.StoredChunk, error)
}

var _ Queries = (*db.Store)(nil)

// Claim is what a node knows of itself before it registers.
type Claim struct {
	DataDir   string  // named in refusals
	Address   string  // what the node registers under: its key in PostgreSQL
	Marker    *Marker // the data directory's marker; nil when it has none
	HasChunks bool    // the chunk store holds at least one chunk file
}

// Check decides whether the node may register, from what PostgreSQL
// records. It refuses (a *RefusedError) when the marker names a server
// other than the one registered at the claim's address or one registered
// elsewhere, and when there is no marker and no chunk file but PostgreSQL
// records stored shards on the server at this address. A directory with
// chunk files and no marker predates markers and is accepted.
//
// It returns the id to register under: the marker's, so that a row deleted
// meanwhile comes back with the same id, or uuid.Nil for a fresh one. Any
// error other than a refusal is PostgreSQL's, worth retrying.
func (c Claim) Check(ctx context.Context, q Queries) (uuid.UUID, error) {
	servers, err := q.ListStorageServers(ctx)
	if err != nil {
		return uuid.Nil, fmt.Errorf("identity: list servers: %w", err)
	}
	row := find(servers, func(s db.StorageServer) bool { return s.Address == c.Address })
	if c.Marker != nil {
		return c.Marker.ServerID, c.checkMarker(row, servers)
	}
	if row == nil || c.HasChunks {
		return uuid.Nil, nil
	}
	return uuid.Nil, c.checkEmpty(ctx, q, row)
}

// checkMarker refuses a marker that belongs to another server. row is the
// server registered at the claim's address, if any.
func (c Claim) checkMarker(row *db.StorageServer, servers []db.StorageServer) error {
	m := c.Marker
	if row != nil && row.ID != m.ServerID {
		return c.refuse(row.ID,
			fmt.Sprintf("its marker %s names server %s (last registered at %s), but PostgreSQL has %s registered as server %s (%s)",
				FileName, m.ServerID, m.Address, c.Address, row.ID, row.Name),
			fmt.Sprintf("mount the volume of the node at %s, or start this node as the server the volume belongs to (server.address %s)",
				c.Address, m.Address))
	}
	if row != nil {
		return nil
	}
	if other := find(servers, func(s db.StorageServer) bool { return s.ID == m.ServerID }); other != nil {
		return c.refuse(other.ID,
			fmt.Sprintf("its marker %s names server %s, which PostgreSQL has registered at %s, not at %s",
				FileName, m.ServerID, other.Address, c.Address),
			fmt.Sprintf("start this node with server.address %s, or give the node at %s a volume of its own",
				other.Address, c.Address))
	}
	return nil
}

// checkEmpty refuses a directory with neither marker nor chunk file when
// PostgreSQL records at least one stored shard on row's server: one row is
// enough to know, and the server's last reported chunk count says how many.
func (c Claim) checkEmpty(ctx context.Context, q Queries, row *db.StorageServer) error {
	stored, err := q.ListStoredChunksOnServer(ctx, row.ID, uuid.Nil, 0, 1)
	if err != nil {
		return fmt.Errorf("identity: look for stored shards: %w", err)
	}
	if len(stored) == 0 {
		return nil
	}
	return c.refuse(row.ID,
		fmt.Sprintf("it holds no chunk files and no identity marker (%s), yet PostgreSQL records stored shards on "+
			"server %s (%s, %s, status %s, chunk files at its last heartbeat: %d): the volume looks unmounted or wiped, "+
			"and starting would get every one of those shards flagged missing",
			FileName, row.ID, row.Name, row.Address, row.Status, row.ChunkCount),
		fmt.Sprintf("mount the right volume, or drain/replace the node: `gateway admin drain %s`", row.ID))
}

func (c Claim) refuse(server uuid.UUID, reason, fix string) *RefusedError {
	return &RefusedError{DataDir: c.DataDir, Address: c.Address, ServerID: server, Reason: reason, Fix: fix}
}

// find returns the first server for which match is true, or nil.
func find(servers []db.StorageServer, match func(db.StorageServer) bool) *db.StorageServer {
	for i := range servers {
		if match(servers[i]) {
			return &servers[i]
		}
	}
	return nil
}
