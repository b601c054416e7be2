package chunkstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"sixfold/storagenode/internal/bufpool"
)

// MaxChunkSize bounds one chunk, so that a stream of unknown size cannot fill
// the disk. The largest blob (10 GiB) makes chunks of about 1.7 GiB.
const MaxChunkSize int64 = 2 << 30

// PutResult describes a chunk made durable by Put.
type PutResult struct {
	Size   int64
	SHA256 string // lowercase hex
}

// Put stores the bytes of r as chunk id, replacing any chunk of that id.
// expectedSize is the exact size r will deliver, or negative when unknown;
// a stream that ends short of it or runs past it fails with a
// *SizeMismatchError. Put returns only after the chunk is durable. On any
// error, including ctx ending, nothing is left behind and an earlier chunk of
// the same id is untouched. Put does not close r.
func (s *Store) Put(ctx context.Context, id string, r io.Reader, expectedSize int64) (PutResult, error) {
	if err := ValidateID(id); err != nil {
		return PutResult{}, err
	}
	if expectedSize > MaxChunkSize {
		return PutResult{}, fmt.Errorf("%w: %d bytes announced", ErrTooLarge, expectedSize)
	}
	f, err := os.CreateTemp(s.tmpDir, id+".*")
	if err != nil {
		return PutResult{}, fmt.Errorf("chunkstore: create temp file: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	res, err := writeDurably(ctx, f, r, expectedSize)
	if err != nil {
		return PutResult{}, err
	}
	if err := s.commit(ctx, f.Name(), id, res.Size); err != nil {
		return PutResult{}, err
	}
	committed = true
	return res, nil
}

// writeDurably copies r into f, hashing as it goes, checks the size, then
// fsyncs and closes f.
func writeDurably(ctx context.Context, f *os.File, r io.Reader, expectedSize int64) (PutResult, error) {
	h := sha256.New()
	n, err := copyHashed(ctx, f, h, r, expectedSize)
	if err != nil {
		return PutResult{}, err
	}
	if expectedSize >= 0 && n != expectedSize {
		return PutResult{}, &SizeMismatchError{Expected: expectedSize, Got: n}
	}
	if err := f.Sync(); err != nil {
		return PutResult{}, fmt.Errorf("chunkstore: fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return PutResult{}, fmt.Errorf("chunkstore: close: %w", err)
	}
	return PutResult{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// copyHashed moves r into w and h through one pooled buffer, in writes of up
// to bufpool.Size bytes. It stops early when ctx ends or when r delivers more
// than limit bytes (limit < 0: MaxChunkSize).
func copyHashed(ctx context.Context, w io.Writer, h hash.Hash, r io.Reader, limit int64) (int64, error) {
	buf := bufpool.Get()
	defer bufpool.Put(buf)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := fill(r, *buf)
		if err := checkLimit(n+int64(m), limit); err != nil {
			return n, err
		}
		if _, err := w.Write((*buf)[:m]); err != nil {
			return n, fmt.Errorf("chunkstore: write: %w", err)
		}
		h.Write((*buf)[:m])
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
// broken stream stay distinguishable.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// commit renames the durable temp file into place and fsyncs its directory.
// It is the last point at which a cancelled put is abandoned.
func (s *Store) commit(ctx context.Context, tmp, id string, size int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	final := s.path(id)
	s.mu.Lock()
	old, statErr := os.Lstat(final)
	err := os.Rename(tmp, final)
	if err == nil {
		s.used += size
		if statErr == nil {
			s.used -= old.Size()
		} else {
			s.count++
		}
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("chunkstore: rename into place: %w", err)
	}
	return syncDir(filepath.Dir(final))
}
