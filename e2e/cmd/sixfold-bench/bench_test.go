package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sixfold/db/dbtest"
)

// quickCases are few, but cover every door, both GET temperatures, the
// node kill, and both small-object loops.
const quickCases = "put1g-files,put1g-unsigned,get1g-s3-cold,get1g-files-warm,get1g-s3-degraded,small-4k-put-c1,small-4k-get-c16"

// TestQuickRun runs the command as `make bench -quick` would, on a cluster
// the harness starts (binaries from SIXFOLD_BIN_DIR or built, database
// from SIXFOLD_TEST_DATABASE_URL or private), with a handful of cases, one
// run each, and checks the report: every figure measured, every byte right.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	// As `make bench` runs: the cluster's own PostgreSQL, whose CPU the
	// report counts, not the suite's shared server.
	t.Setenv(dbtest.EnvServerURL, "")
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "out.json")
	var stdout bytes.Buffer
	// Large objects of 192 MiB: CPU is read per process in /proc's 10 ms
	// ticks, and a degraded GET of 32 MiB cost each of the five nodes left
	// under one, so their CPU read as 0.
	profiles := filepath.Join(dir, "profiles")
	err := run(t.Context(), []string{
		"-quick", "-dir", dir, "-json", jsonPath, "-runs", "1", "-cases", quickCases,
		"-large", "192MiB", "-baseline-size", "32MiB", "-duration", "500ms", "-cpu-profiles", profiles,
	}, &stdout, lineLog{t})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stdout.String())
	}
	t.Log("\n" + stdout.String())
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if !rep.Target.OwnPostgres {
		t.Error("the report says the cluster ran no PostgreSQL of its own")
	}
	checkBaselines(t, rep.Baselines)
	if got, want := len(rep.Cases), len(splitList(quickCases)); got != want {
		t.Fatalf("%d cases in the report; want %d", got, want)
	}
	for _, c := range rep.Cases {
		t.Run(c.ID, func(t *testing.T) { checkCase(t, c) })
	}
	if len(rep.Crashes) > 0 {
		t.Errorf("server processes died: %q", rep.Crashes)
	}
	checkProfiles(t, profiles)
}

// checkProfiles checks -cpu-profiles left a first piece for the gateway
// and each node, each a gzipped profile as pprof writes it.
func checkProfiles(t *testing.T, dir string) {
	t.Helper()
	for _, name := range []string{"gateway", "node-1", "node-2", "node-3", "node-4", "node-5", "node-6"} {
		raw, err := os.ReadFile(filepath.Join(dir, name+"-01.pprof"))
		if err != nil || len(raw) < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
			t.Errorf("%s's first CPU profile: %d bytes, %v; want a gzipped profile", name, len(raw), err)
		}
	}
}

func checkBaselines(t *testing.T, bs []baselineResult) {
	t.Helper()
	if len(bs) == 0 {
		t.Fatal("no baselines measured")
	}
	for _, b := range bs {
		if b.Error != "" || b.Median <= 0 || b.Min <= 0 {
			t.Errorf("baseline %s: median %v, min %v, error %q", b.ID, b.Median, b.Min, b.Error)
		}
	}
}

func checkCase(t *testing.T, c caseResult) {
	if c.NA != "" || c.Error != "" {
		t.Fatalf("n/a %q, error %q", c.NA, c.Error)
	}
	if !c.Verified || len(c.Runs) != 1 || !c.Runs[0].Verified {
		t.Errorf("not verified: %+v", c.Runs)
	}
	if c.Rate.Median <= 0 || c.Bound == nil || c.Bound.Value <= 0 || c.Bound.Ratio <= 0 {
		t.Errorf("rate %v, bound %+v", c.Rate.Median, c.Bound)
	}
	if c.Group == "small" && (c.P50Ms == nil || c.P50Ms.Median <= 0 || c.P99Ms.Median < c.P50Ms.Median) {
		t.Errorf("latency p50 %+v p99 %+v", c.P50Ms, c.P99Ms)
	}
	k := c.Cost
	if k == nil {
		t.Fatal("no cost")
	}
	if k.GatewayCPUPerGiB <= 0 || k.NodesCPUPerGiB <= 0 || k.ClientCPUPerGiB <= 0 {
		t.Errorf("CPU s/GiB: gateway %v, nodes %v, client %v", k.GatewayCPUPerGiB, k.NodesCPUPerGiB, k.ClientCPUPerGiB)
	}
	if k.PostgresCPUPerGiB == nil || *k.PostgresCPUPerGiB < 0 {
		t.Errorf("PostgreSQL CPU s/GiB: %v", k.PostgresCPUPerGiB)
	}
	if c.Group == "small" && (k.PostgresCPUMsPerOp == nil || *k.PostgresCPUMsPerOp <= 0) {
		// Every small PUT and GET runs a statement: its backend's time shows.
		t.Errorf("PostgreSQL CPU ms/op: %v", k.PostgresCPUMsPerOp)
	}
	if k.NodesReadPerByte <= 0 {
		t.Errorf("nodes read %v bytes per byte moved", k.NodesReadPerByte)
	}
	if k.GatewayPeakRSS <= 0 || len(k.NodePeakRSS) == 0 {
		t.Errorf("peak RSS: gateway %d, nodes %v", k.GatewayPeakRSS, k.NodePeakRSS)
	}
	for i, rss := range k.NodePeakRSS {
		if rss <= 0 {
			t.Errorf("node %d peak RSS %d", i, rss)
		}
	}
	isPut := strings.Contains(c.ID, "put")
	if isPut != (k.DiskBytesPerByte != nil) || (isPut && *k.DiskBytesPerByte <= 0) {
		t.Errorf("disk bytes per byte stored: %v (a PUT: %v)", k.DiskBytesPerByte, isPut)
	}
}

// lineLog sends the command's progress to the test log, line by line.
type lineLog struct{ t *testing.T }

func (l lineLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
