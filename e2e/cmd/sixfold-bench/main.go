// Command sixfold-bench measures sixfold — or any S3 server — on this
// machine, against what the machine itself allows. It is `make bench`.
//
// With no flags it builds the binaries (or takes $SIXFOLD_BIN_DIR), starts a
// private PostgreSQL (or a fresh database on $SIXFOLD_TEST_DATABASE_URL),
// six storage nodes and a gateway through the e2e harness in
// .data/bench/cluster, and measures, each case after a warm-up and then
// -runs times (median and min–max):
//
//   - baselines on the nodes' disk and loopback: durable writes (buffered +
//     fdatasync, and O_DIRECT 4 MiB blocks), sequential reads (cold and from
//     the page cache), one loopback TCP stream, SHA-256, MD5 and CRC32C, the
//     rate of durable small-file creates, and of loopback HTTP GETs;
//   - 1 GiB PUT and GET in one stream — S3 with the SDK's defaults, S3 with
//     UNSIGNED-PAYLOAD, /files — and through the transfer manager (8 MiB
//     parts, 4 at once); GETs warm and cold (the nodes' files dropped from
//     the page cache); a GET with one node killed;
//   - 4 KiB and 1 MiB PUT and GET ops/s with p50/p99 latency, 1 and 16 at once;
//   - for each case: CPU seconds per GiB of the gateway, of the nodes and of
//     this client, the nodes' disk bytes written per byte stored, and the
//     peak RSS of the gateway and of each node.
//
// Every figure is also stated as a ratio to the baseline that bounds it.
// Every GET compares every byte; every PUT checks the digest the server
// answers. Progress goes to stderr, the table to stdout, the JSON report to
// -json (default .data/bench/bench.json).
//
//	sixfold-bench                                  # everything, 7–9 minutes on 2 cores
//	sixfold-bench -quick                           # a 1–2 minute smoke run
//	sixfold-bench -cases put1g-unsigned,small-4k   # rerun some cases (ids or prefixes)
//	sixfold-bench -compare /tmp/old,/tmp/new -rounds 3 -cases small-4k -baselines=false
//	                                               # two builds in alternated rounds, side by side
//	sixfold-bench --endpoint http://127.0.0.1:9000 --access-key minio --secret-key minio123 \
//	    -gateway-pids "$(pgrep -d, minio)" -data-dir /srv/minio   # another S3 server, same cases
//
// The former single /files round trip is one selection away:
//
//	sixfold-bench --endpoint http://127.0.0.1:8080 -files-api -cases put1g-files,get1g-files-warm \
//	    -large 10GiB -runs 1 -warmup=false -baselines=false -gateway-pids "$(pgrep -d, gateway)"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "sixfold-bench:", err)
		os.Exit(1)
	}
}

// errFailed says some case or baseline failed; the report has the details.
var errFailed = errors.New("some measurements failed; see the report")

// run is the whole command: flags, then one measurement or a comparison.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.compare != nil {
		return runCompare(ctx, cfg, args, stdout, stderr)
	}
	_, err = measure(ctx, cfg, args, stdout, stderr)
	return err
}

// measure runs the selected cases once against one target, reports them
// and returns the report.
func measure(ctx context.Context, cfg config, args []string, stdout, stderr io.Writer) (rep report, err error) {
	b := newBench(cfg, stderr)
	baselines, cases, err := b.plan()
	if err != nil {
		return rep, err
	}
	started := time.Now()
	t, err := startTarget(ctx, cfg, stderr)
	if t != nil {
		defer func() { err = errors.Join(err, t.close()) }()
	}
	if err != nil {
		return rep, err
	}
	b.t, b.bl.scratch = t, t.scratch
	rep = b.newReport(started, args)
	if err := b.connect(ctx); err != nil {
		return rep, err
	}
	var profiles *profileRecorder
	if cfg.cpuProfiles != "" {
		if profiles, err = recordProfiles(ctx, cfg.cpuProfiles, t, stderr); err != nil {
			return rep, err
		}
	}
	rep.Baselines, rep.Cases = b.measurePlan(ctx, baselines, cases)
	if profiles != nil {
		profiles.wait()
		fmt.Fprintf(stderr, "CPU profiles of the gateway and the nodes: %s\n", cfg.cpuProfiles)
	}
	if err := b.cleanup(); err != nil {
		fmt.Fprintf(stderr, "cleanup: %v\n", err)
	}
	return rep, b.finish(&rep, started, stdout)
}

func (b *bench) newReport(started time.Time, args []string) report {
	return report{
		Tool: "sixfold-bench", Version: reportVersion,
		Command: commandLine(args),
		Started: started,
		Machine: readMachine(b.t.scratch),
		Target: targetInfo{Endpoint: b.t.ep.url, Started: b.t.started(), Nodes: b.nodes(), DataDir: b.t.scratch,
			OwnPostgres: b.t.postgresPID() != 0},
		Settings: settings{
			Runs: b.cfg.runs, Warmup: b.cfg.warmup, Quick: b.cfg.quick,
			LargeBytes: b.cfg.largeSize, BaselineBytes: b.bl.diskBytes(),
			SmallRunSeconds: b.cfg.duration.Seconds(), BaselineRunSeconds: b.cfg.baselineDuration.Seconds(),
			Cases: strings.Join(b.cfg.selected, ","),
		},
	}
}

// commandLine is how the reports name the command that made them.
func commandLine(args []string) string {
	return strings.TrimSpace("sixfold-bench " + strings.Join(args, " "))
}

func (b *bench) nodes() int {
	if b.t.cluster == nil {
		return len(b.cfg.nodePIDs)
	}
	return b.t.cluster.NumNodes()
}

// finish writes the JSON and the table, and fails the command if anything
// failed or was not verified.
func (b *bench) finish(rep *report, started time.Time, stdout io.Writer) error {
	rep.Seconds = time.Since(started).Seconds()
	rep.Machine.LoadAfter = loadAvg()
	rep.Crashes = b.t.crashed()
	err := writeJSON(b.cfg.jsonPath, rep)
	printTable(stdout, *rep)
	fmt.Fprintf(stdout, "\nJSON: %s\n", b.cfg.jsonPath)
	if err != nil {
		return err
	}
	for _, c := range rep.Cases {
		if c.NA == "" && (c.Error != "" || !c.Verified) {
			return errFailed
		}
	}
	for _, bl := range rep.Baselines {
		if bl.Error != "" {
			return errFailed
		}
	}
	return nil
}
