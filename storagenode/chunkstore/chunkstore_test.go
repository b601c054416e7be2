package chunkstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/google/uuid"
)

func openStore(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, dir
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func mustPut(t *testing.T, s *Store, id string, data []byte) PutResult {
	t.Helper()
	res, err := s.Put(context.Background(), id, bytes.NewReader(data), int64(len(data)), DigestSHA256)
	if err != nil {
		t.Fatalf("Put(%s): %v", id, err)
	}
	return res
}

func readRange(t *testing.T, s *Store, id string, offset, length int64) []byte {
	t.Helper()
	r, err := s.Open(id, offset, length)
	if err != nil {
		t.Fatalf("Open(%s, %d, %d): %v", id, offset, length, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if int64(len(got)) != r.Len() {
		t.Fatalf("read %d bytes; Len() = %d", len(got), r.Len())
	}
	return got
}

// files lists every regular file under dir, relative to it.
// files lists the regular files under dir but the log's segment, which
// every open store has.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "log" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

func wantStats(t *testing.T, s *Store, chunks, used int64) {
	t.Helper()
	st, err := s.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if st.Chunks != chunks || st.UsedBytes != used {
		t.Fatalf("Stats = %d chunks, %d bytes; want %d, %d", st.Chunks, st.UsedBytes, chunks, used)
	}
	if st.CapacityBytes <= 0 || st.AvailableBytes < 0 || st.AvailableBytes > st.CapacityBytes {
		t.Fatalf("Stats capacity %d, available %d: implausible", st.CapacityBytes, st.AvailableBytes)
	}
}

func TestPutThenRead(t *testing.T) {
	s, dir := openStore(t)
	id := uuid.NewString()
	data := randomBytes(t, 3<<20+1)
	res := mustPut(t, s, id, data)
	if res.Size != int64(len(data)) || res.SHA256 != sha(data) {
		t.Fatalf("Put = %+v; want size %d, sha256 %s", res, len(data), sha(data))
	}
	if got := readRange(t, s, id, 0, 0); !bytes.Equal(got, data) {
		t.Fatal("read back differs from what was put")
	}
	want := filepath.Join("chunks", id[:2], id)
	if got := files(t, dir); len(got) != 1 || got[0] != want {
		t.Fatalf("files = %v; want [%s]", got, want)
	}
	wantStats(t, s, 1, int64(len(data)))
}

func TestPutUnknownSizeAndEmpty(t *testing.T) {
	s, _ := openStore(t)
	for _, n := range []int{0, 1, 1 << 20, 1<<20 + 7} {
		data := randomBytes(t, n)
		id := uuid.NewString()
		// HalfReader and DataErrReader exercise short reads and data with EOF.
		r := iotest.DataErrReader(iotest.HalfReader(bytes.NewReader(data)))
		res, err := s.Put(context.Background(), id, r, -1, DigestSHA256)
		if err != nil {
			t.Fatalf("Put(%d bytes, unknown size): %v", n, err)
		}
		if res.Size != int64(n) || res.SHA256 != sha(data) {
			t.Fatalf("Put(%d bytes) = %+v", n, res)
		}
		if got := readRange(t, s, id, 0, 0); !bytes.Equal(got, data) {
			t.Fatalf("read back of %d bytes differs", n)
		}
	}
}

func TestOpenRange(t *testing.T) {
	s, _ := openStore(t)
	id := uuid.NewString()
	data := randomBytes(t, 1000)
	mustPut(t, s, id, data)
	tests := []struct {
		name           string
		offset, length int64
		want           []byte
	}{
		{"whole", 0, 0, data},
		{"prefix", 0, 10, data[:10]},
		{"middle", 100, 250, data[100:350]},
		{"to end", 900, 0, data[900:]},
		{"length clamped", 990, 100, data[990:]},
		{"offset at end", 1000, 0, []byte{}},
		{"offset at end with length", 1000, 5, []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readRange(t, s, id, tt.offset, tt.length)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("got %d bytes; want %d", len(got), len(tt.want))
			}
		})
	}
}

// A Reader keeps reading its range, in reads of any size, after its chunk
// is deleted, and a second Close leaves alone whatever file has taken its
// descriptor's number.
func TestReaderOutlivesDeleteAndClosesOnce(t *testing.T) {
	s, _ := openStore(t)
	id := uuid.NewString()
	data := randomBytes(t, 1000)
	mustPut(t, s, id, data)
	r, err := s.Open(id, 100, 500)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(id); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 7)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, data[100:600]) {
		t.Fatalf("read %d bytes after the delete; want the 500 of the range", len(got))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	other := uuid.NewString()
	mustPut(t, s, other, data)
	o, err := s.Open(other, 0, 0) // likely given the number r had
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := r.Close(); err != nil {
		t.Fatalf("second Close = %v; want nil", err)
	}
	if got, err := io.ReadAll(o); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("a file opened after the first Close reads %d bytes, %v after the second; want all %d", len(got), err, len(data))
	}
}

