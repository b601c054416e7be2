package chunkstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The small-chunk log: group commit for small chunks.
//
// A chunk of at most logMaxChunk bytes is not made durable on its own. Its
// file is written under its final name without a sync, and the same bytes
// are appended to the store's log. One fdatasync of the log then covers
// every put waiting on it, where each put used to pay an fdatasync of its
// file and an fsync of its directory: a small put is bound by those syncs,
// and a node receives many small shards at once. The log is written in
// place over zeroes laid down when its segment was created, so an append
// changes no file-system metadata and its sync is a data flush alone.
//
// The log has two segment files. When the current one is full, appends
// move at once to the other, and the full one retires in the background:
// one syncfs(2) makes every chunk file written so far durable, and then
// the file is renamed to serve as the next segment. Until then a deletion
// of a chunk the retiring segment holds is logged too. Only a segment that
// fills while the one before it still retires makes puts wait. When every
// put waited for the syncfs, which flushes the whole filesystem (other
// tenants' dirty pages included), the slowest puts took three times as
// long (BenchmarkPut's max-ms).
// After a crash, Open replays the segments still there: a chunk whose file
// is missing or differs is written again, durably, before the store serves
// anything.
//
// A chunk already present is never overwritten through the log: a
// replacement must not be named before its bytes are durable, or a crash
// could leave neither version. When a chunk the log still holds is
// deleted, or put again on its own (a replacement), a record saying so is
// logged, so that a replay does not bring the logged bytes back.

const (
	// logMaxChunk is the largest chunk put through the log: the shards of
	// objects up to 384 KiB. Larger ones gain little from sharing a sync,
	// and would write their bytes twice.
	logMaxChunk = 64 << 10
	// logSegmentSize bounds a log segment, and so what Open may replay.
	logSegmentSize = 16 << 20
	// logHeaderSize is a record's header: CRC-32C of the rest of the
	// record, the data length, the segment's sequence number (a record
	// from an older life of the bytes never matches it) and the chunk id.
	logHeaderSize = 4 + 4 + 8 + 36
	// supersededLen, as a record's data length, marks a record without
	// data: the chunk's earlier records in the log no longer hold it.
	supersededLen = 1<<32 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// chunkLog is the append side of the log. Appends are serialised; syncs
// are taken one at a time, each covering every append before it, so a put
// that finds its record already covered by the sync before its turn
// returns without one.
type chunkLog struct {
	dir         string // the segments
	fsDir       string // a directory on the chunks' filesystem, for syncfs
	segmentSize int64  // logSegmentSize; less in tests
	syncs       atomic.Int64

	syncMu sync.Mutex // held by the put syncing the log; the others queue behind it

	mu         sync.Mutex // guards the fields below
	seg        *os.File
	seq        uint64
	off        int64  // where the next record goes
	durableSeq uint64 // segments before it are durable, and durableOff bytes of it
	durableOff int64
	err        error                 // once a sync has failed, nothing the log holds can be trusted
	logged     map[chunkKey]struct{} // the chunks the current segment holds

	// While the segment before seq retires, retired delivers its file
	// once that is done, and retiring holds its chunks; otherwise spare
	// is that file, already named seq+1.
	spare    *os.File
	retiring map[chunkKey]struct{}
	retired  chan retirement

	beforeRetire func() // tests hold a retirement here
}

// retirement is the outcome of retiring a segment: its file, ready to
// serve as the next segment, or why it is not.
type retirement struct {
	file *os.File
	err  error
}

// chunkKey is a chunk id as a record holds it.
type chunkKey [36]byte

// append writes rec (a header's room, then the data) at the end of the log
// and returns where it ends, for waitDurable. It fills in the header's
// sequence number and checksum.
func (l *chunkLog) append(rec []byte) (seq uint64, end int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, 0, l.err
	}
	if l.off+int64(len(rec)) > l.segmentSize {
		if err := l.rotate(); err != nil {
			l.err = err
			return 0, 0, err
		}
	}
	binary.LittleEndian.PutUint64(rec[8:], l.seq)
	binary.LittleEndian.PutUint32(rec, crc32.Checksum(rec[4:], castagnoli))
	if _, err := l.seg.WriteAt(rec, l.off); err != nil {
		return 0, 0, fmt.Errorf("chunkstore: append to log: %w", err)
	}
	l.off += int64(len(rec))
	l.logged[chunkKey(rec[16:logHeaderSize])] = struct{}{}
	return l.seq, l.off, nil
}

