package hashpipe

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"hash"
	"hash/crc32"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

func TestDigestsMatchDirectHashing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 4096, blockSize - 1, blockSize, blockSize + 1, 5*blockSize + 12345} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		m, s, c := md5.New(), sha256.New(), crc32.New(crc32.MakeTable(crc32.Castagnoli))
		p := New(m, s, c)
		// Writes of every size, as a body reader produces them.
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(3*blockSize/2))
			if k, err := p.Write(rest[:n]); k != n || err != nil {
				t.Fatalf("Write(%d) = %d, %v", n, k, err)
			}
			rest = rest[n:]
		}
		p.Wait()
		if p.Written() != int64(size) {
			t.Fatalf("size %d: Written() = %d", size, p.Written())
		}
		for _, pair := range []struct {
			got  hash.Hash
			want hash.Hash
		}{{m, md5.New()}, {s, sha256.New()}, {c, crc32.New(crc32.MakeTable(crc32.Castagnoli))}} {
			pair.want.Write(data)
			if !bytes.Equal(pair.got.Sum(nil), pair.want.Sum(nil)) {
				t.Fatalf("size %d: a digest differs from hashing the bytes directly", size)
			}
		}
	}
}

// A request abandoned half-way never calls Wait: its hash goroutines must
// still end.
func TestAbandonedPipeEndsItsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		p := New(md5.New(), sha256.New())
		p.Write(make([]byte, 3*blockSize))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before, %d after the pipe was dropped", before, runtime.NumGoroutine())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

func BenchmarkPipeMD5SHA256(b *testing.B) {
	data := make([]byte, 256<<10)
	b.SetBytes(64 << 20)
	for b.Loop() {
		p := New(md5.New(), sha256.New())
		for range 256 {
			p.Write(data)
		}
		p.Wait()
	}
}

func BenchmarkInlineMD5SHA256(b *testing.B) {
	data := make([]byte, 256<<10)
	b.SetBytes(64 << 20)
	for b.Loop() {
		m, s := md5.New(), sha256.New()
		for range 256 {
			m.Write(data)
			s.Write(data)
		}
	}
}
