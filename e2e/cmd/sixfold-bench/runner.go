package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// caseSpec is one measured case. Its run is called once unmeasured
// (n = 0, the warm-up) and then once per measured run (n = 1…runs).
type caseSpec struct {
	id, title string
	unit      string   // unitMiBs or unitOps
	group     string   // "large" or "small": which table it is in
	bounds    []string // baseline ids; the lowest measured one bounds the case
	stores    bool     // a PUT: report disk bytes written per byte stored
	// needsCluster and needsFiles make the case n/a against -endpoint
	// (without -files-api for the second).
	needsCluster, needsFiles bool
	setup                    func(ctx context.Context) error // once, before the warm-up
	before                   func(ctx context.Context) error // before each run, not measured
	run                      func(ctx context.Context, n int) (outcome, error)
	teardown                 func(ctx context.Context) error // once, after the last run
}

// outcome is what one run did. verify and cleanup run after the cost
// sample is taken, so neither counts against the case.
type outcome struct {
	bytes     int64 // object bytes moved
	ops       int
	elapsed   time.Duration
	latencies []time.Duration // per operation, small-object cases
	verified  bool
	verify    func(ctx context.Context) bool  // replaces verified when set
	cleanup   func(ctx context.Context) error // deletes what the run stored
}

// value is the run's figure in unit.
func (o outcome) value(unit string) float64 {
	if unit == unitOps {
		return float64(o.ops) / o.elapsed.Seconds()
	}
	return float64(o.bytes) / mib / o.elapsed.Seconds()
}

// runCase runs s's warm-up and runs and sums them up; a failure ends the
// case (what was measured before it is kept) but not the benchmark.
func (b *bench) runCase(ctx context.Context, s caseSpec) (res caseResult) {
	res = caseResult{ID: s.id, Title: s.title, Unit: s.unit, Group: s.group, Runs: []runResult{}}
	res.Load = b.announce(s.id, s.title)
	if na := b.notApplicable(s); na != "" {
		res.NA = na
		b.progress("  %s\n", na)
		return res
	}
	fail := func(err error) {
		res.Error = errors.Join(errorOrNil(res.Error), err).Error()
		b.progress("  FAILED: %v\n", err)
	}
	if s.setup != nil {
		if err := s.setup(ctx); err != nil {
			fail(fmt.Errorf("setup: %w", err))
			return res
		}
	}
	if s.teardown != nil {
		defer func() {
			if err := s.teardown(ctx); err != nil {
				fail(fmt.Errorf("teardown: %w", err))
			}
		}()
	}
	b.resetPeaks()
	if err := b.measureAll(ctx, s, &res); err != nil {
		fail(err)
	}
	b.summarise(s, &res)
	return res
}

func errorOrNil(s string) error {
	if s == "" {
		return nil
	}
	return errors.New(s)
}

func (b *bench) notApplicable(s caseSpec) string {
	switch {
	case s.needsCluster && !b.t.started():
		return errNeedsCluster.Error()
	case s.needsFiles && b.files == nil:
		return "n/a: /files is sixfold's own API (add -files-api to measure it at -endpoint)"
	}
	return ""
}

func (b *bench) measureAll(ctx context.Context, s caseSpec, res *caseResult) error {
	first := 1
	if b.cfg.warmup {
		first = 0
	}
	for n := first; n <= b.cfg.runs; n++ {
		rr, err := b.measure(ctx, s, n)
		if err != nil {
			return fmt.Errorf("%s: %w", runName(n, b.cfg.runs), err)
		}
		if n > 0 {
			res.Runs = append(res.Runs, rr)
		}
	}
	return nil
}

func runName(n, runs int) string {
	if n == 0 {
		return "warm-up"
	}
	return fmt.Sprintf("run %d/%d", n, runs)
}

// measure does one run between two samples of the servers' usage.
func (b *bench) measure(ctx context.Context, s caseSpec, n int) (runResult, error) {
	if s.before != nil {
		if err := s.before(ctx); err != nil {
			return runResult{}, err
		}
	}
	before := b.snapshot()
	o, err := s.run(ctx, n)
	after := b.snapshot()
	if o.verify != nil && err == nil {
		o.verified = o.verify(ctx)
	}
	if o.cleanup != nil {
		err = errors.Join(err, o.cleanup(ctx))
	}
	if err != nil {
		return runResult{}, err
	}
	rr := b.runResult(s, o, before, after)
	b.progress("  %-9s %s %s%s\n", runName(n, b.cfg.runs), formatRate(rr.Value), s.unit, runDetail(rr, o))
	return rr, nil
}

func (b *bench) runResult(s caseSpec, o outcome, before, after snapshot) runResult {
	rr := runResult{
		Value:    o.value(s.unit),
		Seconds:  o.elapsed.Seconds(),
		Bytes:    o.bytes,
		Ops:      o.ops,
		Verified: o.verified,
	}
	if len(o.latencies) > 0 {
		rr.P50Ms, rr.P99Ms = ms(percentile(o.latencies, 50)), ms(percentile(o.latencies, 99))
	}
	gw, nodes := usageDelta(before.gateway, after.gateway), usageDelta(before.nodes, after.nodes)
	rr.GatewayCPU, rr.NodesCPU, rr.ClientCPU = gw.cpu, nodes.cpu, after.client-before.client
	rr.NodesDiskWrite, rr.NodesRead = nodes.writeBytes, nodes.readChars
	rr.PostgresCPU = postgresDelta(before, after)
	return rr
}

