package main

import (
	"bytes"
	"io"
	"testing"
)

func TestBodyMatchesChecker(t *testing.T) {
	p := newPattern()
	for _, size := range []int64{1, 4 * kib, patternLen - 1, patternLen, patternLen + 1, 3*patternLen + 17} {
		chk := p.check(42, size)
		n, err := io.CopyBuffer(chk, p.body(42, size), make([]byte, 1000))
		if err != nil || n != size || !chk.ok() {
			t.Errorf("size %d: copied %d, %v; ok=%v; want the checker to accept its own body", size, n, err, chk.ok())
		}
	}
}

func TestCheckerCatches(t *testing.T) {
	p := newPattern()
	good, _ := io.ReadAll(p.body(7, 10*kib))
	for _, tc := range []struct {
		name string
		data func() []byte
	}{
		{"one flipped byte", func() []byte { d := bytes.Clone(good); d[5000] ^= 1; return d }},
		{"short", func() []byte { return good[:len(good)-1] }},
		{"long", func() []byte { return append(bytes.Clone(good), 0) }},
		{"another seed", func() []byte { d, _ := io.ReadAll(p.body(8, 10*kib)); return d }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chk := p.check(7, 10*kib)
			chk.Write(tc.data())
			if chk.ok() || chk.err() == nil {
				t.Error("checker accepted wrong content")
			}
		})
	}
}

func TestCheckerWriteAtOutOfOrder(t *testing.T) {
	p := newPattern()
	const size = 3 * mib
	data, _ := io.ReadAll(p.body(9, size))
	chk := p.check(9, size)
	for _, off := range []int64{2 * mib, 0, mib} {
		chk.WriteAt(data[off:off+mib], off)
	}
	if !chk.ok() {
		t.Errorf("parts written out of order were rejected: %v", chk.err())
	}
}

func TestBodySeeks(t *testing.T) {
	p := newPattern()
	b := p.body(3, 100)
	all, _ := io.ReadAll(b)
	if pos, err := b.Seek(40, io.SeekStart); err != nil || pos != 40 {
		t.Fatalf("Seek = %d, %v", pos, err)
	}
	rest, _ := io.ReadAll(b)
	if !bytes.Equal(rest, all[40:]) {
		t.Error("bytes after a seek differ from the same bytes read straight")
	}
	if end, _ := b.Seek(0, io.SeekEnd); end != 100 {
		t.Errorf("SeekEnd = %d; want 100 (the SDK learns the length this way)", end)
	}
	if _, err := b.Seek(-1, io.SeekStart); err == nil {
		t.Error("a negative position was accepted")
	}
}
