// Package nodetest gives the storage node's integration tests what they
// share: a migrated PostgreSQL database (through sixfold/db/dbtest, so it
// needs SIXFOLD_TEST_DATABASE_URL) with this node registered, a chunk store
// in a temp dir, and helpers that put chunk files and write chunks rows
// straight into the database.
package nodetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/db/dbtest"
	"sixfold/storagenode/chunkstore"
)

// Env is one node's database and disk.
type Env struct {
	DB     *db.Store     // what the code under test is given
	Pool   *pgxpool.Pool // the same database, for tests that write or read rows directly
	Store  *chunkstore.Store
	Dir    string    // the store's data directory
	NodeID uuid.UUID // this node's storage_servers row
	Other  uuid.UUID // another node's row
	Log    zerolog.Logger
}

// New sets up an Env with two registered servers, this node and another.
func New(t *testing.T) *Env {
	t.Helper()
	pool, _ := dbtest.NewPool(t)
	dir := t.TempDir()
	store, err := chunkstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{DB: db.NewStore(pool), Pool: pool, Store: store, Dir: dir, NodeID: uuid.New(), Other: uuid.New(), Log: zerolog.New(zerolog.NewTestWriter(t))}
	for i, id := range []uuid.UUID{e.NodeID, e.Other} {
		e.Exec(t, `INSERT INTO storage_servers (id, name, address) VALUES ($1, $2, $3)`,
			id, "storage-test", fmt.Sprintf("127.0.0.1:%d", 9001+i))
	}
	return e
}

// Row describes a chunks row to insert.
type Row struct {
	ID     uuid.UUID
	Server uuid.UUID     // default: the Env's node
	Status string        // default: stored
	Hash   string        // default: 64 zeros (for a stored row)
	Size   int64         // the chunk's size
	Age    time.Duration // how long ago the row was created
}

// AddRow inserts r, under a blob of its own.
func (e *Env) AddRow(t *testing.T, r Row) {
	t.Helper()
	if r.Server == uuid.Nil {
		r.Server = e.NodeID
	}
	if r.Status == "" {
		r.Status = "stored"
	}
	var hash *string // NULL for a pending row without one
	if r.Hash != "" {
		hash = &r.Hash
	} else if r.Status != "pending" {
		zeros := hex.EncodeToString(make([]byte, 32))
		hash = &zeros
	}
	fileID := uuid.New()
	e.Exec(t, `INSERT INTO files (id, filename, size) VALUES ($1, 'test', $2)`, fileID, r.Size)
	e.Exec(t, `INSERT INTO chunks (id, file_id, chunk_number, byte_offset, size, hash, storage_server_id, status, created_at)
		VALUES ($1, $2, 0, 0, $3, $4, $5, $6, now() - make_interval(secs => $7))`,
		r.ID, fileID, r.Size, hash, r.Server, r.Status, r.Age.Seconds())
}

// PutFile stores n random bytes as chunk id (a new id if uuid.Nil), sets
// its modification time age ago, and returns the id and the SHA-256.
func (e *Env) PutFile(t *testing.T, id uuid.UUID, n int, age time.Duration) (uuid.UUID, string) {
	t.Helper()
	if id == uuid.Nil {
		id = uuid.New()
	}
	data := make([]byte, n)
	rand.Read(data)
	e.putData(t, id, data, age)
	sum := sha256.Sum256(data)
	return id, hex.EncodeToString(sum[:])
}

// PutShard stores data as a new chunk and records it as stored on this
// node, created age ago, with the hash a parity-era shard row carries: the
// CRC32C (Castagnoli) of data as 8 hex digits, computed here rather than
// taken from the store.
func (e *Env) PutShard(t *testing.T, data []byte, age time.Duration) uuid.UUID {
	t.Helper()
	id := uuid.New()
	e.putData(t, id, data, age)
	crc := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	e.AddRow(t, Row{ID: id, Hash: fmt.Sprintf("%08x", crc), Size: int64(len(data)), Age: age})
	return id
}

// putData stores data as chunk id and sets its modification time age ago.
func (e *Env) putData(t *testing.T, id uuid.UUID, data []byte, age time.Duration) {
	t.Helper()
	_, err := e.Store.Put(context.Background(), id.String(), bytes.NewReader(data), int64(len(data)), chunkstore.DigestCRC32C)
	if err != nil {
		t.Fatal(err)
	}
	if age > 0 {
		at := time.Now().Add(-age)
		if err := os.Chtimes(e.Path(id), at, at); err != nil {
			t.Fatal(err)
		}
	}
}

// PutChunk stores a chunk of n random bytes and records it as stored on
// this node, created age ago (file and row alike).
func (e *Env) PutChunk(t *testing.T, n int, age time.Duration) uuid.UUID {
	t.Helper()
	id, sum := e.PutFile(t, uuid.Nil, n, age)
	e.AddRow(t, Row{ID: id, Hash: sum, Size: int64(n), Age: age})
	return id
}

// Path is where chunk id's file lives.
func (e *Env) Path(id uuid.UUID) string {
	s := id.String()
	return filepath.Join(e.Dir, "chunks", s[:2], s)
}

// Exists reports whether chunk id's file is on disk.
func (e *Env) Exists(t *testing.T, id uuid.UUID) bool {
	t.Helper()
	_, err := os.Stat(e.Path(id))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// Status returns the status of chunk id's row.
func (e *Env) Status(t *testing.T, id uuid.UUID) string {
	t.Helper()
	var s string
	if err := e.Pool.QueryRow(context.Background(), `SELECT status FROM chunks WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatalf("status of %s: %v", id, err)
	}
	return s
}

// Exec runs one statement, failing the test on error.
func (e *Env) Exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := e.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
