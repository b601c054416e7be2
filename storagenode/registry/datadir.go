package registry

import (
	"context"
	"fmt"

	"sixfold/storagenode/identity"
)

// checkDataDir checks, before the node registers, that DataDir is this
// node's own (identity.Claim.Check), retrying PostgreSQL until it answers
// or ctx ends. A refusal is an *identity.RefusedError. It returns the
// directory's marker (nil when it has none, or when DataDir is unset) and
// makes the next registration propose the marker's id.
func (r *Registry) checkDataDir(ctx context.Context) (*identity.Marker, error) {
	if r.opts.DataDir == "" {
		return nil, nil
	}
	marker, err := identity.ReadMarker(r.opts.DataDir)
	if err != nil {
		return nil, err
	}
	st, err := r.stats.Stats()
	if err != nil {
		return nil, err
	}
	claim := identity.Claim{DataDir: r.opts.DataDir, Address: r.opts.Address, Marker: marker, HasChunks: st.Chunks > 0}
	err = retry(ctx, r.log, "data directory check", func(ctx context.Context) error {
		id, err := claim.Check(ctx, r.db)
		if err == nil {
			r.mu.Lock()
			r.proposed = id
			r.mu.Unlock()
		}
		return err
	})
	return marker, err
}

// markDataDir writes the identity marker once the node is registered,
// unless the directory already carries exactly this one. A registration
// that came back with another id than the marker's means a row appeared at
// this address between the check and the upsert: a refusal too.
func (r *Registry) markDataDir(marker *identity.Marker) error {
	if r.opts.DataDir == "" {
		return nil
	}
	want := identity.Marker{ServerID: r.ID(), Address: r.opts.Address}
	if marker != nil && marker.ServerID != want.ServerID {
		return fmt.Errorf("%w: data directory %s: registered as server %s, but its marker names server %s",
			identity.ErrRefused, r.opts.DataDir, want.ServerID, marker.ServerID)
	}
	if marker != nil && *marker == want {
		return nil
	}
	if err := identity.WriteMarker(r.opts.DataDir, want); err != nil {
		return err
	}
	r.log.Info().Str("data_dir", r.opts.DataDir).Str("node_id", want.ServerID.String()).
		Msg("identity marker written")
	return nil
}
