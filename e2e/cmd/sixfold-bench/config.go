package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"sixfold/e2e/harness"
)

// config is everything one run is told; parseFlags fills and checks it.
type config struct {
	dir      string // run dir: the cluster, the JSON, the baselines' scratch files
	jsonPath string // where the report goes; default dir/bench.json
	runs     int    // measured runs per case
	warmup   bool   // one unmeasured run before them
	quick    bool
	// selected are the -cases tokens: "all", or ids and id prefixes.
	selected  []string
	baselines bool // also measure the baselines the selected cases are stated against

	largeSize        int64         // the "1 GiB" objects
	baselineSize     int64         // the disk and TCP baselines' stream
	duration         time.Duration // one run of a small-object case
	warmupDuration   time.Duration // the warm-up run of a small-object case
	baselineDuration time.Duration // one run of a rate baseline (fsync, HTTP)
	smallSizes       []int64       // 4 KiB and 1 MiB
	concurrencies    []int         // 1 and 16
	smallObjects     int           // distinct objects the small GETs cycle through
	listingKeys      []int         // key counts the listing cases run at, ascending

	endpoint      endpoint // url empty: start a cluster
	filesAPI      bool     // measure /files too against -endpoint
	gatewayPIDs   []int    // -endpoint's processes, for the cost columns
	nodePIDs      []int
	dataDir       string // -endpoint's data filesystem, for the disk baselines
	bucket        string
	copyBufferLen int // the client's read buffer for large GETs

	binDir  string   // the gateway and storagenode to run; empty: $SIXFOLD_BIN_DIR, or build them
	compare []string // -compare: two binary dirs to measure in alternated rounds
	rounds  int      // -compare's rounds

	cpuProfiles string // -cpu-profiles: record the gateway's and nodes' CPU profiles into this dir
}

const usageText = `usage: sixfold-bench [flags]

With no flags: build the binaries (or take $SIXFOLD_BIN_DIR), start a private
PostgreSQL, six storage nodes and a gateway in -dir/cluster, measure every
case, print the table on stdout and write the JSON report. Progress goes to
stderr. With -endpoint, measure that S3 server instead (cold GETs and the
node-down GET are then n/a).

Cases (-cases takes ids or their prefixes, comma-separated; default all):
  put1g    1 GiB PUT: put1g-s3 (SDK defaults), put1g-unsigned, put1g-files, put1g-tm
  get1g    1 GiB GET: get1g-{s3,files,tm}-{warm,cold}, get1g-s3-degraded (one node down)
  small    small-{4k,1m}-{put,get}-c{1,16}
  listing  listing-{1m,10m}-{flat,deep,delimiter,delimiter-mid,prefix}: ListObjectsV2 pages over
           keys generated in SQL (needs the cluster this command starts; -listing-keys)
  baseline the baselines alone (they also run for the cases they bound, unless -baselines=false)

-compare A,B measures two builds (directories each holding a gateway and a
storagenode binary) in -rounds rounds: each round runs the selected cases on
a fresh cluster of each build, one after the other, swapping which goes first
every round; it prints each build's figures per round and the ratio B/A of
each pair, and writes DIR/compare.json (with every run's report in DIR).

Flags:
`

// parseFlags reads args into a config; errors name the flag.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("sixfold-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	var cfg config
	var raw rawFlags
	raw.define(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	return cfg, raw.apply(&cfg)
}

// rawFlags are the flags that need parsing or depend on -quick.
type rawFlags struct {
	cases, large, baselineSize, gatewayPIDs, nodePIDs, listingKeys, compare string
	duration                                                                time.Duration
}

