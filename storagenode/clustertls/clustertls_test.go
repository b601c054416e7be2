package clustertls_test

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"sixfold/storagenode/clustertls"
	"sixfold/storagenode/internal/testpki"
)

// serve runs a gRPC health server with the node's mutual TLS and returns
// its address.
func serve(t *testing.T, ca *testpki.CA) string {
	t.Helper()
	cert, key := ca.Issue("node", "127.0.0.1", "localhost")
	cfg, err := clustertls.Server(cert, key, ca.File)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(grpc.Creds(credentials.NewTLS(cfg)))
	healthpb.RegisterHealthServer(gs, health.NewServer())
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	return lis.Addr().String()
}

func check(t *testing.T, addr string, creds credentials.TransportCredentials) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return err
}

func TestOnlyClusterCertificatesGetIn(t *testing.T) {
	ca := testpki.NewCA(t, "cluster")
	addr := serve(t, ca)
	member, memberKey := ca.Issue("gateway")
	stranger := testpki.NewCA(t, "stranger")
	strangerCert, strangerKey := stranger.Issue("intruder")
	clusterRoots, err := clustertls.Client(member, memberKey, ca.File, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}

	if err := check(t, addr, credentials.NewTLS(clusterRoots)); err != nil {
		t.Fatalf("a cluster member was refused: %v", err)
	}
	noCert := &tls.Config{RootCAs: clusterRoots.RootCAs, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13}
	foreign, err := clustertls.Client(strangerCert, strangerKey, ca.File, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	wrongName, err := clustertls.Client(member, memberKey, ca.File, "storage-9")
	if err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		name  string
		creds credentials.TransportCredentials
	}{
		{"TLS without a client certificate", credentials.NewTLS(noCert)},
		{"a certificate from another CA", credentials.NewTLS(foreign)},
		{"plaintext", insecure.NewCredentials()},
		{"a node certificate for another host", credentials.NewTLS(wrongName)},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			err := check(t, addr, tt.creds)
			if status.Code(err) != codes.Unavailable {
				t.Errorf("Check = %v; want Unavailable", err)
			}
		})
	}
}

func TestLoadErrorsNameTheKey(t *testing.T) {
	ca := testpki.NewCA(t, "cluster")
	cert, key := ca.Issue("node", "127.0.0.1")
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, cert, key, ca, want string
	}{
		{"missing cert", "/nonexistent/c.pem", key, ca.File, "tls.cert_file"},
		{"key of another cert", cert, ca.File, ca.File, "tls.key_file"},
		{"missing CA", cert, key, "/nonexistent/ca.pem", "tls.ca_file"},
		{"CA not PEM", cert, key, notPEM, "tls.ca_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := clustertls.Server(tt.cert, tt.key, tt.ca); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Server = %v; want an error naming %s", err, tt.want)
			}
		})
	}
}
