package chunkstore

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// reopen opens dir again without closing s, as a node restarted after a
// crash finds it.
func reopen(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open after a crash: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// putSmall puts n chunks small enough for the log and returns their ids
// and bytes.
func putSmall(t *testing.T, s *Store, n, size int) ([]string, map[string][]byte) {
	t.Helper()
	ids := make([]string, n)
	data := make(map[string][]byte, n)
	for i := range ids {
		ids[i] = uuid.NewString()
		data[ids[i]] = randomBytes(t, size+i)
		mustPut(t, s, ids[i], data[ids[i]])
	}
	return ids, data
}

func wantChunks(t *testing.T, s *Store, data map[string][]byte) {
	t.Helper()
	var used int64
	for id, want := range data {
		if got := readRange(t, s, id, 0, 0); !bytes.Equal(got, want) {
			t.Fatalf("chunk %s: %d bytes, not the %d put", id, len(got), len(want))
		}
		used += int64(len(want))
	}
	wantStats(t, s, int64(len(data)), used)
}

// reopenWant reopens dir as after a crash and checks that Open wrote
// replayed chunks again and that the store then holds exactly want.
func reopenWant(t *testing.T, dir string, replayed int, want map[string][]byte) *Store {
	t.Helper()
	s := reopen(t, dir)
	if got := s.ReplayedChunks(); got != replayed {
		t.Fatalf("ReplayedChunks = %d; want %d", got, replayed)
	}
	wantChunks(t, s, want)
	return s
}

func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "log", "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// A crash can take a small chunk's file (written without a sync) while its
// logged bytes survive: Open writes every such chunk again.
func TestLogReplaysChunksACrashLost(t *testing.T) {
	s, dir := openStore(t)
	ids, data := putSmall(t, s, 5, 700)
	// What the disk may hold after a crash: no file, a short one, one
	// with other bytes; the last two as written.
	if err := os.Remove(s.path(ids[0])); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(s.path(ids[1]), 100); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.path(ids[2]), bytes.Repeat([]byte{0}, len(data[ids[2]])), 0o644); err != nil {
		t.Fatal(err)
	}
	reopenWant(t, dir, 3, data)
	if segs := segmentFiles(t, dir); len(segs) != 2 {
		t.Fatalf("log segments after replay: %v; want the two new ones", segs)
	}
	reopenWant(t, dir, 0, data) // a second restart finds nothing to do
}

// Records after a torn one were never acknowledged: replay stops there.
func TestLogReplayStopsAtATornRecord(t *testing.T) {
	s, dir := openStore(t)
	ids, data := putSmall(t, s, 3, 500)
	seg := segmentFiles(t, dir)[0]
	f, err := os.OpenFile(seg, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A byte of the second record's data, as if the machine stopped
	// while writing it.
	if _, err := f.WriteAt([]byte{0xff}, logHeaderSize+500+logHeaderSize+10); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, id := range ids {
		if err := os.Remove(s.path(id)); err != nil {
			t.Fatal(err)
		}
	}
	reopenWant(t, dir, 1, map[string][]byte{ids[0]: data[ids[0]]})
}

// A chunk the log holds, then put again on its own, keeps the later bytes
// through a replay: replaced in place, or deleted and put anew.
func TestLogReplayKeepsLaterPuts(t *testing.T) {
	s, dir := openStore(t)
	ids, _ := putSmall(t, s, 2, 600)
	later := map[string][]byte{ids[0]: randomBytes(t, 900), ids[1]: randomBytes(t, 2<<20)}
	mustPut(t, s, ids[0], later[ids[0]]) // exists: replaced, not logged
	if _, err := s.Delete(ids[1]); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, ids[1], later[ids[1]]) // too large for the log
	reopenWant(t, dir, 0, later)
}

// A chunk the log holds and then deleted stays deleted through a replay:
// a node killed after deleting it must not bring it back.
func TestLogReplayKeepsDeletions(t *testing.T) {
	s, dir := openStore(t)
	ids, data := putSmall(t, s, 3, 800)
	for _, id := range ids[:2] {
		if existed, err := s.Delete(id); err != nil || !existed {
			t.Fatalf("Delete(%s) = %v, %v", id, existed, err)
		}
	}
	if existed, err := s.DeleteIfOlder(ids[2], time.Now().Add(time.Hour)); err != nil || !existed {
		t.Fatalf("DeleteIfOlder = %v, %v", existed, err)
	}
	mustPut(t, s, ids[1], data[ids[1]]) // put again through the log after its deletion
	reopenWant(t, dir, 0, map[string][]byte{ids[1]: data[ids[1]]})
}