func TestOpenErrors(t *testing.T) {
	s, _ := openStore(t)
	id := uuid.NewString()
	mustPut(t, s, id, []byte("hello"))
	tests := []struct {
		name           string
		id             string
		offset, length int64
		want           error
	}{
		{"offset past end", id, 6, 0, ErrInvalidRange},
		{"negative offset", id, -1, 0, ErrInvalidRange},
		{"negative length", id, 0, -1, ErrInvalidRange},
		{"missing chunk", uuid.NewString(), 0, 0, ErrNotFound},
		{"invalid id", "../" + id, 0, 0, ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.Open(tt.id, tt.offset, tt.length)
			if err == nil {
				r.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestDeleteIsIdempotent(t *testing.T) {
	s, dir := openStore(t)
	id := uuid.NewString()
	mustPut(t, s, id, []byte("bytes"))
	for i, want := range []bool{true, false} {
		existed, err := s.Delete(id)
		if err != nil || existed != want {
			t.Fatalf("Delete #%d = %v, %v; want %v, nil", i+1, existed, err, want)
		}
	}
	if _, err := s.Open(id, 0, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open after Delete = %v; want ErrNotFound", err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("files after Delete = %v", got)
	}
	wantStats(t, s, 0, 0)
}

func TestOverwriteKeepsCountersRight(t *testing.T) {
	s, _ := openStore(t)
	id := uuid.NewString()
	mustPut(t, s, id, make([]byte, 100))
	mustPut(t, s, id, make([]byte, 40))
	wantStats(t, s, 1, 40)
}

var invalidIDs = []struct {
	name string
	id   string
}{
	{"empty", ""},
	{"dot dot slash", "../x"},
	{"url-escaped traversal", "..%2f..%2fetc%2fpasswd"},
	{"backslash traversal", `..\..\x`},
	{"absolute path", "/etc/passwd"},
	{"NUL", "0b7e5b0a-6c1e-4c39-9f0f-3c1a7f4b2d10\x00"},
	{"uppercase", "0B7E5B0A-6C1E-4C39-9F0F-3C1A7F4B2D10"},
	{"mixed case", "0b7e5b0a-6c1e-4c39-9f0f-3c1a7f4b2D10"},
	{"braces", "{0b7e5b0a-6c1e-4c39-9f0f-3c1a7f4b2d10}"},
	{"urn", "urn:uuid:0b7e5b0a-6c1e-4c39-9f0f-3c1a7f4b2d10"},
	{"no dashes", "0b7e5b0a6c1e4c399f0f3c1a7f4b2d10"},
	{"uuid then slash", "0b7e5b0a-6c1e-4c39-9f0f-3c1a7f4b2d10/../../x"},
	{"traversal of uuid length", "../../../../../../../../../../../../x"},
	{"spaces", " 0b7e5b0a-6c1e-4c39-9f0f-3c1a7f4b2d10"},
}

// TestInvalidIDsTouchNothing removes the data directory after Open: an id
// that reached the filesystem would fail with a path error (or create
// something), not with ErrInvalidID.
func TestInvalidIDsTouchNothing(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "data")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for _, tt := range invalidIDs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Put(context.Background(), tt.id, strings.NewReader("x"), 1, DigestSHA256)
			wantInvalidID(t, "Put", err, tt.id)
			_, err = s.Open(tt.id, 0, 0)
			wantInvalidID(t, "Open", err, tt.id)
			_, err = s.Delete(tt.id)
			wantInvalidID(t, "Delete", err, tt.id)
		})
	}
	if entries, err := os.ReadDir(parent); err != nil || len(entries) != 0 {
		t.Fatalf("parent of data dir holds %v (err %v); want nothing", entries, err)
	}
}

