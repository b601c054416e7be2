package chunkstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// MaxChunkSize bounds one chunk, so that a stream of unknown size cannot fill
// the disk. The largest blob (10 GiB) makes chunks of about 1.7 GiB.
const MaxChunkSize int64 = 2 << 30

// Digest selects the one whole-chunk digest Put computes. Only one, because
// SHA-256 costs several times the disk write and shards need only CRC32C.
type Digest int

const (
	// DigestSHA256 fills PutResult.SHA256.
	DigestSHA256 Digest = iota
	// DigestCRC32C fills PutResult.CRC32C: CRC-32 with the Castagnoli
	// polynomial (hash/crc32) over every byte of the chunk, in order.
	DigestCRC32C
)

// String names d for errors and logs.
func (d Digest) String() string {
	switch d {
	case DigestSHA256:
		return "sha256"
	case DigestCRC32C:
		return "crc32c"
	}
	return fmt.Sprintf("Digest(%d)", int(d))
}

// PutResult describes a chunk made durable by Put. Only the digest Put was
// asked for is set.
type PutResult struct {
	Size   int64
	SHA256 string // lowercase hex; empty unless DigestSHA256
	CRC32C uint32 // 0 unless DigestCRC32C (0 is also a valid CRC)
}

// Put stores the bytes of r as chunk id, replacing any chunk of that id, and
// computes digest over them. expectedSize is the exact size r will deliver,
// or negative when unknown; a stream that ends short of it or runs past it
// fails with a *SizeMismatchError. An unknown digest is ErrInvalidDigest. Put
// returns only after the chunk is durable. On any error, including ctx
// ending, nothing is left behind and an earlier chunk of the same id is
// untouched. Put does not close r.
func (s *Store) Put(ctx context.Context, id string, r io.Reader, expectedSize int64, digest Digest) (PutResult, error) {
	res, mark, err := s.stage(ctx, id, r, expectedSize, digest)
	if err != nil {
		return PutResult{}, err
	}
	if err := mark.wait(); err != nil {
		s.remove(id, time.Time{})
		return PutResult{}, err
	}
	return res, nil
}

// stage is Put up to the wait for the log: the chunk is durable once the
// returned mark is, at once for the zero mark (a chunk put on its own:
// large, of unknown size, or replacing one already there).
func (s *Store) stage(ctx context.Context, id string, r io.Reader, expectedSize int64, digest Digest) (PutResult, logMark, error) {
	if err := ValidateID(id); err != nil {
		return PutResult{}, logMark{}, err
	}
	if s.log != nil && s.anonErr == nil && expectedSize >= 0 && expectedSize <= logMaxChunk {
		return s.logChunk(ctx, id, r, expectedSize, digest)
	}
	res, err := s.putFile(ctx, id, r, expectedSize, digest)
	return res, logMark{}, err
}

// putFile is Put for a chunk that is made durable on its own: a large one,
// one of unknown size, or one replacing a chunk already there.
func (s *Store) putFile(ctx context.Context, id string, r io.Reader, expectedSize int64, digest Digest) (PutResult, error) {
	h, err := newHash(digest)
	if err != nil {
		return PutResult{}, err
	}
	if expectedSize > MaxChunkSize {
		return PutResult{}, fmt.Errorf("%w: %d bytes announced", ErrTooLarge, expectedSize)
	}
	f, err := s.createTemp(id)
	if err != nil {
		return PutResult{}, err
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			if s.anonErr != nil {
				os.Remove(f.Name())
			}
		}
	}()
	res, err := s.writeDurably(ctx, f, h, r, expectedSize)
	if err != nil {
		return PutResult{}, err
	}
	if err := s.commit(ctx, f, id, res.Size); err != nil {
		return PutResult{}, err
	}
	committed = true
	return res, nil
}

// newHash returns the hash that computes digest.
func newHash(digest Digest) (hash.Hash, error) {
	switch digest {
	case DigestSHA256:
		return sha256.New(), nil
	case DigestCRC32C:
		return crc32.New(castagnoli), nil
	}
	return nil, fmt.Errorf("%w: %v", ErrInvalidDigest, digest)
}

