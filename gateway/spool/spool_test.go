package spool

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
)

func TestBudget(t *testing.T) {
	dir := t.TempDir()
	s := New(dir, 100)
	a, n, err := s.Stage(bytes.NewReader(make([]byte, 60)), 1000)
	if err != nil || n != 60 || s.Used() != 60 {
		t.Fatalf("Stage 60: %d, %v, used %d", n, err, s.Used())
	}
	if got, _ := io.ReadAll(a); len(got) != 60 {
		t.Errorf("read back %d bytes; want 60 from the start", len(got))
	}
	if _, _, err := s.Stage(bytes.NewReader(make([]byte, 50)), 1000); !errors.Is(err, ErrFull) {
		t.Fatalf("Stage 50 more with 40 left: %v; want ErrFull", err)
	}
	if s.Used() != 60 {
		t.Errorf("a refused stage holds %d bytes; want them back", s.Used()-60)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the spool; want only the staged one", len(entries))
	}
	a.Close()
	if s.Used() != 0 {
		t.Errorf("used %d after Close; want 0", s.Used())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d files left after Close", len(entries))
	}
	b, n, err := s.Stage(bytes.NewReader(make([]byte, 50)), 10)
	if err != nil || n != 11 {
		t.Errorf("Stage past max: %d, %v; want max+1 = 11 bytes", n, err)
	}
	b.Close()
	if _, _, err := New(dir, 0).Stage(bytes.NewReader(make([]byte, 1<<20)), 2<<20); err != nil {
		t.Errorf("no limit: %v", err)
	}
}
