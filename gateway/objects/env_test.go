package objects_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/db/dbtest"
	"sixfold/gateway/objects"
)

// Small blocks keep every test's blobs a few stripes long and fast.
const (
	testBlock  = 4 << 10
	testStripe = objects.DataShards * testBlock
)

// Only the tests that freeze a node give up on a silent node quickly
// (quickStall); the others wait long enough that a loaded machine's
// pauses are never taken for a stall.
const (
	testStall = 300 * time.Millisecond
	calmStall = 10 * time.Second
)

func quickStall(o *objects.Options) { o.StallTimeout = testStall }

// env is one test's world: a fresh migrated PostgreSQL database (through
// dbtest: skipped without SIXFOLD_TEST_DATABASE_URL, failed in CI), the
// in-process nodes registered in it, and the service log, shown when the
// test fails.
type env struct {
	pool    *pgxpool.Pool
	cluster *testCluster
	log     *testLog
}

func newEnv(t *testing.T, nodes int) *env {
	t.Helper()
	pool, _ := dbtest.NewPool(t)
	return newEnvOn(t, pool, nodes)
}

// newEnvOn is newEnv on a pool of the caller's (one through a proxy).
func newEnvOn(t *testing.T, pool *pgxpool.Pool, nodes int) *env {
	t.Helper()
	e := &env{pool: pool, cluster: newTestCluster(t, nodes), log: &testLog{}}
	for i, n := range e.cluster.nodes {
		e.exec(t, `INSERT INTO storage_servers (id, name, address) VALUES ($1, $2, $3)`, n.id, fmt.Sprintf("storage-%d", i), n.address)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", e.log.String())
		}
	})
	return e
}

// service returns a Service with P parity shards, testBlock blocks and
// calmStall as its stall timeout, as tune leaves them.
func (e *env) service(parity int, tune ...func(*objects.Options)) *objects.Service {
	opts := objects.Options{MaxSize: 64 << 20, SessionTimeout: time.Minute, ParityShards: parity,
		BlockSize: testBlock, StallTimeout: calmStall}
	for _, f := range tune {
		f(&opts)
	}
	return objects.New(db.NewBlobs(e.pool), e.cluster, opts, zerolog.New(e.log))
}

// payload is n reproducible pseudo-random bytes.
func payload(n int, seed uint64) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// putInput sends data in short reads, as a network body arrives. A body
// that is not Exact gives no size hint at all.
func putInput(data []byte, exact bool) objects.PutInput {
	in := objects.PutInput{Filename: "blob.bin", ContentType: "application/octet-stream",
		Body: bytesReader(data), Exact: exact}
	if exact {
		in.Size = int64(len(data))
	}
	return in
}

// bytesReader returns b in reads of half of what is asked.
func bytesReader(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }

func (e *env) put(t *testing.T, s *objects.Service, data []byte) objects.Blob {
	t.Helper()
	b, err := s.Put(context.Background(), putInput(data, true))
	if err != nil {
		t.Fatalf("Put of %d bytes: %v", len(data), err)
	}
	return b
}

func (e *env) stat(t *testing.T, s *objects.Service, id uuid.UUID) objects.Blob {
	t.Helper()
	b, err := s.Stat(context.Background(), id)
	if err != nil {
		t.Fatalf("Stat(%s): %v", id, err)
	}
	return b
}

// readRange reads [offset, offset+length) of b; on an error it returns
// the bytes read before it too.
func readRange(s *objects.Service, b objects.Blob, offset, length int64) ([]byte, error) {
	r, err := s.Open(context.Background(), b, offset, length)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// checkRange reads a range of b and compares it with want, the whole blob.
func checkRange(t *testing.T, s *objects.Service, b objects.Blob, want []byte, offset, length int64) {
	t.Helper()
	got, err := readRange(s, b, offset, length)
	if err != nil {
		t.Errorf("read [%d, %d): %v", offset, offset+length, err)
		return
	}
	if d := diff(got, want[offset:offset+length]); d != "" {
		t.Errorf("read [%d, %d): %s", offset, offset+length, d)
	}
}

// diff describes how got differs from want, or returns "".
func diff(got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return fmt.Sprintf("got %d bytes, differing from byte %d on; want %d bytes", len(got), i, len(want))
}

// shard returns b's shard number i.
func shard(t *testing.T, b objects.Blob, i int) objects.Chunk {
	t.Helper()
	for _, c := range b.Chunks {
		if c.Number == i {
			return c
		}
	}
	t.Fatalf("blob %s has no shard %d", b.ID, i)
	return objects.Chunk{}
}

func (e *env) nodeOf(t *testing.T, c objects.Chunk) *testNode {
	t.Helper()
	n := e.cluster.byID(c.ServerID)
	if n == nil {
		t.Fatalf("shard %d is on server %s, not a test node", c.Number, c.ServerID)
	}
	return n
}

// checkStored checks every shard of b is stored, and that the file on its
// node has the shard's length and recorded CRC32C.
func (e *env) checkStored(t *testing.T, b objects.Blob) {
	t.Helper()
	if got, want := len(b.Chunks), b.DataShards+b.ParityShards; got != want {
		t.Errorf("blob has %d shards; want %d", got, want)
	}
	for _, c := range b.Chunks {
		if c.Status != objects.ChunkStored {
			t.Errorf("shard %d is %s; want %s", c.Number, c.Status, objects.ChunkStored)
			continue
		}
		e.checkFile(t, c, b.Layout().ShardSize())
	}
}

// checkFile checks c's file on its node: size bytes, CRC32C c.Hash.
func (e *env) checkFile(t *testing.T, c objects.Chunk, size int64) {
	t.Helper()
	data, err := os.ReadFile(e.nodeOf(t, c).chunkPath(c.ID))
	if err != nil {
		t.Errorf("shard %d: %v", c.Number, err)
		return
	}
	crc := fmt.Sprintf("%08x", crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)))
	if int64(len(data)) != size || crc != c.Hash {
		t.Errorf("shard %d on disk: got %d bytes, crc32c %s; want %d bytes, crc32c %s", c.Number, len(data), crc, size, c.Hash)
	}
}

func (e *env) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := e.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// count runs a SELECT count(*).
func (e *env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (e *env) chunkStatus(t *testing.T, id uuid.UUID) objects.ChunkStatus {
	t.Helper()
	var s string
	if err := e.pool.QueryRow(context.Background(), `SELECT status FROM chunks WHERE id = $1`, id).Scan(&s); err != nil {
		t.Fatalf("status of chunk %s: %v", id, err)
	}
	return objects.ChunkStatus(s)
}

// testLog keeps the service's log. It cannot be t.Log: goroutines of a
// read or of a deletion may still log after the test has ended.
type testLog struct {
	mu  sync.Mutex // protects buf
	buf bytes.Buffer
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
