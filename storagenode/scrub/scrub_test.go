package scrub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/internal/nodetest"
)

// counter is an Observer that remembers what it heard.
type counter struct {
	mu                                 sync.Mutex
	checked, corrupt, missing, ioError int
}

func (c *counter) ScrubChecked()  { c.mu.Lock(); c.checked++; c.mu.Unlock() }
func (c *counter) ScrubCorrupt()  { c.mu.Lock(); c.corrupt++; c.mu.Unlock() }
func (c *counter) ScrubMissing()  { c.mu.Lock(); c.missing++; c.mu.Unlock() }
func (c *counter) IOError(string) { c.mu.Lock(); c.ioError++; c.mu.Unlock() }

func newScrubber(e *nodetest.Env, opts Options) *Scrubber {
	opts.NodeID = e.NodeID
	return New(e.DB, e.Store, opts, e.Log)
}

// flipByte inverts one byte of chunk id's file in place.
func flipByte(t *testing.T, e *nodetest.Env, id uuid.UUID, at int64) {
	t.Helper()
	f, err := os.OpenFile(e.Path(id), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

func TestScrubFlagsExactlyTheFlippedChunk(t *testing.T) {
	e := nodetest.New(t)
	var ids []uuid.UUID
	for _, n := range []int{0, 1, 4096, 1<<20 + 17, 3000} {
		ids = append(ids, e.PutChunk(t, n, 0))
	}
	flipped := ids[3]
	flipByte(t, e, flipped, 1<<20+5) // in the second buffer's worth
	// A row of another node whose file happens to be here differs too, but
	// is not this node's to judge.
	other, _ := e.PutFile(t, uuid.Nil, 10, 0)
	e.AddRow(t, nodetest.Row{ID: other, Server: e.Other, Size: 10})

	obs := &counter{}
	var logs bytes.Buffer
	e.Log = zerolog.New(io.MultiWriter(&logs, zerolog.NewTestWriter(t)))
	res, err := newScrubber(e, Options{BatchSize: 2, Observer: obs}).RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"level":"error","job":"scrub","chunk_id":"`+flipped.String()) {
		t.Errorf("no error log line names %s:\n%s", flipped, logs.String())
	}
	if want := (Result{Checked: 5, Corrupt: 1}); res != want {
		t.Fatalf("RunOnce = %+v; want %+v", res, want)
	}
	if obs.checked != 5 || obs.corrupt != 1 || obs.missing != 0 {
		t.Fatalf("observer heard %+v; want 5 checked, 1 corrupt", obs)
	}
	for _, id := range append(ids, other) {
		want := "stored"
		if id == flipped {
			want = "corrupt"
		}
		if got := e.Status(t, id); got != want {
			t.Errorf("status of %s = %q; want %q", id, got, want)
		}
	}
	// The flagged row is no longer stored, so the next pass skips it.
	res, err = newScrubber(e, Options{}).RunOnce(context.Background())
	if err != nil || res != (Result{Checked: 4}) {
		t.Fatalf("second RunOnce = %+v, %v; want 4 checked", res, err)
	}
}

func TestScrubCountsWrongSizeAndMissing(t *testing.T) {
	e := nodetest.New(t)
	truncated := e.PutChunk(t, 100, 0)
	if err := os.Truncate(e.Path(truncated), 99); err != nil {
		t.Fatal(err)
	}
	gone := e.PutChunk(t, 100, 0)
	if err := os.Remove(e.Path(gone)); err != nil {
		t.Fatal(err)
	}
	res, err := newScrubber(e, Options{}).RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Result{Checked: 1, Corrupt: 1, Missing: 1}); res != want {
		t.Fatalf("RunOnce = %+v; want %+v", res, want)
	}
	if e.Status(t, truncated) != "corrupt" || e.Status(t, gone) != "stored" {
		t.Fatalf("statuses %q, %q; want corrupt, and stored (the sweep flags missing files)",
			e.Status(t, truncated), e.Status(t, gone))
	}
}

func TestScrubIsPaced(t *testing.T) {
	for _, tt := range []struct {
		name string
		put  func(e *nodetest.Env)
	}{
		{"sha256", func(e *nodetest.Env) { e.PutChunk(t, 2<<20, 0) }},
		{"crc32c", func(e *nodetest.Env) { e.PutShard(t, make([]byte, 2<<20), 0) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := nodetest.New(t)
			tt.put(e)
			start := time.Now()
			res, err := newScrubber(e, Options{BytesPerSecond: 4 << 20}).RunOnce(context.Background())
			if err != nil || res != (Result{Checked: 1}) {
				t.Fatalf("RunOnce = %+v, %v; want 1 checked", res, err)
			}
			// 2 MiB at 4 MiB/s: half a second.
			if took := time.Since(start); took < 400*time.Millisecond {
				t.Fatalf("pass took %v; want about 500ms at the cap", took)
			}
		})
	}
}

