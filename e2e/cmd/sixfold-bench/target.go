package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"sixfold/e2e/harness"
)

const (
	clusterNodes = 6
	// markerFile says a cluster dir is this command's to wipe.
	markerFile = ".sixfold-bench"
)

// errNeedsCluster marks what only a cluster this command started allows:
// evicting the nodes' files from the page cache, killing a node.
var errNeedsCluster = errors.New("n/a: needs the cluster this command starts (not -endpoint)")

// target is the server measured: a cluster this command started through
// the harness, or an endpoint it was given.
type target struct {
	ep      endpoint
	cluster *harness.Cluster // nil for -endpoint
	// scratch is where the disk baselines write: beside the node data dirs,
	// so on the same filesystem.
	scratch string
	// remoteGateway and remoteNodes are the pids given for -endpoint.
	remoteGateway, remoteNodes []int

	stopWatch chan struct{} // closed by close: the crash watcher ends
	mu        sync.Mutex    // protects crashes
	crashes   []string      // members that died without being asked to
}

// startTarget starts a cluster in dir/cluster, wiping one an earlier run
// left there, or wraps the endpoint the flags name.
func startTarget(ctx context.Context, cfg config, log io.Writer) (*target, error) {
	if cfg.endpoint.url != "" {
		return remoteTarget(cfg)
	}
	dir := filepath.Join(cfg.dir, "cluster")
	if err := freshDir(dir); err != nil {
		return nil, err
	}
	bins, err := buildBinaries(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	c, err := harness.StartCluster(ctx, harness.Options{Dir: dir, Nodes: clusterNodes, Binaries: &bins, Log: log,
		Profilers: cfg.cpuProfiles != ""})
	if err != nil {
		return nil, err
	}
	key, secret := c.Credentials()
	t := &target{
		ep:        endpoint{url: c.GatewayURL(), key: key, secret: secret, region: cfg.endpoint.region},
		cluster:   c,
		scratch:   filepath.Join(dir, "baseline"),
		stopWatch: make(chan struct{}),
	}
	go t.watch(log)
	return t, os.MkdirAll(t.scratch, 0o755)
}

func remoteTarget(cfg config) (*target, error) {
	scratch := cfg.dataDir
	if scratch == "" {
		scratch = filepath.Join(cfg.dir, "scratch")
	}
	t := &target{ep: cfg.endpoint, scratch: scratch, remoteGateway: cfg.gatewayPIDs, remoteNodes: cfg.nodePIDs}
	return t, os.MkdirAll(scratch, 0o755)
}

// freshDir empties dir for a new cluster, but only if this command made it.
func freshDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		if _, err := os.Stat(filepath.Join(dir, markerFile)); err != nil {
			return fmt.Errorf("%s exists and was not made by sixfold-bench; remove it or pick another -dir", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, markerFile), nil, 0o644)
}

// buildBinaries takes the binaries in -compare's dir or in
// SIXFOLD_BIN_DIR, or builds storagenode and gateway from this checkout
// into dir/bin, as sixfold-dev does.
func buildBinaries(ctx context.Context, cfg config, log io.Writer) (harness.Binaries, error) {
	if cfg.binDir != "" {
		fmt.Fprintf(log, "binaries from %s\n", cfg.binDir)
		return harness.BinariesIn(cfg.binDir)
	}
	if bin := os.Getenv(harness.EnvBinDir); bin != "" {
		fmt.Fprintf(log, "binaries from %s=%s\n", harness.EnvBinDir, bin)
		return harness.BuildBinaries(ctx, "", "")
	}
	root, err := harness.FindRepoRoot()
	if err != nil {
		return harness.Binaries{}, err
	}
	fmt.Fprintf(log, "building storagenode and gateway from %s\n", root)
	return harness.BuildBinaries(ctx, root, filepath.Join(cfg.dir, "bin"))
}

// watch reports members that die during the run; the run goes on, and the
// report carries them.
func (t *target) watch(log io.Writer) {
	for {
		select {
		case err := <-t.cluster.Crashes():
			fmt.Fprintf(log, "\nWARNING: %v\n", err)
			t.mu.Lock()
			t.crashes = append(t.crashes, err.Error())
			t.mu.Unlock()
		case <-t.stopWatch:
			return
		}
	}
}

func (t *target) crashed() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.crashes...)
}

// started reports whether this command runs the cluster itself.
func (t *target) started() bool { return t.cluster != nil }

// pids are the server processes now running, by role; a stopped node is left out.
func (t *target) pids() (gateway, nodes []int) {
	if t.cluster == nil {
		return t.remoteGateway, t.remoteNodes
	}
	if pid := t.cluster.GatewayPID(); pid != 0 {
		gateway = append(gateway, pid)
	}
	for i := range t.cluster.NumNodes() {
		if pid := t.cluster.NodePID(i); pid != 0 {
			nodes = append(nodes, pid)
		}
	}
	return gateway, nodes
}

// postgresPID is the postmaster of the PostgreSQL this command started
// for its cluster, or 0 (a shared server, or -endpoint).
func (t *target) postgresPID() int {
	if t.cluster == nil || t.cluster.Postgres() == nil {
		return 0
	}
	return t.cluster.Postgres().PID()
}

// dropCaches evicts every file under every node's data dir from the page
// cache, so the next read of a shard comes from the disk.
func (t *target) dropCaches() error {
	if t.cluster == nil {
		return errNeedsCluster
	}
	for i := range t.cluster.NumNodes() {
		err := filepath.WalkDir(t.cluster.NodeDataDir(i), func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			// A shard deleted since the walk listed it has no pages left.
			if err := dropFromCache(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// nodeAt is the index of the node serving at addr, or -1.
func (t *target) nodeAt(addr string) int {
	for i := range t.cluster.NumNodes() {
		if t.cluster.NodeAddr(i) == addr {
			return i
		}
	}
	return -1
}

// restartNode starts node i again and waits until the gateway counts every
// node active, so the cases after it see a whole cluster.
func (t *target) restartNode(ctx context.Context, i int) error {
	if err := t.cluster.StartNode(ctx, i); err != nil {
		return err
	}
	hc, err := t.ep.httpClient()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		active, err := activeNodes(ctx, hc, t.ep.url)
		if err == nil && active >= t.cluster.NumNodes() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s restarted, but the gateway counts %d active nodes: %v", t.cluster.NodeName(i), active, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// activeNodes asks GET /health how many storage nodes are active.
func activeNodes(ctx context.Context, hc *http.Client, base string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/health", nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var h struct {
		StorageServers json.RawMessage `json:"storage_servers"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return 0, err
	}
	return parseActive(h.StorageServers)
}

// parseActive reads the active-node count of /health's storage_servers:
// a bare count, or (in older gateways) an object with an "active" count.
func parseActive(raw json.RawMessage) (int, error) {
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, nil
	}
	var obj struct {
		Active *int `json:"active"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Active == nil {
		return 0, fmt.Errorf("storage_servers %s: want a count or {\"active\": count}", raw)
	}
	return *obj.Active, nil
}

// close stops the cluster and removes its data (node shards, PostgreSQL,
// baseline files), keeping the logs beside them for a look afterwards.
func (t *target) close() error {
	if t.cluster == nil {
		return nil
	}
	close(t.stopWatch)
	err := t.cluster.Close()
	entries, rerr := os.ReadDir(t.cluster.Dir())
	if rerr != nil {
		return errors.Join(err, rerr)
	}
	for _, e := range entries {
		if e.IsDir() {
			err = errors.Join(err, os.RemoveAll(filepath.Join(t.cluster.Dir(), e.Name())))
		}
	}
	return err
}
