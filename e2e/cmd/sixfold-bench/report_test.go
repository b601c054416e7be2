package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFormatRatio(t *testing.T) {
	for _, tc := range []struct {
		name     string
		v, bound float64
		want     string
	}{
		{"below the bound", 193, 316.4, "0.61×"},
		{"above the bound", 1500, 1000, "1.50×"},
		{"equal", 42, 42, "1.00×"},
		{"no bound measured", 193, 0, "–"},
		{"bound NaN", 193, math.NaN(), "–"},
		{"value NaN", math.NaN(), 100, "–"},
		{"bound infinite", 1, math.Inf(1), "–"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatRatio(tc.v, tc.bound); got != tc.want {
				t.Errorf("formatRatio(%v, %v) = %q; want %q", tc.v, tc.bound, got, tc.want)
			}
		})
	}
}

func TestFormatRate(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{1523.4, "1,523"},
		{1234567, "1,234,567"},
		{999.6, "1,000"},
		{214.4, "214"},
		{12.54, "12.5"},
		{0.844, "0.84"},
		{math.NaN(), "–"},
	} {
		if got := formatRate(tc.in); got != tc.want {
			t.Errorf("formatRate(%v) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatRange(t *testing.T) {
	if got := formatRange(summarise([]float64{190, 200, 210})); got != "190–210" {
		t.Errorf("three runs: %q; want 190–210", got)
	}
	if got := formatRange(summarise([]float64{1523})); got != "1,523" {
		t.Errorf("one run: %q; want the figure alone", got)
	}
}

// sampleReport has one of everything the JSON can hold.
func sampleReport() report {
	disk, pgPerGiB, pgRun := 1.34, 0.05, 0.05
	return report{
		Tool: "sixfold-bench", Version: reportVersion, Command: "sixfold-bench -quick",
		Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Seconds: 90,
		Machine:   machine{NProc: 2, Kernel: "6.1", LoadBefore: []float64{1, 2, 3}, LoadAfter: []float64{1, 2, 3}},
		Target:    targetInfo{Endpoint: "http://127.0.0.1:8080", Started: true, Nodes: 6, DataDir: "/d/cluster/baseline", OwnPostgres: true},
		Settings:  settings{Runs: 3, LargeBytes: gib},
		Baselines: []baselineResult{{ID: "baseline-disk-write-direct", Title: "disk write", Unit: unitMiBs, stat: summarise([]float64{1500, 1400, 1600})}},
		Cases: []caseResult{{
			ID: "put1g-unsigned", Title: "PUT", Unit: unitMiBs, Group: "large",
			Rate:     summarise([]float64{214, 210, 220}),
			Bound:    &bound{Baseline: "baseline-disk-write-direct", Value: 1500, Ratio: 214.0 / 1500},
			Cost:     &cost{GatewayCPUPerGiB: 4.1, NodesCPUPerGiB: 3.2, ClientCPUPerGiB: 0.5, PostgresCPUPerGiB: &pgPerGiB, DiskBytesPerByte: &disk, GatewayPeakRSS: 80 * mib, NodePeakRSS: []int64{40 * mib}},
			Verified: true,
			Runs:     []runResult{{Value: 214, Seconds: 4.8, Bytes: gib, Ops: 1, GatewayCPU: 4.1, NodesCPU: 3.2, PostgresCPU: &pgRun, NodesDiskWrite: gib * 4 / 3, Verified: true}},
		}, {
			ID: "get1g-s3-cold", Title: "GET cold", Unit: unitMiBs, Group: "large", NA: errNeedsCluster.Error(), Runs: []runResult{},
		}},
	}
}

// TestReportJSONShape pins the field names scripts read; renaming one is
// a reportVersion change.
func TestReportJSONShape(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "bench.json")
	if err := writeJSON(path, sampleReport()); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	for _, p := range []string{
		"tool", "version", "command", "started", "seconds",
		"machine.nproc", "machine.kernel", "machine.load_before", "machine.disk.device",
		"target.endpoint", "target.started", "target.own_postgres", "settings.runs", "settings.large_bytes",
		"baselines.0.id", "baselines.0.unit", "baselines.0.median", "baselines.0.min", "baselines.0.max", "baselines.0.runs",
		"cases.0.id", "cases.0.group", "cases.0.rate.median", "cases.0.rate.runs", "cases.0.verified",
		"cases.0.bound.baseline", "cases.0.bound.value", "cases.0.bound.ratio",
		"cases.0.cost.gateway_cpu_s_per_gib", "cases.0.cost.nodes_cpu_s_per_gib", "cases.0.cost.client_cpu_s_per_gib",
		"cases.0.cost.postgres_cpu_s_per_gib", "cases.0.runs.0.postgres_cpu_s",
		"cases.0.cost.disk_bytes_per_byte", "cases.0.cost.nodes_read_bytes_per_byte", "cases.0.cost.gateway_peak_rss_bytes", "cases.0.cost.node_peak_rss_bytes",
		"cases.0.runs.0.value", "cases.0.runs.0.bytes", "cases.0.runs.0.gateway_cpu_s", "cases.0.runs.0.nodes_cpu_s",
		"cases.0.load", "baselines.0.load", "cases.0.runs.0.client_cpu_s", "cases.0.runs.0.nodes_disk_write_bytes", "cases.0.runs.0.nodes_read_bytes", "cases.0.runs.0.verified",
		"cases.1.na",
	} {
		if _, ok := lookup(doc, p); !ok {
			t.Errorf("no %s in the JSON", p)
		}
	}
	if _, ok := lookup(doc, "cases.1.bound"); ok {
		t.Error("an n/a case has a bound")
	}
}

// lookup follows a dotted path of keys and indexes through decoded JSON.
func lookup(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return nil, false
			}
		case []any:
			i := int(k[0] - '0')
			if len(k) != 1 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func TestPrintTable(t *testing.T) {
	var out bytes.Buffer
	printTable(&out, sampleReport())
	for _, want := range []string{
		"BASELINES", "baseline-disk-write-direct", "1 GiB OBJECTS", "put1g-unsigned", "214", "210–220", "0.14×",
		"disk-write-direct", "1.34", "get1g-s3-cold", "n/a",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "SMALL OBJECTS") {
		t.Errorf("table has a small-object section without small cases:\n%s", out.String())
	}
}
