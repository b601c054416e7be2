package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// LoadClientTLS reads the gateway's side of mutual TLS with the storage
// nodes: its client certificate and key, presented to every node, and the
// cluster CA, the only issuer trusted for node certificates. Errors start
// with the setting they concern (cert_file, ca_file) so the caller can
// prefix its config section.
func LoadClientTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cert_file / key_file: %w", err)
	}
	roots, err := LoadCAPool(caFile)
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
		MinVersion:   tls.VersionTLS13, // both ends are sixfold's
	}, nil
}

// LoadCAPool reads a PEM file of one or more CA certificates.
func LoadCAPool(path string) (*x509.CertPool, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		return nil, errors.New(path + " holds no PEM certificate")
	}
	return pool, nil
}

// transportCredentials secures the connection to address: mutual TLS that
// checks the node's certificate against the host of its registered
// address (a name or an IP), or plaintext when Options.TLS is nil.
func (c *Cluster) transportCredentials(address string) credentials.TransportCredentials {
	if c.opts.TLS == nil {
		return insecure.NewCredentials()
	}
	cfg := c.opts.TLS.Clone()
	if host, _, err := net.SplitHostPort(address); err == nil {
		cfg.ServerName = host
	} else {
		cfg.ServerName = address
	}
	return credentials.NewTLS(cfg)
}
