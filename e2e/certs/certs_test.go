package certs

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(raw)
	if b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("%s: no PEM certificate", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	set, err := Generate(Options{Dir: dir, Nodes: []string{"storage-1", "10.0.0.7:9001"}, GatewayHosts: []string{"s3.example.test"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	ca := readCert(t, set.CAFile)
	roots.AddCert(ca)
	if !ca.IsCA || ca.NotAfter.Sub(now) != DefaultValidity {
		t.Errorf("CA: IsCA %v, valid until %v", ca.IsCA, ca.NotAfter)
	}
	tests := []struct {
		name  string
		pair  Pair
		host  string // a name the certificate must be valid for; "" = client only
		usage []x509.ExtKeyUsage
	}{
		{"gateway client", set.GatewayClient, "", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{"gateway https", set.GatewayHTTPS, "s3.example.test", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{"gateway https on loopback", set.GatewayHTTPS, "127.0.0.1", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{"node by name", set.Nodes["storage-1"], "storage-1", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{"node by name on loopback", set.Nodes["storage-1"], "localhost", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{"node by address", set.Nodes["10.0.0.7"], "10.0.0.7", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{"node as a client (healthprobe)", set.Nodes["10.0.0.7"], "", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readCert(t, tt.pair.CertFile)
			_, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: tt.host, KeyUsages: tt.usage, CurrentTime: now})
			if err != nil {
				t.Errorf("Verify(%q, %v): %v", tt.host, tt.usage, err)
			}
			if _, err := tls.LoadX509KeyPair(tt.pair.CertFile, tt.pair.KeyFile); err != nil {
				t.Errorf("key pair: %v", err)
			}
			if fi, err := os.Stat(tt.pair.KeyFile); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
			}
		})
	}
	client := readCert(t, set.GatewayClient.CertFile)
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, CurrentTime: now}); err == nil {
		t.Error("the gateway's client certificate is valid for serving")
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
}

func TestGenerateReusesCA(t *testing.T) {
	dir := t.TempDir()
	first, err := Generate(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Nodes) != 6 || first.Nodes["storage-6"].CertFile == "" {
		t.Fatalf("default nodes: %v", first.Nodes)
	}
	caBefore, _ := os.ReadFile(first.CAFile)
	second, err := Generate(Options{Dir: dir, Nodes: []string{"storage-7"}})
	if err != nil {
		t.Fatal(err)
	}
	caAfter, _ := os.ReadFile(second.CAFile)
	if string(caBefore) != string(caAfter) {
		t.Fatal("a second run replaced the CA")
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caBefore)
	if _, err := readCert(t, second.Nodes["storage-7"].CertFile).Verify(x509.VerifyOptions{Roots: roots, DNSName: "storage-7"}); err != nil {
		t.Errorf("new node's certificate does not chain to the old CA: %v", err)
	}
}

// TestMutualHandshake runs TLS between a node's and the gateway's
// certificates as the cluster does: the node requires a client
// certificate from the CA.
func TestMutualHandshake(t *testing.T) {
	set, err := Generate(Options{Dir: t.TempDir(), Nodes: []string{"127.0.0.1:9001"}})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	caPEM, _ := os.ReadFile(set.CAFile)
	roots.AppendCertsFromPEM(caPEM)
	nodeCert, _ := tls.LoadX509KeyPair(set.Nodes["127.0.0.1"].CertFile, set.Nodes["127.0.0.1"].KeyFile)
	gwCert, _ := tls.LoadX509KeyPair(set.GatewayClient.CertFile, set.GatewayClient.KeyFile)
	server := &tls.Config{Certificates: []tls.Certificate{nodeCert}, ClientCAs: roots, ClientAuth: tls.RequireAndVerifyClientCert}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", server)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			// The server's verdict on the client's certificate reaches
			// the client as the first thing it reads (TLS 1.3).
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if conn.(*tls.Conn).Handshake() == nil {
				_, _ = conn.Write([]byte("k"))
			}
			_ = conn.Close()
		}
	}()
	handshake := func(client *tls.Config) error {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), client)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		return err
	}
	if err := handshake(&tls.Config{Certificates: []tls.Certificate{gwCert}, RootCAs: roots, ServerName: "127.0.0.1"}); err != nil {
		t.Fatalf("gateway ↔ node handshake: %v", err)
	}
	if err := handshake(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}); err == nil {
		t.Fatal("a client without a certificate got through")
	}
	if err := handshake(&tls.Config{Certificates: []tls.Certificate{gwCert}, RootCAs: roots, ServerName: "storage-9"}); err == nil {
		t.Fatal("the node's certificate passed for a host it does not name")
	}
}
