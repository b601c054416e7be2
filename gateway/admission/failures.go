package admission

import (
	"math"
	"time"
)

// AuthFailures throttles credential guessing. Every failed authentication
// takes a token from two buckets, its client address's and the access
// key's it claimed; while either is empty, that address or that key is
// refused before its credentials are even checked, so guessing goes no
// faster than the refill rate however many addresses or keys an attacker
// spreads it over. A key being guessed is refused to its owner too for as
// long: the price of not letting the guessing go on. A nil *AuthFailures
// throttles nothing. Safe for concurrent use.
type AuthFailures struct {
	addrs, keys *Limiter
	// Observe, when set, is told of each failure ("failed") and each
	// request refused while throttled ("throttled"), for the metrics.
	Observe func(event string)
}

// NewAuthFailures allows burst failures at once per address and per key,
// refilled at rps a second; nil (no throttling) when rps is 0 or less.
func NewAuthFailures(rps float64, burst int) *AuthFailures {
	if rps <= 0 {
		return nil
	}
	return &AuthFailures{addrs: NewLimiter(rps, burst), keys: NewLimiter(rps, burst)}
}

// Blocked reports whether a request from remoteAddr claiming accessKey
// ("" when it claims none) must be refused now, and for how long.
func (f *AuthFailures) Blocked(remoteAddr, accessKey string) (bool, time.Duration) {
	if f == nil {
		return false, 0
	}
	wait := f.addrs.empty(ClientAddr(remoteAddr))
	if accessKey != "" {
		wait = max(wait, f.keys.empty(AccessKey(accessKey)))
	}
	if wait > 0 && f.Observe != nil {
		f.Observe("throttled")
	}
	return wait > 0, wait
}

// Failed records a failed authentication from remoteAddr claiming
// accessKey.
func (f *AuthFailures) Failed(remoteAddr, accessKey string) {
	if f == nil {
		return
	}
	f.addrs.Allow(ClientAddr(remoteAddr))
	if accessKey != "" {
		f.keys.Allow(AccessKey(accessKey))
	}
	if f.Observe != nil {
		f.Observe("failed")
	}
}

// empty is how long until key's bucket holds a whole token again; 0 when
// it holds one now. It takes nothing.
func (l *Limiter) empty(key string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.keys[key]
	if !ok {
		return 0
	}
	tokens := el.Value.(*bucket).lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - tokens) / float64(l.limit) * float64(time.Second)))
}
