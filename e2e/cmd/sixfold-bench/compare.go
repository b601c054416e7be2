package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
)

// compareBuild is one side of -compare: a directory holding a gateway and
// a storagenode binary.
type compareBuild struct {
	Label  string `json:"label"`
	BinDir string `json:"bin_dir"`
}

// compareRun is one build's run in one round.
type compareRun struct {
	Build  string  `json:"build"`
	Report string  `json:"report"` // its JSON, written by the run
	Load   float64 `json:"load"`   // median over its cases of the 1-minute load average as each started
	Error  string  `json:"error,omitempty"`
	rep    report
}

// comparison is -compare's JSON: the builds, the runs in the order they
// ran, and per case the pairs.
type comparison struct {
	Tool    string         `json:"tool"`
	Command string         `json:"command"`
	Builds  []compareBuild `json:"builds"`
	Rounds  [][]compareRun `json:"rounds"`
	Cases   []caseCompare  `json:"cases"`
}

// caseCompare is one case over the rounds: each figure per round for each
// build (the run's median), and the rate's ratio second/first per round.
type caseCompare struct {
	ID      string               `json:"id"`
	Unit    string               `json:"unit"`
	Figures map[string][]float64 `json:"figures"` // "rate/A", "p99_ms/B", "gateway_cpu/A", ...
	Ratios  []float64            `json:"rate_ratios"`
}

// runCompare measures the selected cases on two builds in alternated
// rounds: each round runs each build once on a fresh cluster of its own,
// and the order swaps every round. On a shared machine one build's rate
// moves by a third between rounds, and whichever runs first in a pair is
// favoured: only pairs measured side by side, in both orders, say which
// build is faster.
func runCompare(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) error {
	builds := []compareBuild{{Label: "A", BinDir: cfg.compare[0]}, {Label: "B", BinDir: cfg.compare[1]}}
	result := comparison{Tool: "sixfold-bench", Command: commandLine(args), Builds: builds}
	if err := os.MkdirAll(cfg.dir, 0o755); err != nil {
		return err
	}
	var failed error
	for r := range cfg.rounds {
		order := []compareBuild{builds[0], builds[1]}
		if r%2 == 1 {
			slices.Reverse(order)
		}
		var round []compareRun
		for _, b := range order {
			fmt.Fprintf(stderr, "\n=== round %d of %d: build %s (%s)\n", r+1, cfg.rounds, b.Label, b.BinDir)
			one := cfg
			one.compare, one.binDir = nil, b.BinDir
			one.dir = filepath.Join(cfg.dir, b.Label)
			one.jsonPath = filepath.Join(cfg.dir, fmt.Sprintf("%s-round%d.json", b.Label, r+1))
			// The run before left dirty pages (its chunk files, its
			// PostgreSQL's shutdown checkpoint): their writeback would
			// fall on this run.
			if err := syncFilesystem(cfg.dir); err != nil {
				return err
			}
			run := compareRun{Build: b.Label, Report: one.jsonPath}
			var err error
			run.rep, err = measure(ctx, one, args, io.Discard, stderr)
			switch {
			case errors.Is(err, errFailed):
				run.Error, failed = err.Error(), errFailed
			case err != nil:
				return fmt.Errorf("round %d, build %s: %w", r+1, b.Label, err)
			}
			var loads []float64
			for _, c := range run.rep.Cases {
				loads = append(loads, c.Load)
			}
			if len(loads) > 0 {
				run.Load = median(loads)
			}
			round = append(round, run)
		}
		result.Rounds = append(result.Rounds, round)
	}
	result.Cases = compareCases(result.Rounds, builds)
	if err := writeJSON(cfg.jsonPath, result); err != nil {
		return err
	}
	printComparison(stdout, result)
	fmt.Fprintf(stdout, "\nJSON: %s (each run's report in %s)\n", cfg.jsonPath, cfg.dir)
	return failed
}

// compareFigures are the figures a comparison shows for each case, by
// name, from a case's result: NaN where the case has none.
var compareFigures = []struct {
	name string
	of   func(caseResult) float64
}{
	{"rate", func(c caseResult) float64 { return c.Rate.Median }},
	{"p99_ms", func(c caseResult) float64 { return statMedian(c.P99Ms) }},
	{"gateway_cpu", func(c caseResult) float64 {
		return costFigure(c, func(k *cost) float64 { return k.GatewayCPUMsPerOp }, func(k *cost) float64 { return k.GatewayCPUPerGiB })
	}},
	{"nodes_cpu", func(c caseResult) float64 {
		return costFigure(c, func(k *cost) float64 { return k.NodesCPUMsPerOp }, func(k *cost) float64 { return k.NodesCPUPerGiB })
	}},
	{"postgres_cpu", func(c caseResult) float64 {
		return costFigure(c, func(k *cost) float64 { return optional(k.PostgresCPUMsPerOp) }, func(k *cost) float64 { return optional(k.PostgresCPUPerGiB) })
	}},
}

