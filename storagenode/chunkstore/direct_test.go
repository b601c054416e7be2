package chunkstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/google/uuid"
	"golang.org/x/sys/unix"
)

// ioSizes straddle every boundary the write path has: the 4 KiB alignment,
// the buffer, and sizes that are multiples of neither.
var ioSizes = []int{
	0, 1, align - 1, align, align + 1,
	writeBufSize - 1, writeBufSize, writeBufSize + 1,
	2 * writeBufSize, 2*writeBufSize + align, 3*writeBufSize + 5,
}

// openDirectStore opens a store on the test's temp dir and requires O_DIRECT
// there, skipping when that filesystem refuses it.
func openDirectStore(t *testing.T) (*Store, string) {
	t.Helper()
	s, dir := openStore(t)
	if ok, why := s.DirectIO(); !ok {
		t.Skipf("O_DIRECT unavailable on %s: %v", dir, why)
	}
	return s, dir
}

// putSizes puts and reads back a chunk of every size in ioSizes, with its
// size announced and not, delivered in uneven reads.
func putSizes(t *testing.T, s *Store) {
	t.Helper()
	for _, n := range ioSizes {
		data := randomBytes(t, n)
		for _, expected := range []int64{int64(n), -1} {
			t.Run(fmt.Sprintf("size=%d/expected=%d", n, expected), func(t *testing.T) {
				id := uuid.NewString()
				r := iotest.HalfReader(bytes.NewReader(data))
				res, err := s.Put(context.Background(), id, r, expected, DigestCRC32C)
				if want := (PutResult{Size: int64(n), CRC32C: crc32c(data)}); err != nil || res != want {
					t.Fatalf("Put = %+v, %v; want %+v", res, err, want)
				}
				if got := readRange(t, s, id, 0, 0); !bytes.Equal(got, data) {
					t.Fatalf("read back %d bytes, differing from the %d put", len(got), n)
				}
				info, err := os.Stat(s.path(id))
				if err != nil || info.Size() != int64(n) {
					t.Fatalf("file: %v, %v; want %d bytes", info, err, n)
				}
			})
		}
	}
}

func TestPutSizesDirect(t *testing.T) {
	s, dir := openDirectStore(t)
	putSizes(t, s)
	if got := files(t, filepath.Join(dir, "tmp")); len(got) != 0 {
		t.Fatalf("tmp/ holds %v; want nothing", got)
	}
}

func TestPutSizesBufferedFallback(t *testing.T) {
	s, _ := openStore(t)
	s.directErr = errors.New("refused for the test")
	putSizes(t, s)
}

// TestChunkWriterSwitchesDirect checks the flags on the file itself: off for
// a piece shorter than a buffer, on for whole buffers, off again for the
// unaligned tail, and the bytes land in order.
func TestChunkWriterSwitchesDirect(t *testing.T) {
	s, dir := openDirectStore(t)
	f, err := os.CreateTemp(dir, "writer")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &chunkWriter{f: f, direct: true}
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	data := randomBytes(t, 2*writeBufSize+align+7)
	var off int
	step := func(n int, wantDirect bool) {
		t.Helper()
		p := (*buf)[:n]
		copy(p, data[off:off+n])
		if err := w.write(p); err != nil {
			t.Fatalf("write(%d bytes at %d): %v", n, off, err)
		}
		off += n
		if got := directFlag(t, f); got != wantDirect {
			t.Fatalf("after writing %d bytes at %d: O_DIRECT = %v; want %v", n, off-n, got, wantDirect)
		}
	}
	step(writeBufSize, true)
	step(writeBufSize, true)
	step(align+7, false)
	got, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file holds %d bytes (%v), differing from the %d written", len(got), err, len(data))
	}

	small, err := os.CreateTemp(dir, "small")
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	w, off = &chunkWriter{f: small, direct: true}, 0
	f = small
	step(2*align, false)
}

