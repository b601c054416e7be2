package objects

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"

	"sixfold/db"
	"sixfold/gateway/cluster"
	"sixfold/gateway/erasure"
	"sixfold/gateway/placement"
	"sixfold/s3api/hashpipe"
)

// PutInput describes one blob to store.
type PutInput struct {
	Filename    string
	ContentType string
	Metadata    json.RawMessage // a JSON object, or nil
	// Size is the exact body length when Exact, else a planning hint (a
	// multipart form's file part, whose length is only known once its
	// closing boundary is seen): the blob then takes whatever the body
	// holds, up to MaxSize.
	Size  int64
	Exact bool
	// Body is read to its end: a reader that verifies its content (the S3
	// door's signature and checksum checks) reports a mismatch there, and
	// then nothing is stored.
	Body io.Reader
	// KnownSHA256, when set, returns the body's SHA-256 once Body has
	// reached io.EOF: a body that was hashed anyway (a SigV4 hex-signed
	// payload) is then not hashed a second time for the blob's checksum.
	KnownSHA256 func() []byte
	// NoChecksum says the door has no use for a SHA-256 it would have to
	// compute (the S3 door, whose ETag is an MD5 and whose checksums are
	// the ones a client declares): the blob then records the checksum only
	// when KnownSHA256 gives it. Hashing an unsigned 1 GiB PUT with
	// SHA-256 cost its gateway about a fifth of its CPU.
	NoChecksum bool
	// Owner is the door the blob belongs to: "files" (default) or "s3".
	Owner string
	// OnCommit, when set, runs inside the transaction that completes the
	// blob, so whatever it records (an S3 object or part pointing at the
	// blob) becomes visible atomically with it. An error aborts the put.
	OnCommit func(ctx context.Context, tx *db.Tx, b Blob) error
}

// put streams in.Body once, striped and encoded, to the blob's 6+P nodes
// at once and records the blob. The blob is visible only after a write
// quorum of shards is durable and the metadata transaction has committed;
// shards that failed are recorded missing for the healer. On any failure
// everything written is queued for deletion and the error is returned.
func (s *Service) put(ctx context.Context, in PutInput) (Blob, error) {
	if in.Size < 0 || in.Size > s.opts.MaxSize {
		return Blob{}, ErrTooLarge
	}
	started := time.Now()
	blob := Blob{ID: uuid.New(), Filename: in.Filename, ContentType: in.ContentType, Metadata: in.Metadata,
		Status: BlobUploading, Size: in.Size, DataShards: DataShards, ParityShards: s.opts.ParityShards, BlockSize: s.opts.BlockSize}
	if len(blob.Metadata) == 0 {
		blob.Metadata = json.RawMessage("{}")
	}
	nodes, err := s.place(ctx, blob.ID, DataShards+blob.ParityShards)
	if err != nil {
		return Blob{}, err
	}
	blob.Chunks = planShards(blob.Layout(), nodes)
	sessionID := uuid.New()
	if in.Owner == "" {
		in.Owner = "files"
	}
	// A blob of known size that fits one stripe is written whole and
	// recorded as it is written; any other is recorded first, so that its
	// chunks are known to the cleanup for as long as it streams.
	if in.Exact && in.Size <= blob.Layout().StripeBytes() {
		err = s.putWhole(ctx, &blob, in, sessionID, started)
	} else {
		err = s.putStreamed(ctx, &blob, in, sessionID)
	}
	if err != nil {
		return Blob{}, err
	}
	if len(unwritten(blob.Chunks)) > 0 {
		s.KickHealer()
	}
	return blob, nil
}

// putStreamed records the blob as uploading, streams it and completes it.
func (s *Service) putStreamed(ctx context.Context, b *Blob, in PutInput, sessionID uuid.UUID) error {
	if err := s.beginUpload(ctx, b, in, sessionID); err != nil {
		return err
	}
	err := s.streamShards(ctx, b, in, sessionID)
	if err == nil {
		err = s.finishUpload(ctx, b, in.OnCommit)
	}
	if err != nil {
		// The blob's rows may exist (a COMMIT whose outcome is unknown):
		// only the metadata may say whether its shards can go.
		s.abandon(ctx, *b)
	}
	return err
}

