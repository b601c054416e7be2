package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
)

// Listing cases time ListObjectsV2 pages over a bucket of generated keys
// dirNNNN/fileNNNN, 1,000 under each prefix, as the issue states the cost
// of a listing as data grows. The rows are written in SQL through the same
// schema the gateway uses (millions of PUTs would take hours): objects
// without parts or blobs, which is all a listing reads. The key counts grow
// in one bucket, so 10 M adds 9 M rows to the 1 M the first cases used.
const (
	listingPage = 1000
	// listingBatch is how many rows one INSERT generates, so that progress
	// shows and no statement runs for minutes.
	listingBatch = 1_000_000
	// listingRowMeta is what PutObject stores for an object without
	// metadata, so that generated rows are as wide as real ones.
	listingRowMeta = `{"ContentType":"application/octet-stream","ContentDisposition":"","ContentEncoding":"",` +
		`"CacheControl":"","Expires":"","UserMetadata":null,"ChecksumAlgorithm":""}`
)

// listingKind is one way to ask for a page.
type listingKind struct {
	name, title string
	// query is the page request for operation i over n keys, and what
	// the page must hold.
	query func(n, i int) (*s3.ListObjectsV2Input, listingWant)
}

// listingWant is what a page must return: its first and last entry (a key
// or a common prefix), how many entries, and whether it is truncated.
type listingWant struct {
	first, last string
	count       int
	truncated   bool
	prefixes    bool // entries are common prefixes
}

func listingKey(i int) string { return fmt.Sprintf("dir%04d/file%04d", i/1000, i%1000) }
func listingDir(d int) string { return fmt.Sprintf("dir%04d/", d) }
func spread(i, span int) int  { return int((uint64(i) * 2654435761) % uint64(max(span, 1))) }
func listingDirs(n int) int   { return (n + 999) / 1000 }
func listingKinds() []listingKind {
	return []listingKind{
		{"flat", "flat page of 1,000 keys from the start", func(n, i int) (*s3.ListObjectsV2Input, listingWant) {
			return &s3.ListObjectsV2Input{}, keysFrom(n, 0)
		}},
		{"deep", "flat page of 1,000 keys from anywhere (StartAfter)", func(n, i int) (*s3.ListObjectsV2Input, listingWant) {
			from := 1 + spread(i, n-listingPage)
			return &s3.ListObjectsV2Input{StartAfter: aws.String(listingKey(from - 1))}, keysFrom(n, from)
		}},
		{"delimiter", "delimiter /, the root: 1,000 common prefixes", func(n, i int) (*s3.ListObjectsV2Input, listingWant) {
			return &s3.ListObjectsV2Input{Delimiter: aws.String("/")}, dirsFrom(n, 0)
		}},
		{"delimiter-mid", "delimiter /, from anywhere (StartAfter)", func(n, i int) (*s3.ListObjectsV2Input, listingWant) {
			d := 1 + spread(i, listingDirs(n)-1)
			// '~' sorts after every key under the previous prefix.
			return &s3.ListObjectsV2Input{Delimiter: aws.String("/"), StartAfter: aws.String(listingDir(d-1) + "~")}, dirsFrom(n, d)
		}},
		{"prefix", "prefix dirNNNN/ and delimiter /: one prefix's 1,000 keys", func(n, i int) (*s3.ListObjectsV2Input, listingWant) {
			d := spread(i, listingDirs(n))
			w := keysFrom(n, d*1000)
			w.truncated = false
			return &s3.ListObjectsV2Input{Prefix: aws.String(listingDir(d)), Delimiter: aws.String("/")}, w
		}},
	}
}

func keysFrom(n, from int) listingWant {
	last := min(n, from+listingPage) - 1
	return listingWant{first: listingKey(from), last: listingKey(last), count: last - from + 1, truncated: last < n-1}
}

func dirsFrom(n, from int) listingWant {
	last := min(listingDirs(n), from+listingPage) - 1
	return listingWant{first: listingDir(from), last: listingDir(last), count: last - from + 1,
		truncated: last < listingDirs(n)-1, prefixes: true}
}

func (b *bench) listingSpecs() []caseSpec {
	var specs []caseSpec
	for _, n := range b.cfg.listingKeys {
		for _, k := range listingKinds() {
			specs = append(specs, caseSpec{
				id:    fmt.Sprintf("listing-%s-%s", countTag(n), k.name),
				title: fmt.Sprintf("ListObjectsV2 at %s keys: %s", countTag(n), k.title),
				unit:  unitOps, group: "listing", needsCluster: true,
				setup: func(ctx context.Context) error { return b.listingKeys(ctx, n) },
				run:   b.listPages(n, k),
			})
		}
	}
	return specs
}

