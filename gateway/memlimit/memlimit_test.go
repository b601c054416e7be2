package memlimit

import (
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"sync"
	"testing"
)

func TestLimitFollowsRequestsInFlight(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "") // restored after the test; unset for New
	if err := os.Unsetenv("GOMEMLIMIT"); err != nil {
		t.Fatal(err)
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))

	g := New(10<<20, 5<<20)
	if !g.Enabled() {
		t.Fatal("disabled without GOMEMLIMIT")
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
