package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"sixfold/e2e/harness"
)

// One gateway of two stops and comes back (what `sixfold-dev restart
// gateway-2` does): meanwhile the other serves, and afterwards the
// restarted one serves what was written through the other while it was
// down.
func TestRestartOneGatewayOfTwo(t *testing.T) {
	cl := startCluster(t, harness.Options{Gateways: 2})
	first, second := newClient(t, cl), newClient(t, cl)
	second.base = cl.GatewayURLAt(1)
	if err := cl.StopGatewayAt(1); err != nil {
		t.Fatalf("StopGatewayAt(1): %v", err)
	}
	if r := faultDo(second, 5*time.Second, http.MethodGet, "/health", nil, 0); r.err == nil {
		t.Fatalf("the stopped gateway answered GET /health with %d", r.status)
	}
	files := faultUploadSet(t, first, 90, 1000, 1<<20+5)
	if err := cl.RestartGatewayAt(t.Context(), 1); err != nil {
		t.Fatalf("RestartGatewayAt(1): %v", err)
	}
	faultCheckSet(t, second, files)
}