// leadingZeroCRC returns bytes whose CRC32C is below 0x10000000, so that
// its 8-digit hex form starts with a zero that an unpadded %x would drop.
func leadingZeroCRC(t *testing.T) []byte {
	t.Helper()
	table := crc32.MakeTable(crc32.Castagnoli)
	for i := range 1 << 16 {
		data := []byte(fmt.Sprintf("shard-%d", i))
		if crc32.Checksum(data, table) < 1<<28 {
			return data
		}
	}
	t.Fatal("no small CRC32C found")
	return nil
}

// TestScrubChecksShardsByCRC32C mixes parity-era shards (CRC32C rows) with
// older chunks (SHA-256 rows) and damages one of each kind, plus a shard cut
// short: exactly those three are flagged.
func TestScrubChecksShardsByCRC32C(t *testing.T) {
	e := nodetest.New(t)
	var shards []uuid.UUID
	for _, data := range [][]byte{{}, {0x42}, leadingZeroCRC(t), make([]byte, 4096), bytes.Repeat([]byte("parity"), 200_000)} {
		shards = append(shards, e.PutShard(t, data, 0))
	}
	old := []uuid.UUID{e.PutChunk(t, 10, 0), e.PutChunk(t, 1<<20+3, 0)}
	flippedShard, cutShard, flippedOld := shards[4], shards[3], old[1]
	flipByte(t, e, flippedShard, 1<<20+5)
	flipByte(t, e, flippedOld, 7)
	if err := os.Truncate(e.Path(cutShard), 4095); err != nil {
		t.Fatal(err)
	}

	obs := &counter{}
	res, err := newScrubber(e, Options{BatchSize: 3, Observer: obs}).RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Result{Checked: 7, Corrupt: 3}); res != want {
		t.Fatalf("RunOnce = %+v; want %+v", res, want)
	}
	if obs.checked != 7 || obs.corrupt != 3 || obs.ioError != 0 {
		t.Fatalf("observer heard %+v; want 7 checked, 3 corrupt", obs)
	}
	for _, id := range append(shards, old...) {
		want := "stored"
		if id == flippedShard || id == cutShard || id == flippedOld {
			want = "corrupt"
		}
		if got := e.Status(t, id); got != want {
			t.Errorf("status of %s = %q; want %q", id, got, want)
		}
	}
}

// fakeQueries serves fixed rows, for hashes the CHECK constraint would
// refuse, and records what was flagged.
type fakeQueries struct {
	rows    []db.StoredChunk
	flagged []uuid.UUID
}

func (f *fakeQueries) ListStoredChunksOnServer(_ context.Context, _, after uuid.UUID, _ time.Duration, _ int) ([]db.StoredChunk, error) {
	if after != uuid.Nil {
		return nil, nil
	}
	return f.rows, nil
}

func (f *fakeQueries) MarkChunksCorruptOnServer(_ context.Context, _ uuid.UUID, ids []uuid.UUID) (int64, error) {
	f.flagged = append(f.flagged, ids...)
	return int64(len(ids)), nil
}

// TestScrubLeavesUnknownHashesAlone: a hash that is neither digest cannot
// prove a file bad, so it is logged, not flagged.
func TestScrubLeavesUnknownHashesAlone(t *testing.T) {
	store, err := chunkstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	if _, err := store.Put(context.Background(), id.String(), strings.NewReader("abc"), 3, chunkstore.DigestCRC32C); err != nil {
		t.Fatal(err)
	}
	q := &fakeQueries{}
	for _, h := range []string{"", "abc", strings.Repeat("0", 16), strings.Repeat("0", 63)} {
		q.rows = append(q.rows, db.StoredChunk{ID: id, Hash: h, Size: 3})
	}
	var logs bytes.Buffer
	res, err := New(q, store, Options{NodeID: uuid.New()}, zerolog.New(&logs)).RunOnce(context.Background())
	if err != nil || res != (Result{}) || len(q.flagged) != 0 {
		t.Fatalf("RunOnce = %+v, %v, flagged %v; want nothing checked or flagged", res, err, q.flagged)
	}
	if n := strings.Count(logs.String(), `"level":"error"`); n != len(q.rows) {
		t.Fatalf("%d error lines; want %d:\n%s", n, len(q.rows), logs.String())
	}
}

func TestScrubStopsWithContext(t *testing.T) {
	e := nodetest.New(t)
	e.PutChunk(t, 4<<20, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	// At 1 MiB/s the 4 MiB chunk would take 4 s.
	_, err := newScrubber(e, Options{BytesPerSecond: 1 << 20}).RunOnce(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunOnce = %v; want context.DeadlineExceeded", err)
	}
}

func TestPacerWithoutCapOnlyChecksContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := newPacer(0)
	if err := p.wait(ctx, 1<<30); err != nil {
		t.Fatalf("wait = %v; want nil", err)
	}
	cancel()
	if err := p.wait(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait after cancel = %v; want context.Canceled", err)
	}
}
