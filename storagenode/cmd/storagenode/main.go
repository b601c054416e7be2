// Command storagenode is one sixfold storage node: it keeps chunk bytes in
// its data directory, serves them to gateways over gRPC, and registers and
// heartbeats itself in PostgreSQL. Once registered it also runs the scrub
// (re-hashing chunk files) and the sweep (reconciling files with rows), and,
// when server.metrics_port is set, serves Prometheus metrics at /metrics.
// See config.example.yaml for its settings.
//
// Before it registers, it checks that its data directory is its own (see
// package identity): on an unmounted or wiped volume, or another server's,
// it logs why and what to do, and exits with status 3 (exitRefused)
// without registering. Other failures exit 1.
//
// On SIGINT or SIGTERM it stops the heartbeat, scrub and sweep, stops taking
// traffic (health NOT_SERVING), marks itself inactive in PostgreSQL, lets
// in-flight streams finish for up to 30 seconds, stops the metrics server,
// closes its pool and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"

	"sixfold/db"
	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/config"
	"sixfold/storagenode/grpcserver"
	"sixfold/storagenode/identity"
	"sixfold/storagenode/metrics"
	"sixfold/storagenode/registry"
	"sixfold/storagenode/scrub"
	"sixfold/storagenode/sweep"
)

// *metrics.Metrics hears every component that reports.
var (
	_ grpcserver.Observer        = (*metrics.Metrics)(nil)
	_ registry.HeartbeatObserver = (*metrics.Metrics)(nil)
	_ scrub.Observer             = (*metrics.Metrics)(nil)
	_ sweep.Observer             = (*metrics.Metrics)(nil)
)

// drainTimeout bounds how long in-flight streams may run after a signal.
const drainTimeout = 30 * time.Second

// exitRefused is the exit status of a node that refused its data
// directory. It differs from a crash's 1 so that supervisors and scripts
// can tell "an operator must act" from "try again".
const exitRefused = 3

func main() {
	log := zerolog.New(os.Stderr).With().Timestamp().Str("service", "storagenode").Logger()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], log)
	stop()
	if code := report(err, log); code != 0 {
		os.Exit(code)
	}
}

// report logs how run ended and returns the exit status: 0 when it ended
// by a signal or -help, exitRefused when the node refused its data
// directory (the whole explanation in the message, so that one log line
// tells the operator what to do), 1 otherwise.
func report(err error, log zerolog.Logger) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, identity.ErrRefused):
		ev := log.Error()
		var refused *identity.RefusedError
		if errors.As(err, &refused) {
			ev = ev.Str("data_dir", refused.DataDir).Str("address", refused.Address).
				Str("server_id", refused.ServerID.String()).Str("fix", refused.Fix)
		}
		ev.Msg(err.Error())
		return exitRefused
	}
	log.Error().Err(err).Msg("storagenode failed")
	return 1
}

// node is the running process: what shutdown must undo, in reverse order.
type node struct {
	cfg        config.Config
	log        zerolog.Logger
	store      *chunkstore.Store
	metrics    *metrics.Metrics
	metricsSrv *http.Server // nil when server.metrics_port is 0
	svc        *grpcserver.Service
	grpc       *grpc.Server
	served     chan error // receives Serve's result
	db         *db.Store
	reg        *registry.Registry
}

// run serves until ctx ends (a signal: nil) or serving fails (the error).
func run(ctx context.Context, args []string, log zerolog.Logger) error {
	cfg, err := config.Load(args, os.Stderr)
	if err != nil {
		return err
	}
	level, _ := zerolog.ParseLevel(cfg.Log.Level) // Validate accepted it
	log = log.Level(level)
	for _, w := range cfg.Warnings {
		log.Warn().Msg("configuration: " + w)
	}
	if cfg.Debug.PprofAddr != "" {
		if err := servePprof(cfg.Debug.PprofAddr, log); err != nil {
			return fmt.Errorf("debug.pprof_addr: %w", err)
		}
	}
	n := &node{cfg: cfg, log: log}
	if err := n.serve(); err != nil {
		return err
	}
	defer n.shutdown()
	if err := n.join(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	return n.runUntilDone(ctx)
}

// serve opens the chunk store (removing a crash's temp files), starts the
// metrics server if configured, and starts the gRPC server, not yet serving
// health-wise.
func (n *node) serve() error {
	security, err := n.transportSecurity()
	if err != nil {
		return err
	}
	store, err := chunkstore.Open(n.cfg.Storage.DataDir)
	if err != nil {
		return err
	}
	n.store = store
	direct, whyNot := store.DirectIO()
	unnamed, whyNamed := store.UnnamedTempFiles()
	n.log.Info().Str("data_dir", n.cfg.Storage.DataDir).Int("temp_files_removed", store.CleanedTempFiles()).
		Int("chunks_replayed_from_log", store.ReplayedChunks()).
		Bool("direct_io", direct).AnErr("direct_io_refused", whyNot).
		Bool("unnamed_temp_files", unnamed).AnErr("unnamed_temp_files_refused", whyNamed).Msg("chunk store opened")
	reg := prometheus.NewRegistry()
	n.metrics = metrics.New(reg, store)
	if err := n.serveMetrics(reg); err != nil {
		return err
	}
	lis, err := net.Listen("tcp", n.cfg.ListenAddress())
	if err != nil {
		n.stopMetrics()
		return fmt.Errorf("listen: %w", err)
	}
	n.svc = grpcserver.New(store, n.log, grpcserver.WithObserver(n.metrics))
	n.grpc = grpcserver.NewServer(n.svc, append(n.metrics.ServerOptions(), security...)...)
	n.served = make(chan error, 1)
	go func() { n.served <- n.grpc.Serve(lis) }()
	n.log.Info().Str("listen", lis.Addr().String()).Str("address", n.cfg.Server.Address).
		Bool("mtls", n.cfg.TLS.Enabled()).Msg("gRPC server listening")
	return nil
}

// serveMetrics serves reg at /metrics on server.metrics_port, if set. A
// port that cannot be bound fails the start; a later failure is logged.
func (n *node) serveMetrics(reg *prometheus.Registry) error {
	addr := n.cfg.MetricsAddress()
	if addr == "" {
		return nil
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics listen: %w", err)
	}
	n.metricsSrv = &http.Server{Handler: metrics.Handler(reg), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := n.metricsSrv.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
			n.log.Error().Err(err).Msg("metrics server failed")
		}
	}()
	n.log.Info().Str("listen", lis.Addr().String()).Msg("metrics server listening")
	return nil
}

