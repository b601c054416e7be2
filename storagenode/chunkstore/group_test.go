package chunkstore

import (
	"context"
	"errors"
	"hash/crc32"
	"os"
	"testing"

	"github.com/google/uuid"
)

// A group's small chunks share one sync of the log and are durable when
// PutGroup returns (a crash then loses none); a large one is written on
// its own and a bad one fails alone.
func TestPutGroupSharesOneSync(t *testing.T) {
	s, dir := openStore(t)
	mustPut(t, s, uuid.NewString(), randomBytes(t, 100)) // the log exists and has synced once
	var puts []GroupPut
	small := make(map[string][]byte)
	for i := range 8 {
		p := GroupPut{ID: uuid.NewString(), Data: randomBytes(t, 683+i), Digest: DigestCRC32C}
		puts, small[p.ID] = append(puts, p), p.Data
	}
	large := GroupPut{ID: uuid.NewString(), Data: randomBytes(t, logMaxChunk+1), Digest: DigestCRC32C}
	puts = append(puts, large, GroupPut{ID: "../x", Data: []byte("x"), Digest: DigestCRC32C})
	syncsBefore := s.log.syncs.Load()

	results := s.PutGroup(context.Background(), puts)

	if got := s.log.syncs.Load() - syncsBefore; got != 1 {
		t.Errorf("%d syncs of the log for a group of %d small chunks; want 1", got, len(small))
	}
	for i, p := range puts[:len(puts)-1] {
		res := results[i]
		if res.Err != nil {
			t.Fatalf("put %d: %v", i, res.Err)
		}
		if want := crc32.Checksum(p.Data, castagnoli); res.Size != int64(len(p.Data)) || res.CRC32C != want {
			t.Errorf("put %d = %+v; want size %d, crc32c %08x", i, res.PutResult, len(p.Data), want)
		}
	}
	if err := results[len(puts)-1].Err; !errors.Is(err, ErrInvalidID) {
		t.Errorf("bad id: %v; want ErrInvalidID", err)
	}
	// A crash now: the small chunks' files, written without a sync, are
	// lost; the log gives every one of them back.
	for id := range small {
		if err := os.Remove(s.path(id)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]byte{large.ID: large.Data}
	for id, b := range small {
		want[id] = b
	}
	s2 := reopen(t, dir)
	if got := s2.ReplayedChunks(); got != len(small) {
		t.Fatalf("ReplayedChunks = %d; want %d", got, len(small))
	}
	for id, b := range want {
		if got := readRange(t, s2, id, 0, 0); string(got) != string(b) {
			t.Fatalf("chunk %s: %d bytes, not the %d put", id, len(got), len(b))
		}
	}
}
