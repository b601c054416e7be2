package objects

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"sixfold/db"
	"sixfold/db/ringpoint"
	"sixfold/gateway/cluster"
	"sixfold/gateway/erasure"
	"sixfold/gateway/placement"
	"sixfold/proto/storagepb"
)

// HealOptions configure the healer.
type HealOptions struct {
	// After is how long a node must have been silent before its shards
	// are rebuilt elsewhere: a restart is not a loss. Default 5m.
	After time.Duration
	// Interval is how often the healer looks for work when nothing wakes
	// it. Default 10s.
	Interval time.Duration
	// BytesPerSecond caps the shard bytes one gateway's healer writes.
	// Default 64 MiB/s.
	BytesPerSecond int64
}

func (o HealOptions) withDefaults() HealOptions {
	if o.After <= 0 {
		o.After = 5 * time.Minute
	}
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.BytesPerSecond <= 0 {
		o.BytesPerSecond = 64 << 20
	}
	return o
}

// healLease is how long a claimed shard stays with the claiming gateway.
// Claims are renewed by nothing: a rebuild that takes longer may be
// claimed again by another gateway, and the second swap then finds the
// old row gone and discards its copy.
const healLease = 10 * time.Minute

// healBatch is how many shards one claim takes.
const healBatch = 64

// healCounters are the healer's totals since the process started.
type healCounters struct {
	shards, bytes, failures atomic.Int64
}

// HealTotals are the healer's counts since this gateway started.
type HealTotals struct {
	Shards, Bytes, Failures int64
}

// HealTotals reports what this gateway's healer has done.
func (s *Service) HealTotals() HealTotals {
	return HealTotals{Shards: s.heal.shards.Load(), Bytes: s.heal.bytes.Load(), Failures: s.heal.failures.Load()}
}

// KickHealer wakes the healer now; it never blocks.
func (s *Service) KickHealer() {
	select {
	case s.healNow <- struct{}{}:
	default:
	}
}

// RunHealer rebuilds lost shards until ctx ends: every Interval, when
// kicked, and again at once while there is work. Several gateways may run
// it at once; each claims its own shards.
func (s *Service) RunHealer(ctx context.Context) {
	ticker := time.NewTicker(s.opts.Heal.Interval)
	defer ticker.Stop()
	limiter := rate.NewLimiter(rate.Limit(s.opts.Heal.BytesPerSecond), int(min(s.opts.Heal.BytesPerSecond, 16<<20)))
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-s.healNow:
		}
		for {
			n, err := s.HealOnce(ctx, limiter)
			s.logJob("heal shards", n, err)
			if err != nil || n == 0 {
				break
			}
		}
		s.retireDrained(ctx)
	}
}

// HealOnce claims one batch of shards that need rebuilding and rebuilds
// them, blob by blob. It returns how many shards it claimed.
func (s *Service) HealOnce(ctx context.Context, limiter *rate.Limiter) (int, error) {
	claimed, err := s.blobs.ClaimHealWork(ctx, healLease, s.opts.Heal.After, healBatch)
	if err != nil {
		return 0, err
	}
	byBlob := map[uuid.UUID][]uuid.UUID{}
	var order []uuid.UUID
	for _, c := range claimed {
		if _, ok := byBlob[c.FileID]; !ok {
			order = append(order, c.FileID)
		}
		byBlob[c.FileID] = append(byBlob[c.FileID], c.ID)
	}
	for _, id := range order {
		if err := s.healBlob(ctx, id, byBlob[id], limiter); err != nil {
			if ctx.Err() != nil {
				return len(claimed), ctx.Err()
			}
			s.heal.failures.Add(1)
			s.log.Warn().Err(err).Str("file_id", id.String()).Msg("shard rebuild failed; will retry")
			s.releaseHeal(ctx, byBlob[id], err)
		}
	}
	return len(claimed), nil
}