// join connects to PostgreSQL, checks the data directory is this node's,
// and registers, retrying each until it works or ctx ends (a refusal ends
// it at once), then starts answering SERVING.
func (n *node) join(ctx context.Context) error {
	store, err := registry.Connect(ctx, n.cfg.Database, n.log)
	if err != nil {
		return err
	}
	n.db = store
	n.reg = registry.New(store, registry.Options{
		Name:              n.cfg.Server.Name,
		Address:           n.cfg.Server.Address,
		VirtualNodes:      n.cfg.Storage.VirtualNodes,
		HeartbeatInterval: n.cfg.Heartbeat.Interval,
		HeartbeatTimeout:  n.cfg.Heartbeat.Timeout,
		DataDir:           n.cfg.Storage.DataDir,
		Observer:          n.metrics,
	}, n.store, n.log)
	if err := n.reg.RegisterWithRetry(ctx); err != nil {
		return err
	}
	id := n.reg.ID().String()
	n.svc.SetNodeID(id)
	n.svc.SetServing(true)
	n.log.Info().Str("node_id", id).Str("address", n.cfg.Server.Address).
		Int("virtual_nodes", n.cfg.Storage.VirtualNodes).Msg("registered; serving")
	return nil
}

// runUntilDone runs the background jobs (heartbeat, scrub, sweep) until
// ctx ends or the gRPC server fails, and returns only after all have
// stopped.
func (n *node) runUntilDone(ctx context.Context) error {
	jobCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, job := range n.jobs() {
		wg.Go(func() { job(jobCtx) })
	}
	var err error
	select {
	case <-ctx.Done():
		n.log.Info().Msg("signal received; draining")
	case err = <-n.served:
		err = fmt.Errorf("gRPC server: %w", err)
	}
	cancel()
	wg.Wait()
	return err
}

// jobs returns the loops that run while the node is registered. A scrub or
// sweep with interval 0 returns at once.
func (n *node) jobs() []func(context.Context) {
	id := n.reg.ID()
	scr := scrub.New(n.db, n.store, scrub.Options{
		NodeID: id, Interval: n.cfg.Scrub.Interval, BytesPerSecond: n.cfg.Scrub.BytesPerSecond, Observer: n.metrics,
	}, n.log)
	sw := sweep.New(n.db, n.store, sweep.Options{
		NodeID: id, Interval: n.cfg.Sweep.Interval, MinAge: n.cfg.Sweep.MinAge, Observer: n.metrics,
	}, n.log)
	return []func(context.Context){n.reg.Run, scr.Run, sw.Run}
}

// shutdown stops taking traffic, marks the node inactive (heartbeats have
// stopped, so nothing turns it active again), drains the gRPC server, and
// closes the chunk store and the pool. Marking inactive before draining keeps gateways from
// choosing the node while its last streams finish.
func (n *node) shutdown() {
	n.svc.SetServing(false)
	if n.reg != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := n.reg.Deactivate(ctx); err != nil {
			n.log.Warn().Err(err).Msg("cannot mark the node inactive")
		}
		cancel()
	}
	stopGRPC(n.grpc, drainTimeout, n.log)
	if n.store != nil {
		if err := n.store.Close(); err != nil {
			n.log.Warn().Err(err).Msg("closing the chunk store")
		}
	}
	n.stopMetrics()
	if n.db != nil {
		n.db.Close()
	}
	n.log.Info().Msg("stopped")
}

// stopMetrics stops the metrics server, if any, after its current scrapes.
func (n *node) stopMetrics() {
	if n.metricsSrv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.metricsSrv.Shutdown(ctx); err != nil {
		n.log.Warn().Err(err).Msg("metrics server shutdown")
	}
}

// stopGRPC lets in-flight RPCs finish, cutting them off after timeout.
func stopGRPC(gs *grpc.Server, timeout time.Duration, log zerolog.Logger) {
	done := make(chan struct{})
	go func() { gs.GracefulStop(); close(done) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		log.Warn().Dur("timeout", timeout).Msg("in-flight RPCs outlived the drain timeout; closing them")
		gs.Stop()
		<-done
	}
}
