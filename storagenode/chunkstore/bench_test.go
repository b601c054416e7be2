package chunkstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sys/unix"
)

// benchDirEnv names a directory to benchmark in instead of the default
// temporary one. The figures mean something only on the disk the nodes use:
// a tmpfs /tmp measures memory, not the disk.
const benchDirEnv = "CHUNKSTORE_BENCH_DIR"

const tmpfsMagic = 0x01021994

// benchStore opens a store on the benchmark disk, warning when that disk is
// a tmpfs.
func benchStore(b *testing.B) *Store {
	b.Helper()
	dir := b.TempDir()
	if root := os.Getenv(benchDirEnv); root != "" {
		d, err := os.MkdirTemp(root, "chunkstore-bench-")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(d) })
		dir = d
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err == nil && fs.Type == tmpfsMagic {
		b.Logf("warning: %s is a tmpfs; set %s to a directory on the data disk", dir, benchDirEnv)
	}
	s, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// messageReader delivers size bytes of src, repeated, in reads of at most
// msg bytes, as the gRPC receive path hands over one message at a time. It
// allocates nothing, so the benchmark measures the store and not the source.
type messageReader struct {
	src  []byte
	left int64
	off  int
	msg  int
}

func (r *messageReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.msg, len(r.src)-r.off)
	if int64(n) > r.left {
		n = int(r.left)
	}
	copy(p, r.src[r.off:r.off+n])
	r.off = (r.off + n) % len(r.src)
	r.left -= int64(n)
	return n, nil
}

// BenchmarkPut writes shards the sizes sixfold makes: 64 MiB and 170 MiB
// (1 GiB over six data shards) for large objects, 4 KiB for small ones
// (through the log, and each made durable on its own from an unnamed or a
// named temp file), from several writers at once, as a node receives many
// shards at a time.
// One iteration is puts shards spread over conc writers. The shards are
// kept, as a node keeps them: deleting them would hand their page cache
// straight back to the next iteration, which flatters buffered writes.
func BenchmarkPut(b *testing.B) {
	src := make([]byte, 4<<20+13) // not a multiple of any buffer size
	if _, err := rand.Read(src); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		size       int64
		conc, puts int
	}{
		{4 << 10, 1, 256},
		{4 << 10, 16, 512},
		{175 << 10, 16, 256},
		{64 << 20, 1, 1},
		{64 << 20, 8, 8},
		{170 << 20, 1, 1},
		{170 << 20, 8, 8},
	}
	for _, c := range cases {
		kinds := []string{"unnamed", "named"}
		if c.size >= writeBufSize {
			kinds = kinds[:1] // the temp file's kind is noise next to the bytes
		}
		if c.size <= logMaxChunk {
			kinds = append([]string{"logged"}, kinds...)
		}
		for _, kind := range kinds {
			b.Run(fmt.Sprintf("size=%s/conc=%d/temp=%s", sizeName(c.size), c.conc, kind), func(b *testing.B) {
				s := benchStore(b)
				if kind != "logged" {
					s.log = nil // each chunk durable on its own
				}
				if kind == "named" {
					s.anonErr = errors.New("named temp files for the benchmark")
				} else if ok, why := s.UnnamedTempFiles(); !ok {
					b.Logf("unnamed temp files unavailable, measuring named ones: %v", why)
				}
				var elapsed, cpu time.Duration
				var took []time.Duration
				for b.Loop() {
					ids := make([]string, c.puts)
					for i := range ids {
						ids[i] = uuid.NewString()
					}
					start, startCPU := time.Now(), cpuTime(b)
					took = append(took, putAll(b, s, src, ids, c.size, c.conc)...)
					elapsed += time.Since(start)
					cpu += cpuTime(b) - startCPU
				}
				reportLatency(b, took)
				total := float64(b.N * c.puts)
				b.ReportMetric(total*float64(c.size)/(1<<20)/elapsed.Seconds(), "MiB/s")
				b.ReportMetric(total/elapsed.Seconds(), "puts/s")
				b.ReportMetric(cpu.Seconds()*1000/(total*float64(c.size)/(1<<30)), "cpu-ms/GiB")
				b.ReportMetric(cpu.Seconds()*1e6/total, "cpu-µs/put")
			})
		}
	}
}

// putAll puts one shard of size bytes per id, conc at a time, and returns
// how long each put took.
func putAll(b *testing.B, s *Store, src []byte, ids []string, size int64, conc int) []time.Duration {
	took := make([]time.Duration, len(ids))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ids) {
					return
				}
				r := &messageReader{src: src, left: size, off: i * 4099 % len(src), msg: 256 << 10}
				start := time.Now()
				if _, err := s.Put(context.Background(), ids[i], r, size, DigestCRC32C); err != nil {
					b.Error(err)
					return
				}
				took[i] = time.Since(start)
			}
		})
	}
	wg.Wait()
	return took
}

// reportLatency reports the 99th percentile and the longest of took, where
// a put that waits for a log segment to be retired shows.
func reportLatency(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
}

// cpuTime is the CPU time this process has used, user and system. The
// benchmark's own share (copying the source, hashing) is the same whatever
// the write path, so differences between paths are theirs.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sizeName(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

// BenchmarkRead reads whole shards through a Reader in the 1 MiB reads
// GetChunk makes, conc shards at a time as a GET reads six, each dropped
// from the page cache first so the disk is measured (the chunk store writes
// large shards around the page cache, so a first GET finds them cold).
func BenchmarkRead(b *testing.B) {
	src := make([]byte, 4<<20+13)
	if _, err := rand.Read(src); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		size int64
		conc int
	}{
		{170 << 20, 1},
		{170 << 20, 6},
	} {
		b.Run(fmt.Sprintf("size=%s/conc=%d", sizeName(c.size), c.conc), func(b *testing.B) {
			s := benchStore(b)
			ids := make([]string, c.conc)
			for i := range ids {
				ids[i] = uuid.NewString()
			}
			putAll(b, s, src, ids, c.size, c.conc)
			var elapsed time.Duration
			for b.Loop() {
				for _, id := range ids {
					dropCache(b, s, id)
				}
				start := time.Now()
				readAll(b, s, ids)
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(int64(b.N*c.conc)*c.size)/(1<<20)/elapsed.Seconds(), "MiB/s")
		})
	}
}

// BenchmarkReadSmall opens a shard of a 4 KiB object (one frame, in the
// page cache), reads it whole in one read and closes it: what a node does
// six times per small GET, where the system calls around the read are most
// of the cost.
func BenchmarkReadSmall(b *testing.B) {
	s := benchStore(b)
	src := make([]byte, 700)
	if _, err := rand.Read(src); err != nil {
		b.Fatal(err)
	}
	id := uuid.NewString()
	if _, err := s.Put(context.Background(), id, bytes.NewReader(src), int64(len(src)), DigestCRC32C); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, len(src))
	for b.Loop() {
		r, err := s.Open(id, 0, int64(len(src)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, buf); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

// dropCache evicts chunk id from the page cache.
func dropCache(b *testing.B, s *Store, id string) {
	f, err := os.Open(s.path(id))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := control(f, func(fd int) error { return unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED) }); err != nil {
		b.Fatal(err)
	}
}

// readAll reads every chunk of ids at once, each to its end.
func readAll(b *testing.B, s *Store, ids []string) {
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			r, err := s.Open(id, 0, 0)
			if err != nil {
				b.Error(err)
				return
			}
			defer r.Close()
			buf := make([]byte, 1<<20)
			for {
				_, err := io.ReadFull(r, buf)
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
