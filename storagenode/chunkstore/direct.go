package chunkstore

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// align is the offset, length and memory alignment O_DIRECT writes keep. It
// covers every logical block size in common use (512 B and 4 KiB).
const align = 4096

// writeBufSize is the length of one write. 4 MiB buffers measured no faster
// than 1 MiB here (BenchmarkPut), and a node holds one per shard it is
// receiving.
const writeBufSize = 1 << 20

// alignedPool hands out writeBufSize-byte buffers whose first byte is
// align-aligned, as O_DIRECT requires of memory. They are reused because
// touching fresh memory costs about 3 µs per page.
type alignedPool struct {
	pool sync.Pool
}

func (p *alignedPool) get() *[]byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return b
	}
	raw := make([]byte, writeBufSize+align)
	off := (align - int(uintptr(unsafe.Pointer(&raw[0]))%align)) % align
	b := raw[off : off+writeBufSize : off+writeBufSize]
	return &b
}

func (p *alignedPool) put(b *[]byte) {
	p.pool.Put(b)
}

// control runs fn on f's descriptor without f.Fd's side effects.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// setDirect switches O_DIRECT on or off for f's later writes.
func setDirect(f *os.File, on bool) error {
	return control(f, func(fd int) error {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err != nil {
			return err
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags)
		return err
	})
}

// fdatasync makes f's data, and the metadata needed to read it back,
// durable. It leaves out the timestamps fsync would also flush: after a
// crash a chunk's mtime can at worst fall back to when its temp file was
// created, seconds earlier, while the orphan sweep's age cutoff is at least
// a minute.
func fdatasync(f *os.File) error {
	return control(f, func(fd int) error {
		for {
			err := unix.Fdatasync(fd)
			if !errors.Is(err, unix.EINTR) {
				return err
			}
		}
	})
}

// preallocate reserves size bytes for f without changing its length, so
// the filesystem can lay the chunk out in few extents and a full disk fails
// the put before its data is received. Filesystems that cannot preallocate
// are written to as they are.
func preallocate(f *os.File, size int64) error {
	err := control(f, func(fd int) error {
		return unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 0, size)
	})
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("chunkstore: preallocate %d bytes: %w", size, err)
	}
	return nil
}

// probeDirectIO writes one aligned block with O_DIRECT into a scratch file
// in dir, and returns why that failed, or nil. Some filesystems refuse
// O_DIRECT when it is set, others only when writing.
func probeDirectIO(dir string, pool *alignedPool) error {
	f, err := os.CreateTemp(dir, "direct-io-probe.*")
	if err != nil {
		return fmt.Errorf("chunkstore: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := setDirect(f, true); err != nil {
		return fmt.Errorf("chunkstore: O_DIRECT refused: %w", err)
	}
	buf := pool.get()
	defer pool.put(buf)
	if _, err := f.Write((*buf)[:align]); err != nil {
		return fmt.Errorf("chunkstore: O_DIRECT write refused: %w", err)
	}
	return nil
}
