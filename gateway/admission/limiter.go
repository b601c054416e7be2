// Package admission decides whether the gateway takes a request at all,
// before any work is done for it: the network allowlist (server.allowed_cidrs)
// and the per-key request rate limit (rate_limit.*). It does no I/O and
// knows nothing of HTTP routing; package server and the S3 door apply it.
package admission

import (
	"container/list"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxKeys bounds how many buckets a Limiter keeps.
const DefaultMaxKeys = 1 << 16

// Limiter is a token bucket per key: an access key ("key:" + id) or, for
// requests without valid credentials, a client address ("ip:" + addr).
// Each bucket holds up to burst tokens and refills at rps tokens a second;
// a request takes one token or is refused.
//
// A bucket unused long enough to be full again is dropped: forgetting it
// changes nothing. When more than MaxKeys buckets are in use at once, the
// least recently used is dropped too, which can only hand its key a fresh
// (full) bucket. Memory is therefore bounded whatever the number of
// clients. A nil *Limiter allows everything. Safe for concurrent use.
type Limiter struct {
	limit   rate.Limit
	burst   int
	fill    time.Duration // time for an empty bucket to be full again
	maxKeys int
	now     func() time.Time

	mu   sync.Mutex               // protects keys and used
	keys map[string]*list.Element // of *bucket
	used list.List                // of *bucket, most recently used first
}

type bucket struct {
	key  string
	lim  *rate.Limiter
	last time.Time // the last request for key
}

// NewLimiter returns a Limiter of rps requests a second with bursts of up
// to burst, or nil (no limit) when rps is 0 or less. A burst below 1 is 1.
func NewLimiter(rps float64, burst int) *Limiter {
	if rps <= 0 {
		return nil
	}
	burst = max(burst, 1)
	return &Limiter{
		limit:   rate.Limit(rps),
		burst:   burst,
		fill:    time.Duration(float64(burst) / rps * float64(time.Second)),
		maxKeys: DefaultMaxKeys,
		now:     time.Now,
		keys:    map[string]*list.Element{},
	}
}

// AccessKey is the Limiter key of an authenticated caller.
func AccessKey(id string) string { return "key:" + id }

// ClientAddr is the Limiter key of a caller without valid credentials: its
// IP address.
func ClientAddr(remoteAddr string) string { return "ip:" + hostOf(remoteAddr).String() }

// Allow takes a token from key's bucket. When the bucket is empty it
// answers false and how long until a token is back.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.touch(key, now)
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.lim.TokensAt(now)
	return false, time.Duration(math.Ceil(missing / float64(l.limit) * float64(time.Second)))
}

// Len is the number of buckets held.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// touch returns key's bucket, made if missing, as the most recently used,
// and drops the buckets that are full again or over maxKeys.
func (l *Limiter) touch(key string, now time.Time) *bucket {
	el, ok := l.keys[key]
	if ok {
		l.used.MoveToFront(el)
	} else {
		el = l.used.PushFront(&bucket{key: key, lim: rate.NewLimiter(l.limit, l.burst)})
		l.keys[key] = el
	}
	b := el.Value.(*bucket)
	b.last = now
	for back := l.used.Back(); back != nil && back != el; back = l.used.Back() {
		old := back.Value.(*bucket)
		if len(l.keys) <= l.maxKeys && now.Sub(old.last) < l.fill {
			break
		}
		l.used.Remove(back)
		delete(l.keys, old.key)
	}
	return b
}

// AllowCaller takes a token for one request: from accessKey's bucket, or,
// when accessKey is "" (the request has no valid credentials), from the
// bucket of its client address, remoteAddr (host:port).
func (l *Limiter) AllowCaller(accessKey, remoteAddr string) (ok bool, retryAfter time.Duration) {
	if l == nil {
		return true, 0
	}
	if accessKey == "" {
		return l.Allow(ClientAddr(remoteAddr))
	}
	return l.Allow(AccessKey(accessKey))
}