func (s *Service) releaseHeal(ctx context.Context, ids []uuid.UUID, cause error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.blobs.ReleaseHealClaim(ctx, ids, 30*time.Second, cause.Error()); err != nil {
		s.log.Warn().Err(err).Msg("could not release heal claim; its lease will lapse")
	}
}

// rebuilt is one shard written anew on another server.
type rebuilt struct {
	old    Chunk
	new    Chunk
	stream storagepb.StorageService_PutChunkClient
	crc    uint32
	sent   int64
	sha    []byte // pre-parity copies only
}

// healBlob rebuilds the given shards of one blob onto new servers and
// swaps them in. A target whose node still serves it (a drain) is copied
// block by verified block; any other is reconstructed from the survivors.
func (s *Service) healBlob(ctx context.Context, fileID uuid.UUID, targetIDs []uuid.UUID, limiter *rate.Limiter) error {
	b, err := s.Stat(ctx, fileID)
	if err != nil {
		return err
	}
	targets, err := s.planHeal(b, targetIDs)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, t := range targets {
		if err := s.openRebuilt(ctx, t, b); err != nil {
			return err
		}
	}
	if b.Striped() {
		err = s.rebuildStriped(ctx, b, targets, limiter)
	} else {
		err = s.copyLegacy(ctx, targets, limiter)
	}
	if err != nil {
		s.discard(ctx, targets)
		return err
	}
	for _, t := range targets {
		if err := s.closeRebuilt(ctx, t, b); err != nil {
			s.discard(ctx, targets)
			return err
		}
	}
	return s.swapHealed(ctx, b, targets)
}

// planHeal picks a new server for each target shard: one on the ring, not
// down, holding as few of the blob's other shards as possible (none while
// there are enough servers), never the shard's old server.
func (s *Service) planHeal(b Blob, targetIDs []uuid.UUID) ([]*rebuilt, error) {
	isTarget := map[uuid.UUID]bool{}
	for _, id := range targetIDs {
		isTarget[id] = true
	}
	ring, nodes := s.cluster.Snapshot()
	uses := map[placement.NodeID]int{}
	var targets []*rebuilt
	for _, c := range b.Chunks {
		if isTarget[c.ID] {
			targets = append(targets, &rebuilt{old: c})
		} else {
			uses[placement.NodeID(c.ServerID.String())]++
		}
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("blob %s no longer has the claimed shards", b.ID)
	}
	for _, t := range targets {
		node, ok := pickServer(ring, nodes, string(ringpoint.Key(b.ID.String(), t.old.Number)), uses, func(n cluster.Node) bool {
			return n.ID == t.old.ServerID || s.cluster.Down(n.Address)
		})
		if !ok {
			return nil, fmt.Errorf("%w: no server to rebuild shard %d of blob %s on", ErrNoNodes, t.old.Number, b.ID)
		}
		uses[placement.NodeID(node.ID.String())]++
		t.new = Chunk{ID: uuid.New(), Number: t.old.Number, ServerID: node.ID, ServerAddress: node.Address}
	}
	return targets, nil
}

// pickServer walks the ring from key's place and returns the first server
// among those least used by the blob, skipping excluded ones.
func pickServer(ring *placement.Ring, nodes map[placement.NodeID]cluster.Node, key string, uses map[placement.NodeID]int, exclude func(cluster.Node) bool) (cluster.Node, bool) {
	fewest := -1
	for id, n := range nodes {
		if !exclude(n) && (fewest < 0 || uses[id] < fewest) {
			fewest = uses[id]
		}
	}
	if fewest < 0 {
		return cluster.Node{}, false
	}
	ids := ring.PlaceBlob(key, 1, func(id placement.NodeID) bool {
		n, ok := nodes[id]
		return !ok || exclude(n) || uses[id] > fewest
	})
	if len(ids) == 0 {
		return cluster.Node{}, false
	}
	return nodes[ids[0]], true
}

