package filesapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"sixfold/gateway/objects"
)

// infoBody marshals infoOf(b) and decodes it generically, as a client
// reading the JSON would.
func infoBody(t *testing.T, b objects.Blob) map[string]any {
	t.Helper()
	raw, err := json.Marshal(infoOf(b))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func shards(n int, server uuid.UUID) []objects.Chunk {
	out := make([]objects.Chunk, n)
	for i := range out {
		out[i] = objects.Chunk{ID: uuid.New(), Number: i, Size: 1004, Hash: "0123abcd", Status: objects.ChunkStored,
			ServerID: server, ServerAddress: "127.0.0.1:9001"}
	}
	return out
}

func TestInfoShowsLayoutAndShardRoles(t *testing.T) {
	server := uuid.New()
	b := objects.Blob{ID: uuid.New(), Filename: "a.bin", ContentType: "application/octet-stream", Size: 6000,
		Checksum: "c", Status: "completed", Metadata: json.RawMessage(`{"k":"v"}`), CreatedAt: time.Unix(0, 0),
		DataShards: 6, ParityShards: 2, BlockSize: 1 << 20, Chunks: shards(8, server)}
	b.Chunks[7].Status = objects.ChunkMissing
	got := infoBody(t, b)
	for key, want := range map[string]any{"file_id": b.ID.String(), "filename": "a.bin", "size": 6000.0, "status": "completed",
		"data_shards": 6.0, "parity_shards": 2.0, "block_size": float64(1 << 20)} {
		if got[key] != want {
			t.Errorf("%s = %v; want %v", key, got[key], want)
		}
	}
	if _, ok := got["parts"]; ok {
		t.Errorf("a plain blob's info has parts: %v", got["parts"])
	}
	chunks, _ := got["chunks"].([]any)
	if len(chunks) != 8 {
		t.Fatalf("%d shards; want 8: %v", len(chunks), got)
	}
	for i, c := range chunks {
		ch := c.(map[string]any)
		role, status := "data", "stored"
		if i >= 6 {
			role = "parity"
		}
		if i == 7 {
			status = "missing"
		}
		if ch["number"] != float64(i) || ch["role"] != role || ch["status"] != status || ch["size"] != 1004.0 ||
			ch["hash"] != "0123abcd" || ch["server_id"] != server.String() || ch["server_address"] != "127.0.0.1:9001" || ch["offset"] != 0.0 {
			t.Errorf("shard %d = %v; want number %d, role %s, status %s on %s", i, ch, i, role, status, server)
		}
	}
}

// A blob written before parity keeps its six contiguous chunks, all data,
// and says so with block_size 0 and no parity.
func TestInfoOfAPreParityBlob(t *testing.T) {
	b := objects.Blob{ID: uuid.New(), Size: 60, Status: "completed", DataShards: 6, Chunks: shards(6, uuid.New())}
	for i := range b.Chunks {
		b.Chunks[i].Offset = int64(i * 10)
	}
	got := infoBody(t, b)
	if got["data_shards"] != 6.0 || got["parity_shards"] != 0.0 || got["block_size"] != 0.0 {
		t.Fatalf("layout %v/%v/%v; want 6 data, 0 parity, block_size 0", got["data_shards"], got["parity_shards"], got["block_size"])
	}
	for i, c := range got["chunks"].([]any) {
		if ch := c.(map[string]any); ch["role"] != "data" || ch["offset"] != float64(i*10) {
			t.Errorf("chunk %d = %v; want a data chunk at offset %d", i, ch, i*10)
		}
	}
}

// An S3 multipart object is a view over several blobs: each part shows
// its own layout and shards, and the object itself has none.
func TestInfoOfAMultipartObject(t *testing.T) {
	part := objects.Blob{ID: uuid.New(), Size: 5 << 20, Status: "completed", DataShards: 6, ParityShards: 2, BlockSize: 1 << 20,
		Chunks: shards(8, uuid.New())}
	old := objects.Blob{ID: uuid.New(), Size: 100, Status: "completed", DataShards: 6, Chunks: shards(6, uuid.New())}
	b := objects.Blob{ID: uuid.New(), Size: 5<<20 + 100, Status: "completed",
		Parts: []objects.Part{{Offset: 0, Blob: part}, {Offset: 5 << 20, Blob: old}}}
	got := infoBody(t, b)
	for _, key := range []string{"data_shards", "parity_shards", "block_size", "chunks"} {
		if v, ok := got[key]; ok {
			t.Errorf("a multipart object's info has %s = %v; its parts hold it", key, v)
		}
	}
	parts, _ := got["parts"].([]any)
	if len(parts) != 2 {
		t.Fatalf("%d parts; want 2: %v", len(parts), got)
	}
	for i, want := range []struct {
		blob        objects.Blob
		offset      float64
		parity      float64
		lastRole    string
		shardsCount int
	}{{part, 0, 2, "parity", 8}, {old, 5 << 20, 0, "data", 6}} {
		p := parts[i].(map[string]any)
		chunks, _ := p["chunks"].([]any)
		if p["file_id"] != want.blob.ID.String() || p["offset"] != want.offset || p["size"] != float64(want.blob.Size) ||
			p["parity_shards"] != want.parity || len(chunks) != want.shardsCount ||
			chunks[len(chunks)-1].(map[string]any)["role"] != want.lastRole {
			t.Errorf("part %d = %v; want blob %s at %v with %d shards, the last one %s", i, p, want.blob.ID, want.offset, want.shardsCount, want.lastRole)
		}
	}
}
