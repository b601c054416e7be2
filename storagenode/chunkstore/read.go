package chunkstore

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/unix"
)

// Reader reads one byte range of a chunk. The caller must Close it. A chunk
// deleted while a Reader is open stays readable through that Reader.
//
// It holds the bare file descriptor and reads with pread(2): an os.File
// would cost two more system calls to open (its kind check and a failed
// poller registration, as regular files cannot be polled) and one to
// close, about a third of the 8 µs a node spends opening and reading a
// small GET's shard (BenchmarkReadSmall).
type Reader struct {
	fd       int
	off, end int64 // the next byte to read and the end of the range
	length   int64
	total    int64
}

// readaheadHint is the range from which Open tells the kernel the read is
// sequential. A smaller range is read in one pread, for which the hint is
// a system call that changes nothing.
const readaheadHint = 256 << 10

// Open returns a Reader over length bytes of chunk id starting at offset.
// length 0 means to the end of the chunk, and a length past the end is cut
// to it. A negative offset or length, or an offset past the end, is
// ErrInvalidRange; a missing chunk is ErrNotFound.
func (s *Store) Open(id string, offset, length int64) (*Reader, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if offset < 0 || length < 0 {
		return nil, fmt.Errorf("%w: offset %d, length %d", ErrInvalidRange, offset, length)
	}
	var fd int
	err := retryEINTR(func() (err error) {
		fd, err = unix.Open(s.path(id), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		return err
	})
	if errors.Is(err, unix.ENOENT) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("chunkstore: open chunk %s: %w", id, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("chunkstore: stat chunk %s: %w", id, err)
	}
	size := st.Size
	if offset > size {
		unix.Close(fd)
		return nil, fmt.Errorf("%w: offset %d is past the end of a %d-byte chunk", ErrInvalidRange, offset, size)
	}
	if length == 0 || length > size-offset {
		length = size - offset
	}
	// Readers stream their range front to back; saying so doubles the
	// kernel's readahead window (BenchmarkRead: +25% one shard, +40% six
	// at once, cold). Only a hint, so its failure does not matter.
	if length >= readaheadHint {
		_ = unix.Fadvise(fd, offset, length, unix.FADV_SEQUENTIAL)
	}
	return &Reader{fd: fd, off: offset, end: offset + length, length: length, total: size}, nil
}

// Read reads from the range. A chunk file that has become shorter than
// the range ends it early, with io.EOF.
func (r *Reader) Read(p []byte) (int, error) {
	if r.off >= r.end {
		return 0, io.EOF
	}
	if rest := r.end - r.off; int64(len(p)) > rest {
		p = p[:rest]
	}
	var n int
	err := retryEINTR(func() (err error) {
		n, err = unix.Pread(r.fd, p, r.off)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("chunkstore: read: %w", err)
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	r.off += int64(n)
	return n, nil
}

// Len is the length of the range after clamping.
func (r *Reader) Len() int64 {
	return r.length
}

// ChunkSize is the size of the whole chunk.
func (r *Reader) ChunkSize() int64 {
	return r.total
}

// Close releases the file. A second Close does nothing: closing the bare
// descriptor again could close a file opened since under the same number.
func (r *Reader) Close() error {
	if r.fd < 0 {
		return nil
	}
	fd := r.fd
	r.fd = -1
	return unix.Close(fd)
}

// retryEINTR runs call again while a signal interrupts it, as os.File's
// methods do for the calls that go through it.
func retryEINTR(call func() error) error {
	for {
		if err := call(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
