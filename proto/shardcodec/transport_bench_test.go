package shardcodec

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"sixfold/proto/storagepb"
)

// BenchmarkTransport moves 1 MiB shard messages through this codec over a
// real gRPC connection, PutChunk (gateway to node) and GetChunk (node to
// gateway), set up with DialOptions and ServerOptions as both ends are:
// once over loopback TCP, what a gateway dials, and once over a Unix
// socket, the alternative for a node on the gateway's machine that
// BENCHMARKS.md weighs (2026-12-07). Both ends run in this process:
// cpu-ns/op is their CPU together, which is what two shared cores pay.
func BenchmarkTransport(b *testing.B) {
	const size = 1 << 20
	for _, network := range []string{"tcp", "unix"} {
		client := dialSink(b, network)
		b.Run("put/"+network, func(b *testing.B) {
			data := make([]byte, size)
			stream, err := client.PutChunk(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			defer reportCPU(b)()
			for b.Loop() {
				if err := stream.Send(&storagepb.PutChunkRequest{Data: data}); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := stream.CloseAndRecv(); err != nil {
				b.Fatal(err)
			}
		})
		b.Run("get/"+network, func(b *testing.B) {
			stream, err := client.GetChunk(context.Background(), &storagepb.GetChunkRequest{Length: size})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			defer reportCPU(b)()
			for b.Loop() {
				m, err := stream.Recv()
				if err != nil || len(m.GetData()) != size {
					b.Fatalf("received %d bytes, %v", len(m.GetData()), err)
				}
				Release(m.Data)
			}
		})
	}
}

// reportCPU reports the process's CPU time per operation, both ends'
// together: with two cores the wall time per operation hides what a
// change saves when neither end is the bottleneck.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sink takes PutChunk streams and throws their data away, and answers
// GetChunk with messages of Length bytes until the client goes.
type sink struct {
	storagepb.UnimplementedStorageServiceServer
}

func (sink) PutChunk(stream storagepb.StorageService_PutChunkServer) error {
	for {
		var m ReceivedPutChunk
		if err := stream.RecvMsg(&m); errors.Is(err, io.EOF) {
			return stream.SendAndClose(&storagepb.PutChunkResponse{})
		} else if err != nil {
			return err
		}
		m.Free()
	}
}

func (sink) GetChunk(req *storagepb.GetChunkRequest, stream storagepb.StorageService_GetChunkServer) error {
	for {
		m := NewChunkData(int(req.GetLength()))
		m.SetLen(int(req.GetLength()))
		if err := stream.SendMsg(m); err != nil {
			return nil // the benchmark is over
		}
	}
}

func dialSink(b *testing.B, network string) storagepb.StorageServiceClient {
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = b.TempDir() + "/s.sock"
	}
	lis, err := net.Listen(network, addr)
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer(ServerOptions()...)
	storagepb.RegisterStorageServiceServer(srv, sink{})
	go func() { _ = srv.Serve(lis) }()
	b.Cleanup(srv.Stop)
	target := lis.Addr().String()
	if network == "unix" {
		target = "unix://" + target
	}
	conn, err := grpc.NewClient(target, append(DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return storagepb.NewStorageServiceClient(conn)
}
