package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
)

// patternLen is odd, so the repeats never line up with the 1 MiB stripe
// blocks or the 8 MiB parts: no two shards of one object hold the same bytes.
const patternLen = 8*mib + 4093

// pattern is a block of pseudo-random bytes that every body repeats, each
// from its own starting point (its seed). Bodies cost a copy to produce and
// a memcmp to check instead of a random generator and a hash: on two
// cores shared with the servers, the client must stay cheap.
type pattern struct{ buf []byte }

func newPattern() *pattern {
	buf := make([]byte, patternLen)
	r := rand.NewChaCha8([32]byte{'s', 'i', 'x', 'f', 'o', 'l', 'd'})
	_, _ = r.Read(buf) // ChaCha8.Read never fails
	return &pattern{buf: buf}
}

// at is the pattern from position pos on (wrapping), at most n bytes.
func (p *pattern) at(pos int64, n int) []byte {
	i := int(pos % int64(len(p.buf)))
	return p.buf[i:min(len(p.buf), i+n)]
}

// body is the content of size bytes for seed, read from the start.
func (p *pattern) body(seed, size int64) *body { return &body{pat: p, seed: seed, size: size} }

// check returns a writer that compares what it is given with the content
// of size bytes for seed.
func (p *pattern) check(seed, size int64) *checker { return &checker{pat: p, seed: seed, size: size} }

// body is an io.ReadSeeker over pattern bytes: seekable, because the SDK
// reads a signed body once to hash it and rewinds it to send it.
type body struct {
	pat             *pattern
	seed, size, pos int64
}

func (b *body) Read(out []byte) (int, error) {
	if b.pos >= b.size {
		return 0, io.EOF
	}
	n := copy(out[:min(int64(len(out)), b.size-b.pos)], b.pat.at(b.seed+b.pos, len(out)))
	b.pos += int64(n)
	return n, nil
}

func (b *body) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += b.pos
	case io.SeekEnd:
		offset += b.size
	default:
		return 0, fmt.Errorf("seek: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, errors.New("seek: negative position")
	}
	b.pos = offset
	return offset, nil
}

// checker compares bytes written to it, in order (Write) or at offsets
// (WriteAt, safe for concurrent use, as the transfer manager writes parts),
// with the expected content. A mismatch is remembered, not returned, so
// the transfer runs to its end and its time still counts.
type checker struct {
	pat        *pattern
	seed, size int64
	pos        int64 // next offset for Write
	seen       atomic.Int64
	bad        atomic.Bool
}

func (c *checker) Write(p []byte) (int, error) {
	n, err := c.WriteAt(p, c.pos)
	c.pos += int64(n)
	return n, err
}

func (c *checker) WriteAt(p []byte, off int64) (int, error) {
	c.seen.Add(int64(len(p)))
	if off < 0 || off+int64(len(p)) > c.size {
		c.bad.Store(true)
		return len(p), nil
	}
	for rest := p; len(rest) > 0; {
		want := c.pat.at(c.seed+off, len(rest))
		if !bytes.Equal(rest[:len(want)], want) {
			c.bad.Store(true)
		}
		rest, off = rest[len(want):], off+int64(len(want))
	}
	return len(p), nil
}

// ok reports whether exactly the expected bytes arrived, each once.
func (c *checker) ok() bool { return !c.bad.Load() && c.seen.Load() == c.size }

// err says what was wrong, or nil.
func (c *checker) err() error {
	if c.ok() {
		return nil
	}
	return fmt.Errorf("content differs: got %d bytes (want %d), mismatch=%v", c.seen.Load(), c.size, c.bad.Load())
}
