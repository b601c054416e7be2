package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sixfold/db/dbtest"
	"sixfold/e2e/harness"
)

// TestCompareCasesPairsRounds: each round's pair gives one ratio, second
// build over first, whichever ran first; a case one run failed is a gap
// in its round, not a zero.
func TestCompareCasesPairsRounds(t *testing.T) {
	builds := []compareBuild{{Label: "A"}, {Label: "B"}}
	small := func(rate, p99, gw float64) caseResult {
		return caseResult{ID: "small-4k-put-c1", Unit: unitOps, Group: "small", Rate: stat{Median: rate},
			P99Ms: &stat{Median: p99}, Cost: &cost{GatewayCPUMsPerOp: gw, GatewayCPUPerGiB: 999}}
	}
	run := func(build string, cases ...caseResult) compareRun {
		return compareRun{Build: build, rep: report{Cases: cases}}
	}
	failed := small(0, 0, 0)
	failed.Error = "boom"
	rounds := [][]compareRun{
		{run("A", small(100, 10, 1)), run("B", small(150, 8, 2))},
		{run("B", small(120, 9, 2)), run("A", small(100, 10, 1))},
		{run("A", failed), run("B", small(90, 9, 2))},
	}
	got := compareCases(rounds, builds)
	if len(got) != 1 {
		t.Fatalf("%d cases; want 1", len(got))
	}
	cc := got[0]
	want := []float64{1.5, 1.2, math.NaN()}
	for i := range want {
		if !(cc.Ratios[i] == want[i] || math.IsNaN(want[i]) && math.IsNaN(cc.Ratios[i])) {
			t.Errorf("round %d ratio %v; want %v", i+1, cc.Ratios[i], want[i])
		}
	}
	if gw := cc.Figures["gateway_cpu/B"]; len(gw) != 3 || gw[0] != 2 {
		t.Errorf("gateway CPU of B by round %v; want per operation for a small case (2 ms), not per GiB", gw)
	}
	if _, err := json.Marshal(comparison{Builds: builds, Cases: got}); err != nil {
		t.Errorf("a comparison with a failed run does not marshal: %v", err)
	}
	var out bytes.Buffer
	printComparison(&out, comparison{Builds: builds, Rounds: rounds, Cases: got})
	if !strings.Contains(out.String(), "1.50× 1.20× –") || !strings.Contains(out.String(), "1.35×") {
		t.Errorf("table lacks the ratios by round (1.50× 1.20× –) or their median (1.35×):\n%s", out.String())
	}
}

// TestCompareRun runs -compare for two rounds on real clusters, the same
// binaries on both sides, and checks that every run was made, in swapped
// order, and paired.
func TestCompareRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real clusters")
	}
	t.Setenv(dbtest.EnvServerURL, "")
	bin := os.Getenv(harness.EnvBinDir)
	if bin == "" {
		root, err := harness.FindRepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		bin = t.TempDir()
		if _, err := harness.BuildBinaries(context.Background(), root, bin); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	var stdout bytes.Buffer
	err := run(t.Context(), []string{
		"-compare", bin + "," + bin, "-rounds", "2", "-dir", dir, "-cases", "small-4k-put-c1",
		"-runs", "1", "-warmup=false", "-baselines=false", "-duration", "500ms",
	}, &stdout, lineLog{t})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stdout.String())
	}
	t.Log("\n" + stdout.String())
	raw, err := os.ReadFile(filepath.Join(dir, "compare.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rounds [][]compareRun `json:"rounds"`
		Cases  []struct {
			ID     string     `json:"id"`
			Ratios []*float64 `json:"rate_ratios"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Rounds) != 2 || len(got.Rounds[0]) != 2 || got.Rounds[0][0].Build != "A" || got.Rounds[1][0].Build != "B" {
		t.Fatalf("rounds %+v; want A then B, then B then A", got.Rounds)
	}
	for _, round := range got.Rounds {
		for _, r := range round {
			rep, err := readReport(r.Report)
			if err != nil || r.Error != "" || len(rep.Cases) != 1 || !rep.Cases[0].Verified || rep.Cases[0].Rate.Median <= 0 {
				t.Errorf("build %s's report %s: %v, error %q, cases %+v", r.Build, r.Report, err, r.Error, rep.Cases)
			}
		}
	}
	if len(got.Cases) != 1 || got.Cases[0].ID != "small-4k-put-c1" || len(got.Cases[0].Ratios) != 2 ||
		got.Cases[0].Ratios[0] == nil || *got.Cases[0].Ratios[0] <= 0 {
		t.Errorf("cases %+v; want small-4k-put-c1 with a ratio per round", got.Cases)
	}
}

func readReport(path string) (report, error) {
	var rep report
	raw, err := os.ReadFile(path)
	if err != nil {
		return rep, err
	}
	return rep, json.Unmarshal(raw, &rep)
}
