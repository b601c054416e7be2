package main

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
	"unsafe"
)

const (
	// diskBlock is the write and read size of the disk baselines: the
	// O_DIRECT block the issue names, and large enough that the buffered
	// runs measure the disk, not the system calls.
	diskBlock = 4 * mib
	// directAlign is the buffer alignment O_DIRECT wants (the page size
	// covers every logical block size in use).
	directAlign = 4096
	// hashBytes bounds the hash baselines: long enough for a stable rate,
	// short enough not to matter in the run's length.
	hashBytes = 256 * mib
)

// baselineSpec is one figure measured without sixfold: what the disk,
// loopback and CPU of this machine allow. Cases are stated against them.
type baselineSpec struct {
	id, title, unit string
	run             func(ctx context.Context) (float64, error)
}

// baselines measures in scratch, which is on the nodes' filesystem.
type baselines struct {
	cfg      config
	scratch  string
	pat      *pattern
	readFile string // written once for the read baselines; "" until then
}

func (bl *baselines) specs() []baselineSpec {
	specs := []baselineSpec{
		{"baseline-disk-write-buffered", "disk write, buffered 4 MiB writes + fdatasync", unitMiBs, bl.writeBuffered},
		{"baseline-disk-write-direct", "disk write, O_DIRECT 4 MiB aligned blocks + fdatasync", unitMiBs, bl.writeDirect},
		{"baseline-disk-read", "disk read, sequential, page cache dropped first", unitMiBs, bl.readCold},
		{"baseline-cache-read", "page-cache read, sequential", unitMiBs, bl.readWarm},
		{"baseline-tcp", "loopback TCP, one stream", unitMiBs, bl.tcp},
		{"baseline-sha256", "SHA-256, one core", unitMiBs, bl.hashRate(sha256.New)},
		{"baseline-md5", "MD5, one core", unitMiBs, bl.hashRate(md5.New)},
		{"baseline-crc32c", "CRC32C, one core", unitMiBs, bl.hashRate(func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) })},
	}
	for _, size := range bl.cfg.smallSizes {
		for _, conc := range bl.cfg.concurrencies {
			specs = append(specs,
				baselineSpec{fsyncID(size, conc), fmt.Sprintf("durable create (write, fsync, rename, dir fsync), %s, %d at once", formatSize(size), conc), unitOps, bl.durableCreates(size, conc)},
				baselineSpec{httpID(size, conc), fmt.Sprintf("loopback HTTP GET (Go net/http), %s, %d at once", formatSize(size), conc), unitOps, bl.httpGets(size, conc)})
		}
	}
	return specs
}

func fsyncID(size int64, conc int) string {
	return fmt.Sprintf("baseline-fsync-%s-c%d", sizeTag(size), conc)
}

func httpID(size int64, conc int) string {
	return fmt.Sprintf("baseline-http-%s-c%d", sizeTag(size), conc)
}

// diskBytes is the disk baselines' file size: whole 4 MiB blocks.
func (bl *baselines) diskBytes() int64 {
	return max(diskBlock, bl.cfg.baselineSize/diskBlock*diskBlock)
}

func mibPerSec(n int64, d time.Duration) float64 {
	return float64(n) / mib / d.Seconds()
}

func (bl *baselines) writeBuffered(ctx context.Context) (float64, error) {
	path := filepath.Join(bl.scratch, "write-buffered.bin")
	defer os.Remove(path)
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return bl.timedWrite(ctx, f, bl.pat.buf[:diskBlock])
}

func (bl *baselines) writeDirect(ctx context.Context) (float64, error) {
	path := filepath.Join(bl.scratch, "write-direct.bin")
	defer os.Remove(path)
	return bl.writeDirectTo(ctx, path)
}

func (bl *baselines) writeDirectTo(ctx context.Context, path string) (float64, error) {
	f, err := openDirect(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := alignedBuffer(diskBlock)
	copy(buf, bl.pat.buf)
	return bl.timedWrite(ctx, f, buf)
}

// timedWrite writes diskBytes from block, block by block, then fdatasyncs.
func (bl *baselines) timedWrite(ctx context.Context, f *os.File, block []byte) (float64, error) {
	start := time.Now()
	for n := int64(0); n < bl.diskBytes(); n += int64(len(block)) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if _, err := f.Write(block); err != nil {
			return 0, err
		}
	}
	if err := fdatasync(f); err != nil {
		return 0, err
	}
	return mibPerSec(bl.diskBytes(), time.Since(start)), nil
}

// alignedBuffer is n bytes starting at a directAlign boundary.
func alignedBuffer(n int) []byte {
	raw := make([]byte, n+directAlign)
	off := directAlign - int(uintptr(unsafe.Pointer(&raw[0]))%directAlign)
	return raw[off%directAlign:][:n]
}

// ensureReadFile writes the read baselines' file once, outside any timing.
func (bl *baselines) ensureReadFile(ctx context.Context) (string, error) {
	if bl.readFile != "" {
		return bl.readFile, nil
	}
	path := filepath.Join(bl.scratch, "read.bin")
	if _, err := bl.writeDirectTo(ctx, path); err != nil {
		return "", err
	}
	bl.readFile = path
	return path, nil
}

func (bl *baselines) readCold(ctx context.Context) (float64, error) {
	path, err := bl.ensureReadFile(ctx)
	if err == nil {
		err = dropFromCache(path)
	}
	if err != nil {
		return 0, err
	}
	return timedRead(path)
}

