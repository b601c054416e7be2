package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// profilePiece is how long each CPU profile a recorder fetches runs. The
// last piece of a run is waited for, so the run ends at most this late.
const profilePiece = 10 * time.Second

// profileRecorder fetches CPU profiles from the cluster's gateway and
// nodes back to back while the cases run, one file per process and piece
// (gateway-01.pprof, node-3-01.pprof, …), which `go tool pprof -proto`
// merges per program: a profile of the whole run without holding a
// profiler request open for its length.
type profileRecorder struct {
	stop context.CancelFunc
	wg   sync.WaitGroup
	log  io.Writer
	mu   sync.Mutex // serialises log
}

// recordProfiles starts recording into dir; stop it with wait.
func recordProfiles(ctx context.Context, dir string, t *target, log io.Writer) (*profileRecorder, error) {
	if t.cluster == nil {
		return nil, errNeedsCluster
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	gateway, nodes := t.cluster.ProfilerAddrs()
	targets := map[string]string{"gateway": gateway}
	for i, addr := range nodes {
		targets[fmt.Sprintf("node-%d", i+1)] = addr
	}
	ctx, stop := context.WithCancel(ctx)
	r := &profileRecorder{stop: stop, log: log}
	for name, addr := range targets {
		r.wg.Go(func() { r.record(ctx, dir, name, addr) })
	}
	return r, nil
}

// record fetches profiles from addr until ctx ends, finishing the piece
// under way. A piece that fails (a node the degraded case killed) is
// reported and skipped: a missing stretch of one process only thins the
// profiles, and the measurements go on.
func (r *profileRecorder) record(ctx context.Context, dir, name, addr string) {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(profilePiece/time.Second))
	client := &http.Client{Timeout: profilePiece + 30*time.Second}
	for piece := 1; ctx.Err() == nil; piece++ {
		path := filepath.Join(dir, fmt.Sprintf("%s-%02d.pprof", name, piece))
		if err := fetchProfile(client, url, path); err != nil {
			r.mu.Lock()
			fmt.Fprintf(r.log, "profile of %s skipped: %v\n", name, err)
			r.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// fetchProfile is one piece, not cancelled: a profile cut short is lost.
func fetchProfile(client *http.Client, url, path string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// wait stops recording once the pieces under way are in.
func (r *profileRecorder) wait() {
	r.stop()
	r.wg.Wait()
}