func wantInvalidID(t *testing.T, op string, err error, id string) {
	t.Helper()
	var idErr *InvalidIDError
	if !errors.Is(err, ErrInvalidID) || !errors.As(err, &idErr) || idErr.ID != id {
		t.Fatalf("%s(%q) = %v; want *InvalidIDError", op, id, err)
	}
}

func TestFailedPutsLeaveNothing(t *testing.T) {
	data := randomBytes(t, 2<<20)
	tests := []struct {
		name     string
		r        io.Reader
		expected int64
		want     error
	}{
		{"short stream", bytes.NewReader(data[:1<<20]), int64(len(data)), ErrSizeMismatch},
		{"long stream", bytes.NewReader(data), 1<<20 + 5, ErrSizeMismatch},
		{"long by one byte", bytes.NewReader(data[:11]), 10, ErrSizeMismatch},
		{"empty but expected", bytes.NewReader(nil), 1, ErrSizeMismatch},
		{"reader error", io.MultiReader(bytes.NewReader(data), iotest.ErrReader(io.ErrClosedPipe)), -1, io.ErrClosedPipe},
		{"too large", bytes.NewReader(nil), MaxChunkSize + 1, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := openStore(t)
			_, err := s.Put(context.Background(), uuid.NewString(), tt.r, tt.expected, DigestSHA256)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Put = %v; want %v", err, tt.want)
			}
			if got := files(t, dir); len(got) != 0 {
				t.Fatalf("files after failed Put = %v; want none", got)
			}
			wantStats(t, s, 0, 0)
		})
	}
}

func TestFailedPutKeepsEarlierChunk(t *testing.T) {
	s, _ := openStore(t)
	id := uuid.NewString()
	mustPut(t, s, id, []byte("first"))
	_, err := s.Put(context.Background(), id, strings.NewReader("sec"), 6, DigestSHA256)
	if !errors.Is(err, ErrSizeMismatch) {
		t.Fatalf("Put = %v; want ErrSizeMismatch", err)
	}
	if got := readRange(t, s, id, 0, 0); string(got) != "first" {
		t.Fatalf("chunk = %q; want %q", got, "first")
	}
}

// cancelAfter cancels a context once n bytes have been read through it.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n -= n
	if c.n <= 0 {
		c.cancel()
	}
	return n, err
}

func TestCancelledPutLeavesNothing(t *testing.T) {
	s, dir := openStore(t)
	data := randomBytes(t, 3<<20)
	for _, after := range []int{1, 1 << 20, len(data)} {
		ctx, cancel := context.WithCancel(context.Background())
		r := &cancelAfter{r: bytes.NewReader(data), n: after, cancel: cancel}
		_, err := s.Put(ctx, uuid.NewString(), r, int64(len(data)), DigestSHA256)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Put cancelled after %d bytes = %v; want context.Canceled", after, err)
		}
		if got := files(t, dir); len(got) != 0 {
			t.Fatalf("files after cancelled Put = %v; want none", got)
		}
	}
}

