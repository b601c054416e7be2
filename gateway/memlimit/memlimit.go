// Package memlimit keeps the gateway's heap close to what its requests in
// flight need. Go's collector lets the heap grow to twice what is live
// before it runs (GOGC=100), and the data path's buffers are short-lived:
// a single 1 GiB GET peaked at 175 MiB RSS with about 60 MiB live. A soft
// memory limit makes the collector run before that, but a fixed one would
// be wrong both ways: too high for one stream, and for a hundred uploads at
// once (each holding its stripes) it would keep the collector running.
// So the limit follows the load: a base for the process plus an allowance
// per request in flight, moved as requests start and end.
//
// Under the limit, the collector runs less often than Go's default: at
// GOGC=100 a small GET's garbage (about 80 KB: its six node calls, its
// metadata rows) had it run several times a second over a live heap of a
// few MiB, 7 % of the gateway's CPU. At DefaultGCPercent the heap may grow
// to five times what is live, but never past the limit, where one large
// transfer already keeps it.
//
// An operator's GOMEMLIMIT wins: with it set, the Governor does nothing.
// So does an operator's GOGC, for the collector's pace.
package memlimit

import (
	"net/http"
	"os"
	"runtime/debug"
	"sync"
)

const (
	// DefaultBase covers the idle process: code, pools, caches, the ring.
	DefaultBase = 64 << 20
	// DefaultPerRequest is what one data-moving request may hold: an
	// upload's stripes in flight, or a download's read-ahead over its
	// shard streams, with their gRPC receive windows (24 MiB of frames at the
	// default block size, and as much again in flight: at 24 MiB the
	// collector ran often enough under four ranged GETs at once to cost
	// them a fifth of their speed).
	DefaultPerRequest = 40 << 20
	// DefaultGCPercent is the collector's pace (GOGC) under the limit.
	// Against 100, it took a tenth off the gateway's CPU per 4 KiB GET at
	// 16 at once (0.62 and 0.57 ms → 0.58 and 0.50, builds alternated) and
	// raised its peak RSS under that load from 41 to 66 MiB.
	DefaultGCPercent = 400
)

// Governor sets the runtime's soft memory limit from the requests in
// flight.
type Governor struct {
	base, perRequest int64
	enabled          bool

	mu       sync.Mutex
	inFlight int64
}

// New returns a Governor, disabled when the GOMEMLIMIT environment
// variable is set. An enabled one also sets the collector's pace to
// DefaultGCPercent unless GOGC is set.
func New(base, perRequest int64) *Governor {
	_, operatorSet := os.LookupEnv("GOMEMLIMIT")
	g := &Governor{base: base, perRequest: perRequest, enabled: !operatorSet}
	if g.enabled {
		debug.SetMemoryLimit(base)
		if _, paced := os.LookupEnv("GOGC"); !paced {
			debug.SetGCPercent(DefaultGCPercent)
		}
	}
	return g
}

// Enabled reports whether the Governor moves the limit.
func (g *Governor) Enabled() bool { return g.enabled }

// Limit is the limit for the requests now in flight.
func (g *Governor) Limit() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.base + g.inFlight*g.perRequest
}

// Wrap counts every request h serves while it runs.
func (g *Governor) Wrap(h http.Handler) http.Handler {
	if !g.enabled {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.add(1)
		defer g.add(-1)
		h.ServeHTTP(w, r)
	})
}

// add moves the limit; the runtime only takes its heap lock for it,
// without stopping the world, so a request pays next to nothing.
func (g *Governor) add(delta int64) {
	g.mu.Lock()
	g.inFlight += delta
	debug.SetMemoryLimit(g.base + g.inFlight*g.perRequest)
	g.mu.Unlock()
}
