// Package chunkstore keeps chunk bytes on a storage node's local disk.
//
// Layout under the data directory:
//
//	chunks/<first two hex digits of id>/<id>   one file per chunk
//	tmp/                                       chunks being written
//	log/<sequence number>.log                  the small-chunk log (log.go)
//
// A chunk larger than logMaxChunk (or replacing one already there) becomes
// visible only after its bytes are durable (fdatasync) and it has been
// renamed into chunks/ and that directory fsynced, so a crash leaves either
// the whole chunk or nothing but debris in tmp/, which Open removes. A
// smaller chunk is named at once and made durable through the log, which
// Open replays after a crash.
// Large chunks are written with O_DIRECT where the filesystem allows it (see
// Store.DirectIO); the file format is the same either way. Where the
// filesystem allows it the temp file has no name until it is linked into
// chunks/ (Store.UnnamedTempFiles), so a crash leaves not even debris.
//
// Chunk ids are canonical lowercase UUIDs; anything else is rejected with an
// *InvalidIDError before any path is built from it. Errors match ErrInvalidID,
// ErrNotFound, ErrSizeMismatch, ErrTooLarge, ErrInvalidRange and
// ErrInvalidDigest with errors.Is; any other error is a disk error. A Store
// is safe for concurrent use.
package chunkstore

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Store is a directory of chunk files.
type Store struct {
	chunksDir string
	tmpDir    string
	cleaned   int
	bufs      alignedPool
	directErr error     // why Put cannot use O_DIRECT here; nil when it can
	anonErr   error     // why Put cannot write unnamed temp files here; nil when it can
	log       *chunkLog // where small chunks are made durable together
	replayed  int

	mu    sync.Mutex // serialises renames and removals with count and used
	count int64      // chunk files present
	used  int64      // bytes in those files
}

// Stats describes what the store holds and the filesystem it lives on.
type Stats struct {
	Chunks         int64
	UsedBytes      int64
	CapacityBytes  int64
	AvailableBytes int64
}

// Open prepares dir (creating it if needed), removes temp files left by a
// crash, and counts the chunks already there.
func Open(dir string) (*Store, error) {
	s := &Store{
		chunksDir: filepath.Join(dir, "chunks"),
		tmpDir:    filepath.Join(dir, "tmp"),
	}
	if err := s.makeDirs(dir); err != nil {
		return nil, err
	}
	cleaned, err := removeAll(s.tmpDir)
	if err != nil {
		return nil, err
	}
	s.cleaned = cleaned
	s.directErr = probeDirectIO(s.tmpDir, &s.bufs)
	s.anonErr = probeAnon(s.tmpDir)
	if s.replayed, err = s.openLog(dir); err != nil {
		return nil, err
	}
	// Replaying counted what it wrote; the count below counts everything.
	s.count, s.used = 0, 0
	if err := s.countChunks(); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases the store's log. The store must not be used afterwards.
func (s *Store) Close() error {
	return s.log.close()
}

// ReplayedChunks reports how many chunks Open wrote again from the log:
// chunks acknowledged before a crash whose files had not reached the disk.
func (s *Store) ReplayedChunks() int {
	return s.replayed
}

// CleanedTempFiles reports how many leftover temp files Open removed.
func (s *Store) CleanedTempFiles() int {
	return s.cleaned
}

// DirectIO reports whether Put writes large chunks with O_DIRECT, and if
// not, why: the filesystem refused it when Open tried. Put then writes
// through the page cache, just as durably.
func (s *Store) DirectIO() (bool, error) {
	return s.directErr == nil, s.directErr
}

// UnnamedTempFiles reports whether Put writes chunks into unnamed files
// (O_TMPFILE) linked into place, and if not, why: Open's probe failed. Put
// then uses named temp files in tmp/ and a rename, just as durably.
func (s *Store) UnnamedTempFiles() (bool, error) {
	return s.anonErr == nil, s.anonErr
}

// Stats reports the chunk counters and the filesystem's size and free space
// (space available to this unprivileged process).
func (s *Store) Stats() (Stats, error) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(s.chunksDir, &fs); err != nil {
		return Stats{}, fmt.Errorf("chunkstore: statfs: %w", err)
	}
	s.mu.Lock()
	st := Stats{Chunks: s.count, UsedBytes: s.used}
	s.mu.Unlock()
	st.CapacityBytes = int64(fs.Blocks) * int64(fs.Bsize)
	st.AvailableBytes = int64(fs.Bavail) * int64(fs.Bsize)
	return st, nil
}

// makeDirs creates tmp/ and the 256 shard directories of chunks/ once, so
// that a put never has to create (and fsync) a directory.
func (s *Store) makeDirs(dir string) error {
	if err := os.MkdirAll(s.tmpDir, 0o755); err != nil {
		return fmt.Errorf("chunkstore: %w", err)
	}
	for i := range 256 {
		if err := os.MkdirAll(filepath.Join(s.chunksDir, fmt.Sprintf("%02x", i)), 0o755); err != nil {
			return fmt.Errorf("chunkstore: %w", err)
		}
	}
	for _, d := range []string{s.chunksDir, dir} {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// countChunks initialises the in-memory counters from what is on disk.
// Files whose names are not chunk ids are ignored.
func (s *Store) countChunks() error {
	for info, err := range s.All() {
		if err != nil {
			return err
		}
		s.count++
		s.used += info.Size
	}
	return nil
}

// path is where chunk id lives. id must have passed ValidateID.
func (s *Store) path(id string) string {
	return filepath.Join(s.chunksDir, id[:2], id)
}

// removeAll empties dir and reports how many entries it removed.
func removeAll(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("chunkstore: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return 0, fmt.Errorf("chunkstore: remove temp file: %w", err)
		}
	}
	return len(entries), nil
}

// syncDir fsyncs a directory so that renames and removals in it are durable.
// It goes straight to the system calls: os.Open would also try, and fail, to
// register the directory with the poller, five system calls that cost about
// 8 µs more per put here.
func syncDir(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("chunkstore: open %s: %w", dir, err)
	}
	defer unix.Close(fd)
	if err := unix.Fsync(fd); err != nil {
		return fmt.Errorf("chunkstore: fsync %s: %w", dir, err)
	}
	return nil
}
