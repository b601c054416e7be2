// Command healthprobe is the storage node's container healthcheck (distroless
// has no shell): it exits 0 only if grpc.health.v1 Check answers SERVING.
//
// When the node speaks mutual TLS, the probe needs a certificate from the
// cluster CA too: -cert, -key and -ca, which default to the node's own
// NODE_TLS_CERT, NODE_TLS_KEY and NODE_TLS_CA, so that in the node's
// container the probe works unchanged (a node certificate from `make
// certs` is valid for client authentication as well).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"sixfold/storagenode/clustertls"
)

// probe is what to check and how to connect.
type probe struct {
	addr                  string
	cert, key, ca, server string
}

func main() {
	var p probe
	flag.StringVar(&p.addr, "addr", "127.0.0.1:9001", "host:port of the node's gRPC server")
	flag.StringVar(&p.cert, "cert", os.Getenv("NODE_TLS_CERT"), "client certificate (PEM) for mutual TLS; default $NODE_TLS_CERT")
	flag.StringVar(&p.key, "key", os.Getenv("NODE_TLS_KEY"), "its private key (PEM); default $NODE_TLS_KEY")
	flag.StringVar(&p.ca, "ca", os.Getenv("NODE_TLS_CA"), "cluster CA (PEM) the node's certificate must chain to; default $NODE_TLS_CA")
	flag.StringVar(&p.server, "server-name", "", "name to verify the node's certificate against; default the host of -addr")
	flag.Parse()
	if err := p.check(); err != nil {
		fmt.Fprintln(os.Stderr, "healthprobe:", err)
		os.Exit(1)
	}
}

// credentials is mutual TLS when a certificate is given, else plaintext.
func (p probe) credentials() (credentials.TransportCredentials, error) {
	if p.cert == "" && p.key == "" && p.ca == "" {
		return insecure.NewCredentials(), nil
	}
	if p.cert == "" || p.key == "" || p.ca == "" {
		return nil, fmt.Errorf("mutual TLS needs -cert, -key and -ca together")
	}
	name := p.server
	if name == "" {
		host, _, err := net.SplitHostPort(p.addr)
		if err != nil {
			return nil, fmt.Errorf("-addr %q: %w", p.addr, err)
		}
		name = host
	}
	cfg, err := clustertls.Client(p.cert, p.key, p.ca, name)
	if err != nil {
		return nil, err
	}
	return credentials.NewTLS(cfg), nil
}

func (p probe) check() error {
	creds, err := p.credentials()
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(p.addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		err = fmt.Errorf("%s is %s", p.addr, resp.GetStatus())
	}
	return err
}
