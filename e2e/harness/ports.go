package harness

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pollInterval is how often readiness is probed.
const pollInterval = 100 * time.Millisecond

// FreePort returns a TCP port on 127.0.0.1 that is free and that no
// outbound connection can take before the caller binds it. A port from
// the kernel's ephemeral range (what listening on :0 hands out) can be: any
// connect() picks its local port from that range, and an e2e run makes
// thousands, so a port probed free and released was now and then in use
// by the time a node or gateway bound it. Ports are therefore drawn below
// that range, and each is handed out once per process, so two servers of
// one test never share one.
func FreePort() (int, error) {
	lo, hi := quietPortRange()
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 500 {
		port := lo + rand.IntN(hi-lo)
		if portsHandedOut[port] {
			continue
		}
		if PortFree(fmt.Sprintf("127.0.0.1:%d", port)) {
			portsHandedOut[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("harness: no free port in %d–%d", lo, hi-1)
}

var (
	portsMu        sync.Mutex
	portsHandedOut = map[int]bool{}
)

// quietPortRange is [lo, hi): up to 12,000 ports ending where the
// ephemeral range (net.ipv4.ip_local_port_range) begins, and never below
// 1024.
func quietPortRange() (lo, hi int) {
	hi = 32768 // Linux's default start of the ephemeral range
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if fields := strings.Fields(string(b)); len(fields) == 2 {
			if start, err := strconv.Atoi(fields[0]); err == nil && start > 2048 {
				hi = start
			}
		}
	}
	return max(1024, hi-12000), hi
}

// PortFree reports whether addr (host:port) can be listened on right now.
func PortFree(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// waitFor calls probe every pollInterval until it returns nil, p exits, the
// timeout passes or ctx ends. The error names what was awaited and carries the
// end of p's log.
func waitFor(ctx context.Context, p *process, timeout time.Duration, what string, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		lastErr := probe(ctx)
		if lastErr == nil {
			return nil
		}
		select {
		case <-p.done:
			return p.failure("exited before " + what)
		case <-ctx.Done():
			return p.failure(fmt.Sprintf("not %s: %v (timeout %s; last probe: %v)", what, ctx.Err(), timeout, lastErr))
		case <-ticker.C:
		}
	}
}

// dialProbe succeeds once addr accepts TCP connections.
func dialProbe(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		d := net.Dialer{Timeout: time.Second}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}

// healthProbe checks GET /health. With wantNodes > 0 it wants a 200 whose
// storage_servers counts at least that many active nodes: nodes register
// asynchronously (they retry until the gateway has migrated the schema),
// so a 200 alone can come before the last of them has joined.
func healthProbe(url string, wantNodes int) func(context.Context) error {
	// The probe only asks whether the gateway is up; the tests check
	// certificates themselves.
	transport := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	client := &http.Client{Timeout: 2 * time.Second, Transport: transport}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if wantNodes == 0 {
			return nil
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s %s", url, resp.Status, body)
		}
		var report struct {
			StorageServers int `json:"storage_servers"`
		}
		if err := json.Unmarshal(body, &report); err != nil || report.StorageServers < wantNodes {
			return fmt.Errorf("GET %s: %d of %d nodes active: %s", url, report.StorageServers, wantNodes, body)
		}
		return nil
	}
}
