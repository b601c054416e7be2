package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"sixfold/e2e/harness"
)

const (
	defaultGatewayAddr = "127.0.0.1:8080"
	devNodes           = 6
	firstDevNodePort   = 9001
)

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	dir := fs.String("dir", ".data", "directory for PostgreSQL data, node data, binaries and logs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	absDir, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	// Taken first: a second sixfold-dev on the same dir is refused before it
	// builds or starts anything.
	if err := os.MkdirAll(absDir, 0o755); err != nil {
		return err
	}
	l, err := listenControl(absDir)
	if err != nil {
		return err
	}
	dev, err := startDev(ctx, absDir)
	if err != nil {
		l.Close()
		return errors.Join(err, dev.close())
	}
	ctl := serveControl(ctx, l, dev, os.Stderr)
	printBanner(os.Stdout, dev)
	dev.supervise(ctx, os.Stderr)
	fmt.Fprintln(os.Stderr, "\nsixfold-dev: stopping")
	ctl.close()
	return dev.close()
}

// startDev brings the cluster up step by step; on error the returned
// devCluster holds whatever did start, for close.
func startDev(ctx context.Context, dir string) (*devCluster, error) {
	dev := &devCluster{dir: dir, self: os.Args[0]}
	addrs, err := gatewayAddrs(cmp.Or(os.Getenv("SIXFOLD_ADDR"), defaultGatewayAddr), os.Getenv("SIXFOLD_GATEWAYS"))
	if err != nil {
		return dev, err
	}
	// Checked first: the gateway's own bind error would only show up in its
	// log, after the build and the start of everything else.
	for _, addr := range addrs {
		if !harness.PortFree(addr) {
			return dev, fmt.Errorf("%s is in use (another sixfold-dev?); set SIXFOLD_ADDR to another host:port", addr)
		}
	}
	bins, err := buildBinaries(ctx, dev.dir)
	if err != nil {
		return dev, err
	}
	if dev.pg, err = harness.StartPostgres(ctx, filepath.Join(dev.dir, "pg"), os.Stderr); err != nil {
		return dev, err
	}
	dbURL, err := dev.pg.CreateDatabase(ctx, "sixfold")
	if err != nil {
		return dev, err
	}
	dev.cluster, err = startCluster(ctx, addrs, dev.dir, dbURL, bins)
	return dev, err
}

// gatewayAddrs are the n (SIXFOLD_GATEWAYS, default 1) gateway addresses on
// consecutive ports from first: 127.0.0.1:8080, 127.0.0.1:8081, …
func gatewayAddrs(first, n string) ([]string, error) {
	count := 1
	if n != "" {
		var err error
		if count, err = strconv.Atoi(n); err != nil || count < 1 || count > 64 {
			return nil, fmt.Errorf("SIXFOLD_GATEWAYS: %q is not a number of gateways from 1 to 64", n)
		}
	}
	host, portStr, err := net.SplitHostPort(first)
	if err != nil {
		return nil, fmt.Errorf("SIXFOLD_ADDR: %w", err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port+count-1 > 65535 {
		return nil, fmt.Errorf("SIXFOLD_ADDR: %q needs a port with room for %d gateways", first, count)
	}
	addrs := make([]string, count)
	for i := range addrs {
		addrs[i] = net.JoinHostPort(host, strconv.Itoa(port+i))
	}
	return addrs, nil
}

func buildBinaries(ctx context.Context, dir string) (harness.Binaries, error) {
	root, err := harness.FindRepoRoot()
	if err != nil && os.Getenv(harness.EnvBinDir) == "" {
		return harness.Binaries{}, err
	}
	fmt.Fprintln(os.Stderr, "sixfold-dev: building storagenode and gateway")
	return harness.BuildBinaries(ctx, root, filepath.Join(dir, "bin"))
}

func startCluster(ctx context.Context, addrs []string, dir, dbURL string, bins harness.Binaries) (*harness.Cluster, error) {
	return harness.StartCluster(ctx, harness.Options{
		Dir:               dir,
		Nodes:             devNodes,
		NodePorts:         devNodePorts(),
		GatewayAddr:       addrs[0],
		Gateways:          len(addrs),
		ExtraGatewayAddrs: addrs[1:],
		DatabaseURL:       dbURL,
		Binaries:          &bins,
		Log:               os.Stderr,
		GatewayEnv:        devGatewayEnv(),
	})
}

// devGatewayEnv makes a dev cluster heal a killed node's shards after 30 s
// instead of the production 5 min, so the experiment in the README shows
// the healer at work; HEAL_AFTER in the environment still wins.
func devGatewayEnv() []string {
	if _, ok := os.LookupEnv("HEAL_AFTER"); ok {
		return nil
	}
	return []string{"HEAL_AFTER=30s"}
}

// devNodePorts are 9001…9006 where free; a busy one is left to the harness,
// which picks a free port instead.
func devNodePorts() []int {
	ports := make([]int, devNodes)
	for i := range ports {
		if p := firstDevNodePort + i; harness.PortFree(fmt.Sprintf("127.0.0.1:%d", p)) {
			ports[i] = p
		}
	}
	return ports
}

// close stops the cluster first, so no node or gateway sees its database
// vanish, then PostgreSQL.
func (d *devCluster) close() error {
	var errs []error
	if d.cluster != nil {
		errs = append(errs, d.cluster.Close())
	}
	switch {
	case d.pg == nil:
	case d.pg.Running():
		errs = append(errs, d.pg.Stop())
	default:
		_ = d.pg.Stop() // its death was reported when it happened
	}
	return errors.Join(errs...)
}

func printBanner(w io.Writer, d *devCluster) {
	key, secret := d.cluster.Credentials()
	url := d.cluster.GatewayURL()
	fmt.Fprintf(w, `
sixfold is running at %[1]s  (REST /files and S3)%[6]s
  access key / user:  %[2]s
  secret / password:  %[3]s
  data:               %[4]s
  database:           %[5]s

`, url, key, secret, d.dir, d.cluster.DatabaseURL(), otherGateways(d.cluster))
	printMembers(w, d.members())
	fmt.Fprintf(w, `
try:
  curl -u %[2]s:%[3]s -F file=@README.md %[1]s/files
  AWS_ACCESS_KEY_ID=%[2]s AWS_SECRET_ACCESS_KEY=%[3]s aws --endpoint-url %[1]s s3 ls
  open %[1]s/console/ in a browser and sign in with the same key and secret

kill -9 a PID above: sixfold-dev reports it and the rest keep serving. Then:
  %[4]s      (or %[7]s, postgres)
  %[5]s status -dir %[6]s

Ctrl-C stops everything; the next run keeps the data.
`, url, key, secret, d.restartCommand("storage-3"), d.self, d.dir, gatewayNames(d.cluster))
}

// gatewayNames are the member names of the gateways: "gateway", or
// "gateway … gateway-N" when there are several.
func gatewayNames(c *harness.Cluster) string {
	if n := c.NumGateways(); n > 1 {
		return "gateway … " + gatewayName(n-1)
	}
	return "gateway"
}

// otherGateways lists gateways 2…N for the banner: every one serves the same
// objects, so any of them is an endpoint.
func otherGateways(c *harness.Cluster) string {
	var s string
	for i := 1; i < c.NumGateways(); i++ {
		s += "\n                     and " + c.GatewayURLAt(i)
	}
	return s
}
