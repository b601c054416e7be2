// Package clustertls builds the storage node's side of mutual TLS with the
// gateways: the node presents its certificate and accepts only callers
// whose client certificate the cluster CA signed (Server), and a caller
// such as the node's healthprobe presents one (Client). Certificates are
// read once, at start; rotating them means restarting the node.
package clustertls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Server is the TLS configuration of the node's gRPC port: certFile and
// keyFile are the node's certificate, caFile the cluster CA that must have
// signed every caller's client certificate. Errors name the config key.
func Server(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, pool, err := load(certFile, keyFile, caFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13, // both ends are sixfold's
	}, nil
}

// Client is the TLS configuration of a caller of a node: it presents
// certFile and trusts only node certificates the CA in caFile signed for
// serverName (the host the caller dials). Errors name the config key.
func Client(certFile, keyFile, caFile, serverName string) (*tls.Config, error) {
	cert, pool, err := load(certFile, keyFile, caFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ServerName:   serverName,
		MinVersion:   tls.VersionTLS13,
	}, nil
}

func load(certFile, keyFile, caFile string) (tls.Certificate, *x509.CertPool, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tls.cert_file / tls.key_file: %w", err)
	}
	raw, err := os.ReadFile(caFile)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tls.ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		return tls.Certificate{}, nil, errors.New("tls.ca_file: " + caFile + " holds no PEM certificate")
	}
	return cert, pool, nil
}
