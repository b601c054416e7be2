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
	for i := range c.extra {
		p, err := c.launchExtraGateway(i)
		if err != nil {
			c.mu.Unlock()
			return err
		}
		procs[i] = p
	}
	wantNodes := len(c.nodes)
	c.mu.Unlock()
	for i, p := range procs {
		if err := c.waitExtraGateway(ctx, i, p, wantNodes); err != nil {
			return err
		}
	}
	return nil
}

// launchExtraGateway starts extra gateway i (gateway i+2) without waiting
// for it. Caller holds c.mu.
func (c *Cluster) launchExtraGateway(i int) (*process, error) {
	g := c.extra[i]
	if g.proc != nil && !g.proc.exited() {
		return nil, fmt.Errorf("harness: %s is already running", g.name(i))
	}
	env := append(c.gatewayEnv(), "SIXFOLD_ADDR="+g.addr)
	p, err := startProcess(procSpec{
		name: g.name(i), path: c.bins.Gateway, env: env,
		dir: c.opts.Dir, logPath: g.logPath, deathSig: syscall.SIGKILL,
	})
	if err != nil {
		return nil, err
	}
	g.proc = p
	c.watch(p)
	return p, nil
}

func (c *Cluster) waitExtraGateway(ctx context.Context, i int, p *process, wantNodes int) error {
	what := fmt.Sprintf("healthy with %d active nodes (GET /health)", wantNodes)
	return waitFor(ctx, p, c.opts.ReadyTimeout, what, healthProbe(c.GatewayURLAt(i+1)+"/health", wantNodes))
}

// StopGatewayAt stops gateway i gracefully (SIGTERM); gateway 0 is the
// first (StopGateway). The others keep serving. Stopping a stopped gateway
// does nothing.
func (c *Cluster) StopGatewayAt(i int) error {
	if i == 0 {
		return c.StopGateway()
	}
	c.mu.Lock()
	p := c.extra[i-1].proc
	c.extra[i-1].proc = nil
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop(syscall.SIGTERM, stopGrace)
}

// RestartGatewayAt stops gateway i if it runs, starts it again on the same
// address and waits until it is healthy; gateway 0 is RestartGateway.
func (c *Cluster) RestartGatewayAt(ctx context.Context, i int) error {
	if i == 0 {
		return c.RestartGateway(ctx)
	}
	if err := c.StopGatewayAt(i); err != nil {
		return err
	}
	c.mu.Lock()
	p, err := c.launchExtraGateway(i - 1)
	wantNodes := len(c.nodes)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.waitExtraGateway(ctx, i-1, p, wantNodes)
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