// countTag is 1m for 1,000,000, 250k for 250,000.
func countTag(n int) string {
	switch {
	case n%1_000_000 == 0:
		return fmt.Sprintf("%dm", n/1_000_000)
	case n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func (b *bench) listingBucket() string { return b.cfg.bucket + "-listing" }

// listPages asks for pages of kind k one at a time for the run's
// duration and checks each against what the generated keys imply.
func (b *bench) listPages(n int, k listingKind) func(context.Context, int) (outcome, error) {
	return func(ctx context.Context, run int) (outcome, error) {
		res, err := loop(ctx, 1, b.runDuration(run), func(ctx context.Context, _, i int) error {
			in, want := k.query(n, i+run*7919)
			in.Bucket, in.MaxKeys = aws.String(b.listingBucket()), aws.Int32(listingPage)
			out, err := b.s3.ListObjectsV2(ctx, in)
			if err != nil {
				return err
			}
			return want.check(out)
		})
		return outcome{ops: res.ops, elapsed: res.elapsed, latencies: res.latencies, verified: err == nil && res.ops > 0}, err
	}
}

func (w listingWant) check(out *s3.ListObjectsV2Output) error {
	var got []string
	for _, o := range out.Contents {
		got = append(got, aws.ToString(o.Key))
	}
	for _, p := range out.CommonPrefixes {
		got = append(got, aws.ToString(p.Prefix))
	}
	wrongKind := w.prefixes && len(out.Contents) > 0 || !w.prefixes && len(out.CommonPrefixes) > 0
	if wrongKind || len(got) != w.count || got[0] != w.first || got[len(got)-1] != w.last || aws.ToBool(out.IsTruncated) != w.truncated {
		return fmt.Errorf("page %s…%s (%d, truncated %v): want %s…%s (%d, truncated %v)",
			first(got), last(got), len(got), aws.ToBool(out.IsTruncated), w.first, w.last, w.count, w.truncated)
	}
	return nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// listingKeys makes the listing bucket hold keys 0…n-1, generating only
// the ones an earlier case did not.
func (b *bench) listingKeys(ctx context.Context, n int) error {
	if b.fx.listingKeys >= n {
		return nil
	}
	conn, err := pgx.Connect(ctx, b.t.cluster.DatabaseURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if b.fx.listingKeys == 0 {
		if err := ensureBucket(ctx, b.s3, b.listingBucket()); err != nil {
			return err
		}
		b.cleanups = append(b.cleanups, b.dropListing)
	}
	start := time.Now()
	for lo := b.fx.listingKeys; lo < n; lo += listingBatch {
		hi := min(n, lo+listingBatch)
		b.progress("  generating keys %s–%s in SQL (%s)\n", thousands(int64(lo)), thousands(int64(hi-1)), time.Since(start).Round(time.Second))
		// Ids count up, so the primary key grows at its right edge.
		_, err := conn.Exec(ctx, `INSERT INTO objects (id, bucket, key, size, etag, meta)
			SELECT lpad(to_hex(i), 32, '0')::uuid, $3,
			       'dir' || lpad((i / 1000)::text, 4, '0') || '/file' || lpad((i % 1000)::text, 4, '0'),
			       0, 'd41d8cd98f00b204e9800998ecf8427e', $4::jsonb
			FROM generate_series($1::int, $2::int - 1) AS i`, lo, hi, b.listingBucket(), listingRowMeta)
		if err != nil {
			return fmt.Errorf("generate keys %d–%d: %w", lo, hi-1, err)
		}
		b.fx.listingKeys = hi
	}
	if _, err := conn.Exec(ctx, `ANALYZE objects`); err != nil {
		return err
	}
	b.progress("  %s keys in %s, generated in %s\n", thousands(int64(n)), b.listingBucket(), time.Since(start).Round(time.Second))
	return nil
}

// dropListing removes the generated rows (they have no blobs, so nothing
// on the nodes) and then the bucket through S3.
func (b *bench) dropListing(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, b.t.cluster.DatabaseURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DELETE FROM objects WHERE bucket = $1`, b.listingBucket()); err != nil {
		return err
	}
	_, err = b.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b.listingBucket())})
	return err
}

// parseCounts reads -listing-keys: "1M,10M", "250k", "20000".
func parseCounts(name, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		mult, digits := 1, strings.ToLower(f)
		switch {
		case strings.HasSuffix(digits, "m"):
			mult, digits = 1_000_000, strings.TrimSuffix(digits, "m")
		case strings.HasSuffix(digits, "k"):
			mult, digits = 1000, strings.TrimSuffix(digits, "k")
		}
		var v int
		if _, err := fmt.Sscan(digits, &v); err != nil || v <= 0 || v*mult < 2*listingPage || v*mult > 10_000_000 {
			return nil, fmt.Errorf("-%s: %q is not a key count from 2k to 10M", name, f)
		}
		out = append(out, v*mult)
	}
	return out, nil
}
