package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

const (
	unitMiBs = "MiB/s"
	unitOps  = "ops/s"
	// reportVersion changes when a field changes meaning or goes away.
	reportVersion = 1
)

// report is the JSON document: everything the table shows and every run.
type report struct {
	Tool      string           `json:"tool"`
	Version   int              `json:"version"`
	Command   string           `json:"command"`
	Started   time.Time        `json:"started"`
	Seconds   float64          `json:"seconds"`
	Machine   machine          `json:"machine"`
	Target    targetInfo       `json:"target"`
	Settings  settings         `json:"settings"`
	Baselines []baselineResult `json:"baselines"`
	Cases     []caseResult     `json:"cases"`
	// Crashes are server processes that died during the run.
	Crashes []string `json:"crashes,omitempty"`
}

type targetInfo struct {
	Endpoint string `json:"endpoint"`
	// Started is true when this command ran the cluster itself.
	Started bool   `json:"started"`
	Nodes   int    `json:"nodes,omitempty"`
	DataDir string `json:"data_dir"` // where the disk baselines ran
	// OwnPostgres is true when the cluster ran a PostgreSQL of its own, whose
	// CPU the cost columns then count ("pg").
	OwnPostgres bool `json:"own_postgres"`
}

type settings struct {
	Runs               int     `json:"runs"`
	Warmup             bool    `json:"warmup"`
	Quick              bool    `json:"quick"`
	LargeBytes         int64   `json:"large_bytes"`
	BaselineBytes      int64   `json:"baseline_bytes"`
	SmallRunSeconds    float64 `json:"small_run_seconds"`
	BaselineRunSeconds float64 `json:"baseline_run_seconds"`
	Cases              string  `json:"cases"`
}

type baselineResult struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Unit  string `json:"unit"`
	stat
	Error string  `json:"error,omitempty"`
	Load  float64 `json:"load"` // 1-minute load average as it started
}

// caseResult is one case: its figure, the bound it is stated against, its
// latency (small objects), its cost, and every run.
type caseResult struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Unit  string `json:"unit"`
	Group string `json:"group"` // "large" or "small"
	// NA says why the case could not be measured here; nothing else is set.
	NA    string `json:"na,omitempty"`
	Error string `json:"error,omitempty"`
	Rate  stat   `json:"rate"`
	Bound *bound `json:"bound,omitempty"`
	P50Ms *stat  `json:"p50_ms,omitempty"`
	P99Ms *stat  `json:"p99_ms,omitempty"`
	Cost  *cost  `json:"cost,omitempty"`
	// Verified is true when every run's bytes were checked and right: a
	// GET compares every byte received, a PUT the digest the server
	// answered (SHA-256 for /files, the MD5 ETag for S3).
	Verified bool        `json:"verified"`
	Runs     []runResult `json:"runs"`
	// Load is the 1-minute load average as the case started: on a shared
	// machine, what else competed for the cores.
	Load float64 `json:"load"`
}

// bound is the baseline a case cannot beat, and how close the case came.
type bound struct {
	Baseline string  `json:"baseline"`
	Value    float64 `json:"value"`
	Ratio    float64 `json:"ratio"`
}

// cost is the servers' price for the bytes a case moved (medians of runs).
type cost struct {
	GatewayCPUPerGiB float64 `json:"gateway_cpu_s_per_gib"`
	NodesCPUPerGiB   float64 `json:"nodes_cpu_s_per_gib"`
	ClientCPUPerGiB  float64 `json:"client_cpu_s_per_gib"`
	// The same per operation, for the small-object cases.
	GatewayCPUMsPerOp float64 `json:"gateway_cpu_ms_per_op,omitempty"`
	NodesCPUMsPerOp   float64 `json:"nodes_cpu_ms_per_op,omitempty"`
	// The cluster's own PostgreSQL (postmaster and backends), per GiB moved
	// and per operation; absent when the server is shared or not ours.
	PostgresCPUPerGiB  *float64 `json:"postgres_cpu_s_per_gib,omitempty"`
	PostgresCPUMsPerOp *float64 `json:"postgres_cpu_ms_per_op,omitempty"`
	// DiskBytesPerByte is what the nodes wrote to storage per object byte
	// stored; PUTs only.
	DiskBytesPerByte *float64 `json:"disk_bytes_per_byte,omitempty"`
	// NodesReadPerByte is what the nodes' read calls returned (shard files
	// for a GET, the gateway's streams for a PUT) per object byte moved:
	// more than the layout needs means bytes read and thrown away.
	NodesReadPerByte float64 `json:"nodes_read_bytes_per_byte"`
	// Peak RSS (VmHWM) over the case, reset before it where the kernel
	// allows; 0 when unknown.
	GatewayPeakRSS int64   `json:"gateway_peak_rss_bytes"`
	NodePeakRSS    []int64 `json:"node_peak_rss_bytes"`
}