// place picks n nodes for a blob's shards, skipping (and re-placing around)
// nodes that cannot be connected to before any data flows.
func (s *Service) place(ctx context.Context, blobID uuid.UUID, n int) ([]cluster.Node, error) {
	ring, nodes := s.cluster.Snapshot()
	if len(nodes) == 0 {
		// Nodes may have registered since the last refresh.
		if err := s.cluster.Refresh(ctx); err != nil {
			return nil, metadataError(err)
		}
		ring, nodes = s.cluster.Snapshot()
	}
	unreachable := map[placement.NodeID]bool{}
	for range len(nodes) + 1 {
		ids := ring.PlaceBlob(blobID.String(), n, func(n placement.NodeID) bool { return unreachable[n] })
		if ids == nil {
			break
		}
		if bad := s.firstUnreachable(ctx, ids, nodes); bad != "" {
			unreachable[bad] = true
			s.cluster.RequestRefresh()
			continue
		}
		placed := make([]cluster.Node, len(ids))
		for i, id := range ids {
			placed[i] = nodes[id]
		}
		return placed, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, ErrNoNodes
}

func (s *Service) firstUnreachable(ctx context.Context, ids []placement.NodeID, nodes map[placement.NodeID]cluster.Node) placement.NodeID {
	seen := map[placement.NodeID]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		// WaitReady, not Down: it gives a failed connection one fresh
		// attempt, so a node that just restarted is not placed around.
		if !s.cluster.WaitReady(ctx, nodes[id].Address) {
			s.log.Warn().Str("server_id", string(id)).Str("address", nodes[id].Address).Msg("storage node unreachable; placing around it")
			return id
		}
	}
	return ""
}

func planShards(l erasure.Layout, nodes []cluster.Node) []Chunk {
	chunks := make([]Chunk, l.Shards())
	for i := range chunks {
		chunks[i] = Chunk{ID: uuid.New(), Number: i, Size: l.ShardSize(), Status: ChunkPending,
			ServerID: nodes[i].ID, ServerAddress: nodes[i].Address}
	}
	return chunks
}

func (s *Service) beginUpload(ctx context.Context, b *Blob, in PutInput, sessionID uuid.UUID) error {
	err := s.blobs.BeginUpload(ctx, db.NewUpload{
		File: db.File{ID: b.ID, Filename: b.Filename, ContentType: b.ContentType, Size: in.Size, Metadata: b.Metadata,
			DataShards: b.DataShards, ParityShards: b.ParityShards, BlockSize: b.BlockSize},
		Door: in.Owner, SessionID: sessionID, SessionTimeout: s.opts.SessionTimeout, ClientIP: clientIP(ctx),
		Chunks: dbChunks(b.Chunks)})
	return metadataError(err)
}

// streamShards reads the body once and streams its shards, a stripe at a
// time through one stream per shard (streamStripes), all at once. It
// records each shard's outcome in b.Chunks and fails only when fewer than
// the write quorum of shards became durable.
func (s *Service) streamShards(ctx context.Context, b *Blob, in PutInput, sessionID uuid.UUID) error {
	l := b.Layout()
	codec, err := s.codec(l.Data, l.Parity)
	if err != nil {
		return err
	}
	body := newHashingReader(in)
	size, outcomes, err := s.streamStripes(ctx, b, codec, body, in, sessionID)
	if err != nil {
		return err
	}
	b.Size = size
	if err := b.setChecksum(body, in); err != nil {
		return err
	}
	final := b.Layout()
	for i := range b.Chunks {
		b.Chunks[i].Size = final.ShardSize()
	}
	s.settleShards(b, outcomes)
	return nil
}

// newHashingReader reads in.Body, computing its SHA-256 unless it is known
// or not wanted.
func newHashingReader(in PutInput) *hashingReader {
	body := &hashingReader{r: in.Body}
	if in.KnownSHA256 == nil && !in.NoChecksum {
		body.h = sha256.New()
		body.pipe = hashpipe.New(body.h)
	}
	return body
}

// setChecksum records the body's SHA-256 once body has reached its end,
// when it was computed or is known.
func (b *Blob) setChecksum(body *hashingReader, in PutInput) error {
	if body.h == nil && in.KnownSHA256 == nil {
		return nil
	}
	sum, err := body.sum(in.KnownSHA256)
	if err != nil {
		return err
	}
	b.Checksum = hex.EncodeToString(sum)
	return nil
}