func directFlag(t *testing.T, f *os.File) bool {
	t.Helper()
	var flags int
	err := control(f, func(fd int) error {
		var err error
		flags, err = unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return flags&unix.O_DIRECT != 0
}

// TestDirectIOProbe opens a store on every filesystem at hand that is not
// the test's temp dir (a tmpfs refuses O_DIRECT before Linux 6.6): whatever
// the probe decides, puts must work there and the probe must leave nothing.
func TestDirectIOProbe(t *testing.T) {
	for _, root := range []string{"/dev/shm", os.TempDir()} {
		if _, err := os.Stat(root); err != nil {
			continue
		}
		t.Run(root, func(t *testing.T) {
			dir, err := os.MkdirTemp(root, "chunkstore-probe-")
			if err != nil {
				t.Skipf("cannot write to %s: %v", root, err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			ok, why := s.DirectIO()
			if ok != (why == nil) {
				t.Fatalf("DirectIO = %v, %v: inconsistent", ok, why)
			}
			t.Logf("O_DIRECT on %s: %v (%v)", root, ok, why)
			if got := files(t, filepath.Join(dir, "tmp")); len(got) != 0 {
				t.Fatalf("probe left %v in tmp/", got)
			}
			data := randomBytes(t, 2*writeBufSize+3)
			mustPut(t, s, uuid.NewString(), data)
		})
	}
}

// TestProbeErrorIsAReason gives the probe a directory it cannot write to:
// the failure comes back as the reason O_DIRECT is off.
func TestProbeErrorIsAReason(t *testing.T) {
	var pool alignedPool
	err := probeDirectIO(filepath.Join(t.TempDir(), "missing"), &pool)
	if err == nil || !strings.Contains(err.Error(), "chunkstore") {
		t.Fatalf("probe of a missing dir = %v; want an error", err)
	}
}

// TestCancelMidDirectWrite cancels puts of large chunks part way, between
// and inside whole buffers and in the tail, with O_DIRECT on and off: the
// put fails with the context's error, leaves no file and the counters and
// an earlier chunk of the same id untouched.
func TestCancelMidDirectWrite(t *testing.T) {
	for _, direct := range []bool{true, false} {
		t.Run(fmt.Sprintf("direct=%v", direct), func(t *testing.T) {
			s, dir := openStore(t)
			if !direct {
				s.directErr = errors.New("refused for the test")
			} else if ok, why := s.DirectIO(); !ok {
				t.Skipf("O_DIRECT unavailable: %v", why)
			}
			id := uuid.NewString()
			earlier := randomBytes(t, 5000)
			mustPut(t, s, id, earlier)
			data := randomBytes(t, 4*writeBufSize+align+3)
			for _, after := range []int{1, writeBufSize, writeBufSize + 1, 3*writeBufSize + 17, 4 * writeBufSize} {
				ctx, cancel := context.WithCancel(context.Background())
				r := &cancelAfter{r: bytes.NewReader(data), n: after, cancel: cancel}
				_, err := s.Put(ctx, id, r, int64(len(data)), DigestCRC32C)
				cancel()
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Put cancelled after %d bytes = %v; want context.Canceled", after, err)
				}
				if got := files(t, dir); len(got) != 1 {
					t.Fatalf("files after cancelled Put = %v; want only the earlier chunk", got)
				}
				if got := readRange(t, s, id, 0, 0); !bytes.Equal(got, earlier) {
					t.Fatal("earlier chunk changed")
				}
				wantStats(t, s, 1, int64(len(earlier)))
			}
		})
	}
}

// TestShortLargePutLeavesNothing ends a preallocated stream early: the
// reserved space must go with the temp file.
func TestShortLargePutLeavesNothing(t *testing.T) {
	s, dir := openStore(t)
	data := randomBytes(t, 3*writeBufSize)
	_, err := s.Put(context.Background(), uuid.NewString(), bytes.NewReader(data[:writeBufSize+5]), int64(len(data)), DigestCRC32C)
	if !errors.Is(err, ErrSizeMismatch) {
		t.Fatalf("Put = %v; want ErrSizeMismatch", err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("files after short Put = %v; want none", got)
	}
	wantStats(t, s, 0, 0)
}

func TestAlignedPoolBuffers(t *testing.T) {
	var p alignedPool
	for range 4 {
		b := p.get()
		if len(*b) != writeBufSize || cap(*b) != writeBufSize {
			t.Fatalf("buffer len %d cap %d; want %d", len(*b), cap(*b), writeBufSize)
		}
		if addr := uintptrOf(*b); addr%align != 0 {
			t.Fatalf("buffer at %#x is not %d-aligned", addr, align)
		}
		defer p.put(b)
	}
}

func uintptrOf(b []byte) uintptr {
	return uintptr(unsafe.Pointer(&b[0]))
}