func (r *rawFlags) define(fs *flag.FlagSet, cfg *config) {
	fs.StringVar(&cfg.dir, "dir", ".data/bench", "run `dir`: the cluster (wiped at start), baseline scratch files, bench.json")
	fs.StringVar(&cfg.jsonPath, "json", "", "write the JSON report to `file` (default DIR/bench.json)")
	fs.IntVar(&cfg.runs, "runs", 3, "measured runs per case; the table shows their median and min–max")
	fs.BoolVar(&cfg.warmup, "warmup", true, "run each case once, unmeasured, before its runs")
	fs.BoolVar(&cfg.quick, "quick", false, "smoke run of 1–2 minutes: 64 MiB large objects and baselines, 1 s small-object runs")
	fs.StringVar(&r.cases, "cases", "all", "`ids` or id prefixes to run, comma-separated (see above)")
	fs.BoolVar(&cfg.baselines, "baselines", true, "measure the baselines the selected cases are stated against")
	fs.StringVar(&r.large, "large", "", "`size` of the large objects (default 1GiB; -quick 64MiB)")
	fs.StringVar(&r.baselineSize, "baseline-size", "", "`size` streamed by the disk and TCP baselines (default 1GiB; -quick 64MiB)")
	fs.StringVar(&r.listingKeys, "listing-keys", "", "key `counts` the listing cases generate and list, comma-separated (default 1M,10M; -quick 20k)")
	fs.DurationVar(&r.duration, "duration", 0, "length of one small-object run (default 5s; -quick 1s)")
	fs.StringVar(&cfg.endpoint.url, "endpoint", "", "measure this S3 `URL` instead of starting a cluster")
	fs.StringVar(&cfg.endpoint.key, "access-key", cmp.Or(os.Getenv(harness.EnvRootUser), harness.DefaultRootUser), "access key for -endpoint")
	fs.StringVar(&cfg.endpoint.secret, "secret-key", cmp.Or(os.Getenv(harness.EnvRootPassword), harness.DefaultRootPassword), "secret key for -endpoint")
	fs.StringVar(&cfg.endpoint.region, "region", "us-east-1", "S3 region to sign for")
	fs.StringVar(&cfg.endpoint.caFile, "ca-file", "", "PEM `file` of roots to trust for an https -endpoint (default: the system roots; AWS_CA_BUNDLE is ignored)")
	fs.BoolVar(&cfg.filesAPI, "files-api", false, "the -endpoint is a sixfold gateway: measure its /files door too")
	fs.StringVar(&r.gatewayPIDs, "gateway-pids", "", "comma-separated `pids` of -endpoint's server processes, for CPU, peak RSS (the gateway columns)")
	fs.StringVar(&r.nodePIDs, "node-pids", "", "comma-separated `pids` of -endpoint's storage processes, for CPU, RSS and disk writes")
	fs.StringVar(&cfg.dataDir, "data-dir", "", "`dir` on -endpoint's data disk for the disk baselines (default DIR/scratch)")
	fs.StringVar(&cfg.bucket, "bucket", "sixfold-bench", "bucket the S3 cases use (created if missing)")
	fs.StringVar(&r.compare, "compare", "", "measure two builds, `A,B` (binary dirs), in alternated rounds (see above)")
	fs.IntVar(&cfg.rounds, "rounds", 3, "-compare's rounds")
	fs.StringVar(&cfg.cpuProfiles, "cpu-profiles", "", "record CPU profiles of the gateway and each node, back to back while the cases run, into `dir` (go tool pprof -proto merges a program's pieces)")
}

