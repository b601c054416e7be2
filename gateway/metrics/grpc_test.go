package metrics

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"sixfold/proto/storagepb"
)

// fakeNode answers the storage service in memory: PutChunk counts bytes,
// GetChunk sends three messages (or blocks until the call ends when
// asked for chunk "hang"), DeleteChunk fails for chunk "bad".
type fakeNode struct {
	storagepb.UnimplementedStorageServiceServer
}

func (fakeNode) PutChunk(s grpc.ClientStreamingServer[storagepb.PutChunkRequest, storagepb.PutChunkResponse]) error {
	var n int64
	for {
		msg, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return s.SendAndClose(&storagepb.PutChunkResponse{Size: n})
		}
		if err != nil {
			return err
		}
		n += int64(len(msg.GetData()))
	}
}

func (fakeNode) GetChunk(req *storagepb.GetChunkRequest, s grpc.ServerStreamingServer[storagepb.GetChunkResponse]) error {
	if req.GetChunkId() == "hang" {
		<-s.Context().Done()
		return s.Context().Err()
	}
	for range 3 {
		if err := s.Send(&storagepb.GetChunkResponse{Data: []byte("abc")}); err != nil {
			return err
		}
	}
	return nil
}

func (fakeNode) DeleteChunk(_ context.Context, req *storagepb.DeleteChunkRequest) (*storagepb.DeleteChunkResponse, error) {
	if req.GetChunkId() == "bad" {
		return nil, status.Error(codes.Unavailable, "disk gone")
	}
	return &storagepb.DeleteChunkResponse{}, nil
}

const target = "passthrough:///node-1"

// dialFake returns a client for an in-process fakeNode whose connection
// carries m's interceptors, as cluster's connections do.
func dialFake(t *testing.T, m *NodeCalls) storagepb.StorageServiceClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	storagepb.RegisterStorageServiceServer(srv, fakeNode{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(target,
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(m.UnaryInterceptor()),
		grpc.WithChainStreamInterceptor(m.StreamInterceptor()),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return storagepb.NewStorageServiceClient(conn)
}

const (
	callDuration = "sixfold_gateway_node_request_duration_seconds"
	callErrors   = "sixfold_gateway_node_request_errors_total"
)

func TestNodeCallsUnary(t *testing.T) {
	reg := prometheus.NewRegistry()
	client := dialFake(t, NewNodeCalls(reg))
	ctx := context.Background()
	if _, err := client.DeleteChunk(ctx, &storagepb.DeleteChunkRequest{ChunkId: "ok"}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteChunk(ctx, &storagepb.DeleteChunkRequest{ChunkId: "bad"}); status.Code(err) != codes.Unavailable {
		t.Fatalf("DeleteChunk(bad) = %v; want Unavailable", err)
	}
	expect(t, reg, 2, callDuration, "node="+target, "method=DeleteChunk")
	expect(t, reg, 1, callErrors, "node="+target, "method=DeleteChunk", "code=Unavailable")
}

func TestNodeCallsClientStream(t *testing.T) {
	reg := prometheus.NewRegistry()
	client := dialFake(t, NewNodeCalls(reg))
	stream, err := client.PutChunk(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := stream.Send(&storagepb.PutChunkRequest{Data: []byte("xy")}); err != nil {
			t.Fatal(err)
		}
	}
	// Measured only now, when the node has answered.
	expect(t, reg, 0, callDuration, "method=PutChunk")
	resp, err := stream.CloseAndRecv()
	if err != nil || resp.GetSize() != 6 {
		t.Fatalf("CloseAndRecv = %v, %v; want size 6", resp, err)
	}
	expect(t, reg, 1, callDuration, "node="+target, "method=PutChunk")
	expect(t, reg, 0, callErrors, "method=PutChunk")
}

func TestNodeCallsServerStreamReadToEnd(t *testing.T) {
	reg := prometheus.NewRegistry()
	client := dialFake(t, NewNodeCalls(reg))
	stream, err := client.GetChunk(context.Background(), &storagepb.GetChunkRequest{ChunkId: "c"})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		// Data messages do not end the call.
		expect(t, reg, 0, callDuration, "method=GetChunk")
	}
	expect(t, reg, 1, callDuration, "node="+target, "method=GetChunk")
	expect(t, reg, 0, callErrors, "method=GetChunk")
}

// A caller that abandons a stream (a download closed early) cancels its
// context and never reads the end: the call is recorded as Canceled then.
func TestNodeCallsAbandonedStream(t *testing.T) {
	reg := prometheus.NewRegistry()
	client := dialFake(t, NewNodeCalls(reg))
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := client.GetChunk(ctx, &storagepb.GetChunkRequest{ChunkId: "hang"}); err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for sample(t, reg, callErrors, "method=GetChunk", "code=Canceled") != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	expect(t, reg, 1, callErrors, "node="+target, "method=GetChunk", "code=Canceled")
	expect(t, reg, 1, callDuration, "method=GetChunk")
}

func TestMethodName(t *testing.T) {
	if got := methodName("/sixfold.storage.v1.StorageService/PutChunk"); got != "PutChunk" {
		t.Errorf("methodName = %q; want PutChunk", got)
	}
}
