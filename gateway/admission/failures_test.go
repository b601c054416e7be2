package admission

import (
	"testing"
	"time"
)

func TestAuthFailures(t *testing.T) {
	now := time.Unix(1000, 0)
	f := NewAuthFailures(1, 3)
	f.addrs.now = func() time.Time { return now }
	f.keys.now = func() time.Time { return now }
	var events []string
	f.Observe = func(e string) { events = append(events, e) }

	for i := range 3 {
		if blocked, _ := f.Blocked("10.0.0.1:5000", "AK"); blocked {
			t.Fatalf("blocked after %d failures; the burst is 3", i)
		}
		f.Failed("10.0.0.1:5000", "AK")
	}
	blocked, wait := f.Blocked("10.0.0.1:6000", "")
	if !blocked || wait != time.Second {
		t.Errorf("the address after 3 failures: blocked %v for %v; want blocked for 1s", blocked, wait)
	}
	if blocked, _ := f.Blocked("10.0.0.2:1", "AK"); !blocked {
		t.Error("the guessed key from another address is not blocked")
	}
	if blocked, _ := f.Blocked("10.0.0.2:1", "OTHER"); blocked {
		t.Error("another key from another address is blocked")
	}
	now = now.Add(time.Second)
	if blocked, _ := f.Blocked("10.0.0.1:5000", "AK"); blocked {
		t.Error("still blocked once a token is back")
	}
	if len(events) != 5 || events[3] != "throttled" || events[0] != "failed" {
		t.Errorf("events %v; want 3 failed then 2 throttled", events)
	}
	var none *AuthFailures
	none.Failed("x:1", "k")
	if blocked, _ := none.Blocked("x:1", "k"); blocked || NewAuthFailures(0, 1) != nil {
		t.Error("a nil AuthFailures throttles")
	}
}
