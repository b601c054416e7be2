package console

import (
	"sync"
	"time"
)

// throttle slows down guessing: after freeFailures wrong secrets from one
// client address, each further attempt must wait a delay that doubles
// with every failure, up to maxDelay. A success clears the address.
type throttle struct {
	now func() time.Time

	mu     sync.Mutex // protects byAddr
	byAddr map[string]*failures
}

type failures struct {
	count int
	last  time.Time
}

const (
	freeFailures = 3
	maxDelay     = 5 * time.Minute
	// forgetAfter is how long an address's failures are remembered.
	forgetAfter = 30 * time.Minute
)

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, byAddr: map[string]*failures{}}
}

// wait returns how long addr must still wait before its next attempt.
func (t *throttle) wait(addr string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.byAddr[addr]
	if f == nil || f.count < freeFailures {
		return 0
	}
	d := time.Second << min(f.count-freeFailures, 9)
	d = min(d, maxDelay)
	if left := f.last.Add(d).Sub(t.now()); left > 0 {
		return left
	}
	return 0
}

func (t *throttle) fail(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for a, f := range t.byAddr {
		if now.Sub(f.last) > forgetAfter {
			delete(t.byAddr, a)
		}
	}
	f := t.byAddr[addr]
	if f == nil {
		f = &failures{}
		t.byAddr[addr] = f
	}
	f.count++
	f.last = now
}

func (t *throttle) succeed(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byAddr, addr)
}
