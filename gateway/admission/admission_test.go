package admission

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeClock is a Limiter clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestLimiter(rps float64, burst int) (*Limiter, *fakeClock) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(rps, burst)
	l.now = clock.now
	return l, clock
}

func TestLimiterBurstThenRefill(t *testing.T) {
	l, clock := newTestLimiter(2, 3) // 2 a second, bursts of 3
	for i := range 3 {
		if ok, _ := l.Allow("key:a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, retry := l.Allow("key:a")
	if ok {
		t.Fatal("request past the burst allowed")
	}
	if retry != 500*time.Millisecond {
		t.Errorf("retryAfter = %v; want 500ms (one token at 2/s)", retry)
	}
	clock.advance(499 * time.Millisecond)
	if ok, _ := l.Allow("key:a"); ok {
		t.Fatal("allowed before a token was back")
	}
	clock.advance(time.Millisecond)
	if ok, _ := l.Allow("key:a"); !ok {
		t.Fatal("refused once a token was back")
	}
	if ok, _ := l.Allow("key:a"); ok {
		t.Fatal("the refilled token was spent twice")
	}
}

func TestLimiterKeysAreIndependent(t *testing.T) {
	l, _ := newTestLimiter(1, 1)
	if ok, _ := l.Allow("key:a"); !ok {
		t.Fatal("first request of a refused")
	}
	if ok, _ := l.Allow("key:a"); ok {
		t.Fatal("second request of a allowed")
	}
	for _, key := range []string{"key:b", ClientAddr("192.0.2.1:5555")} {
		if ok, _ := l.Allow(key); !ok {
			t.Errorf("%s refused because a is over its limit", key)
		}
	}
}

func TestLimiterRefusalsTakeNoToken(t *testing.T) {
	l, clock := newTestLimiter(1, 1)
	l.Allow("key:a")
	for range 10 {
		l.Allow("key:a") // hammering while empty must not push the refill back
	}
	clock.advance(time.Second)
	if ok, _ := l.Allow("key:a"); !ok {
		t.Fatal("refused a second after the last token, despite the refusals in between")
	}
}

func TestLimiterDropsFullBuckets(t *testing.T) {
	l, clock := newTestLimiter(10, 5) // full again 500ms after the last use
	for i := range 100 {
		l.Allow(fmt.Sprintf("ip:192.0.2.%d", i))
	}
	if n := l.Len(); n != 100 {
		t.Fatalf("Len = %d; want 100 buckets in use", n)
	}
	clock.advance(500 * time.Millisecond)
	l.Allow("key:late")
	if n := l.Len(); n != 1 {
		t.Errorf("Len = %d after every other bucket refilled; want 1", n)
	}
}

func TestLimiterBoundsKeys(t *testing.T) {
	l, _ := newTestLimiter(1, 1)
	l.maxKeys = 10
	for i := range 1000 {
		l.Allow(fmt.Sprintf("ip:10.0.%d.%d", i/256, i%256))
		if n := l.Len(); n > 10 {
			t.Fatalf("Len = %d after %d keys; want at most 10", n, i+1)
		}
	}
	// The most recent key keeps its (empty) bucket.
	if ok, _ := l.Allow("ip:10.0.3.231"); ok {
		t.Error("the most recently used bucket was dropped")
	}
}

func TestNilLimiterAllowsEverything(t *testing.T) {
	l := NewLimiter(0, 10)
	if l != nil {
		t.Fatal("NewLimiter(0, _) is not nil (off)")
	}
	if ok, retry := l.Allow("key:a"); !ok || retry != 0 {
		t.Errorf("nil Limiter: Allow = %v, %v", ok, retry)
	}
}

func TestClientAddr(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:5555":          "ip:192.0.2.1",
		"[::ffff:192.0.2.1]:5555": "ip:192.0.2.1",
		"[2001:db8::1]:443":       "ip:2001:db8::1",
		"[fe80::1%eth0]:443":      "ip:fe80::1",
	} {
		if got := ClientAddr(remote); got != want {
			t.Errorf("ClientAddr(%q) = %q; want %q", remote, got, want)
		}
	}
}

func TestAllowlist(t *testing.T) {
	a, err := ParseAllowlist([]string{"10.0.0.0/8", " 192.0.2.7 ", "2001:db8::/32", "172.16.5.9/12"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		remote string
		want   bool
	}{
		{"10.1.2.3:40000", true},
		{"11.0.0.1:40000", false},
		{"192.0.2.7:1", true},
		{"192.0.2.8:1", false},
		{"[::ffff:10.9.9.9]:80", true}, // IPv4 client on a dual-stack socket
		{"[2001:db8:1::5]:80", true},
		{"[2001:db9::5]:80", false},
		{"172.31.255.255:80", true}, // host bits of 172.16.5.9/12 are ignored
		{"172.32.0.0:80", false},
		{"not-an-address", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := a.Allows(tt.remote); got != tt.want {
			t.Errorf("Allows(%q) = %v; want %v", tt.remote, got, tt.want)
		}
	}
}

func TestEmptyAllowlistAllowsEveryone(t *testing.T) {
	a, err := ParseAllowlist(nil)
	if err != nil || a != nil {
		t.Fatalf("ParseAllowlist(nil) = %v, %v; want nil, nil", a, err)
	}
	if !a.Allows("203.0.113.9:1234") {
		t.Error("the nil allowlist refused a client")
	}
}

func TestParseAllowlistQuotesBadEntry(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "ten.0.0.0/8", "10.0.0", "fe80::1%eth0", ""} {
		_, err := ParseAllowlist([]string{"10.0.0.0/8", bad})
		if err == nil {
			t.Errorf("ParseAllowlist accepted %q", bad)
			continue
		}
		if want := fmt.Sprintf("%q", bad); !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not quote %s", err, want)
		}
	}
}
