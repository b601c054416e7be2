package scrub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"time"

	"sixfold/db"
	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/internal/bufpool"
)

// verdict is what a pass concluded about one chunk file.
type verdict int

const (
	intact      verdict = iota
	corruptFile         // size or digest differs from the row
	missingFile         // no file
	unreadable          // a disk error; logged and counted, not flagged
	unknownHash         // the row's hash is no digest scrub knows; logged, not flagged
)

// newDigest returns the hash a row's hash was computed with, told apart by
// its length alone: the chunks.hash CHECK constraint admits lowercase hex of
// a SHA-256 (chunks written before parity) or of a CRC32C (shards).
func newDigest(rowHash string) (hash.Hash, bool) {
	switch len(rowHash) {
	case 2 * sha256.Size:
		return sha256.New(), true
	case 2 * crc32.Size:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli)), true
	}
	return nil, false
}

// verify hashes row's file and judges it. Only ctx ending is an error: a
// disk error on one file is logged and the pass goes on, since flagging a
// chunk corrupt because of a transient fault would be worse.
func (s *Scrubber) verify(ctx context.Context, row db.StoredChunk, pace *pacer) (verdict, error) {
	id := row.ID.String()
	h, ok := newDigest(row.Hash)
	if !ok {
		s.log.Error().Str("chunk_id", id).Str("hash", row.Hash).Msg("chunk row's hash is neither a SHA-256 nor a CRC32C; not checking it")
		return unknownHash, nil
	}
	r, err := s.store.Open(id, 0, 0)
	if errors.Is(err, chunkstore.ErrNotFound) {
		s.log.Warn().Str("chunk_id", id).Msg("chunk file is missing; the sweep will flag it")
		return missingFile, nil
	}
	if err != nil {
		return s.unreadable(id, err), nil
	}
	defer r.Close()
	got, err := hashPaced(ctx, r, h, pace)
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if err != nil {
		return s.unreadable(id, err), nil
	}
	return s.judge(row, r.ChunkSize(), got), nil
}

// judge compares a file's size and digest with its row, logging a mismatch.
func (s *Scrubber) judge(row db.StoredChunk, size int64, got string) verdict {
	if size == row.Size && got == row.Hash {
		return intact
	}
	s.log.Error().Str("chunk_id", row.ID.String()).Str("want_hash", row.Hash).Str("got_hash", got).
		Int64("want_size", row.Size).Int64("got_size", size).Msg("chunk is corrupt; flagging it")
	return corruptFile
}

func (s *Scrubber) unreadable(id string, err error) verdict {
	s.log.Error().Err(err).Str("chunk_id", id).Msg("cannot read chunk file")
	s.opts.Observer.IOError("scrub")
	return unreadable
}

// hashPaced feeds r to h and returns the sum in hex, reading through a
// pooled buffer no faster than pace allows. CRC32C runs at several GiB/s, so
// pacing matters for it as much as for SHA-256: the disk is what is shared.
// hash/crc32 sums big-endian, so a CRC32C comes out as
// fmt.Sprintf("%08x", crc), the form rows record.
func hashPaced(ctx context.Context, r io.Reader, h hash.Hash, pace *pacer) (string, error) {
	buf := bufpool.Get()
	defer bufpool.Put(buf)
	for {
		n, err := io.ReadFull(r, *buf)
		h.Write((*buf)[:n])
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return "", fmt.Errorf("read: %w", err)
		}
		if err := pace.wait(ctx, n); err != nil {
			return "", err
		}
	}
}

// pacer spreads reads out to at most rate bytes per second (rate <= 0: no
// cap). Time spent elsewhere (queries, idle) is not made up in a burst.
type pacer struct {
	rate int64
	next time.Time // when the next read may start
}

func newPacer(rate int64) *pacer {
	return &pacer{rate: rate}
}

// wait accounts for n bytes just read and sleeps until reading may go on.
func (p *pacer) wait(ctx context.Context, n int) error {
	if p.rate <= 0 {
		return ctx.Err()
	}
	now := time.Now()
	p.next = later(p.next, now).Add(time.Duration(float64(n) / float64(p.rate) * float64(time.Second)))
	t := time.NewTimer(p.next.Sub(now))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
