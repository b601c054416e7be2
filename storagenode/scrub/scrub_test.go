package scrub

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"sixfold/db/dbq"
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
	return New(dbq.New(e.Pool), e.Store, opts, e.Log)
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
	e := nodetest.New(t)
	e.PutChunk(t, 2<<20, 0)
	start := time.Now()
	res, err := newScrubber(e, Options{BytesPerSecond: 4 << 20}).RunOnce(context.Background())
	if err != nil || res.Checked != 1 {
		t.Fatalf("RunOnce = %+v, %v", res, err)
	}
	// 2 MiB at 4 MiB/s: half a second.
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Fatalf("pass took %v; want about 500ms at the cap", took)
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
