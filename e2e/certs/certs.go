// Package certs makes a development PKI for sixfold as PEM files: a
// cluster CA, the gateway's client certificate for mutual TLS with the
// storage nodes, one certificate per node (server and client use, so the
// node's healthprobe can present it), and an HTTPS certificate for the
// gateway. Keys are ECDSA P-256; certificates are valid for a year.
//
// `make certs` (e2e/cmd/sixfold-certs) and the end-to-end tests use it. It
// is for development and tests: the CA's key sits next to the
// certificates, and nothing revokes anything.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// DefaultValidity is how long generated certificates are valid.
const DefaultValidity = 365 * 24 * time.Hour

// Options say what to generate. Only Dir is required.
type Options struct {
	// Dir receives the files; created (mode 0700) if missing. A CA already
	// there (ca.pem and ca-key.pem) is reused, so certificates for new
	// nodes join an existing cluster; delete the files to start over.
	Dir string
	// Nodes are the storage nodes, each a name or an address (host or
	// host:port) as gateways dial it; each gets a certificate for that
	// host plus localhost, 127.0.0.1 and ::1. Default storage-1 …
	// storage-6, the names of docker-compose.yml.
	Nodes []string
	// GatewayHosts are names and IPs of the gateway's HTTPS certificate
	// besides localhost, 127.0.0.1 and ::1.
	GatewayHosts []string
	// Validity of the CA and every certificate. Default DefaultValidity.
	Validity time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Pair names a PEM certificate and its PEM private key.
type Pair struct{ CertFile, KeyFile string }

// Set is what Generate wrote.
type Set struct {
	// CAFile is the cluster CA's certificate: the ca_file of gateways
	// and nodes. CAKeyFile is its key, needed only to issue more.
	CAFile, CAKeyFile string
	// GatewayClient is the gateway's client certificate for the nodes
	// (storage.tls.cert_file / key_file).
	GatewayClient Pair
	// GatewayHTTPS is the gateway's server certificate for its HTTP port
	// (server.tls_cert_file / tls_key_file).
	GatewayHTTPS Pair
	// Nodes maps each Options.Nodes entry's host to its certificate
	// (tls.cert_file / key_file of that node).
	Nodes map[string]Pair
}

// DefaultNodes are the storage node names of docker-compose.yml.
var DefaultNodes = []string{"storage-1", "storage-2", "storage-3", "storage-4", "storage-5", "storage-6"}

// Generate writes the CA (unless Dir holds one) and every certificate.
func Generate(opts Options) (*Set, error) {
	if opts.Dir == "" {
		return nil, errors.New("certs: Options.Dir is required")
	}
	if len(opts.Nodes) == 0 {
		opts.Nodes = DefaultNodes
	}
	if opts.Validity <= 0 {
		opts.Validity = DefaultValidity
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	g := &generator{opts: opts, now: opts.Now()}
	set := &Set{CAFile: g.path("ca.pem"), CAKeyFile: g.path("ca-key.pem"), Nodes: map[string]Pair{}}
	if err := g.loadOrMakeCA(set.CAFile, set.CAKeyFile); err != nil {
		return nil, err
	}
	loopback := []string{"localhost", "127.0.0.1", "::1"}
	var err error
	set.GatewayClient, err = g.issue("gateway-client", "sixfold-gateway", nil, x509.ExtKeyUsageClientAuth)
	if err != nil {
		return nil, err
	}
	set.GatewayHTTPS, err = g.issue("gateway-https", "sixfold-gateway", append(loopback, opts.GatewayHosts...), x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, err
	}
	for _, n := range opts.Nodes {
		host := n
		if h, _, err := net.SplitHostPort(n); err == nil {
			host = h
		}
		if host == "" {
			return nil, fmt.Errorf("certs: node %q has no host", n)
		}
		pair, err := g.issue("node-"+fileSafe(host), host, append([]string{host}, loopback...),
			x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
		if err != nil {
			return nil, err
		}
		set.Nodes[host] = pair
	}
	return set, nil
}

// generator issues certificates under one CA.
type generator struct {
	opts  Options
	now   time.Time
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
}

func (g *generator) path(name string) string { return filepath.Join(g.opts.Dir, name) }

// loadOrMakeCA reuses the CA in Dir or makes a new one.
func (g *generator) loadOrMakeCA(certFile, keyFile string) error {
	certPEM, certErr := os.ReadFile(certFile)
	keyPEM, keyErr := os.ReadFile(keyFile)
	if certErr == nil && keyErr == nil {
		return g.parseCA(certPEM, keyPEM, certFile)
	}
	if !errors.Is(certErr, os.ErrNotExist) || !errors.Is(keyErr, os.ErrNotExist) {
		return fmt.Errorf("certs: %s and %s must both exist or both be missing", certFile, keyFile)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: "sixfold cluster CA", Organization: []string{"sixfold"}},
		NotBefore:             g.now.Add(-time.Hour),
		NotAfter:              g.now.Add(g.opts.Validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("certs: CA: %w", err)
	}
	if g.ca, err = x509.ParseCertificate(der); err != nil {
		return fmt.Errorf("certs: CA: %w", err)
	}
	g.caKey = key
	return writePair(Pair{CertFile: certFile, KeyFile: keyFile}, der, key)
}

func (g *generator) parseCA(certPEM, keyPEM []byte, certFile string) error {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return fmt.Errorf("certs: the CA in %s is not PEM", g.opts.Dir)
	}
	ca, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return fmt.Errorf("certs: %s: %w", certFile, err)
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return fmt.Errorf("certs: CA key: %w", err)
	}
	ecKey, ok := key.(*ecdsa.PrivateKey)
	if !ok || !ca.IsCA {
		return fmt.Errorf("certs: %s is not an ECDSA CA made by this tool", certFile)
	}
	if !g.now.Before(ca.NotAfter) {
		return fmt.Errorf("certs: the CA in %s expired on %s; delete the directory to make a new one", certFile, ca.NotAfter.Format(time.DateOnly))
	}
	g.ca, g.caKey = ca, ecKey
	return nil
}

// issue writes name.pem and name-key.pem: a certificate for hosts (DNS
// names and IPs) with the given uses, signed by the CA.
func (g *generator) issue(name, commonName string, hosts []string, usage ...x509.ExtKeyUsage) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, fmt.Errorf("certs: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{"sixfold"}},
		NotBefore:    g.now.Add(-time.Hour),
		NotAfter:     minTime(g.now.Add(g.opts.Validity), g.ca.NotAfter),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usage,
	}
	seen := map[string]bool{}
	for _, h := range hosts {
		if seen[h] {
			continue
		}
		seen[h] = true
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, g.ca, &key.PublicKey, g.caKey)
	if err != nil {
		return Pair{}, fmt.Errorf("certs: %s: %w", name, err)
	}
	pair := Pair{CertFile: g.path(name + ".pem"), KeyFile: g.path(name + "-key.pem")}
	return pair, writePair(pair, der, key)
}

// writePair writes the certificate (mode 0644) and its key (mode 0600).
func writePair(p Pair, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	if err := writePEM(p.KeyFile, "PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(p.CertFile, "CERTIFICATE", der, 0o644)
}

func writePEM(path, kind string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	// WriteFile keeps the mode of a file that already exists.
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	return nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n.Add(n, big.NewInt(1))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// fileSafe turns a host (an IPv6 address has colons) into a file name part.
func fileSafe(host string) string { return unsafeChars.ReplaceAllString(host, "_") }