type runResult struct {
	Value      float64 `json:"value"`
	Seconds    float64 `json:"seconds"`
	Bytes      int64   `json:"bytes"`
	Ops        int     `json:"ops"`
	P50Ms      float64 `json:"p50_ms,omitempty"`
	P99Ms      float64 `json:"p99_ms,omitempty"`
	GatewayCPU float64 `json:"gateway_cpu_s"`
	NodesCPU   float64 `json:"nodes_cpu_s"`
	// PostgresCPU is nil when the database is not the cluster's own.
	PostgresCPU    *float64 `json:"postgres_cpu_s,omitempty"`
	ClientCPU      float64  `json:"client_cpu_s"`
	NodesDiskWrite int64    `json:"nodes_disk_write_bytes"`
	NodesRead      int64    `json:"nodes_read_bytes"`
	Verified       bool     `json:"verified"`
}

// writeJSON writes r (a report or a comparison) to path, making its
// directory.
func writeJSON(path string, r any) error {
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

// formatRatio is "0.61×", or "–" without a bound to compare with.
func formatRatio(v, bound float64) string {
	r := ratio(v, bound)
	if math.IsNaN(r) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", r)
}

func ratio(v, bound float64) float64 {
	if bound <= 0 || math.IsNaN(bound) || math.IsNaN(v) || math.IsInf(bound, 0) {
		return math.NaN()
	}
	return v / bound
}

// formatRate keeps three significant figures at most, with thousands
// separated: "1,523", "214", "12.5", "0.84".
func formatRate(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Round(v) >= 1000:
		return thousands(int64(math.Round(v)))
	case v >= 99.5:
		return fmt.Sprintf("%.0f", v)
	case v >= 9.995:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// formatRange is "190–200", or the single figure when there was one run.
func formatRange(s stat) string {
	if len(s.Runs) <= 1 {
		return formatRate(s.Median)
	}
	return formatRate(s.Min) + "–" + formatRate(s.Max)
}

func formatMiB(bytes int64) string {
	if bytes <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", float64(bytes)/mib)
}

// printTable writes the human summary: machine, baselines, large and small cases.
func printTable(w io.Writer, r report) {
	fmt.Fprintf(w, "sixfold-bench  %s  %s\n", r.Started.Format("2006-01-02 15:04 MST"), r.Command)
	fmt.Fprintf(w, "machine: %s\n", r.Machine.summary())
	fmt.Fprintf(w, "target:  %s (%s); %s per case, median and min–max", r.Target.Endpoint, targetKind(r.Target), plural(r.Settings.Runs, "run"))
	if r.Settings.Warmup {
		fmt.Fprint(w, ", after a warm-up")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	printBaselines(tw, r)
	printLarge(tw, r)
	printSmall(tw, r)
	printListing(tw, r)
	tw.Flush()
	for _, c := range r.Crashes {
		fmt.Fprintf(w, "\ncrashed during the run: %s\n", firstLine(c))
	}
}

func targetKind(t targetInfo) string {
	if t.Started {
		db := "a shared PostgreSQL (its CPU not counted)"
		if t.OwnPostgres {
			db = "its own PostgreSQL"
		}
		return fmt.Sprintf("started by this command: %d nodes and %s, data in %s", t.Nodes, db, filepath.Dir(t.DataDir))
	}
	return "given by -endpoint"
}

func printBaselines(w io.Writer, r report) {
	if len(r.Baselines) == 0 {
		return
	}
	fmt.Fprintf(w, "\nBASELINES (disk and TCP: %s streams)\t\tmedian\tmin–max\tunit\tload\t\n", formatSize(r.Settings.BaselineBytes))
	for _, b := range r.Baselines {
		if b.Error != "" {
			fmt.Fprintf(w, "%s\t%s\tfailed\t%s\n", b.ID, b.Title, firstLine(b.Error))
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%.1f\t\n", b.ID, b.Title, formatRate(b.Median), formatRange(b.stat), b.Unit, b.Load)
	}
}

func printLarge(w io.Writer, r report) {
	cases := group(r.Cases, "large")
	if len(cases) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s OBJECTS\tMiB/s\tmedian\tmin–max\t× bound\tbound\tCPU s/GiB: gw\tnodes\tpg\tclient\tdisk B/B\tnode rd B/B\tRSS MiB: gw\tnode max\tload\t\n", formatSize(r.Settings.LargeBytes))
	for _, c := range cases {
		if row, ok := naRow(c); ok {
			fmt.Fprint(w, row)
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s%.1f\t%s\n", c.ID, c.Title, formatRate(c.Rate.Median), formatRange(c.Rate),
			boundRatio(c), boundName(c), costColumns(c), c.Load, verifiedMark(c))
	}
}

func printSmall(w io.Writer, r report) {
	cases := group(r.Cases, "small")
	if len(cases) == 0 {
		return
	}
	fmt.Fprintln(w, "\nSMALL OBJECTS\tops/s\tmedian\tmin–max\tp50 ms\tp99 ms\t× bound\tbound\tCPU s/GiB: gw\tnodes\tpg\tclient\tdisk B/B\tnode rd B/B\tRSS MiB: gw\tnode max\tCPU ms/op: gw\tnodes\tpg\tload\t")
	for _, c := range cases {
		if row, ok := naRow(c); ok {
			fmt.Fprint(w, row)
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%s%.1f\t%s\n", c.ID, c.Title, formatRate(c.Rate.Median), formatRange(c.Rate),
			formatStatMedian(c.P50Ms), formatStatMedian(c.P99Ms), boundRatio(c), boundName(c), costColumns(c),
			perOpColumns(c), c.Load, verifiedMark(c))
	}
}

func printListing(w io.Writer, r report) {
	cases := group(r.Cases, "listing")
	if len(cases) == 0 {
		return
	}
	fmt.Fprintln(w, "\nLISTING (pages of 1,000)\tp50 ms\tmedian\tmin–max\tp99 ms\tpages/s\tCPU ms/page: gw\tload\t")
	for _, c := range cases {
		if row, ok := naRow(c); ok {
			fmt.Fprint(w, row)
			continue
		}
		gw := "–"
		if c.Cost != nil {
			gw = formatRate(c.Cost.GatewayCPUMsPerOp)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\n", c.ID, c.Title, formatStatMedian(c.P50Ms), formatRange(*c.P50Ms),
			formatStatMedian(c.P99Ms), formatRate(c.Rate.Median), gw, c.Load, verifiedMark(c))
	}
}

// naRow is the row of a case that has no figures: n/a or failed.
func naRow(c caseResult) (string, bool) {
	switch {
	case c.NA != "":
		return fmt.Sprintf("%s\t%s\tn/a\t%s\n", c.ID, c.Title, strings.TrimPrefix(c.NA, "n/a: ")), true
	case c.Error != "" && len(c.Rate.Runs) == 0:
		return fmt.Sprintf("%s\t%s\tfailed\t%s\n", c.ID, c.Title, firstLine(c.Error)), true
	}
	return "", false
}

func group(cs []caseResult, g string) []caseResult {
	return slices.DeleteFunc(slices.Clone(cs), func(c caseResult) bool { return c.Group != g })
}

func boundRatio(c caseResult) string {
	if c.Bound == nil {
		return "–"
	}
	return formatRatio(c.Rate.Median, c.Bound.Value)
}

func boundName(c caseResult) string {
	if c.Bound == nil {
		return "–"
	}
	return strings.TrimPrefix(c.Bound.Baseline, "baseline-")
}

// costColumns are gateway, nodes, PostgreSQL and client CPU per GiB, disk bytes per
// byte stored, node bytes read per byte, and peak RSS of the gateway and
// of the largest node.
func costColumns(c caseResult) string {
	k := c.Cost
	if k == nil {
		return "–\t–\t–\t–\t–\t–\t–\t–\t"
	}
	disk := "–"
	if k.DiskBytesPerByte != nil {
		disk = fmt.Sprintf("%.2f", *k.DiskBytesPerByte)
	}
	nodeMax := int64(0)
	if len(k.NodePeakRSS) > 0 {
		nodeMax = slices.Max(k.NodePeakRSS)
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t", formatRate(k.GatewayCPUPerGiB), formatRate(k.NodesCPUPerGiB),
		formatOptional(k.PostgresCPUPerGiB), formatRate(k.ClientCPUPerGiB), disk, k.NodesReadPerByte, formatMiB(k.GatewayPeakRSS), formatMiB(nodeMax))
}

// perOpColumns are the gateway's, the nodes' and PostgreSQL's CPU
// milliseconds per operation.
func perOpColumns(c caseResult) string {
	if c.Cost == nil {
		return "–\t–\t–\t"
	}
	return formatRate(c.Cost.GatewayCPUMsPerOp) + "\t" + formatRate(c.Cost.NodesCPUMsPerOp) + "\t" +
		formatOptional(c.Cost.PostgresCPUMsPerOp) + "\t"
}

// formatOptional is v, or – when it was not measured.
func formatOptional(v *float64) string {
	if v == nil {
		return "–"
	}
	return formatRate(*v)
}

// verifiedMark flags a case whose bytes did not check out, or that failed
// in some run.
func verifiedMark(c caseResult) string {
	switch {
	case c.Error != "":
		return "FAILED: " + firstLine(c.Error)
	case !c.Verified:
		return "UNVERIFIED"
	}
	return ""
}

func formatStatMedian(s *stat) string {
	if s == nil {
		return "–"
	}
	return formatRate(s.Median)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
