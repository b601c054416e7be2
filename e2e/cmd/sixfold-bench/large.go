package main

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	// largeSeed is the content of every large object: the PUTs can then
	// be checked against digests computed once.
	largeSeed  = 1
	degradedID = "get1g-s3-degraded"
	// objectIDHeader carries a sixfold S3 object's id, which /files/{id}/info
	// takes to show where its shards are.
	objectIDHeader = "x-sixfold-object-id"
)

// fixtures are the objects the GET cases read, uploaded once (unmeasured)
// by the first case that needs them and deleted when the run ends.
type fixtures struct {
	s3Key, s3ObjectID string
	filesID           string
	tmKey             string
	small             map[int64][]string // keys by size; key k holds smallSeed(size, k)
	downNode          int                // the node the degraded GET stopped
	listingKeys       int                // keys generated in the listing bucket so far
}

// largeDigests are the digests servers answer for the large body.
type largeDigests struct{ sha256, md5 string }

func (b *bench) largeSpecs() []caseSpec {
	// A PUT cannot beat the disk's best durable write rate (nor, signed,
	// the client's SHA-256); a GET cannot beat loopback TCP nor the read
	// of the shards, from the page cache when warm, from the disk when cold.
	boundsPut := []string{"baseline-disk-write-direct", "baseline-tcp"}
	boundsSignedPut := []string{"baseline-disk-write-direct", "baseline-sha256"}
	boundsWarmGet := []string{"baseline-tcp", "baseline-cache-read"}
	boundsColdGet := []string{"baseline-tcp", "baseline-disk-read"}
	put := func(id, how string, bounds []string, run func(context.Context, int) (outcome, error)) caseSpec {
		return caseSpec{id: id, title: "PUT, " + how, unit: unitMiBs, group: "large", bounds: bounds,
			stores: true, needsFiles: strings.Contains(id, "files"), setup: b.prepareDigests, run: run}
	}
	specs := []caseSpec{
		put("put1g-s3", "S3, SDK defaults (signed payload + CRC32)", boundsSignedPut, b.putS3(false)),
		put("put1g-unsigned", "S3, UNSIGNED-PAYLOAD, no checksum", boundsPut, b.putS3(true)),
		put("put1g-files", "/files", boundsPut, b.putFiles),
		put("put1g-tm", "transfer manager, 8 MiB parts × 4", boundsPut, b.putTM),
	}
	for _, door := range []struct {
		name, how string
		setup     func(context.Context) error
		run       func(context.Context, int) (outcome, error)
		filesOnly bool
	}{
		{"s3", "S3, one stream", b.fixtureS3, b.getS3, false},
		{"files", "/files, one stream", b.fixtureFiles, b.getFiles, true},
		{"tm", "transfer manager, 8 MiB parts × 4", b.fixtureTM, b.getTM, false},
	} {
		base := caseSpec{unit: unitMiBs, group: "large", needsFiles: door.filesOnly, setup: door.setup, run: door.run}
		warm, cold := base, base
		warm.id, warm.title, warm.bounds = "get1g-"+door.name+"-warm", "GET, "+door.how+", warm", boundsWarmGet
		cold.id, cold.title, cold.bounds = "get1g-"+door.name+"-cold", "GET, "+door.how+", cold (page cache dropped)", boundsColdGet
		cold.needsCluster, cold.before = true, b.dropCaches
		specs = append(specs, warm, cold)
	}
	return append(specs, caseSpec{id: degradedID, title: "GET, S3, one stream, one node killed (warm)", unit: unitMiBs,
		group: "large", bounds: boundsWarmGet, needsCluster: true,
		setup: b.stopNode, run: b.getS3, teardown: b.restartNode})
}

func (b *bench) dropCaches(context.Context) error { return b.t.dropCaches() }

func (b *bench) prepareDigests(context.Context) error {
	if b.digests != nil {
		return nil
	}
	b.progress("  computing the digests of the %s body\n", formatSize(b.cfg.largeSize))
	var wg sync.WaitGroup
	d := &largeDigests{}
	wg.Go(func() { d.sha256 = hexDigest(sha256.New(), b.pat.body(largeSeed, b.cfg.largeSize), make([]byte, mib)) })
	wg.Go(func() { d.md5 = hexDigest(md5.New(), b.pat.body(largeSeed, b.cfg.largeSize), make([]byte, mib)) })
	wg.Wait()
	b.digests = d
	return nil
}