func (s *Service) openRebuilt(ctx context.Context, t *rebuilt, b Blob) error {
	client, err := s.cluster.Client(t.new.ServerAddress)
	if err != nil {
		return err
	}
	stream, err := client.PutChunk(ctx)
	if err != nil {
		return s.nodeError(ctx, t.new.ServerAddress, err)
	}
	t.stream = stream
	size, digest := t.old.Size, storagepb.Digest_DIGEST_CRC32C
	if b.Striped() {
		size = b.Layout().ShardSize()
	} else {
		digest = storagepb.Digest_DIGEST_SHA256
	}
	hdr := &storagepb.PutChunkHeader{ChunkId: t.new.ID.String(), ExpectedSize: size, Digest: digest}
	return stream.Send(&storagepb.PutChunkRequest{Header: hdr})
}

// rebuildStriped produces the target shards stripe by stripe.
func (s *Service) rebuildStriped(ctx context.Context, b Blob, targets []*rebuilt, limiter *rate.Limiter) error {
	l := b.Layout()
	src, err := s.newStripeSource(ctx, b, 0, l.Stripes())
	if err != nil {
		return err
	}
	defer src.close()
	need := make([]bool, l.Shards())
	for _, t := range targets {
		need[t.old.Number] = true
	}
	frame := make([]byte, erasure.FrameHeader+l.BlockSize)
	for stripe := range l.Stripes() {
		blocks, err := src.blocks(stripe, need)
		if err != nil {
			return err
		}
		for _, t := range targets {
			block := blocks[t.old.Number]
			f := frame[:erasure.FrameHeader+len(block)]
			copy(f[erasure.FrameHeader:], block)
			erasure.Seal(f)
			if err := limiter.WaitN(ctx, min(len(f), limiter.Burst())); err != nil {
				return err
			}
			if err := t.stream.Send(&storagepb.PutChunkRequest{Data: f}); err != nil {
				return s.nodeError(ctx, t.new.ServerAddress, err)
			}
			t.crc = erasure.FrameCRC32C(t.crc, f)
			t.sent += int64(len(f))
		}
	}
	return nil
}

// copyLegacy copies pre-parity chunks off a server that still serves them,
// checking each against its recorded SHA-256 before it counts.
func (s *Service) copyLegacy(ctx context.Context, targets []*rebuilt, limiter *rate.Limiter) error {
	for _, t := range targets {
		client, err := s.cluster.Client(t.old.ServerAddress)
		if err != nil {
			return err
		}
		stream, err := client.GetChunk(ctx, &storagepb.GetChunkRequest{ChunkId: t.old.ID.String()})
		if err != nil {
			return s.nodeError(ctx, t.old.ServerAddress, err)
		}
		h := sha256.New()
		for {
			msg, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return s.nodeError(ctx, t.old.ServerAddress, err)
			}
			if err := limiter.WaitN(ctx, min(len(msg.Data), limiter.Burst())); err != nil {
				return err
			}
			h.Write(msg.Data)
			if err := t.stream.Send(&storagepb.PutChunkRequest{Data: msg.Data}); err != nil {
				return s.nodeError(ctx, t.new.ServerAddress, err)
			}
			t.sent += int64(len(msg.Data))
		}
		t.sha = h.Sum(nil)
		if got := hex.EncodeToString(t.sha); got != t.old.Hash {
			return s.corrupt(t.old, "sha256 "+got+" does not match the recorded "+t.old.Hash)
		}
	}
	return nil
}

// closeRebuilt waits for the new node's account and checks it against
// what was sent.
func (s *Service) closeRebuilt(ctx context.Context, t *rebuilt, b Blob) error {
	resp, err := t.stream.CloseAndRecv()
	if err != nil {
		return s.nodeError(ctx, t.new.ServerAddress, err)
	}
	if resp.GetSize() != t.sent {
		return fmt.Errorf("%w: node %s stored %d bytes of rebuilt shard %s, sent %d", ErrNodeUnavailable, t.new.ServerAddress, resp.GetSize(), t.new.ID, t.sent)
	}
	t.new.Size = t.sent
	if b.Striped() {
		if resp.GetCrc32C() != t.crc {
			return fmt.Errorf("%w: node %s reports crc32c %08x for rebuilt shard %s, sent %08x", ErrNodeUnavailable, t.new.ServerAddress, resp.GetCrc32C(), t.new.ID, t.crc)
		}
		t.new.Hash = fmt.Sprintf("%08x", t.crc)
	} else {
		if resp.GetSha256() != t.old.Hash {
			return fmt.Errorf("%w: node %s reports sha256 %s for copied chunk %s", ErrNodeUnavailable, t.new.ServerAddress, resp.GetSha256(), t.new.ID)
		}
		t.new.Hash = t.old.Hash
	}
	return nil
}