func TestOpenRemovesDebrisAndCounts(t *testing.T) {
	s, dir := openStore(t)
	mustPut(t, s, uuid.NewString(), make([]byte, 10))
	mustPut(t, s, uuid.NewString(), make([]byte, 32))
	debris := []string{"tmp/" + uuid.NewString() + ".123", "tmp/other"}
	for _, d := range debris {
		if err := os.WriteFile(filepath.Join(dir, d), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A stray non-chunk file is neither counted nor removed.
	stray := filepath.Join(dir, "chunks", "ab", "README")
	if err := os.WriteFile(stray, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if s2.CleanedTempFiles() != len(debris) {
		t.Fatalf("CleanedTempFiles = %d; want %d", s2.CleanedTempFiles(), len(debris))
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 0 {
		t.Fatalf("tmp/ after reopen holds %d entries", len(entries))
	}
	wantStats(t, s2, 2, 42)
	if _, err := os.Stat(stray); err != nil {
		t.Fatalf("stray file: %v", err)
	}
}

func TestConcurrentPuts(t *testing.T) {
	s, dir := openStore(t)
	shared := uuid.NewString()
	const workers = 16
	ids := make([]string, workers)
	blobs := make([][]byte, workers)
	for i := range ids {
		ids[i] = uuid.NewString()
		blobs[i] = randomBytes(t, 64<<10+i*4099)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers)
	for i := range workers {
		wg.Go(func() {
			_, err := s.Put(context.Background(), ids[i], bytes.NewReader(blobs[i]), int64(len(blobs[i])), DigestSHA256)
			errs <- err
			_, err = s.Put(context.Background(), shared, bytes.NewReader(blobs[i]), -1, DigestSHA256)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Put: %v", err)
		}
	}
	var used int64
	for i, id := range ids {
		if got := readRange(t, s, id, 0, 0); !bytes.Equal(got, blobs[i]) {
			t.Fatalf("chunk %d differs", i)
		}
		used += int64(len(blobs[i]))
	}
	last := readRange(t, s, shared, 0, 0)
	if n := len(files(t, dir)); n != workers+1 {
		t.Fatalf("%d files on disk; want %d", n, workers+1)
	}
	wantStats(t, s, workers+1, used+int64(len(last)))
}

func FuzzValidateID(f *testing.F) {
	for _, tt := range invalidIDs {
		f.Add(tt.id)
	}
	f.Add(uuid.NewString())
	f.Fuzz(func(t *testing.T, id string) {
		if ValidateID(id) != nil {
			return
		}
		if len(id) != 36 || filepath.Base(id) != id || strings.Trim(id, "0123456789abcdef-") != "" {
			t.Fatalf("ValidateID accepted %q", id)
		}
	})
}

func crc32c(b []byte) uint32 {
	return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
}

// TestPutComputesOnlyTheAskedDigest compares each digest with one computed
// independently over the same bytes, through short reads and unknown sizes
// too, and checks that the other digest is left unset.
func TestPutComputesOnlyTheAskedDigest(t *testing.T) {
	s, _ := openStore(t)
	for _, n := range []int{0, 1, 1<<20 - 1, 1 << 20, 3<<20 + 5} {
		data := randomBytes(t, n)
		for _, expected := range []int64{int64(n), -1} {
			r := iotest.DataErrReader(iotest.HalfReader(bytes.NewReader(data)))
			got, err := s.Put(context.Background(), uuid.NewString(), r, expected, DigestCRC32C)
			if want := (PutResult{Size: int64(n), CRC32C: crc32c(data)}); err != nil || got != want {
				t.Fatalf("Put(%d bytes, expected %d, crc32c) = %+v, %v; want %+v", n, expected, got, err, want)
			}
			got, err = s.Put(context.Background(), uuid.NewString(), bytes.NewReader(data), expected, DigestSHA256)
			if want := (PutResult{Size: int64(n), SHA256: sha(data)}); err != nil || got != want {
				t.Fatalf("Put(%d bytes, expected %d, sha256) = %+v, %v; want %+v", n, expected, got, err, want)
			}
		}
	}
}

// TestCRC32CIsCastagnoli pins the polynomial with the standard check value
// (RFC 3720, B.4), independent of hash/crc32.
func TestCRC32CIsCastagnoli(t *testing.T) {
	s, _ := openStore(t)
	res, err := s.Put(context.Background(), uuid.NewString(), strings.NewReader("123456789"), 9, DigestCRC32C)
	if err != nil || res.CRC32C != 0xe3069283 {
		t.Fatalf("Put(\"123456789\") = %+v, %v; want crc32c e3069283", res, err)
	}
}

func TestPutRejectsUnknownDigest(t *testing.T) {
	s, dir := openStore(t)
	_, err := s.Put(context.Background(), uuid.NewString(), strings.NewReader("x"), 1, Digest(7))
	if !errors.Is(err, ErrInvalidDigest) {
		t.Fatalf("Put with Digest(7) = %v; want ErrInvalidDigest", err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("files after refused Put = %v; want none", got)
	}
}
