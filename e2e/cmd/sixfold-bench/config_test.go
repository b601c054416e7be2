package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsDefaults(t *testing.T) {
	full, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if full.largeSize != gib || full.duration != 5*time.Second || full.runs != 3 || !full.warmup {
		t.Errorf("defaults: %s, %v, %d runs, warm-up %v", formatSize(full.largeSize), full.duration, full.runs, full.warmup)
	}
	if full.jsonPath != ".data/bench/bench.json" {
		t.Errorf("json path %q; want it in the run dir", full.jsonPath)
	}
	quick, err := parseFlags([]string{"-quick"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if quick.largeSize != 64*mib || quick.duration != time.Second || quick.baselineSize != 64*mib {
		t.Errorf("-quick: %s, %v, baselines %s", formatSize(quick.largeSize), quick.duration, formatSize(quick.baselineSize))
	}
	pair, err := parseFlags([]string{"-compare", "/tmp/a,/tmp/b", "-dir", "/tmp/cmp"}, io.Discard)
	if err != nil || !slices.Equal(pair.compare, []string{"/tmp/a", "/tmp/b"}) || pair.rounds != 3 || pair.jsonPath != "/tmp/cmp/compare.json" {
		t.Errorf("-compare: builds %q, %d rounds, json %q, %v", pair.compare, pair.rounds, pair.jsonPath, err)
	}
	both, err := parseFlags([]string{"-quick", "-large", "16MiB", "--endpoint", "http://h:9000/"}, io.Discard)
	if err != nil || both.largeSize != 16*mib || both.endpoint.url != "http://h:9000" {
		t.Errorf("-quick -large 16MiB --endpoint: %s %q, %v", formatSize(both.largeSize), both.endpoint.url, err)
	}
}

func TestParseFlagsRejects(t *testing.T) {
	for _, args := range [][]string{
		{"-runs", "0"},
		{"-large", "lots"},
		{"-cases", ","},
		{"-gateway-pids", "12"},
		{"--endpoint", "127.0.0.1:9000"},
		{"--endpoint", "http://h", "-gateway-pids", "x"},
		{"-compare", "/tmp/a"},
		{"-compare", "/tmp/a,/tmp/b,/tmp/c"},
		{"-compare", "/tmp/a,/tmp/b", "-rounds", "0"},
		{"-compare", "/tmp/a,/tmp/b", "--endpoint", "http://h:9000"},
		{"-cpu-profiles", "/tmp/p", "--endpoint", "http://h:9000"},
		{"-cpu-profiles", "/tmp/p", "-compare", "/tmp/a,/tmp/b"},
		{"stray"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

func TestSelects(t *testing.T) {
	for _, tc := range []struct {
		tokens string
		id     string
		want   bool
	}{
		{"all", "small-4k-put-c1", true},
		{"put1g", "put1g-s3", true},
		{"put1g", "put1g-unsigned", true},
		{"put1g-s3", "put1g-s3", true},
		{"put1g-s", "put1g-s3", false}, // prefixes end at a dash
		{"small-4k", "small-4k-get-c16", true},
		{"small-4k", "small-1m-get-c16", false},
		{"get1g,small", "small-1m-put-c1", true},
		{"baseline", "baseline-tcp", true},
	} {
		if got := selects(splitList(tc.tokens), tc.id); got != tc.want {
			t.Errorf("selects(%q, %q) = %v; want %v", tc.tokens, tc.id, got, tc.want)
		}
	}
}

// planned is what -cases args select: baseline ids and case ids, in order.
func planned(t *testing.T, args ...string) ([]string, []string) {
	t.Helper()
	cfg, err := parseFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	bls, cases, err := newBench(cfg, io.Discard).plan()
	if err != nil {
		t.Fatal(err)
	}
	var bids, cids []string
	for _, b := range bls {
		bids = append(bids, b.id)
	}
	for _, c := range cases {
		cids = append(cids, c.id)
	}
	return bids, cids
}

func TestPlanRunsTheBoundingBaselines(t *testing.T) {
	bls, cases := planned(t, "-cases", "small-4k-put")
	if want := []string{"small-4k-put-c1", "small-4k-put-c16"}; !slices.Equal(cases, want) {
		t.Errorf("cases %v; want %v", cases, want)
	}
	if want := []string{"baseline-fsync-4k-c1", "baseline-fsync-4k-c16"}; !slices.Equal(bls, want) {
		t.Errorf("baselines %v; want %v", bls, want)
	}
	if bls, _ := planned(t, "-cases", "small-4k-put", "-baselines=false"); len(bls) != 0 {
		t.Errorf("-baselines=false still runs %v", bls)
	}
	if bls, cases := planned(t, "-cases", "baseline"); len(cases) != 0 || len(bls) < 8 {
		t.Errorf("-cases baseline: %d baselines, cases %v", len(bls), cases)
	}
}

func TestPlanAll(t *testing.T) {
	bls, cases := planned(t)
	if len(cases) != 4+7+8+10 {
		t.Errorf("%d cases: %v; want 4 PUT, 7 GET, 8 small and 10 listing", len(cases), cases)
	}
	if cases[len(cases)-1] != degradedID {
		t.Errorf("last case %s; want %s, so no other case runs after a node restart", cases[len(cases)-1], degradedID)
	}
	if !slices.Contains(bls, "baseline-md5") || !slices.Contains(bls, "baseline-http-1m-c16") {
		t.Errorf("baselines %v lack md5 or http-1m-c16", bls)
	}
}

func TestListingKeyCounts(t *testing.T) {
	_, cases := planned(t, "-cases", "listing", "-listing-keys", "250k,20000,250K")
	want := []string{"listing-20k-flat", "listing-20k-deep", "listing-20k-delimiter", "listing-20k-delimiter-mid", "listing-20k-prefix",
		"listing-250k-flat", "listing-250k-deep", "listing-250k-delimiter", "listing-250k-delimiter-mid", "listing-250k-prefix"}
	if !slices.Equal(cases, want) {
		t.Errorf("cases %v; want %v", cases, want)
	}
	for _, bad := range []string{"1k", "11M", "lots", "-5"} {
		if _, err := parseFlags([]string{"-listing-keys", bad}, io.Discard); err == nil {
			t.Errorf("-listing-keys %s accepted", bad)
		}
	}
}

// The pages the listing cases expect follow from the generated keys.
func TestListingExpectations(t *testing.T) {
	if w := keysFrom(2500, 2000); w.first != "dir0002/file0000" || w.last != "dir0002/file0499" || w.count != 500 || w.truncated {
		t.Errorf("keysFrom(2500, 2000) = %+v", w)
	}
	if w := dirsFrom(1_000_000, 0); w.first != "dir0000/" || w.last != "dir0999/" || w.count != 1000 || w.truncated {
		t.Errorf("dirsFrom(1M, 0) = %+v", w)
	}
	if w := dirsFrom(10_000_000, 9500); w.last != "dir9999/" || w.count != 500 || w.truncated {
		t.Errorf("dirsFrom(10M, 9500) = %+v", w)
	}
	for _, k := range listingKinds() {
		for i := range 1000 {
			in, w := k.query(20_000, i)
			if w.count < 1 || w.count > listingPage || (in.StartAfter != nil && *in.StartAfter >= w.first) {
				t.Fatalf("%s op %d: %+v after %v", k.name, i, w, in.StartAfter)
			}
		}
	}
}

func TestPlanRejectsUnknownCases(t *testing.T) {
	cfg, err := parseFlags([]string{"-cases", "put1g,put2g"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = newBench(cfg, io.Discard).plan()
	if err == nil || !strings.Contains(err.Error(), "put2g") || !strings.Contains(err.Error(), "get1g-tm-cold") {
		t.Errorf("plan error %v; want put2g named and the ids listed", err)
	}
}
