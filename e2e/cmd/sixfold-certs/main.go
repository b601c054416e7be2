// Command sixfold-certs writes a development PKI for sixfold (behind
// `make certs`): a cluster CA, the gateway's client certificate for mutual
// TLS with the storage nodes, a certificate per node, and an HTTPS
// certificate for the gateway, as PEM files (keys mode 0600). ECDSA P-256,
// valid for a year. A CA already in -dir is reused, so running it again
// with more -nodes adds nodes to the same cluster.
//
//	sixfold-certs [-dir .data/certs] [-nodes storage-1,…,storage-6] [-gateway-hosts s3.example.com] [-validity 8760h]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sixfold/e2e/certs"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sixfold-certs:", err)
		os.Exit(2)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sixfold-certs", flag.ContinueOnError)
	dir := fs.String("dir", ".data/certs", "directory for the PEM files")
	nodes := fs.String("nodes", strings.Join(certs.DefaultNodes, ","), "storage nodes, comma-separated: names or host:port as gateways dial them (each also gets localhost, 127.0.0.1 and ::1)")
	gwHosts := fs.String("gateway-hosts", "", "names or IPs of the gateway's HTTPS certificate, comma-separated, besides localhost, 127.0.0.1 and ::1")
	validity := fs.Duration("validity", certs.DefaultValidity, "how long the certificates are valid")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set, err := certs.Generate(certs.Options{Dir: *dir, Nodes: split(*nodes), GatewayHosts: split(*gwHosts), Validity: *validity})
	if err != nil {
		return err
	}
	printSet(out, set, time.Now().Add(*validity))
	return nil
}

func split(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// printSet says which variable takes which file.
func printSet(w io.Writer, s *certs.Set, until time.Time) {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	fmt.Fprintf(w, "certificates in %s, valid until about %s (CA key: %s)\n\n", filepath.Dir(abs(s.CAFile)), until.Format(time.DateOnly), abs(s.CAKeyFile))
	fmt.Fprintf(w, "gateway:\n  STORAGE_TLS_CERT=%s\n  STORAGE_TLS_KEY=%s\n  STORAGE_TLS_CA=%s\n",
		abs(s.GatewayClient.CertFile), abs(s.GatewayClient.KeyFile), abs(s.CAFile))
	fmt.Fprintf(w, "  SIXFOLD_TLS_CERT=%s\n  SIXFOLD_TLS_KEY=%s   (HTTPS; clients trust %s)\n",
		abs(s.GatewayHTTPS.CertFile), abs(s.GatewayHTTPS.KeyFile), abs(s.CAFile))
	hosts := make([]string, 0, len(s.Nodes))
	for h := range s.Nodes {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	for _, h := range hosts {
		p := s.Nodes[h]
		fmt.Fprintf(w, "node %s:\n  NODE_TLS_CERT=%s\n  NODE_TLS_KEY=%s\n  NODE_TLS_CA=%s\n", h, abs(p.CertFile), abs(p.KeyFile), abs(s.CAFile))
	}
}
