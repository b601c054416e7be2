// Package spool stages request bodies of unknown length on disk, where
// they are measured before being stored (a blob's layout needs its size up
// front), under one budget for the whole gateway: once the staged bytes
// would pass it, new writes fail with ErrFull and the request gets a 503,
// before the disk fills and takes the database's or the system's space.
package spool

import (
	"errors"
	"io"
	"os"
	"sync/atomic"
)

// ErrFull is returned (wrapped) when staging a body would pass the budget.
var ErrFull = errors.New("spool: the staging area is full; retry later")

// Spool is a directory and a budget. Safe for concurrent use.
type Spool struct {
	dir   string
	limit int64
	used  atomic.Int64
}

// New returns a spool in dir (the OS temp dir when "") holding at most
// limit bytes at once; limit ≤ 0 means no limit.
func New(dir string, limit int64) *Spool {
	return &Spool{dir: dir, limit: limit}
}

// Used is the number of bytes staged now.
func (s *Spool) Used() int64 { return s.used.Load() }

// File is a staged body, rewound. Close removes it and gives its bytes
// back to the budget.
type File struct {
	*os.File
	s    *Spool
	held int64
}

// Close closes and removes the file and releases its share of the budget.
func (f *File) Close() error {
	err := f.File.Close()
	os.Remove(f.Name())
	f.s.used.Add(-f.held)
	f.held = 0
	return err
}

// Stage copies up to max+1 bytes of r to a new file (one byte more than
// max tells the caller the body was too large) and returns it rewound with
// the number of bytes copied. On error nothing is left behind; an error
// wrapping ErrFull means the budget ran out.
func (s *Spool) Stage(r io.Reader, max int64) (*File, int64, error) {
	raw, err := os.CreateTemp(s.dir, "sixfold-spool-*")
	if err != nil {
		return nil, 0, err
	}
	f := &File{File: raw, s: s}
	n, err := io.Copy(budgeted{f}, io.LimitReader(r, max+1))
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, n, nil
}

// budgeted takes budget for each write before making it.
type budgeted struct{ f *File }

func (b budgeted) Write(p []byte) (int, error) {
	n := int64(len(p))
	if used := b.f.s.used.Add(n); b.f.s.limit > 0 && used > b.f.s.limit {
		b.f.s.used.Add(-n)
		return 0, ErrFull
	}
	b.f.held += n
	return b.f.File.Write(p)
}