func (r *rawFlags) apply(cfg *config) error {
	var err error
	cfg.selected = splitList(r.cases)
	cfg.largeSize, err = sizeFlag("large", r.large, cfg.quick, gib, 64*mib)
	if err != nil {
		return err
	}
	cfg.baselineSize, err = sizeFlag("baseline-size", r.baselineSize, cfg.quick, gib, 64*mib)
	if err != nil {
		return err
	}
	if cfg.gatewayPIDs, err = parsePIDs("gateway-pids", r.gatewayPIDs); err != nil {
		return err
	}
	if cfg.nodePIDs, err = parsePIDs("node-pids", r.nodePIDs); err != nil {
		return err
	}
	cfg.duration = cmp.Or(r.duration, pick(cfg.quick, time.Second, 5*time.Second))
	cfg.warmupDuration = min(cfg.duration, 2*time.Second)
	cfg.baselineDuration = min(cfg.duration, pick(cfg.quick, 500*time.Millisecond, 2*time.Second))
	cfg.smallSizes = []int64{4 * kib, mib}
	cfg.concurrencies = []int{1, 16}
	cfg.smallObjects = 64
	if cfg.listingKeys, err = parseCounts("listing-keys", cmp.Or(r.listingKeys, pick(cfg.quick, "20k", "1M,10M"))); err != nil {
		return err
	}
	slices.Sort(cfg.listingKeys)
	cfg.listingKeys = slices.Compact(cfg.listingKeys)
	cfg.copyBufferLen = mib
	cfg.endpoint.url = strings.TrimRight(cfg.endpoint.url, "/")
	if r.compare != "" {
		cfg.compare = splitList(r.compare)
	}
	cfg.jsonPath = cmp.Or(cfg.jsonPath, filepath.Join(cfg.dir, pick(cfg.compare != nil, "compare.json", "bench.json")))
	return cfg.check()
}

func (cfg *config) check() error {
	switch {
	case cfg.runs < 1:
		return errors.New("-runs: want at least 1")
	case cfg.duration <= 0:
		return errors.New("-duration: want a positive duration")
	case len(cfg.selected) == 0:
		return errors.New("-cases: want at least one case")
	case cfg.endpoint.url == "" && (len(cfg.gatewayPIDs)+len(cfg.nodePIDs) > 0 || cfg.dataDir != "" || cfg.filesAPI):
		return errors.New("-gateway-pids, -node-pids, -data-dir and -files-api go with -endpoint")
	case cfg.compare != nil && len(cfg.compare) != 2:
		return fmt.Errorf("-compare %q: want two binary dirs, comma-separated", strings.Join(cfg.compare, ","))
	case cfg.compare != nil && cfg.endpoint.url != "":
		return errors.New("-compare starts its own clusters: it does not go with -endpoint")
	case cfg.cpuProfiles != "" && (cfg.endpoint.url != "" || cfg.compare != nil):
		return errors.New("-cpu-profiles needs the cluster this command starts, once (not -endpoint or -compare)")
	case cfg.compare != nil && cfg.rounds < 1:
		return errors.New("-rounds: want at least 1")
	case cfg.endpoint.url != "" && !strings.HasPrefix(cfg.endpoint.url, "http://") && !strings.HasPrefix(cfg.endpoint.url, "https://"):
		return fmt.Errorf("-endpoint %q: want an http:// or https:// URL", cfg.endpoint.url)
	}
	return nil
}

func pick[T any](quick bool, ifQuick, otherwise T) T {
	if quick {
		return ifQuick
	}
	return otherwise
}

// sizeFlag parses a size flag, or gives its default for the mode.
func sizeFlag(name, v string, quick bool, full, short int64) (int64, error) {
	if v == "" {
		return pick(quick, short, full), nil
	}
	n, err := parseSize(v)
	if err != nil {
		return 0, fmt.Errorf("-%s: %w", name, err)
	}
	return n, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parsePIDs(name, s string) ([]int, error) {
	var pids []int
	for _, f := range splitList(s) {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("-%s: %q is not a pid", name, f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// selects reports whether -cases picks id: "all", the id itself, or a
// prefix of it ending at a dash ("put1g", "small-4k").
func selects(tokens []string, id string) bool {
	return slices.ContainsFunc(tokens, func(t string) bool {
		return t == "all" || t == id || strings.HasPrefix(id, t+"-")
	})
}

// unknownTokens are the tokens that select none of ids.
func unknownTokens(tokens, ids []string) []string {
	var out []string
	for _, t := range tokens {
		if !slices.ContainsFunc(ids, func(id string) bool { return selects([]string{t}, id) }) {
			out = append(out, t)
		}
	}
	return out
}
