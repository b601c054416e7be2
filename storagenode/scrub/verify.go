package scrub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"sixfold/db/dbq"
	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/internal/bufpool"
)

// verdict is what a pass concluded about one chunk file.
type verdict int

const (
	intact      verdict = iota
	corruptFile         // size or SHA-256 differs from the row
	missingFile         // no file
	unreadable          // a disk error; logged and counted, not flagged
)

// verify hashes row's file and judges it. Only ctx ending is an error: a
// disk error on one file is logged and the pass goes on, since flagging a
// chunk corrupt because of a transient fault would be worse.
func (s *Scrubber) verify(ctx context.Context, row dbq.ListStoredChunksOnServerRow, pace *pacer) (verdict, error) {
	id := row.ID.String()
	r, err := s.store.Open(id, 0, 0)
	if errors.Is(err, chunkstore.ErrNotFound) {
		s.log.Warn().Str("chunk_id", id).Msg("chunk file is missing; the sweep will flag it")
		return missingFile, nil
	}
	if err != nil {
		return s.unreadable(id, err), nil
	}
	defer r.Close()
	got, err := hashPaced(ctx, r, pace)
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if err != nil {
		return s.unreadable(id, err), nil
	}
	return s.judge(row, r.ChunkSize(), got), nil
}

// judge compares a file's size and hash with its row, logging a mismatch.
func (s *Scrubber) judge(row dbq.ListStoredChunksOnServerRow, size int64, got string) verdict {
	if size == row.Size && got == row.Hash {
		return intact
	}
	s.log.Error().Str("chunk_id", row.ID.String()).Str("want_sha256", row.Hash).Str("got_sha256", got).
		Int64("want_size", row.Size).Int64("got_size", size).Msg("chunk is corrupt; flagging it")
	return corruptFile
}

func (s *Scrubber) unreadable(id string, err error) verdict {
	s.log.Error().Err(err).Str("chunk_id", id).Msg("cannot read chunk file")
	s.opts.Observer.IOError("scrub")
	return unreadable
}

// hashPaced returns the hex SHA-256 of r, reading through a pooled buffer
// no faster than pace allows.
func hashPaced(ctx context.Context, r io.Reader, pace *pacer) (string, error) {
	buf := bufpool.Get()
	defer bufpool.Put(buf)
	h := sha256.New()
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