func runDetail(rr runResult, o outcome) string {
	s := fmt.Sprintf("  (CPU s: gateway %.2f, nodes %.2f, client %.2f", rr.GatewayCPU, rr.NodesCPU, rr.ClientCPU)
	if rr.PostgresCPU != nil {
		s += fmt.Sprintf(", postgres %.2f", *rr.PostgresCPU)
	}
	if len(o.latencies) > 0 {
		s += fmt.Sprintf("; %d ops, p50 %.2f ms, p99 %.2f ms", rr.Ops, rr.P50Ms, rr.P99Ms)
	}
	if !rr.Verified {
		s += "; NOT VERIFIED"
	}
	return s + ")"
}

// summarise fills res's figures from its runs.
func (b *bench) summarise(s caseSpec, res *caseResult) {
	if len(res.Runs) == 0 {
		return
	}
	res.Rate = summarise(collect(res.Runs, func(r runResult) float64 { return r.Value }))
	res.Verified = res.Error == "" && len(res.Runs) == b.cfg.runs
	for _, r := range res.Runs {
		res.Verified = res.Verified && r.Verified
	}
	if bd, ok := b.boundFor(s); ok {
		bd.Ratio = ratio(res.Rate.Median, bd.Value)
		res.Bound = &bd
	}
	if s.group != "large" {
		p50 := summarise(collect(res.Runs, func(r runResult) float64 { return r.P50Ms }))
		p99 := summarise(collect(res.Runs, func(r runResult) float64 { return r.P99Ms }))
		res.P50Ms, res.P99Ms = &p50, &p99
	}
	res.Cost = b.cost(s, res.Runs)
}

func collect(runs []runResult, f func(runResult) float64) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}

// boundFor is the lowest measured baseline among s.bounds.
func (b *bench) boundFor(s caseSpec) (bound, bool) {
	best := bound{Value: math.Inf(1)}
	for _, id := range s.bounds {
		if v, ok := b.baselineValues[id]; ok && v > 0 && v < best.Value {
			best = bound{Baseline: id, Value: v}
		}
	}
	return best, best.Baseline != ""
}

func (b *bench) cost(s caseSpec, runs []runResult) *cost {
	perGiB := func(f func(runResult) float64) float64 {
		if runs[0].Bytes == 0 { // listing pages move no object bytes
			return 0
		}
		return median(collect(runs, func(r runResult) float64 { return f(r) / (float64(r.Bytes) / gib) }))
	}
	k := &cost{
		GatewayCPUPerGiB: perGiB(func(r runResult) float64 { return r.GatewayCPU }),
		NodesCPUPerGiB:   perGiB(func(r runResult) float64 { return r.NodesCPU }),
		ClientCPUPerGiB:  perGiB(func(r runResult) float64 { return r.ClientCPU }),
	}
	perOp := func(f func(runResult) float64) float64 {
		return median(collect(runs, func(r runResult) float64 { return 1000 * f(r) / float64(r.Ops) }))
	}
	if s.unit == unitOps {
		k.GatewayCPUMsPerOp = perOp(func(r runResult) float64 { return r.GatewayCPU })
		k.NodesCPUMsPerOp = perOp(func(r runResult) float64 { return r.NodesCPU })
	}
	if !slices.ContainsFunc(runs, func(r runResult) bool { return r.PostgresCPU == nil }) {
		pg := func(r runResult) float64 { return *r.PostgresCPU }
		if runs[0].Bytes > 0 {
			v := perGiB(pg)
			k.PostgresCPUPerGiB = &v
		}
		if s.unit == unitOps {
			v := perOp(pg)
			k.PostgresCPUMsPerOp = &v
		}
	}
	if runs[0].Bytes > 0 {
		k.NodesReadPerByte = median(collect(runs, func(r runResult) float64 { return float64(r.NodesRead) / float64(r.Bytes) }))
	}
	if s.stores {
		d := median(collect(runs, func(r runResult) float64 { return float64(r.NodesDiskWrite) / float64(r.Bytes) }))
		k.DiskBytesPerByte = &d
	}
	k.GatewayPeakRSS, k.NodePeakRSS = b.peaks()
	return k
}

// announce starts the progress lines of the next step of the plan and
// returns the 1-minute load average.
func (b *bench) announce(id, title string) float64 {
	b.step++
	load := 0.0
	if l := loadAvg(); len(l) > 0 {
		load = l[0]
	}
	b.progress("[%d/%d %s, load %.1f] %s: %s\n", b.step, b.steps, time.Since(b.started).Round(time.Second), load, id, title)
	return load
}

// runBaseline measures one baseline runs times.
func (b *bench) runBaseline(ctx context.Context, s baselineSpec) baselineResult {
	res := baselineResult{ID: s.id, Title: s.title, Unit: s.unit}
	res.Load = b.announce(s.id, s.title)
	var vs []float64
	for n := 1; n <= b.cfg.runs; n++ {
		v, err := s.run(ctx)
		if err != nil {
			res.Error = err.Error()
			b.progress("  FAILED: %v\n", err)
			break
		}
		vs = append(vs, v)
		b.progress("  %-9s %s %s\n", runName(n, b.cfg.runs), formatRate(v), s.unit)
	}
	res.stat = summarise(vs)
	if res.Error == "" {
		b.baselineValues[s.id] = res.Median
	}
	return res
}
