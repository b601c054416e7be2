package config

import (
	"fmt"
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
