package memlimit

import (
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"sync"
	"testing"
)

// unsetEnv unsets key for the rest of the test, restoring it afterwards.
func unsetEnv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "")
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}

func TestLimitFollowsRequestsInFlight(t *testing.T) {
	unsetEnv(t, "GOMEMLIMIT")
	unsetEnv(t, "GOGC")
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(100))

	g := New(10<<20, 5<<20)
	if !g.Enabled() {
		t.Fatal("disabled without GOMEMLIMIT")
	}
	if got := debug.SetGCPercent(DefaultGCPercent); got != DefaultGCPercent {
		t.Fatalf("GC percent %d; want DefaultGCPercent (%d) without GOGC", got, DefaultGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != 10<<20 {
		t.Fatalf("idle limit %d; want the base, %d", got, 10<<20)
	}
	inside := make(chan struct{})
	release := make(chan struct{})
	h := g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inside <- struct{}{}
		<-release
	}))
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) })
	}
	for range 3 {
		<-inside
	}
	if got, want := debug.SetMemoryLimit(-1), int64(10<<20+3*5<<20); got != want || g.Limit() != want {
		t.Fatalf("limit with 3 requests in flight: runtime %d, Limit() %d; want %d", got, g.Limit(), want)
	}
	close(release)
	wg.Wait()
	if got := debug.SetMemoryLimit(-1); got != 10<<20 {
		t.Fatalf("limit after the requests ended %d; want the base again", got)
	}
}

// An operator's GOGC is theirs: the limit still follows the requests, but
// the collector keeps the operator's pace.
func TestOperatorGOGCWins(t *testing.T) {
	unsetEnv(t, "GOMEMLIMIT")
	t.Setenv("GOGC", "150")
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	if g := New(10<<20, 5<<20); !g.Enabled() {
		t.Fatal("disabled without GOMEMLIMIT")
	}
	if got := debug.SetGCPercent(150); got != 150 {
		t.Fatalf("GC percent %d; want the operator's 150", got)
	}
}

// An operator's GOMEMLIMIT is theirs: the Governor neither sets the limit
// nor wraps handlers.
func TestOperatorGOMEMLIMITWins(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	before := debug.SetMemoryLimit(-1)
	g := New(10<<20, 5<<20)
	if g.Enabled() {
		t.Fatal("enabled although GOMEMLIMIT is set")
	}
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	g.Wrap(h).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("limit moved from %d to %d", before, got)
	}
}