// swapHealed replaces the old shard rows with the rebuilt ones in one
// transaction; whatever no longer has a row to replace (the blob was
// deleted meanwhile) is discarded.
func (s *Service) swapHealed(ctx context.Context, b Blob, targets []*rebuilt) error {
	swaps := make([]db.HealSwap, len(targets))
	for i, t := range targets {
		swaps[i] = db.HealSwap{OldID: t.old.ID, NewID: t.new.ID, Size: t.new.Size, Hash: t.new.Hash, ServerID: t.new.ServerID}
	}
	swapped, err := s.blobs.SwapHealedChunks(ctx, b.ID, swaps)
	if errors.Is(err, db.ErrNotCommitted) {
		s.discard(ctx, targets)
		return err
	}
	if err != nil {
		// The swap may have committed, so the rows may name the rebuilt
		// shards: they are queued, not deleted now, and the deletion job
		// drops a queued chunk that a row names.
		s.queueUnused(ctx, targets)
		return err
	}
	var orphans []*rebuilt
	var bytes int64
	for i, t := range targets {
		if !swapped[i] {
			orphans = append(orphans, t)
			continue
		}
		bytes += t.new.Size
	}
	s.discard(ctx, orphans)
	s.heal.shards.Add(int64(len(targets) - len(orphans)))
	s.heal.bytes.Add(bytes)
	old := make([]Chunk, 0, len(targets))
	for _, t := range targets {
		old = append(old, t.old)
		s.log.Info().Str("file_id", b.ID.String()).Int("shard", t.old.Number).Str("from", t.old.ServerAddress).
			Str("to", t.new.ServerAddress).Int64("bytes", t.new.Size).Msg("shard rebuilt")
	}
	s.deleteChunksNow(ctx, old)
	return nil
}

// discard queues rebuilt shards that no row names for deletion and
// deletes them.
func (s *Service) discard(ctx context.Context, targets []*rebuilt) {
	if chunks := s.queueUnused(ctx, targets); len(chunks) > 0 {
		s.deleteChunksNow(ctx, chunks)
	}
}

// queueUnused queues rebuilt shards for deletion by the deletion job and
// returns them, or nothing if they could not be queued.
func (s *Service) queueUnused(ctx context.Context, targets []*rebuilt) []Chunk {
	if len(targets) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	chunks := make([]Chunk, 0, len(targets))
	for _, t := range targets {
		chunks = append(chunks, t.new)
	}
	err := untilAvailable(ctx, func() error {
		return s.blobs.EnqueueChunkDeletions(ctx, locations(chunks), deletingHold)
	})
	if err != nil {
		s.log.Warn().Err(err).Msg("unused rebuilt shards not queued for deletion; the nodes' sweep will remove them")
		return nil
	}
	return chunks
}

// retireDrained marks draining servers that hold nothing any more removed.
func (s *Service) retireDrained(ctx context.Context) {
	rows, err := s.blobs.RemoveDrainedServers(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn().Err(err).Msg("could not retire drained servers")
		}
		return
	}
	for _, r := range rows {
		s.log.Info().Str("server_id", r.ID.String()).Str("name", r.Name).Str("address", r.Address).Msg("storage node drained: every shard moved off it; marked removed")
	}
	if len(rows) > 0 {
		s.cluster.RequestRefresh()
	}
}