// hexDigest is h's sum of r in hex, read through buf.
func hexDigest(h hash.Hash, r io.Reader, buf []byte) string {
	_, _ = drain(h, r, buf) // neither a body nor a hash fails
	return hex.EncodeToString(h.Sum(nil))
}

func etag(s *string) string { return strings.Trim(aws.ToString(s), `"`) }

// putS3 PUTs the large body in one request: with the SDK's defaults, or
// unsigned and without a checksum.
func (b *bench) putS3(unsignedPayload bool) func(context.Context, int) (outcome, error) {
	var opts []func(*s3.Options)
	mode := "s3"
	if unsignedPayload {
		opts, mode = append(opts, unsigned), "unsigned"
	}
	return func(ctx context.Context, n int) (outcome, error) {
		key := fmt.Sprintf("put1g/%s/%d", mode, n)
		start := time.Now()
		out, err := b.s3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(b.cfg.bucket), Key: aws.String(key),
			Body: b.pat.body(largeSeed, b.cfg.largeSize), ContentLength: aws.Int64(b.cfg.largeSize),
		}, opts...)
		o := outcome{bytes: b.cfg.largeSize, ops: 1, elapsed: time.Since(start), cleanup: b.deleteKeys(key)}
		if err != nil {
			return o, err
		}
		o.verified = etag(out.ETag) == b.digests.md5
		return o, nil
	}
}

func (b *bench) putFiles(ctx context.Context, n int) (outcome, error) {
	start := time.Now()
	st, err := b.files.upload(ctx, fmt.Sprintf("put1g-%d.bin", n), b.pat.body(largeSeed, b.cfg.largeSize), b.cfg.largeSize)
	o := outcome{bytes: b.cfg.largeSize, ops: 1, elapsed: time.Since(start)}
	if err != nil {
		return o, err
	}
	o.verified = st.Checksum == b.digests.sha256 && st.Size == b.cfg.largeSize
	o.cleanup = func(ctx context.Context) error { return b.files.delete(ctx, st.FileID) }
	return o, nil
}

func (b *bench) putTM(ctx context.Context, n int) (outcome, error) {
	key := fmt.Sprintf("put1g/tm/%d", n)
	start := time.Now()
	out, err := b.tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket: aws.String(b.cfg.bucket), Key: aws.String(key), Body: b.pat.body(largeSeed, b.cfg.largeSize),
	})
	o := outcome{bytes: b.cfg.largeSize, ops: 1, elapsed: time.Since(start), cleanup: b.deleteKeys(key)}
	if err != nil {
		return o, err
	}
	o.verify = func(ctx context.Context) bool { return b.checkMultipart(ctx, key, etag(out.ETag)) }
	return o, nil
}

// checkMultipart checks what the server says it stored: the size, and an
// ETag that counts the parts the transfer manager sent.
func (b *bench) checkMultipart(ctx context.Context, key, tag string) bool {
	head, err := b.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.cfg.bucket), Key: aws.String(key)})
	if err != nil {
		return false
	}
	parts := (b.cfg.largeSize + tmPartSize - 1) / tmPartSize
	if b.cfg.largeSize < 16*mib { // below the manager's multipart threshold: one PUT
		return aws.ToInt64(head.ContentLength) == b.cfg.largeSize && etag(head.ETag) == tag
	}
	return aws.ToInt64(head.ContentLength) == b.cfg.largeSize && strings.HasSuffix(tag, fmt.Sprintf("-%d", parts))
}

func (b *bench) fixtureS3(ctx context.Context) error {
	if b.fx.s3Key != "" {
		return nil
	}
	key := "fixture/large-s3"
	b.progress("  uploading %s to s3://%s/%s (SDK defaults)\n", formatSize(b.cfg.largeSize), b.cfg.bucket, key)
	out, err := b.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.cfg.bucket), Key: aws.String(key),
		Body: b.pat.body(largeSeed, b.cfg.largeSize), ContentLength: aws.Int64(b.cfg.largeSize),
	})
	if err != nil {
		return err
	}
	b.cleanups = append(b.cleanups, b.deleteKeys(key))
	b.fx.s3Key = key
	if raw, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); ok {
		b.fx.s3ObjectID = raw.Header.Get(objectIDHeader)
	}
	return nil
}

