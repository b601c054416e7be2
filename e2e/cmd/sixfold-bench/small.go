package main

import (
	"context"
	"crypto/md5"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fixtureUploaders is how many small fixtures are uploaded at once.
const fixtureUploaders = 8

func (b *bench) smallSpecs() []caseSpec {
	var specs []caseSpec
	for _, size := range b.cfg.smallSizes {
		for _, op := range []string{"put", "get"} {
			for _, conc := range b.cfg.concurrencies {
				s := caseSpec{
					id:    fmt.Sprintf("small-%s-%s-c%d", sizeTag(size), op, conc),
					title: fmt.Sprintf("%s %s, S3, %d at once", strings.ToUpper(op), formatSize(size), conc),
					unit:  unitOps, group: "small",
				}
				if op == "put" {
					s.bounds, s.stores, s.run = []string{fsyncID(size, conc)}, true, b.smallPut(size, conc)
				} else {
					s.bounds, s.run = []string{httpID(size, conc)}, b.smallGet(size, conc)
					s.setup = func(ctx context.Context) error { return b.smallFixtures(ctx, size) }
				}
				specs = append(specs, s)
			}
		}
	}
	return specs
}

// smallSeed is the content of small object k of size, distinct for each.
func smallSeed(size int64, k int) int64 { return size + 7919*int64(k) }

// putSeed gives every PUT of run n its own content.
func putSeed(n, worker, i int) int64 { return int64(n)<<24 + int64(worker)<<16 + int64(i)*4099 }

// smallPut PUTs new objects of size from conc workers for the run's
// duration, with the SDK's defaults.
func (b *bench) smallPut(size int64, conc int) func(context.Context, int) (outcome, error) {
	return func(ctx context.Context, n int) (outcome, error) {
		done := make([][]putDone, conc)
		res, err := loop(ctx, conc, b.runDuration(n), func(ctx context.Context, w, i int) error {
			key := fmt.Sprintf("small/%s/r%d/w%d/%d", sizeTag(size), n, w, i)
			seed := putSeed(n, w, i)
			out, err := b.s3.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(b.cfg.bucket), Key: aws.String(key),
				Body: b.pat.body(seed, size), ContentLength: aws.Int64(size),
			})
			if err == nil {
				done[w] = append(done[w], putDone{key: key, seed: seed, etag: etag(out.ETag)})
			}
			return err
		})
		var all []putDone
		for _, d := range done {
			all = append(all, d...)
		}
		o := outcome{bytes: int64(res.ops) * size, ops: res.ops, elapsed: res.elapsed, latencies: res.latencies,
			verify:  func(context.Context) bool { return b.checkETags(all, size) },
			cleanup: b.deleteKeys(keysOf(all)...)}
		return o, err
	}
}

// putDone is one PUT that succeeded.
type putDone struct {
	key  string
	seed int64
	etag string
}

func keysOf(ds []putDone) []string {
	keys := make([]string, len(ds))
	for i, d := range ds {
		keys[i] = d.key
	}
	return keys
}

// checkETags compares every ETag with the body's MD5, after the run, so
// the client's hashing is not in the measured time.
func (b *bench) checkETags(ds []putDone, size int64) bool {
	h, buf := md5.New(), make([]byte, min(size, mib))
	for _, d := range ds {
		h.Reset()
		if d.etag != hexDigest(h, b.pat.body(d.seed, size), buf) {
			b.progress("  %s: ETag %s is not the MD5 of what was sent\n", d.key, d.etag)
			return false
		}
	}
	return len(ds) > 0
}

// smallGet GETs the fixtures of size round-robin from conc workers and
// compares every byte; a wrong byte fails the run.
func (b *bench) smallGet(size int64, conc int) func(context.Context, int) (outcome, error) {
	return func(ctx context.Context, n int) (outcome, error) {
		keys := b.fx.small[size]
		bufs := workerBuffers(conc, size)
		res, err := loop(ctx, conc, b.runDuration(n), func(ctx context.Context, w, i int) error {
			k := (w + i*conc) % len(keys)
			out, err := b.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.cfg.bucket), Key: aws.String(keys[k])})
			if err != nil {
				return err
			}
			defer out.Body.Close()
			chk := b.pat.check(smallSeed(size, k), size)
			if _, err := drain(chk, out.Body, bufs[w]); err != nil {
				return err
			}
			return chk.err()
		})
		return outcome{bytes: int64(res.ops) * size, ops: res.ops, elapsed: res.elapsed, latencies: res.latencies,
			verified: err == nil && res.ops > 0}, err
	}
}

// smallFixtures uploads the objects the GETs of size read, once.
func (b *bench) smallFixtures(ctx context.Context, size int64) error {
	if _, ok := b.fx.small[size]; ok {
		return nil
	}
	b.progress("  uploading %d objects of %s\n", b.cfg.smallObjects, formatSize(size))
	keys := make([]string, b.cfg.smallObjects)
	for k := range keys {
		keys[k] = fmt.Sprintf("fixture/small-%s/%03d", sizeTag(size), k)
	}
	b.cleanups = append(b.cleanups, b.deleteKeys(keys...))
	var wg sync.WaitGroup
	errs := make([]error, fixtureUploaders)
	for w := range fixtureUploaders {
		wg.Go(func() {
			for k := w; k < len(keys) && errs[w] == nil; k += fixtureUploaders {
				_, errs[w] = b.s3.PutObject(ctx, &s3.PutObjectInput{
					Bucket: aws.String(b.cfg.bucket), Key: aws.String(keys[k]),
					Body: b.pat.body(smallSeed(size, k), size), ContentLength: aws.Int64(size),
				})
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if b.fx.small == nil {
		b.fx.small = map[int64][]string{}
	}
	b.fx.small[size] = keys
	return nil
}
