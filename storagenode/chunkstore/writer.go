package chunkstore

import (
	"fmt"
	"os"
)

// chunkWriter appends to a chunk's temp file. copyHashed hands it whole
// buffers of writeBufSize bytes and then one shorter last piece. Once a
// whole buffer is due, and the store allows it, writes go through O_DIRECT:
// the bytes go from the pooled buffer to the disk without taking page cache
// pages, which costs about a third of the CPU of buffered writes when many
// large shards are written at once (BenchmarkPut, conc=8), and leaves the
// final fdatasync almost nothing to flush. The last piece's aligned head
// still goes that way; O_DIRECT is then switched off for its unaligned tail.
// A chunk smaller than one buffer is written through the page cache: there
// O_DIRECT measured slower and only adds two fcntl calls.
type chunkWriter struct {
	f      *os.File
	direct bool  // the store may use O_DIRECT
	on     bool  // O_DIRECT is set on f
	off    int64 // bytes written so far
}

func (w *chunkWriter) write(p []byte) error {
	head := 0
	if w.direct && w.off%align == 0 && (w.on || len(p) == writeBufSize) {
		head = len(p) &^ (align - 1)
	}
	if head > 0 {
		if err := w.setDirect(true); err != nil {
			return err
		}
		if err := w.put(p[:head]); err != nil {
			return err
		}
	}
	if head == len(p) {
		return nil
	}
	if err := w.setDirect(false); err != nil {
		return err
	}
	return w.put(p[head:])
}

func (w *chunkWriter) setDirect(on bool) error {
	if w.on == on {
		return nil
	}
	if err := setDirect(w.f, on); err != nil {
		return fmt.Errorf("chunkstore: switch O_DIRECT %v: %w", on, err)
	}
	w.on = on
	return nil
}

func (w *chunkWriter) put(p []byte) error {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if err != nil {
		return fmt.Errorf("chunkstore: write: %w", err)
	}
	return nil
}