// supersede logs that the log's bytes for chunk id are no longer the
// chunk's, if the log holds any, and returns where that record ends for
// waitDurable; seq 0 when it logged nothing.
func (l *chunkLog) supersede(id string) (seq uint64, end int64, err error) {
	key := chunkKey([]byte(id))
	l.mu.Lock()
	l.collect(false)
	_, held := l.logged[key]
	_, retiring := l.retiring[key]
	l.mu.Unlock()
	if !held && !retiring {
		return 0, 0, nil
	}
	rec := make([]byte, logHeaderSize)
	binary.LittleEndian.PutUint32(rec[4:], supersededLen)
	copy(rec[16:], id)
	return l.append(rec)
}

// logMark is where a logged record ends, for waiting until it is durable;
// the zero mark stands for nothing logged.
type logMark struct {
	l   *chunkLog
	seq uint64
	end int64
}

func (m logMark) wait() error {
	if m.l == nil {
		return nil
	}
	return m.l.waitDurable(m.seq, m.end)
}

// supersede logs, when the log holds chunk id, that its logged bytes are
// no longer the chunk's. The caller holds s.mu and has just removed or
// replaced the chunk's file.
func (s *Store) supersede(id string) (logMark, error) {
	if s.log == nil {
		return logMark{}, nil
	}
	seq, end, err := s.log.supersede(id)
	if err != nil || seq == 0 {
		return logMark{}, err
	}
	return logMark{s.log, seq, end}, nil
}

// waitDurable returns once the log is durable up to end of segment seq.
func (l *chunkLog) waitDurable(seq uint64, end int64) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	if l.err != nil || seq < l.durableSeq || (seq == l.durableSeq && end <= l.durableOff) {
		err := l.err
		l.mu.Unlock()
		return err
	}
	seg, curSeq, curOff := l.seg, l.seq, l.off
	l.mu.Unlock()
	err := fdatasync(seg)
	l.syncs.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case curSeq < l.durableSeq:
		// The segment filled up meanwhile and was made durable before
		// the next one began.
	case err != nil:
		l.err = fmt.Errorf("chunkstore: sync log: %w", err)
	case curOff > l.durableOff:
		l.durableOff = curOff
	}
	return l.err
}

// rotate starts the next segment in the spare file and retires the full
// one in the background. It makes the full segment durable first, so that
// a put waiting on a record there is answered by its own segment's sync,
// and waits for the segment before it to retire, so that at most two are
// ever live. The caller holds l.mu.
func (l *chunkLog) rotate() error {
	if err := l.collect(true); err != nil {
		return err
	}
	if err := fdatasync(l.seg); err != nil {
		return fmt.Errorf("chunkstore: sync log: %w", err)
	}
	full, fullSeq := l.seg, l.seq
	l.seg, l.spare = l.spare, nil
	l.seq, l.off = l.seq+1, 0
	l.durableSeq, l.durableOff = l.seq, 0
	l.retiring, l.logged = l.logged, make(map[chunkKey]struct{})
	l.retired = make(chan retirement, 1)
	go func(done chan<- retirement) {
		done <- l.retire(full, fullSeq)
	}(l.retired)
	return nil
}

// retire makes every chunk file durable, so that segment seq's records
// are needed no more, then names its file seq+2: the segment after the
// current one, whose records its stale ones (numbered seq) cannot be
// mistaken for.
func (l *chunkLog) retire(f *os.File, seq uint64) retirement {
	if l.beforeRetire != nil {
		l.beforeRetire()
	}
	if err := syncfs(l.fsDir); err != nil {
		return retirement{f, err}
	}
	if err := os.Rename(segmentPath(l.dir, seq), segmentPath(l.dir, seq+2)); err != nil {
		return retirement{f, fmt.Errorf("chunkstore: recycle log segment: %w", err)}
	}
	return retirement{f, syncDir(l.dir)}
}

// collect takes in the retired segment's file as the spare, waiting for
// it when wait is set. A failed retirement fails the log: chunk files it
// could not make durable may be lost in a crash while the log no longer
// offers to replay them. The caller holds l.mu.
func (l *chunkLog) collect(wait bool) error {
	if l.retired == nil {
		return l.err
	}
	var r retirement
	if wait {
		r = <-l.retired
	} else {
		select {
		case r = <-l.retired:
		default:
			return l.err
		}
	}
	l.retired, l.retiring, l.spare = nil, nil, r.file
	if r.err != nil && l.err == nil {
		l.err = r.err
	}
	return l.err
}

