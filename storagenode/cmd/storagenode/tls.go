package main

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"sixfold/storagenode/clustertls"
)

// transportSecurity is the gRPC server option of mutual TLS when the tls
// settings are given (every caller then needs a certificate from the
// cluster CA), or none: plaintext.
func (n *node) transportSecurity() ([]grpc.ServerOption, error) {
	t := n.cfg.TLS
	if !t.Enabled() {
		return nil, nil
	}
	cfg, err := clustertls.Server(t.CertFile, t.KeyFile, t.CAFile)
	if err != nil {
		return nil, err
	}
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(cfg))}, nil
}
