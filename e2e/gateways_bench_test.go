package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"sixfold/e2e/harness"
)

// BenchmarkGatewaysOneVsTwo runs one cluster with two gateways and drives
// the same load through the first gateway alone, then through both: eight
// clients each uploading a 1 MiB object through /files and reading it
// back (SHA-256 compared). Bytes per op count both directions. On a machine
// whose cores the nodes and PostgreSQL share, a second gateway adds only
// what CPU they leave idle; the figures say how much.
//
//	cd e2e && SIXFOLD_BIN_DIR=... sixfold-dev with-postgres -- go test -run '^$' -bench GatewaysOneVsTwo -benchtime 400x .
func BenchmarkGatewaysOneVsTwo(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl, err := harness.StartCluster(ctx, harness.Options{Dir: b.TempDir(), Binaries: binaries, Gateways: 2})
	if err != nil {
		b.Fatalf("start cluster: %v", err)
	}
	defer cl.Close()
	key, secret := cl.Credentials()
	clients := []*client{{base: cl.GatewayURLAt(0), key: key, secret: secret}, {base: cl.GatewayURLAt(1), key: key, secret: secret}}
	const size = 1 << 20
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("gateways=%d", n), func(b *testing.B) {
			b.SetBytes(2 * size)
			b.SetParallelism(4) // 8 clients on 2 cores
			var seq, failed atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := seq.Add(1)
					c := clients[int(i)%n]
					seed := uint64(1e6*n) + uint64(i)
					up := faultUpload(c, time.Minute, "raw", "bench.bin", randomData(seed, size), size)
					if up.status != http.StatusCreated {
						failed.Add(1)
						continue
					}
					got := faultDo(c, time.Minute, http.MethodGet, "/files/"+up.up.FileID, nil, 0)
					if got.status != http.StatusOK || got.sha != sha256Of(seed, size) {
						failed.Add(1)
					}
				}
			})
			if f := failed.Load(); f > 0 {
				b.Fatalf("%d of %d round trips failed or read back wrong bytes", f, seq.Load())
			}
		})
	}
}
