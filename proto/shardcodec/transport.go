package shardcodec

import "google.golang.org/grpc"

// The shard transport's sizes, the same at both ends of a gateway's
// connection to a node. Shards move in 1 MiB messages, one stream per
// shard: a fixed 4 MiB stream window keeps an upload from waiting on
// window updates (gRPC's default starts at 64 KiB and grows by estimate),
// and fixed rather than grown windows keep what a download can pin in
// gRPC's buffers bounded. 256 KiB socket buffers spare a read or write
// syscall per 32 KiB (gRPC's default).
const (
	streamWindow = 4 << 20
	connWindow   = 16 << 20
	socketBuffer = 256 << 10
)

// DialOptions are what a gateway's connection to a node needs from this
// package: the codec (shard data read out of the frames once, into pooled
// buffers that shardcodec.Reader hands back) and the transport's sizes.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(Codec{})),
		grpc.WithInitialWindowSize(streamWindow),
		grpc.WithInitialConnWindowSize(connWindow),
		grpc.WithReadBufferSize(socketBuffer),
		grpc.WithWriteBufferSize(socketBuffer),
	}
}

// ServerOptions are DialOptions' counterpart for a node's server.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ForceServerCodecV2(Codec{}),
		grpc.InitialWindowSize(streamWindow),
		grpc.InitialConnWindowSize(connWindow),
		grpc.ReadBufferSize(socketBuffer),
		grpc.WriteBufferSize(socketBuffer),
	}
}