// settleShards records each shard's outcome in b.Chunks: stored with its
// CRC32C, or missing for the healer.
func (s *Service) settleShards(b *Blob, outcomes []shardOutcome) {
	for i, o := range outcomes {
		c := &b.Chunks[i]
		if o.err == nil {
			c.Status, c.Hash = ChunkStored, shardHash(o.crc)
			continue
		}
		c.Status, c.Hash = ChunkMissing, ""
		s.log.Warn().Err(o.err).Str("file_id", b.ID.String()).Int("shard", c.Number).
			Str("server", c.ServerAddress).Msg("shard not written; the write quorum held, the healer will rebuild it")
	}
}

// shardHash is a shard's CRC32C as its chunks row holds it.
func shardHash(crc uint32) string { return fmt.Sprintf("%08x", crc) }

// unwritten are the ids of the chunks not stored.
func unwritten(chunks []Chunk) []uuid.UUID {
	var ids []uuid.UUID
	for _, c := range chunks {
		if c.Status != ChunkStored {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// streamStripes reads the body a stripe at a time, encodes each stripe and
// hands its frames to one writer per shard, all streaming at once, and
// returns the blob's size and each shard's outcome.
func (s *Service) streamStripes(ctx context.Context, b *Blob, codec *erasure.Codec, body io.Reader, in PutInput, sessionID uuid.UUID) (int64, []shardOutcome, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	up := s.newUpload(ctx, b, in.Exact)
	defer up.stop()
	if up.live() < up.quorum {
		return 0, nil, up.quorumError()
	}
	size, err := s.pump(ctx, up, codec, body, in, sessionID)
	if err != nil {
		return 0, nil, err
	}
	if err := up.finish(); err != nil {
		return 0, nil, err
	}
	outcomes := make([]shardOutcome, len(up.writers))
	for i, w := range up.writers {
		outcomes[i] = shardOutcome{crc: w.crc, err: w.failure()}
		if !w.ok() && outcomes[i].err == nil {
			outcomes[i].err = errStalled
		}
	}
	return size, outcomes, nil
}

// pump moves the body into the writers stripe by stripe and returns the
// blob's size. It never holds more than stripesInFlight stripes.
func (s *Service) pump(ctx context.Context, up *upload, codec *erasure.Codec, body io.Reader, in PutInput, sessionID uuid.UUID) (int64, error) {
	l := up.blob.Layout()
	var size int64
	lastTouch := time.Now()
	for {
		want := l.StripeBytes()
		if in.Exact {
			want = min(want, in.Size-size)
			if want == 0 {
				break
			}
		}
		st, err := up.stripe()
		if err != nil {
			return 0, err
		}
		n, readErr := st.Fill(body, want)
		size += n
		if readErr != nil && readErr != io.EOF {
			up.recycle(st)
			return 0, BodyError(ctx, readErr)
		}
		if in.Exact && n < want {
			up.recycle(st)
			return 0, ErrIncompleteBody
		}
		if !in.Exact && size > s.opts.MaxSize {
			up.recycle(st)
			return 0, ErrTooLarge
		}
		if n == 0 {
			up.recycle(st)
			break
		}
		if err := codec.Encode(st); err != nil {
			up.recycle(st)
			return 0, err
		}
		up.dispatch(st)
		// Progress keeps a long upload's session alive and shows in it;
		// after the first stripe so an operator sees a large upload move,
		// then every 2 s. A one-stripe blob pays no extra round trip.
		if stripe := size / l.StripeBytes(); (stripe == 1 && readErr == nil && size < in.Size) || time.Since(lastTouch) > 2*time.Second {
			s.touchSession(ctx, sessionID, size)
			lastTouch = time.Now()
		}
		if readErr == io.EOF {
			break
		}
	}
	if in.Exact {
		if err := expectEOF(ctx, body); err != nil {
			return 0, err
		}
	}
	return size, nil
}

func (s *Service) touchSession(ctx context.Context, sessionID uuid.UUID, received int64) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := s.blobs.TouchUploadSession(ctx, sessionID, received, s.opts.SessionTimeout)
	if err != nil && ctx.Err() == nil {
		s.log.Warn().Err(err).Str("session_id", sessionID.String()).Msg("upload session progress not recorded")
	}
}

// expectEOF reads past a body's declared end: a verifying reader checks
// its digests only when it reaches EOF, and a body longer than declared
// must not be stored cut short.
func expectEOF(ctx context.Context, body io.Reader) error {
	var probe [1]byte
	n, err := body.Read(probe[:])
	for n == 0 && err == nil {
		n, err = body.Read(probe[:])
	}
	if n > 0 {
		return fmt.Errorf("%w: the body is longer than its declared size", ErrIncompleteBody)
	}
	if err != io.EOF {
		return BodyError(ctx, err)
	}
	return nil
}

func (s *Service) finishUpload(ctx context.Context, b *Blob, onCommit func(context.Context, *db.Tx, Blob) error) error {
	createdAt, err := s.blobs.CompleteUpload(ctx, b.ID, b.Size, b.Checksum, dbChunks(b.Chunks), commitHook(ctx, b, onCommit))
	if err != nil {
		return metadataError(err)
	}
	b.CreatedAt, b.Status = createdAt, BlobCompleted
	return nil
}

// unrecordedLimit bounds how long after its shards were sent a blob
// written whole may still be recorded. Until then its chunk files exist
// with no row, and a node's sweep removes such files once they are older
// than its sweep.min_age, which is at least a minute: a blob recorded
// within half that can never lose a shard to the sweep, and one that could
// not be is abandoned instead.
var unrecordedLimit = 30 * time.Second // a variable for the tests only

// recordWhole records a blob written whole, whose upload started at
// started and whose shards were sent at sentAt, as completed, with its
// session, running in.OnCommit and then settle (db.NewBlob.Settle) in the
// same transaction.
func (s *Service) recordWhole(ctx context.Context, b *Blob, in PutInput, sessionID uuid.UUID, started, sentAt time.Time, settle func() ([]uuid.UUID, error)) error {
	ctx, cancel := context.WithDeadline(ctx, sentAt.Add(unrecordedLimit))
	defer cancel()
	createdAt, err := s.blobs.RecordBlob(ctx, db.NewBlob{
		File: db.File{ID: b.ID, Filename: b.Filename, ContentType: b.ContentType, Size: b.Size, Checksum: b.Checksum,
			Metadata: b.Metadata, DataShards: b.DataShards, ParityShards: b.ParityShards, BlockSize: b.BlockSize},
		Door: in.Owner, SessionID: sessionID, StartedAt: started, SessionTimeout: s.opts.SessionTimeout, ClientIP: clientIP(ctx),
		Chunks: dbChunks(b.Chunks), Settle: settle}, commitHook(ctx, b, in.OnCommit))
	if err != nil {
		return metadataError(err)
	}
	b.CreatedAt, b.Status = createdAt, BlobCompleted
	return nil
}

// commitHook adapts onCommit (nil: none) to the transaction that completes
// b, handing it b as it will read once committed.
func commitHook(ctx context.Context, b *Blob, onCommit func(context.Context, *db.Tx, Blob) error) func(*db.Tx, time.Time) error {
	if onCommit == nil {
		return nil
	}
	return func(tx *db.Tx, createdAt time.Time) error {
		done := *b
		done.CreatedAt, done.Status = createdAt, BlobCompleted
		return onCommit(ctx, tx, done)
	}
}

// dbChunks is chunks as their metadata rows.
func dbChunks(chunks []Chunk) []db.Chunk {
	rows := make([]db.Chunk, len(chunks))
	for i, c := range chunks {
		rows[i] = db.Chunk{ID: c.ID, Number: c.Number, Offset: c.Offset, Size: c.Size, Hash: c.Hash, Status: string(c.Status),
			ServerID: c.ServerID, ServerAddress: c.ServerAddress}
	}
	return rows
}

// abandon queues every chunk of a failed upload for deletion and removes
// its rows. It runs even when the client's context is gone. The client's
// answer waits for it up to abandonPatience, which rides out a failover;
// if PostgreSQL is still unreachable then, abandon goes on in the
// background for up to abandonHorizon, since no job may ever revisit the
// upload: a blob written whole has no session to expire unless its COMMIT,
// whose outcome is unknown here, went through, and without its rows its
// shards would wait for the nodes' sweep (sweep.min_age, two hours by
// default).
func (s *Service) abandon(ctx context.Context, b Blob) {
	ctx = context.WithoutCancel(ctx)
	err := s.abandonWithin(ctx, b, abandonPatience)
	if errors.Is(err, db.ErrUnavailable) {
		horizon := abandonHorizon
		s.log.Warn().Err(err).Str("file_id", b.ID.String()).Dur("horizon", horizon).
			Msg("failed upload not cleaned up yet; retrying in the background")
		go func() { s.logAbandoned(b, s.abandonWithin(ctx, b, horizon)) }()
		return
	}
	s.logAbandoned(b, err)
}

// abandonPatience and abandonHorizon bound abandon (see there).
var (
	abandonPatience = 10 * time.Second // variables for the tests only
	abandonHorizon  = 15 * time.Minute
)

// abandonWithin is abandon's work, trying for up to d.
func (s *Service) abandonWithin(ctx context.Context, b Blob, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	err := untilAvailable(ctx, func() error {
		return s.blobs.AbandonUpload(ctx, b.ID, locations(b.Chunks), deletingHold)
	})
	if err == nil {
		s.deleteChunksNow(ctx, b.Chunks)
	}
	return err
}

func (s *Service) logAbandoned(b Blob, err error) {
	switch {
	case errors.Is(err, db.ErrMissingParent):
		// The blob's row is still referenced (an S3 version names it): the
		// write whose outcome was unknown committed, so the blob stays.
		s.log.Warn().Err(err).Str("file_id", b.ID.String()).Msg("failed upload had committed after all; its blob stays, whole")
	case err != nil:
		s.log.Warn().Err(err).Str("file_id", b.ID.String()).
			Msg("failed upload not cleaned up; its session expires if it has one, and the nodes' sweep removes shards no row names")
	}
}

// untilAvailable runs op until it succeeds, fails otherwise than with
// PostgreSQL unavailable, or ctx ends. Cleanup after a write whose outcome
// is unknown must reach the metadata to learn what it may delete, and a
// failover makes PostgreSQL unreachable for a second or two: giving up at
// once would leave a blob recorded as completed, which no job revisits,
// for an upload the client was told had failed.
func untilAvailable(ctx context.Context, op func() error) error {
	pause := 100 * time.Millisecond
	for {
		err := op()
		if err == nil || !errors.Is(err, db.ErrUnavailable) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
}

// discardUnrecorded deletes the shards of a blob written whole that no
// row records, straight on their nodes: PostgreSQL may be the very thing
// that failed. A shard whose node cannot be reached now (a node that died
// mid-upload, perhaps after making it durable) is queued for the deletion
// job, which deletes it once the node answers; no row names it, so the
// job's check lets it go. Only if PostgreSQL cannot take the queue entry
// either is it left to that node's sweep, which removes files without a
// row after sweep.min_age.
func (s *Service) discardUnrecorded(ctx context.Context, b Blob) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	kept := make([]bool, len(b.Chunks))
	var wg sync.WaitGroup
	for i, c := range b.Chunks {
		wg.Go(func() { kept[i] = !s.deleteOnNode(ctx, c.ID, c.ServerAddress) })
	}
	wg.Wait()
	var left []Chunk
	for i, c := range b.Chunks {
		if kept[i] {
			left = append(left, c)
		}
	}
	if len(left) == 0 {
		return
	}
	if err := s.blobs.EnqueueChunkDeletions(ctx, locations(left), 0); err != nil {
		s.log.Warn().Err(err).Str("file_id", b.ID.String()).Int("shards", len(left)).
			Msg("shards of a failed upload left on unreachable nodes; their sweep will remove them")
	}
}

type hashingReader struct {
	r    io.Reader
	h    hash.Hash
	pipe *hashpipe.Pipe // feeds h off the reading goroutine; nil when h is
}

// sum is the body's SHA-256: the one computed here, or the one known.
func (hr *hashingReader) sum(known func() []byte) ([]byte, error) {
	if hr.h != nil {
		hr.pipe.Wait()
		return hr.h.Sum(nil), nil
	}
	if s := known(); len(s) == sha256.Size {
		return s, nil
	}
	return nil, errors.New("objects: the body's known SHA-256 is missing after EOF")
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	if hr.pipe != nil {
		hr.pipe.Write(p[:n])
	}
	return n, err
}
