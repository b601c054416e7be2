package chunkstore

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestAllListsChunksOnly(t *testing.T) {
	s, dir := openStore(t)
	want := map[string]int64{}
	for _, n := range []int{0, 5, 1000} {
		id := uuid.NewString()
		mustPut(t, s, id, make([]byte, n))
		want[id] = int64(n)
	}
	// Neither a stray file nor a temp file is a chunk.
	if err := os.WriteFile(filepath.Join(dir, "chunks", "ab", "README"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tmp", uuid.NewString()+".1"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for info, err := range s.All() {
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(info.ModTime) > time.Minute {
			t.Errorf("%s: ModTime %v is not recent", info.ID, info.ModTime)
		}
		got[info.ID] = info.Size
	}
	if len(got) != len(want) {
		t.Fatalf("All yielded %v; want %v", got, want)
	}
	for id, n := range want {
		if got[id] != n {
			t.Fatalf("All yielded %s with size %d; want %d", id, got[id], n)
		}
	}
}

func TestAllStopsWhenAsked(t *testing.T) {
	s, _ := openStore(t)
	for range 5 {
		mustPut(t, s, uuid.NewString(), []byte("x"))
	}
	n := 0
	for range s.All() {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("loop ran %d times; want 2", n)
	}
}

func TestAllReportsDiskErrors(t *testing.T) {
	s, dir := openStore(t)
	if err := os.RemoveAll(filepath.Join(dir, "chunks")); err != nil {
		t.Fatal(err)
	}
	var errs []error
	for _, err := range s.All() {
		errs = append(errs, err)
	}
	if len(errs) != 1 || errs[0] == nil {
		t.Fatalf("All over a vanished directory yielded %v; want one error", errs)
	}
}

func TestStat(t *testing.T) {
	s, _ := openStore(t)
	id := uuid.NewString()
	mustPut(t, s, id, []byte("hello"))
	info, err := s.Stat(id)
	if err != nil || info.ID != id || info.Size != 5 {
		t.Fatalf("Stat = %+v, %v; want %s of 5 bytes", info, err, id)
	}
	if _, err := s.Stat(uuid.NewString()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Stat of a missing chunk = %v; want ErrNotFound", err)
	}
	if _, err := s.Stat("../x"); !errors.Is(err, ErrInvalidID) {
		t.Fatalf("Stat of a bad id = %v; want ErrInvalidID", err)
	}
}

func TestDeleteIfOlder(t *testing.T) {
	s, dir := openStore(t)
	old, young := uuid.NewString(), uuid.NewString()
	mustPut(t, s, old, make([]byte, 10))
	mustPut(t, s, young, make([]byte, 20))
	then := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "chunks", old[:2], old), then, then); err != nil {
		t.Fatal(err)
	}
	cutoff := time.Now().Add(-2 * time.Hour)
	for _, c := range []struct {
		id   string
		want bool
	}{{young, false}, {old, true}, {old, false}, {uuid.NewString(), false}} {
		removed, err := s.DeleteIfOlder(c.id, cutoff)
		if err != nil || removed != c.want {
			t.Fatalf("DeleteIfOlder(%s) = %v, %v; want %v", c.id, removed, err, c.want)
		}
	}
	if _, err := s.DeleteIfOlder(young, time.Time{}); err == nil {
		t.Fatal("DeleteIfOlder without a cutoff succeeded")
	}
	wantStats(t, s, 1, 20)
	var ids []string
	for info, err := range s.All() {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, info.ID)
	}
	if !slices.Equal(ids, []string{young}) {
		t.Fatalf("chunks left = %v; want [%s]", ids, young)
	}
}