func (b *bench) fixtureFiles(ctx context.Context) error {
	if b.fx.filesID != "" {
		return nil
	}
	b.progress("  uploading %s through /files\n", formatSize(b.cfg.largeSize))
	st, err := b.files.upload(ctx, "fixture-large.bin", b.pat.body(largeSeed, b.cfg.largeSize), b.cfg.largeSize)
	if err != nil {
		return err
	}
	b.cleanups = append(b.cleanups, func(ctx context.Context) error { return b.files.delete(ctx, st.FileID) })
	b.fx.filesID = st.FileID
	return nil
}

func (b *bench) fixtureTM(ctx context.Context) error {
	if b.fx.tmKey != "" {
		return nil
	}
	key := "fixture/large-tm"
	b.progress("  uploading %s to s3://%s/%s (transfer manager: multipart)\n", formatSize(b.cfg.largeSize), b.cfg.bucket, key)
	_, err := b.tm.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket: aws.String(b.cfg.bucket), Key: aws.String(key), Body: b.pat.body(largeSeed, b.cfg.largeSize),
	})
	if err != nil {
		return err
	}
	b.cleanups = append(b.cleanups, b.deleteKeys(key))
	b.fx.tmKey = key
	return nil
}

// getS3 reads the S3 fixture in one GetObject and compares every byte.
func (b *bench) getS3(ctx context.Context, _ int) (outcome, error) {
	chk := b.pat.check(largeSeed, b.cfg.largeSize)
	start := time.Now()
	out, err := b.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.cfg.bucket), Key: aws.String(b.fx.s3Key)})
	if err != nil {
		return outcome{}, err
	}
	n, err := drain(chk, out.Body, b.copyBuf)
	out.Body.Close()
	return b.checked(chk, n, time.Since(start), err)
}

func (b *bench) getFiles(ctx context.Context, _ int) (outcome, error) {
	chk := b.pat.check(largeSeed, b.cfg.largeSize)
	start := time.Now()
	n, err := b.files.download(ctx, b.fx.filesID, chk)
	return b.checked(chk, n, time.Since(start), err)
}

// getTM downloads the multipart fixture part by part, 4 parts at once.
func (b *bench) getTM(ctx context.Context, _ int) (outcome, error) {
	chk := b.pat.check(largeSeed, b.cfg.largeSize)
	start := time.Now()
	_, err := b.tm.DownloadObject(ctx, &transfermanager.DownloadObjectInput{
		Bucket: aws.String(b.cfg.bucket), Key: aws.String(b.fx.tmKey), WriterAt: chk,
	})
	return b.checked(chk, chk.seen.Load(), time.Since(start), err)
}

// checked is a GET's outcome; bytes that differ fail the run.
func (b *bench) checked(chk *checker, n int64, elapsed time.Duration, err error) (outcome, error) {
	o := outcome{bytes: n, ops: 1, elapsed: elapsed, verified: err == nil && chk.ok()}
	if err == nil {
		err = chk.err()
	}
	return o, err
}

// stopNode kills the node holding the most data shards of the S3 fixture,
// so the GET must rebuild as much as one lost node can cost it.
func (b *bench) stopNode(ctx context.Context) error {
	if err := b.fixtureS3(ctx); err != nil {
		return err
	}
	i := b.busiestDataNode(ctx)
	b.progress("  killing %s (SIGKILL)\n", b.t.cluster.NodeName(i))
	if err := b.t.cluster.KillNode(i); err != nil {
		return err
	}
	b.fx.downNode = i
	return nil
}

func (b *bench) busiestDataNode(ctx context.Context) int {
	if b.fx.s3ObjectID == "" {
		b.progress("  no %s header: stopping the first node\n", objectIDHeader)
		return 0
	}
	chunks, err := b.files.chunks(ctx, b.fx.s3ObjectID)
	if err != nil {
		b.progress("  no shard map (%v): stopping the first node\n", err)
		return 0
	}
	count := map[int]int{}
	best := 0
	for _, c := range chunks {
		if i := b.t.nodeAt(c.ServerAddress); i >= 0 && c.Role == "data" {
			count[i]++
			if count[i] > count[best] {
				best = i
			}
		}
	}
	return best
}

func (b *bench) restartNode(ctx context.Context) error {
	b.progress("  restarting %s\n", b.t.cluster.NodeName(b.fx.downNode))
	return b.t.restartNode(ctx, b.fx.downNode)
}
