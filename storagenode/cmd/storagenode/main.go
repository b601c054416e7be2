// Command storagenode is one sixfold storage node: it keeps chunk bytes in
// its data directory, serves them to gateways over gRPC, and registers and
// heartbeats itself in PostgreSQL. See config.example.yaml for its settings.
//
// On SIGINT or SIGTERM it stops taking traffic (health NOT_SERVING), marks
// itself inactive in PostgreSQL, lets in-flight streams finish for up to 30
// seconds, closes its pool and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"google.golang.org/grpc"

	"sixfold/storagenode/chunkstore"
	"sixfold/storagenode/config"
	"sixfold/storagenode/grpcserver"
	"sixfold/storagenode/registry"
)

// drainTimeout bounds how long in-flight streams may run after a signal.
const drainTimeout = 30 * time.Second

func main() {
	log := zerolog.New(os.Stderr).With().Timestamp().Str("service", "storagenode").Logger()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], log)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		log.Error().Err(err).Msg("storagenode failed")
		os.Exit(1)
	}
}

// node is the running process: what shutdown must undo, in reverse order.
type node struct {
	cfg    config.Config
	log    zerolog.Logger
	store  *chunkstore.Store
	svc    *grpcserver.Service
	grpc   *grpc.Server
	served chan error // receives Serve's result
	pool   *pgxpool.Pool
	reg    *registry.Registry
}

// run serves until ctx ends (a signal: nil) or serving fails (the error).
func run(ctx context.Context, args []string, log zerolog.Logger) error {
	cfg, err := config.Load(args, os.Stderr)
	if err != nil {
		return err
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
	return n.heartbeatUntilDone(ctx)
}

// serve opens the chunk store and starts the gRPC server, not yet serving
// health-wise.
func (n *node) serve() error {
	store, err := chunkstore.Open(n.cfg.Storage.DataDir)
	if err != nil {
		return err
	}
	n.store = store
	n.log.Info().Str("data_dir", n.cfg.Storage.DataDir).Int("temp_files_removed", store.CleanedTempFiles()).
		Msg("chunk store opened")
	lis, err := net.Listen("tcp", n.cfg.ListenAddress())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	n.svc = grpcserver.New(store, n.log)
	n.grpc = grpcserver.NewServer(n.svc)
	n.served = make(chan error, 1)
	go func() { n.served <- n.grpc.Serve(lis) }()
	n.log.Info().Str("listen", lis.Addr().String()).Str("address", n.cfg.Server.Address).Msg("gRPC server listening")
	return nil
}

// join connects to PostgreSQL and registers, retrying both until they work
// or ctx ends, then starts answering SERVING.
func (n *node) join(ctx context.Context) error {
	pool, err := registry.Connect(ctx, n.cfg.Database, n.log)
	if err != nil {
		return err
	}
	n.pool = pool
	n.reg = registry.New(pool, registry.Options{
		Name:              n.cfg.Server.Name,
		Address:           n.cfg.Server.Address,
		VirtualNodes:      n.cfg.Storage.VirtualNodes,
		HeartbeatInterval: n.cfg.Heartbeat.Interval,
		DataDir:           n.cfg.Storage.DataDir,
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

// heartbeatUntilDone heartbeats until ctx ends or the gRPC server fails, and
// returns only after the heartbeat loop has stopped.
func (n *node) heartbeatUntilDone(ctx context.Context) error {
	hbCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { n.reg.Run(hbCtx); close(done) }()
	var err error
	select {
	case <-ctx.Done():
		n.log.Info().Msg("signal received; draining")
	case err = <-n.served:
		err = fmt.Errorf("gRPC server: %w", err)
	}
	cancel()
	<-done
	return err
}

// shutdown stops taking traffic, marks the node inactive (heartbeats have
// stopped, so nothing turns it active again), drains the gRPC server, and
// closes the pool. Marking inactive before draining keeps gateways from
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
	if n.pool != nil {
		n.pool.Close()
	}
	n.log.Info().Msg("stopped")
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