// A full segment gives way to the next and retires once the chunk files
// are durable: two segment files stay, and every chunk stays readable.
func TestLogSegmentsRoll(t *testing.T) {
	s, dir := openStore(t)
	s.log.segmentSize = 8 << 10
	_, data := putSmall(t, s, 40, 1000)
	if seq := s.log.seq; seq < 5 {
		t.Fatalf("log at segment %d after 40 KiB in 8 KiB segments", seq)
	}
	if segs := segmentFiles(t, dir); len(segs) != 2 {
		t.Fatalf("log segments: %v; want two", segs)
	}
	wantChunks(t, s, data)
	reopenWant(t, dir, 0, data)
}

// Puts go on into the next segment while a full one retires, and a crash
// before it has retired loses none of its chunks, nor brings back one
// deleted meanwhile.
func TestLogPutsGoOnWhileASegmentRetires(t *testing.T) {
	s, dir := openStore(t)
	s.log.segmentSize = 8 << 10
	hold, held := make(chan struct{}), make(chan struct{}, 1)
	s.log.beforeRetire = func() {
		held <- struct{}{}
		<-hold
	}
	t.Cleanup(func() { close(hold) }) // after the reopened store closes
	seq := s.log.seq
	var ids []string
	data := make(map[string][]byte)
	for s.log.seq == seq {
		more, moreData := putSmall(t, s, 1, 1000)
		ids = append(ids, more...)
		maps.Copy(data, moreData)
	}
	waitFor(t, held, "the full segment did not start retiring")
	// The next segment holds several of these; none may wait for the
	// retirement, which the test holds until it ends.
	more := make([]string, 4)
	for i := range more {
		more[i] = uuid.NewString()
		data[more[i]] = randomBytes(t, 1000+i)
	}
	ids = append(ids, more...)
	put := make(chan struct{})
	var putErr error
	go func() {
		defer close(put)
		for _, id := range more {
			if _, putErr = s.Put(context.Background(), id, bytes.NewReader(data[id]), int64(len(data[id])), DigestCRC32C); putErr != nil {
				return
			}
		}
	}()
	waitFor(t, put, "puts waited for the full segment to retire")
	if putErr != nil {
		t.Fatal(putErr)
	}
	if existed, err := s.Delete(ids[0]); err != nil || !existed {
		t.Fatalf("Delete(%s) = %v, %v", ids[0], existed, err)
	}
	delete(data, ids[0])
	// The crash takes every chunk file the log holds: none was synced.
	for _, id := range ids[1:] {
		if err := os.Remove(s.path(id)); err != nil {
			t.Fatal(err)
		}
	}
	reopenWant(t, dir, len(data), data)
}

// waitFor fails the test unless done delivers within 10 s.
func waitFor(t *testing.T, done <-chan struct{}, failure string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal(failure)
	}
}

// Puts at once share syncs of the log, and each is durable when it
// returns: a crash after that loses none.
func TestLogConcurrentPutsShareSyncs(t *testing.T) {
	s, dir := openStore(t)
	const workers, each = 16, 20
	data := make(map[string][]byte)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				id, b := uuid.NewString(), make([]byte, 683)
				copy(b, id)
				if _, err := s.Put(context.Background(), id, bytes.NewReader(b), int64(len(b)), DigestCRC32C); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				data[id] = b
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("%d puts, %d syncs of the log", workers*each, s.log.syncs.Load())
	if syncs := s.log.syncs.Load(); syncs > workers*each {
		t.Fatalf("%d syncs for %d puts", syncs, workers*each)
	}
	for id := range data {
		if err := os.Remove(s.path(id)); err != nil {
			t.Fatal(err)
		}
	}
	reopenWant(t, dir, len(data), data)
}

// After Close a put fails rather than go unlogged.
func TestPutAfterCloseFails(t *testing.T) {
	s, dir := openStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	if _, err := s.Put(context.Background(), id, bytes.NewReader([]byte("x")), 1, DigestCRC32C); err == nil {
		t.Fatal("Put after Close succeeded")
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("files after a refused put: %v", got)
	}
}

// A clean stop leaves nothing to replay: the next Open reads no chunk
// back, not even one whose file has gone since.
func TestLogCleanCloseLeavesNothingToReplay(t *testing.T) {
	s, dir := openStore(t)
	ids, data := putSmall(t, s, 3, 500)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(s.path(ids[0])); err != nil {
		t.Fatal(err)
	}
	delete(data, ids[0])
	reopenWant(t, dir, 0, data)
	if segs := segmentFiles(t, dir); len(segs) != 2 {
		t.Fatalf("log segments: %v; want two", segs)
	}
}
