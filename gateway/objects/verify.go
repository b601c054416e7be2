package objects

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"sixfold/db"
	"sixfold/proto/storagepb"
)

// probeTimeout bounds asking one node for one byte of one shard.
const probeTimeout = 5 * time.Second

// MissingShard is a shard metadata records as stored whose node answers
// that it has no such file.
type MissingShard struct {
	BlobID     uuid.UUID `json:"blob_id"`
	Number     int       `json:"chunk_number"`
	ChunkID    uuid.UUID `json:"chunk_id"`
	ServerName string    `json:"server"`
	Address    string    `json:"address"`
}

// Verification is one page of VerifyStored.
type Verification struct {
	Blobs   int            `json:"blobs_checked"`
	Shards  int            `json:"shards_checked"`
	Missing []MissingShard `json:"missing"`
	// Unreadable are the blobs left with fewer shards than a read needs:
	// their bytes are gone (restored past gc.retention). A blob with a
	// missing shard that is still readable is only degraded: the healer
	// rebuilds it once the shard is flagged.
	Unreadable []uuid.UUID `json:"unreadable"`
	// Unanswered counts shards whose node did not answer (down or slow):
	// neither present nor known missing.
	Unanswered int `json:"unanswered"`
	// Next is the cursor of the next page; empty after the last.
	Next string `json:"next,omitempty"`
}

// VerifyStored asks the nodes, for the stored shards of up to limit blobs
// after the blob id after (uuid.Nil: from the start), whether each shard's
// file is still there. It changes nothing. After a database restore it
// lists what the restored metadata references that the nodes no longer
// have. Each shard costs one small read on its node.
func (s *Service) VerifyStored(ctx context.Context, after uuid.UUID, limit int) (Verification, error) {
	rows, err := s.blobs.StoredShardsPage(ctx, after, limit)
	if err != nil {
		return Verification{}, metadataError(err)
	}
	present := make([]probeResult, len(rows))
	var g errgroup.Group
	g.SetLimit(16)
	for i, r := range rows {
		g.Go(func() error { present[i] = s.probe(ctx, r.ID, r.ServerAddress); return nil })
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return Verification{}, err
	}
	return summarize(rows, present, limit), nil
}

type probeResult int

const (
	probePresent probeResult = iota
	probeMissing
	probeUnanswered
)

// probe reads the first byte of a shard: NotFound means the node has no
// such file; any other failure says nothing either way.
func (s *Service) probe(ctx context.Context, chunkID uuid.UUID, address string) probeResult {
	client, err := s.cluster.Client(address)
	if err != nil {
		return probeUnanswered
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	stream, err := client.GetChunk(ctx, &storagepb.GetChunkRequest{ChunkId: chunkID.String(), Offset: 0, Length: 1})
	if err == nil {
		_, err = stream.Recv()
	}
	switch {
	case err == nil || errors.Is(err, io.EOF): // EOF: an empty shard
		return probePresent
	case status.Code(err) == codes.NotFound:
		return probeMissing
	}
	return probeUnanswered
}

// summarize groups the probes by blob (rows come in blob order).
func summarize(rows []db.StoredShard, present []probeResult, limit int) Verification {
	var v Verification
	left := map[uuid.UUID]int{} // shards a blob still has (or may have)
	for i, r := range rows {
		if _, seen := left[r.FileID]; !seen {
			v.Blobs++
			left[r.FileID] = 0
		}
		v.Shards++
		switch present[i] {
		case probeMissing:
			v.Missing = append(v.Missing, MissingShard{BlobID: r.FileID, Number: r.Number, ChunkID: r.ID,
				ServerName: r.ServerName, Address: r.ServerAddress})
			continue
		case probeUnanswered:
			v.Unanswered++
		}
		left[r.FileID]++
	}
	for i, r := range rows {
		last := i+1 == len(rows) || rows[i+1].FileID != r.FileID
		if last && left[r.FileID] < r.DataShards {
			v.Unreadable = append(v.Unreadable, r.FileID)
		}
	}
	if v.Blobs == limit && len(rows) > 0 {
		v.Next = rows[len(rows)-1].FileID.String()
	}
	return v
}
