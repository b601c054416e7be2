package main

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// dropFromCache writes back and then evicts path's pages from the page
// cache, so the next read of it comes from the disk. Only clean pages can
// be dropped, hence the fdatasync first (cheap: the nodes fsync their
// shards before they answer).
func dropFromCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fd := int(f.Fd())
	if err := unix.Fdatasync(fd); err != nil {
		return err
	}
	return unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED)
}

// openDirect creates path for writing with O_DIRECT: each write must be a
// multiple of the logical block size from an aligned buffer (alignedBuffer).
func openDirect(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_DIRECT, 0o600)
}

func fdatasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }

// syncFilesystem writes back every dirty page of the filesystem that holds
// dir, and waits for it.
func syncFilesystem(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
