package harness

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
)

// extraGateway is gateway i ≥ 1 of a cluster started with Options.Gateways
// above one: the same binary, database and nodes as the first, on its own
// address and log. Gateways keep no state of their own, so nothing else
// tells them apart.
type extraGateway struct {
	addr, logPath string
	proc          *process // nil while stopped; guarded by Cluster.mu
}

func (c *Cluster) newExtraGateways() error {
	for i := 1; i < c.opts.Gateways; i++ {
		addr := ""
		if i-1 < len(c.opts.ExtraGatewayAddrs) {
			addr = c.opts.ExtraGatewayAddrs[i-1]
		}
		if addr == "" {
			port, err := FreePort()
			if err != nil {
				return err
			}
			addr = fmt.Sprintf("127.0.0.1:%d", port)
		}
		c.extra = append(c.extra, &extraGateway{
			addr:    addr,
			logPath: filepath.Join(c.opts.Dir, fmt.Sprintf("gateway-%d.log", i+1)),
		})
	}
	return nil
}

// startExtraGateways launches gateways 2…N together once the first has
// migrated the schema, then waits for each to report every node.
func (c *Cluster) startExtraGateways(ctx context.Context) error {
	procs := make([]*process, len(c.extra))
	c.mu.Lock()
	for i, g := range c.extra {
		env := append(c.gatewayEnv(), "SIXFOLD_ADDR="+g.addr)
		p, err := startProcess(procSpec{
			name: g.name(i), path: c.bins.Gateway, env: env,
			dir: c.opts.Dir, logPath: g.logPath, deathSig: syscall.SIGKILL,
		})
		if err != nil {
			c.mu.Unlock()
			return err
		}
		g.proc, procs[i] = p, p
		c.watch(p)
	}
	wantNodes := len(c.nodes)
	c.mu.Unlock()
	for i, p := range procs {
		what := fmt.Sprintf("healthy with %d active nodes (GET /health)", wantNodes)
		if err := waitFor(ctx, p, c.opts.ReadyTimeout, what, healthProbe(c.GatewayURLAt(i+1)+"/health", wantNodes)); err != nil {
			return err
		}
	}
	return nil
}

func (g *extraGateway) name(i int) string { return fmt.Sprintf("gateway-%d", i+2) }

func (c *Cluster) stopExtraGateways() []error {
	var errs []error
	for _, g := range c.extra {
		c.mu.Lock()
		p := g.proc
		g.proc = nil
		c.mu.Unlock()
		if p != nil {
			errs = append(errs, p.stop(syscall.SIGTERM, stopGrace))
		}
	}
	return errs
}

// NumGateways is Options.Gateways: how many gateways the cluster has.
func (c *Cluster) NumGateways() int { return 1 + len(c.extra) }

// GatewayAddrAt is gateway i's host:port; gateway 0 is GatewayAddr. It
// panics if i is out of range.
func (c *Cluster) GatewayAddrAt(i int) string {
	if i == 0 {
		return c.opts.GatewayAddr
	}
	return c.extra[i-1].addr
}

// GatewayURLAt is gateway i's base URL; gateway 0 is GatewayURL.
func (c *Cluster) GatewayURLAt(i int) string {
	scheme := "http://"
	if c.opts.GatewayTLS != nil {
		scheme = "https://"
	}
	return scheme + c.GatewayAddrAt(i)
}

// GatewayLogPathAt is where gateway i's output goes (gateway.log,
// gateway-2.log, …).
func (c *Cluster) GatewayLogPathAt(i int) string {
	if i == 0 {
		return c.GatewayLogPath()
	}
	return c.extra[i-1].logPath
}

// KillGatewayAt sends gateway i SIGKILL and waits for it to be gone.
func (c *Cluster) KillGatewayAt(i int) error {
	if i == 0 {
		return c.KillGateway()
	}
	c.mu.Lock()
	p := c.extra[i-1].proc
	c.extra[i-1].proc = nil
	c.mu.Unlock()
	if p == nil {
		return errors.New("harness: gateway is not running")
	}
	p.kill()
	return nil
}