func statMedian(s *stat) float64 {
	if s == nil {
		return math.NaN()
	}
	return s.Median
}

func optional(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// costFigure is a small case's CPU per operation (ms), or a large case's
// per GiB (s).
func costFigure(c caseResult, perOp, perGiB func(*cost) float64) float64 {
	switch {
	case c.Cost == nil:
		return math.NaN()
	case c.Group == "large":
		return perGiB(c.Cost)
	}
	return perOp(c.Cost)
}

// compareCases lines the rounds' cases up by id, in the order the first
// run reported them. A case a run lacks or failed counts as NaN there.
func compareCases(rounds [][]compareRun, builds []compareBuild) []caseCompare {
	var ids []string
	units := map[string]string{}
	for _, round := range rounds {
		for _, run := range round {
			for _, c := range run.rep.Cases {
				if _, seen := units[c.ID]; !seen && c.NA == "" {
					ids = append(ids, c.ID)
					units[c.ID] = c.Unit
				}
			}
		}
	}
	var out []caseCompare
	for _, id := range ids {
		cc := caseCompare{ID: id, Unit: units[id], Figures: map[string][]float64{}}
		for _, round := range rounds {
			byBuild := map[string]caseResult{}
			for _, run := range round {
				if i := slices.IndexFunc(run.rep.Cases, func(c caseResult) bool { return c.ID == id }); i >= 0 {
					byBuild[run.Build] = run.rep.Cases[i]
				}
			}
			for _, b := range builds {
				c, ok := byBuild[b.Label]
				for _, f := range compareFigures {
					v := math.NaN()
					if ok && c.Error == "" {
						v = f.of(c)
					}
					cc.Figures[f.name+"/"+b.Label] = append(cc.Figures[f.name+"/"+b.Label], v)
				}
			}
			first, second := cc.Figures["rate/"+builds[0].Label], cc.Figures["rate/"+builds[1].Label]
			cc.Ratios = append(cc.Ratios, ratio(second[len(second)-1], first[len(first)-1]))
		}
		out = append(out, cc)
	}
	return out
}

// MarshalJSON writes NaN, which JSON cannot hold, as null.
func (c caseCompare) MarshalJSON() ([]byte, error) {
	nullable := func(vs []float64) []*float64 {
		out := make([]*float64, len(vs))
		for i, v := range vs {
			if !math.IsNaN(v) {
				out[i] = &v
			}
		}
		return out
	}
	figures := map[string][]*float64{}
	for k, vs := range c.Figures {
		figures[k] = nullable(vs)
	}
	return json.Marshal(struct {
		ID      string                `json:"id"`
		Unit    string                `json:"unit"`
		Figures map[string][]*float64 `json:"figures"`
		Ratios  []*float64            `json:"rate_ratios"`
	}{c.ID, c.Unit, figures, nullable(c.Ratios)})
}

// printComparison writes the table: per case, each build's rate in every
// round, the ratio of each pair and its median, then the medians over
// the rounds of p99 and CPU, first build → second.
func printComparison(w io.Writer, c comparison) {
	a, b := c.Builds[0].Label, c.Builds[1].Label
	fmt.Fprintln(w, c.Command)
	for _, build := range c.Builds {
		fmt.Fprintf(w, "build %s: %s\n", build.Label, build.BinDir)
	}
	for i, round := range c.Rounds {
		var runs []string
		for _, run := range round {
			s := fmt.Sprintf("%s (load %.1f)", run.Build, run.Load)
			if run.Error != "" {
				s += " FAILED"
			}
			runs = append(runs, s)
		}
		fmt.Fprintf(w, "round %d: %s\n", i+1, strings.Join(runs, ", then "))
	}
	fmt.Fprintln(w, "CPU is ms per operation for small objects, s per GiB for large ones; → is the medians over the rounds, A → B.")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\ncase\tunit\t%s by round\t%s by round\t%s/%s by round\tmedian\tp99 ms\tCPU: gw\tnodes\tpg\t\n", a, b, b, a)
	for _, cc := range c.Cases {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t", cc.ID, cc.Unit, formatRates(cc.Figures["rate/"+a]), formatRates(cc.Figures["rate/"+b]),
			formatRatios(cc.Ratios), formatRatio(median(finite(cc.Ratios)), 1))
		for _, f := range compareFigures[1:] {
			fmt.Fprintf(tw, "%s → %s\t", formatRate(median(finite(cc.Figures[f.name+"/"+a]))), formatRate(median(finite(cc.Figures[f.name+"/"+b]))))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func finite(vs []float64) []float64 {
	return slices.DeleteFunc(slices.Clone(vs), math.IsNaN)
}

func formatRates(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = formatRate(v)
	}
	return strings.Join(parts, " ")
}

func formatRatios(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = formatRatio(v, 1)
	}
	return strings.Join(parts, " ")
}
