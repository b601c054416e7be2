package main

import (
	"cmp"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"sixfold/storagenode/clustertls"
)

// transportSecurity is the gRPC server option of mutual TLS when the tls
// settings are given (every caller then needs a certificate from the
// cluster CA, and chunk RPCs the gateway's), or none: plaintext.
func (n *node) transportSecurity() ([]grpc.ServerOption, error) {
	t := n.cfg.TLS
	if !t.Enabled() {
		return nil, nil
	}
	cfg, err := clustertls.Server(t.CertFile, t.KeyFile, t.CAFile)
	if err != nil {
		return nil, err
	}
	unary, stream := clustertls.RequireGateway(cmp.Or(t.GatewayName, clustertls.DefaultGatewayName))
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(cfg)),
		grpc.ChainUnaryInterceptor(unary), grpc.ChainStreamInterceptor(stream)}, nil
}
