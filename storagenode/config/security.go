package config

import (
	"fmt"
	"net"
	"strings"
)

// TLS turns on mutual TLS on the gRPC port: the node presents CertFile
// (with KeyFile) and accepts only callers whose client certificate the
// cluster CA in CAFile signed. All three or none; none serves plaintext.
// The metrics port stays plain HTTP.
type TLS struct {
	// CertFile is the node's PEM certificate; its names must include the
	// host of server.address, which gateways verify. Env NODE_TLS_CERT.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the certificate's PEM private key. Env NODE_TLS_KEY.
	KeyFile string `yaml:"key_file"`
	// CAFile is the cluster CA's PEM certificate. Env NODE_TLS_CA.
	CAFile string `yaml:"ca_file"`
	// AllowInsecure lets the node serve plaintext gRPC on an address other
	// machines can reach. Without TLS a node refuses to start on any but
	// a loopback host unless this is set: whoever reaches a plaintext port
	// can read and delete every shard. Env NODE_ALLOW_INSECURE=true.
	AllowInsecure bool `yaml:"allow_insecure"`
	// GatewayName is the identity (certificate Common Name or DNS name)
	// a caller must have to put, read or delete chunks; other cluster
	// certificates may only ask for health and stats. Default
	// sixfold-gateway, as make certs issues it. Env NODE_TLS_GATEWAY_NAME.
	GatewayName string `yaml:"gateway_name"`
}

// Enabled reports whether the gRPC port speaks mutual TLS.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// validate accepts all three files or none.
func (t TLS) validate() error {
	var set, missing []string
	for _, f := range []struct{ key, value string }{{"tls.cert_file", t.CertFile}, {"tls.key_file", t.KeyFile}, {"tls.ca_file", t.CAFile}} {
		if f.value == "" {
			missing = append(missing, f.key)
		} else {
			set = append(set, f.key)
		}
	}
	if len(set) > 0 && len(missing) > 0 {
		return fmt.Errorf("tls: set all three of cert_file, key_file and ca_file or none; %s is set but %s is not",
			strings.Join(set, ", "), strings.Join(missing, ", "))
	}
	return nil
}

// refusePlaintext refuses plaintext gRPC on host unless it is loopback or
// allow_insecure says the operator knows.
func (t TLS) refusePlaintext(host string) error {
	if t.Enabled() || t.AllowInsecure {
		return nil
	}
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		return nil
	}
	return fmt.Errorf("server.host %q: plaintext gRPC would be reachable from other machines, and whoever reaches it can read and delete every shard; "+
		"turn on mutual TLS (tls.cert_file, key_file, ca_file; make certs) or, on a network only the cluster can reach, set tls.allow_insecure (NODE_ALLOW_INSECURE=true)", host)
}
