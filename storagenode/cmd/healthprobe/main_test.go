package main

import (
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"sixfold/storagenode/clustertls"
	"sixfold/storagenode/internal/testpki"
)

// serveHealth runs a health server answering SERVING with mutual TLS
// under ca, as a node with tls.* set does.
func serveHealth(t *testing.T, ca *testpki.CA) string {
	t.Helper()
	cert, key := ca.Issue("node", "127.0.0.1")
	cfg, err := clustertls.Server(cert, key, ca.File)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(grpc.Creds(credentials.NewTLS(cfg)))
	healthpb.RegisterHealthServer(gs, health.NewServer()) // SERVING for ""
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	return lis.Addr().String()
}

func TestProbeWithMutualTLS(t *testing.T) {
	ca := testpki.NewCA(t, "cluster")
	addr := serveHealth(t, ca)
	cert, key := ca.Issue("probe")
	if err := (probe{addr: addr, cert: cert, key: key, ca: ca.File}).check(); err != nil {
		t.Fatalf("probe with the cluster's certificate: %v", err)
	}
	if err := (probe{addr: addr}).check(); err == nil {
		t.Error("a plaintext probe of a TLS node passed")
	}
	if err := (probe{addr: addr, cert: cert, key: key}).check(); err == nil || !strings.Contains(err.Error(), "-ca") {
		t.Errorf("probe without -ca = %v; want an error naming the missing flag", err)
	}
	if err := (probe{addr: addr, cert: cert, key: key, ca: ca.File, server: "storage-9"}).check(); err == nil {
		t.Error("the node's certificate passed for a name it does not hold")
	}
}