func (bl *baselines) readWarm(ctx context.Context) (float64, error) {
	path, err := bl.ensureReadFile(ctx)
	if err != nil {
		return 0, err
	}
	if _, err := timedRead(path); err != nil { // brings it into the cache
		return 0, err
	}
	return timedRead(path)
}

func timedRead(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	n, err := drain(io.Discard, f, make([]byte, diskBlock))
	if err != nil {
		return 0, err
	}
	return mibPerSec(n, time.Since(start)), nil
}

// close removes the read baselines' file.
func (bl *baselines) close() {
	if bl.readFile != "" {
		os.Remove(bl.readFile)
		bl.readFile = ""
	}
}

// tcp streams diskBytes through one loopback connection, both ends in
// this process, and times until the receiver has read the last byte.
func (bl *baselines) tcp(ctx context.Context) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	received := make(chan error, 1)
	go func() { received <- receiveAll(ln) }()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	start := time.Now()
	block := bl.pat.buf[:diskBlock]
	for n := int64(0); n < bl.diskBytes(); n += int64(len(block)) {
		if _, err := conn.Write(block); err != nil {
			return 0, err
		}
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		return 0, err
	}
	if err := <-received; err != nil {
		return 0, err
	}
	return mibPerSec(bl.diskBytes(), time.Since(start)), nil
}

func receiveAll(ln net.Listener) error {
	conn, err := ln.Accept()
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = drain(io.Discard, conn, make([]byte, mib))
	return err
}

// hashRate hashes hashBytes (fewer for a small -baseline-size) in 4 MiB writes.
func (bl *baselines) hashRate(newHash func() hash.Hash) func(context.Context) (float64, error) {
	return func(context.Context) (float64, error) {
		total := min(hashBytes, bl.diskBytes())
		h := newHash()
		block := bl.pat.buf[:diskBlock]
		start := time.Now()
		for n := int64(0); n < total; n += int64(len(block)) {
			h.Write(block)
		}
		h.Sum(nil)
		return mibPerSec(total, time.Since(start)), nil
	}
}

// durableCreates is the rate of the nodes' write discipline with nothing
// else around it: a temp file written and fsynced, renamed into place, the
// directory fsynced. It bounds a small PUT, which needs at least one.
func (bl *baselines) durableCreates(size int64, conc int) func(context.Context) (float64, error) {
	return func(ctx context.Context) (float64, error) {
		dir, err := os.MkdirTemp(bl.scratch, "fsync-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		return rate(ctx, conc, bl.cfg.baselineDuration, func(_ context.Context, w, i int) error {
			return createDurably(dir, fmt.Sprintf("w%d-%d", w, i), bl.pat.buf[:size])
		})
	}
}

func createDurably(dir, name string, data []byte) error {
	tmp := filepath.Join(dir, name+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// httpGets is the rate of GETs of size bytes from a Go net/http server on
// loopback in this process: what any HTTP object server on this machine
// pays before it does any work, which bounds a small GET.
func (bl *baselines) httpGets(size int64, conc int) func(context.Context) (float64, error) {
	return func(ctx context.Context) (float64, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		payload := bl.pat.buf[:size]
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
			_, _ = w.Write(payload)
		})}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		hc, err := endpoint{}.httpClient()
		if err != nil {
			return 0, err
		}
		defer hc.CloseIdleConnections()
		url := "http://" + ln.Addr().String() + "/"
		bufs := workerBuffers(conc, size)
		return rate(ctx, conc, bl.cfg.baselineDuration, func(ctx context.Context, w, _ int) error {
			return getAll(ctx, hc, url, bufs[w])
		})
	}
}

func getAll(ctx context.Context, hc *http.Client, url string, buf []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = drain(io.Discard, resp.Body, buf)
	return err
}

// rate runs op on conc workers until d has passed and returns ops per second.
func rate(ctx context.Context, conc int, d time.Duration, op func(ctx context.Context, worker, i int) error) (float64, error) {
	res, err := loop(ctx, conc, d, op)
	if err != nil {
		return 0, err
	}
	return float64(res.ops) / res.elapsed.Seconds(), nil
}

// loopResult is what loop measured.
type loopResult struct {
	ops       int
	elapsed   time.Duration
	latencies []time.Duration
}

// loop runs op on conc workers, each calling it again and again until d
// has passed, and times every call. The first error stops every worker.
func loop(ctx context.Context, conc int, d time.Duration, op func(ctx context.Context, worker, i int) error) (loopResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lats := make([][]time.Duration, conc)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range conc {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t0 := time.Now()
				if err := op(ctx, w, i); err != nil {
					cancel(err)
					return
				}
				lats[w] = append(lats[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	res := loopResult{elapsed: time.Since(start)}
	for _, l := range lats {
		res.ops += len(l)
		res.latencies = append(res.latencies, l...)
	}
	if err := context.Cause(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// workerBuffers gives each worker its own read buffer, at most 1 MiB.
func workerBuffers(conc int, size int64) [][]byte {
	bufs := make([][]byte, conc)
	for i := range bufs {
		bufs[i] = make([]byte, min(size, mib))
	}
	return bufs
}

// drain copies r to w through buf. Both sides are hidden from io.Copy's
// shortcuts: io.Discard's ReadFrom, for one, reads 8 KiB at a time, and
// every reader here must be measured reading through the same buffer.
func drain(w io.Writer, r io.Reader, buf []byte) (int64, error) {
	return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, buf)
}
