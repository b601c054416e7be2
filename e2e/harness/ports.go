package harness

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// pollInterval is how often readiness is probed.
const pollInterval = 100 * time.Millisecond

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. The
// kernel may hand it to someone else before the caller binds it; callers that
// can, retry with a fresh port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("harness: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
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
