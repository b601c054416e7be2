package chunkstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// forEachTempKind runs fn on a store writing unnamed temp files and on one
// made to fall back to named ones.
func forEachTempKind(t *testing.T, fn func(t *testing.T, s *Store, dir string)) {
	t.Run("unnamed", func(t *testing.T) {
		s, dir := openStore(t)
		if ok, why := s.UnnamedTempFiles(); !ok {
			t.Skipf("O_TMPFILE unavailable on %s: %v", dir, why)
		}
		fn(t, s, dir)
	})
	t.Run("named", func(t *testing.T) {
		s, dir := openStore(t)
		s.anonErr = errors.New("refused for the test")
		fn(t, s, dir)
	})
}

func TestPutSizesBothTempKinds(t *testing.T) {
	forEachTempKind(t, func(t *testing.T, s *Store, dir string) {
		putSizes(t, s)
		if got := files(t, filepath.Join(dir, "tmp")); len(got) != 0 {
			t.Fatalf("tmp/ holds %v; want nothing", got)
		}
	})
}

// TestReplaceBothTempKinds replaces a chunk (an unnamed file cannot be
// linked over one, so it takes the detour through a temp name), then fails
// a replacement: the counters follow and the earlier bytes stay.
func TestReplaceBothTempKinds(t *testing.T) {
	forEachTempKind(t, func(t *testing.T, s *Store, dir string) {
		id := uuid.NewString()
		mustPut(t, s, id, bytes.Repeat([]byte("a"), 100))
		second := bytes.Repeat([]byte("b"), 40)
		mustPut(t, s, id, second)
		wantStats(t, s, 1, 40)
		if _, err := s.Put(context.Background(), id, strings.NewReader("c"), 2, DigestSHA256); !errors.Is(err, ErrSizeMismatch) {
			t.Fatalf("short Put = %v; want ErrSizeMismatch", err)
		}
		if got := readRange(t, s, id, 0, 0); !bytes.Equal(got, second) {
			t.Fatalf("chunk = %q; want %q", got, second)
		}
		if got := files(t, dir); len(got) != 1 {
			t.Fatalf("files = %v; want the one chunk", got)
		}
		wantStats(t, s, 1, 40)
	})
}

// TestConcurrentReplaceBothTempKinds races puts of one id: every put
// succeeds, one whole version wins, and nothing is left in tmp/.
func TestConcurrentReplaceBothTempKinds(t *testing.T) {
	forEachTempKind(t, func(t *testing.T, s *Store, dir string) {
		id := uuid.NewString()
		const workers = 8
		blobs := make([][]byte, workers)
		for i := range blobs {
			blobs[i] = randomBytes(t, 1000+i)
		}
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for i := range workers {
			wg.Go(func() {
				_, err := s.Put(context.Background(), id, bytes.NewReader(blobs[i]), -1, DigestCRC32C)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
		}
		got := readRange(t, s, id, 0, 0)
		if len(got) < 1000 || len(got) >= 1000+workers || !bytes.Equal(got, blobs[len(got)-1000]) {
			t.Fatalf("chunk of %d bytes is none of the versions put", len(got))
		}
		if tmp := files(t, filepath.Join(dir, "tmp")); len(tmp) != 0 {
			t.Fatalf("tmp/ holds %v", tmp)
		}
		wantStats(t, s, 1, int64(len(got)))
	})
}

// TestUnnamedTempFileHasNoName looks into tmp/ while a put waits for its
// bytes: an unnamed temp file leaves no entry there, a named one does.
func TestUnnamedTempFileHasNoName(t *testing.T) {
	forEachTempKind(t, func(t *testing.T, s *Store, dir string) {
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		id := uuid.NewString()
		go func() {
			// Of unknown size, so that it takes a temp file: a small
			// chunk of known size is written through the log.
			_, err := s.Put(context.Background(), id, pr, -1, DigestCRC32C)
			done <- err
		}()
		if _, err := pw.Write([]byte("01234")); err != nil {
			t.Fatal(err)
		}
		// The first bytes were taken, so the temp file exists by now.
		inTmp := files(t, filepath.Join(dir, "tmp"))
		if _, err := pw.Write([]byte("56789")); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		if err := <-done; err != nil {
			t.Fatalf("Put: %v", err)
		}
		unnamed, _ := s.UnnamedTempFiles()
		if want := map[bool]int{true: 0, false: 1}[unnamed]; len(inTmp) != want {
			t.Fatalf("tmp/ during the put held %v; want %d entries", inTmp, want)
		}
		if got := readRange(t, s, id, 0, 0); string(got) != "0123456789" {
			t.Fatalf("chunk = %q", got)
		}
	})
}

func TestProbeAnonErrorIsAReason(t *testing.T) {
	err := probeAnon(filepath.Join(t.TempDir(), "missing"))
	if err == nil || !strings.Contains(err.Error(), "chunkstore") {
		t.Fatalf("probe of a missing dir = %v; want an error", err)
	}
}