// writeDurably copies r into f, hashing it with h as it goes, checks the
// size, then makes f durable. It leaves f open: an unnamed file vanishes when
// closed.
func (s *Store) writeDurably(ctx context.Context, f *os.File, h hash.Hash, r io.Reader, expectedSize int64) (PutResult, error) {
	direct := s.directErr == nil
	if direct && expectedSize > int64(writeBufSize) {
		if err := preallocate(f, expectedSize); err != nil {
			return PutResult{}, err
		}
	}
	n, err := s.copyHashed(ctx, &chunkWriter{f: f, direct: direct}, h, r, expectedSize)
	if err != nil {
		return PutResult{}, err
	}
	if expectedSize >= 0 && n != expectedSize {
		return PutResult{}, &SizeMismatchError{Expected: expectedSize, Got: n}
	}
	if err := fdatasync(f); err != nil {
		return PutResult{}, fmt.Errorf("chunkstore: fdatasync: %w", err)
	}
	return result(h, n), nil
}

// result is what Put reports for n bytes that h has hashed.
func result(h hash.Hash, n int64) PutResult {
	if crc, ok := h.(hash.Hash32); ok { // only DigestCRC32C's hash is 32-bit
		return PutResult{Size: n, CRC32C: crc.Sum32()}
	}
	return PutResult{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
}

// copyHashed moves r into w and h through one pooled aligned buffer, in
// writes of writeBufSize bytes but the last. It stops early when ctx ends or
// when r delivers more than limit bytes (limit < 0: MaxChunkSize).
func (s *Store) copyHashed(ctx context.Context, w *chunkWriter, h hash.Hash, r io.Reader, limit int64) (int64, error) {
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := fill(r, *buf, h)
		if err := checkLimit(n+int64(m), limit); err != nil {
			return n, err
		}
		if err := w.write((*buf)[:m]); err != nil {
			return n, err
		}
		n += int64(m)
		if errors.Is(rerr, io.EOF) {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("chunkstore: read chunk data: %w", rerr)
		}
	}
}

func checkLimit(n, limit int64) error {
	switch {
	case limit >= 0 && n > limit:
		return &SizeMismatchError{Expected: limit, Got: n}
	case n > MaxChunkSize:
		return fmt.Errorf("%w: more than %d bytes received", ErrTooLarge, MaxChunkSize)
	}
	return nil
}

// fill reads from r until buf is full or r returns an error. Unlike
// io.ReadFull it passes r's error through unchanged, so a clean io.EOF and a
// broken stream stay distinguishable. When h is not nil it hashes each read
// at once, while the bytes are still in the cache: hashed after the whole
// buffer (1 MiB) was filled, they were read back from memory, and the
// CRC32C took 3.7 % of the machine under a 1 GiB PUT.
func fill(r io.Reader, buf []byte, h hash.Hash) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		if h != nil {
			h.Write(buf[n : n+m])
		}
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// commit puts the durable temp file f in place as chunk id, fsyncs the
// directory that now names it, and closes f. It is the last point at which
// a cancelled put is abandoned.
func (s *Store) commit(ctx context.Context, f *os.File, id string, size int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	final := s.path(id)
	var mark logMark
	s.mu.Lock()
	replaced, oldSize, err := s.place(f, final)
	if err == nil {
		s.used += size - oldSize
		if !replaced {
			s.count++
		}
		mark, err = s.supersede(id)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	// The bytes are durable and named: a failing close cannot lose them.
	f.Close()
	if err := syncDir(filepath.Dir(final)); err != nil {
		return err
	}
	return mark.wait()
}

// place gives f the name final and reports whether it replaced a chunk
// there, and that chunk's size. An unnamed file is linked straight to
// final, which fails only when a chunk is there: link(2) cannot replace,
// so a replacement is linked to a temp name first and renamed over the old
// chunk. The caller holds s.mu.
func (s *Store) place(f *os.File, final string) (replaced bool, oldSize int64, err error) {
	tmp := f.Name()
	if s.anonErr == nil {
		err := linkAnon(f, final)
		if err == nil || !errors.Is(err, fs.ErrExist) {
			return false, 0, err
		}
		tmp = filepath.Join(s.tmpDir, filepath.Base(final)+"."+strconv.FormatUint(rand.Uint64(), 36))
		if err := linkAnon(f, tmp); err != nil {
			return false, 0, err
		}
	}
	if old, err := os.Lstat(final); err == nil {
		replaced, oldSize = true, old.Size()
	}
	if err := os.Rename(tmp, final); err != nil {
		if s.anonErr == nil {
			os.Remove(tmp)
		}
		return false, 0, fmt.Errorf("chunkstore: rename into place: %w", err)
	}
	return replaced, oldSize, nil
}
