package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const (
	// tmPartSize and tmConcurrency are the transfer manager's settings the
	// issue fixes for its cases.
	tmPartSize    = 8 * mib
	tmConcurrency = 4
	// deleteBatch is the most keys one DeleteObjects takes.
	deleteBatch = 1000
)

// bench is one run of the command: its settings, the server it measures,
// the clients it measures with, and what it has measured so far.
type bench struct {
	cfg   config
	log   io.Writer // progress
	t     *target
	pat   *pattern
	s3    *s3.Client
	tm    *transfermanager.Client
	files *filesClient // nil when /files is not measured
	bl    *baselines
	// baselineValues are the medians measured so far, by id.
	baselineValues map[string]float64
	fx             fixtures
	digests        *largeDigests // of the large body; nil until a PUT case needs them
	copyBuf        []byte        // the large GETs' read buffer
	// cleanups undo the fixtures, last first, when the run ends.
	cleanups []func(ctx context.Context) error
	// step counts baselines and cases done, of steps, since started.
	step, steps int
	started     time.Time
}

func newBench(cfg config, log io.Writer) *bench {
	pat := newPattern()
	return &bench{
		cfg: cfg, log: log, pat: pat,
		bl:             &baselines{cfg: cfg, pat: pat},
		baselineValues: map[string]float64{},
		copyBuf:        make([]byte, cfg.copyBufferLen),
	}
}

func (b *bench) progress(format string, args ...any) { fmt.Fprintf(b.log, format, args...) }

// plan is what -cases selects, in the order it runs: the baselines first,
// then the cases, with the node-down GET last of all so that no other case
// runs on a cluster that has just lost and regained a node.
func (b *bench) plan() ([]baselineSpec, []caseSpec, error) {
	allBaselines, allCases := b.bl.specs(), b.caseSpecs()
	var ids []string
	for _, s := range allBaselines {
		ids = append(ids, s.id)
	}
	for _, s := range allCases {
		ids = append(ids, s.id)
	}
	if bad := unknownTokens(b.cfg.selected, append(ids, "baseline")); len(bad) > 0 {
		return nil, nil, fmt.Errorf("-cases: %s selects nothing; ids are:\n  %s", strings.Join(bad, ", "), strings.Join(ids, "\n  "))
	}
	cases := slices.DeleteFunc(allCases, func(s caseSpec) bool { return !selects(b.cfg.selected, s.id) })
	needed := map[string]bool{}
	for _, s := range cases {
		for _, id := range s.bounds {
			needed[id] = b.cfg.baselines
		}
	}
	baselines := slices.DeleteFunc(allBaselines, func(s baselineSpec) bool {
		return !needed[s.id] && !selects(b.cfg.selected, s.id)
	})
	return baselines, cases, nil
}

func (b *bench) caseSpecs() []caseSpec {
	specs := append(append(b.largeSpecs(), b.smallSpecs()...), b.listingSpecs()...)
	// Stable: everything else keeps its order.
	slices.SortStableFunc(specs, func(x, y caseSpec) int {
		return boolCmp(x.id == degradedID, y.id == degradedID)
	})
	return specs
}

func boolCmp(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}

// connect makes the clients and the bucket.
func (b *bench) connect(ctx context.Context) error {
	var err error
	if b.s3, err = b.t.ep.s3Client(); err != nil {
		return err
	}
	b.tm = transfermanager.New(b.s3, func(o *transfermanager.Options) {
		o.PartSizeBytes = tmPartSize
		o.Concurrency = tmConcurrency
	})
	if b.t.started() || b.cfg.filesAPI {
		hc, err := b.t.ep.httpClient()
		if err != nil {
			return err
		}
		b.files = &filesClient{base: b.t.ep.url, user: b.t.ep.key, pass: b.t.ep.secret, http: hc, copyBufSize: b.cfg.copyBufferLen}
	}
	return ensureBucket(ctx, b.s3, b.cfg.bucket)
}

// measurePlan runs the baselines and then the cases.
func (b *bench) measurePlan(ctx context.Context, baselines []baselineSpec, cases []caseSpec) ([]baselineResult, []caseResult) {
	b.step, b.steps, b.started = 0, len(baselines)+len(cases), time.Now()
	bres := []baselineResult{}
	for _, s := range baselines {
		if ctx.Err() != nil {
			break
		}
		bres = append(bres, b.runBaseline(ctx, s))
	}
	b.bl.close()
	cres := []caseResult{}
	for _, s := range cases {
		if ctx.Err() != nil {
			break
		}
		cres = append(cres, b.runCase(ctx, s))
	}
	return bres, cres
}

// cleanup deletes the fixtures and then the bucket, on a fresh context so
// that an interrupted run still tidies up.
func (b *bench) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var errs []error
	for _, f := range slices.Backward(b.cleanups) {
		errs = append(errs, f(ctx))
	}
	b.cleanups = nil
	if b.s3 != nil {
		_, err := b.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b.cfg.bucket)})
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// deleteKeys returns a function that deletes keys, many per request.
func (b *bench) deleteKeys(keys ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		for batch := range slices.Chunk(keys, deleteBatch) {
			objs := make([]types.ObjectIdentifier, len(batch))
			for i, k := range batch {
				objs[i] = types.ObjectIdentifier{Key: aws.String(k)}
			}
			out, err := b.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
				Bucket: aws.String(b.cfg.bucket),
				Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)},
			})
			if err != nil {
				return fmt.Errorf("delete %d objects: %w", len(batch), err)
			}
			if len(out.Errors) > 0 {
				return fmt.Errorf("delete %s: %s", aws.ToString(out.Errors[0].Key), aws.ToString(out.Errors[0].Message))
			}
		}
		return nil
	}
}

// runDuration is how long run n of a timed case lasts.
func (b *bench) runDuration(n int) time.Duration {
	if n == 0 {
		return b.cfg.warmupDuration
	}
	return b.cfg.duration
}
