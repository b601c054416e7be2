package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"sixfold/db"
	"sixfold/storagenode/identity"
)

// Run heartbeats every HeartbeatInterval until ctx ends. A failed heartbeat
// is logged and tried again at the next tick. Register must have succeeded.
func (r *Registry) Run(ctx context.Context) {
	t := time.NewTicker(r.opts.HeartbeatInterval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := r.Heartbeat(ctx)
		if ctx.Err() == nil {
			r.observe(err)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			r.log.Warn().Err(err).Msg("heartbeat failed; retrying at the next tick")
			failing = true
		case err == nil && failing:
			r.log.Info().Msg("heartbeat restored")
			failing = false
		}
	}
}

// Heartbeat reports the node alive with its current capacity and chunk
// count, once. If the node's row has gone, it registers again.
func (r *Registry) Heartbeat(ctx context.Context) error {
	st, err := r.stats.Stats()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(r.opts.HeartbeatTimeout, r.opts.HeartbeatInterval))
	defer cancel()
	alive, err := r.db.Heartbeat(ctx, r.ID(), nodeStats(st))
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	if !alive {
		r.log.Warn().Str("node_id", r.ID().String()).Msg("node row is gone; registering again")
		_, err = r.Register(ctx)
	}
	return err
}

// RegisterWithRetry makes the node a member of the cluster. When DataDir is
// set it first checks, before anything is registered, that the directory
// is this node's (see checkDataDir); then it calls Register until it
// succeeds or ctx ends, backing off from one second to thirty; then it
// records the node's identity in DataDir. A refusal (identity.ErrRefused)
// or a marker that cannot be read or written ends it at once.
func (r *Registry) RegisterWithRetry(ctx context.Context) error {
	marker, err := r.checkDataDir(ctx)
	if err != nil {
		return err
	}
	err = retry(ctx, r.log, "registration", func(ctx context.Context) error {
		_, err := r.Register(ctx)
		if ctx.Err() == nil {
			r.observe(err)
		}
		return err
	})
	if err != nil {
		return err
	}
	return r.markDataDir(marker)
}

// observe tells the observer, if any, how a heartbeat or registration went.
func (r *Registry) observe(err error) {
	if r.opts.Observer != nil {
		r.opts.Observer.HeartbeatDone(time.Now(), err)
	}
}

// Connect opens a pool to PostgreSQL, retrying until it answers or ctx ends.
func Connect(ctx context.Context, cfg db.Config, log zerolog.Logger) (*db.Store, error) {
	var store *db.Store
	err := retry(ctx, log, "database connection", func(ctx context.Context) error {
		var err error
		store, err = db.OpenStore(ctx, cfg)
		return err
	})
	return store, err
}

// retry runs fn until it succeeds, refuses (identity.ErrRefused: only an
// operator can change that) or ctx ends, doubling the pause between
// attempts from 1 s up to 30 s and logging each failure.
func retry(ctx context.Context, log zerolog.Logger, what string, fn func(context.Context) error) error {
	delay := time.Second
	for {
		err := fn(ctx)
		if err == nil || errors.Is(err, identity.ErrRefused) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn().Err(err).Dur("retry_in", delay).Msg(what + " failed")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 30*time.Second)
	}
}