// close closes the segment files; the store must not put afterwards. A
// clean stop leaves nothing to replay: it retires the current segment as
// well, so the next Open reads no chunk back.
func (l *chunkLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seg == nil {
		return nil
	}
	var err error
	if l.err == nil {
		if err = l.rotate(); err == nil {
			err = l.collect(true)
		}
		l.err = errors.New("chunkstore: store closed")
	} else {
		l.collect(true)
	}
	for _, f := range []*os.File{l.seg, l.spare} {
		if f == nil {
			continue
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	l.seg, l.spare = nil, nil
	return err
}

// createSegment creates segment seq full of zeroes, durably, and names it
// durably.
func createSegment(dir string, seq uint64, size int64) (*os.File, error) {
	f, err := os.OpenFile(segmentPath(dir, seq), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("chunkstore: create log segment: %w", err)
	}
	zeroes := make([]byte, min(size, pageSize)) // see pageSize
	for off := int64(0); off < size; off += int64(len(zeroes)) {
		if _, err := f.WriteAt(zeroes[:min(int64(len(zeroes)), size-off)], off); err != nil {
			f.Close()
			return nil, fmt.Errorf("chunkstore: create log segment: %w", err)
		}
	}
	if err := fdatasync(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("chunkstore: create log segment: %w", err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// pageSize is the piece a segment is written and read in when it enters
// the page cache, so that it is cached one 4 KiB page per folio. Written or
// read in large pieces, a file is cached in large folios (up to 2 MiB since
// Linux 6.16), and each append of a few hundred bytes then dirties a whole
// one: the kernel counted 1 MiB written per append (1,049,100 bytes in
// /proc/PID/io against 4,833 with single pages), and its dirty-page
// accounting, which throttles writers, counted as much. The disk itself only
// ever got the dirty blocks, and the CPU per append moved within noise.
const pageSize = 4 << 10

func segmentPath(dir string, seq uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%016x.log", seq))
}

// segments lists the log's segments, oldest first.
func segments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("chunkstore: %w", err)
	}
	var seqs []uint64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok {
			continue
		}
		if seq, err := strconv.ParseUint(name, 16, 64); err == nil {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// openLog replays what the log holds from before Open, drops it, and
// starts the next segment. It reports how many chunks it wrote again.
func (s *Store) openLog(dir string) (int, error) {
	l := &chunkLog{dir: filepath.Join(dir, "log"), fsDir: s.chunksDir, segmentSize: logSegmentSize}
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return 0, fmt.Errorf("chunkstore: %w", err)
	}
	seqs, err := segments(l.dir)
	if err != nil {
		return 0, err
	}
	logged := make(map[string][]byte) // nil: superseded
	for _, seq := range seqs {
		if err := readSegment(segmentPath(l.dir, seq), seq, logged); err != nil {
			return 0, err
		}
		l.seq = seq
	}
	restored := 0
	for id, data := range logged {
		if data == nil {
			continue
		}
		if have, err := os.ReadFile(s.path(id)); err == nil && bytes.Equal(have, data) {
			continue
		}
		if _, err := s.putFile(context.Background(), id, bytes.NewReader(data), int64(len(data)), DigestCRC32C); err != nil {
			return restored, fmt.Errorf("chunkstore: replay log: %w", err)
		}
		restored++
	}
	// Files found intact may be only in the page cache (the process died,
	// not the machine): they are made durable before the records that
	// could restore them go. Without records (a new store, a clean stop)
	// there is nothing to protect, and a syncfs would flush every other
	// tenant's dirty pages at each start.
	if len(logged) > 0 {
		if err := syncfs(l.fsDir); err != nil {
			return restored, err
		}
	}
	if err := l.reuseSegments(seqs); err != nil {
		return restored, err
	}
	s.log = l
	return restored, nil
}

// reuseSegments makes the two newest of the replayed segments' files the
// next two segments, l.seq+1 and l.seq+2 (creating what is missing), and
// drops the others. Their stale records, numbered l.seq or less, end
// their new segments' records. Oldest first, so that a crash at any step
// leaves a newest part of the log to replay, which is safe on its own: the
// caller made the older segments' chunk files durable, and a deletion is
// logged after the put it undoes.
func (l *chunkLog) reuseSegments(seqs []uint64) error {
	next := l.seq + 1
	reused := seqs[max(len(seqs)-2, 0):]
	for _, seq := range seqs[:len(seqs)-len(reused)] {
		if err := os.Remove(segmentPath(l.dir, seq)); err != nil {
			return fmt.Errorf("chunkstore: drop log segment: %w", err)
		}
	}
	for i, seq := range reused {
		if err := os.Rename(segmentPath(l.dir, seq), segmentPath(l.dir, next+uint64(i))); err != nil {
			return fmt.Errorf("chunkstore: recycle log segment: %w", err)
		}
	}
	if err := syncDir(l.dir); err != nil {
		return err
	}
	var files [2]*os.File
	for i := range files {
		var err error
		if i < len(reused) {
			files[i], err = os.OpenFile(segmentPath(l.dir, next+uint64(i)), os.O_RDWR, 0)
			if err != nil {
				err = fmt.Errorf("chunkstore: open log segment: %w", err)
			}
		} else {
			files[i], err = createSegment(l.dir, next+uint64(i), l.segmentSize)
		}
		if err != nil {
			for _, f := range files[:i] {
				f.Close()
			}
			return err
		}
	}
	l.seg, l.spare = files[0], files[1]
	l.seq, l.off = next, 0
	l.durableSeq, l.durableOff = next, 0
	l.logged = make(map[chunkKey]struct{})
	return nil
}

// readSegment adds segment seq's records to logged, each over the earlier
// ones of its chunk. The records end at the first that is torn or was
// never written.
func readSegment(path string, seq uint64, logged map[string][]byte) error {
	buf, err := readUncached(path)
	if err != nil {
		return fmt.Errorf("chunkstore: read log segment: %w", err)
	}
	for len(buf) >= logHeaderSize {
		n := int(binary.LittleEndian.Uint32(buf[4:]))
		superseded := n == supersededLen
		if superseded {
			n = 0
		}
		if n > logMaxChunk || logHeaderSize+n > len(buf) ||
			binary.LittleEndian.Uint64(buf[8:]) != seq ||
			binary.LittleEndian.Uint32(buf) != crc32.Checksum(buf[4:logHeaderSize+n], castagnoli) {
			return nil
		}
		id := string(buf[16:logHeaderSize])
		var data []byte
		if !superseded {
			data = buf[logHeaderSize : logHeaderSize+n : logHeaderSize+n]
		}
		buf = buf[logHeaderSize+n:]
		if ValidateID(id) == nil {
			logged[id] = data
		}
	}
	return nil
}

// readUncached reads the file at path whole, telling the kernel first that
// reads of it are random: it then reads only what is asked, into single
// pages, where its readahead would cache large folios (see pageSize). The
// newest segment serves again after the replay, through that cache.
func readUncached(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_RANDOM) // only a hint
	buf := make([]byte, st.Size())
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// logChunk writes a chunk of expectedSize bytes, at most logMaxChunk, and
// appends it to the log; it is durable once the returned mark is. A chunk
// already present is replaced durably on its own instead (putFile), and
// its mark is the zero mark.
func (s *Store) logChunk(ctx context.Context, id string, r io.Reader, expectedSize int64, digest Digest) (PutResult, logMark, error) {
	h, err := newHash(digest)
	if err != nil {
		return PutResult{}, logMark{}, err
	}
	buf := s.bufs.get()
	defer s.bufs.put(buf)
	rec := *buf
	data := rec[logHeaderSize : logHeaderSize+expectedSize+1]
	n, rerr := fill(r, data, nil)
	switch {
	case rerr != nil && !errors.Is(rerr, io.EOF):
		return PutResult{}, logMark{}, fmt.Errorf("chunkstore: read chunk data: %w", rerr)
	case int64(n) != expectedSize:
		return PutResult{}, logMark{}, &SizeMismatchError{Expected: expectedSize, Got: int64(n)}
	}
	data = data[:n]
	if err := ctx.Err(); err != nil {
		return PutResult{}, logMark{}, err
	}
	binary.LittleEndian.PutUint32(rec[4:], uint32(n))
	copy(rec[16:logHeaderSize], id)
	seq, end, created, err := s.createLogged(id, s.path(id), rec[:logHeaderSize+n])
	if err != nil {
		return PutResult{}, logMark{}, err
	}
	if !created {
		res, err := s.putFile(ctx, id, bytes.NewReader(data), expectedSize, digest)
		return res, logMark{}, err
	}
	h.Write(data)
	return result(h, int64(n)), logMark{s.log, seq, end}, nil
}

// createLogged writes rec's data into an unnamed file, links it as final
// and appends rec to the log; created is false, and nothing done, when
// final exists. From naming the file to logging it, it holds s.mu, as a
// replacement does from placing its file to superseding the log's record,
// so that the log's order for a chunk is the order its files took its name
// in.
func (s *Store) createLogged(id, final string, rec []byte) (seq uint64, end int64, created bool, err error) {
	f, err := s.createTemp(id)
	if err != nil {
		return 0, 0, false, err
	}
	defer f.Close()
	data := rec[logHeaderSize:]
	if _, err := f.Write(data); err != nil {
		return 0, 0, false, fmt.Errorf("chunkstore: write: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err = linkAnon(f, final)
	if errors.Is(err, fs.ErrExist) {
		return 0, 0, false, nil
	}
	if err == nil {
		seq, end, err = s.log.append(rec)
		if err != nil {
			os.Remove(final)
		}
	}
	if err != nil {
		return 0, 0, false, err
	}
	s.count++
	s.used += int64(len(data))
	return seq, end, true, nil
}

// syncfs makes everything written to the filesystem holding dir durable.
func syncfs(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("chunkstore: open %s: %w", dir, err)
	}
	defer unix.Close(fd)
	if err := retryEINTR(func() error { return unix.Syncfs(fd) }); err != nil {
		return fmt.Errorf("chunkstore: syncfs: %w", err)
	}
	return nil
}
