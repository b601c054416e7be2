// Package s3test is the conformance suite of s3api.Backend. Every
// implementation runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		s3test.Run(t, func(t *testing.T) s3api.Backend { return s3mem.New() })
//	}
//
// newBackend is called once per subtest and must return an empty store.
package s3test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"testing"

	"sixfold/s3api"
	"sixfold/s3api/sigv4"
)

// Run runs every conformance test against fresh backends.
func Run(t *testing.T, newBackend func(t *testing.T) s3api.Backend) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"buckets", bucketTests},
		{"objects", objectTests},
		{"listing", listTests},
		{"multipart", multipartTests},
		{"versions", versionTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					b := newBackend(t)
					if rl, ok := b.(s3api.ReadLookup); ok {
						b = readLookupChecked{Backend: b, rl: rl, t: t}
					}
					tc.run(t, &fixture{t: t, b: b, ctx: context.Background()})
				})
			}
		})
	}
}

// readLookupChecked runs every HeadObject of the suite through the
// backend's ReadLookup too, for the whole version, for no bytes (a HEAD)
// and for part 1, which must give the same answer (but for the part list,
// which it may leave out unless the span names a part), and
// returns that one, with HeadObject's part list, so that GetObject reads
// from the parts it located.
type readLookupChecked struct {
	s3api.Backend
	rl s3api.ReadLookup
	t  *testing.T
}

func (c readLookupChecked) HeadObject(ctx context.Context, bucket, key, versionID string) (s3api.ObjectInfo, error) {
	c.t.Helper()
	head, herr := c.Backend.HeadObject(ctx, bucket, key, versionID)
	read, rerr := c.rl.HeadObjectForRead(ctx, bucket, key, versionID, s3api.WholeVersion)
	located, want := read, head
	located.Located, located.Parts, want.Parts = nil, nil, nil
	if !errors.Is(rerr, herr) || !reflect.DeepEqual(want, located) {
		c.t.Errorf("HeadObjectForRead(%s/%s, %q) = %+v, %v; HeadObject = %+v, %v", bucket, key, versionID, located, rerr, head, herr)
	}
	headed, nerr := c.rl.HeadObjectForRead(ctx, bucket, key, versionID, s3api.NoBytes)
	headed.Located, headed.Parts = nil, nil
	if !errors.Is(nerr, herr) || !reflect.DeepEqual(want, headed) {
		c.t.Errorf("HeadObjectForRead(%s/%s, %q, no bytes) = %+v, %v; HeadObject = %+v, %v", bucket, key, versionID, headed, nerr, head, herr)
	}
	partSpan := s3api.WholeVersion
	partSpan.Part = 1
	part, perr := c.rl.HeadObjectForRead(ctx, bucket, key, versionID, partSpan)
	part.Located = nil
	if !errors.Is(perr, herr) || !reflect.DeepEqual(head, part) {
		c.t.Errorf("HeadObjectForRead(%s/%s, %q, part 1) = %+v, %v; HeadObject = %+v, %v", bucket, key, versionID, part, perr, head, herr)
	}
	read.Parts = head.Parts
	return read, rerr
}

// test is one named conformance check.
type test struct {
	name string
	run  func(t *testing.T, f *fixture)
}

// fixture is a backend and helpers bound to one subtest.
type fixture struct {
	t   *testing.T
	b   s3api.Backend
	ctx context.Context
}

// bucket creates a bucket and returns its name.
func (f *fixture) bucket(name string) string {
	f.t.Helper()
	if err := f.b.CreateBucket(f.ctx, name); err != nil {
		f.t.Fatalf("CreateBucket(%q) = %v", name, err)
	}
	return name
}

// payload is a body with the digests s3api computes for it.
type payload struct {
	data      []byte
	checksums map[string]string
}

// newPayload describes data with a CRC32 and a SHA256 checksum.
func newPayload(data []byte) payload {
	return payload{data: data, checksums: map[string]string{
		"CRC32": checksum("CRC32", data), "SHA256": checksum("SHA256", data)}}
}

// digests returns what s3api would hand the backend after EOF.
func (p payload) digests() s3api.Digests {
	sum := md5.Sum(p.data)
	return s3api.Digests{MD5: sum[:], Checksums: p.checksums}
}

// etag is the payload's MD5 hex.
func (p payload) etag() string {
	sum := md5.Sum(p.data)
	return hex.EncodeToString(sum[:])
}

// checksum is the base64 checksum of data under alg.
func checksum(alg string, data []byte) string {
	h, err := sigv4.NewChecksum(alg)
	if err != nil {
		panic(err)
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// randomBytes returns n pseudo-random bytes.
func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// put stores data at bucket/key and returns the info.
func (f *fixture) put(bucket, key string, data []byte, meta s3api.ObjectMeta) s3api.ObjectInfo {
	f.t.Helper()
	p := newPayload(data)
	info, err := f.b.PutObject(f.ctx, s3api.PutObjectInput{Bucket: bucket, Key: key, Size: int64(len(data)),
		Body: bytes.NewReader(data), Digests: p.digests, Meta: meta})
	if err != nil {
		f.t.Fatalf("PutObject(%s/%s) = %v", bucket, key, err)
	}
	return info
}

// read returns length bytes from offset of the current object at key.
func (f *fixture) read(bucket, key string, offset, length int64) []byte {
	f.t.Helper()
	info, err := f.b.HeadObject(f.ctx, bucket, key, "")
	if err != nil {
		f.t.Fatalf("HeadObject(%s/%s) = %v", bucket, key, err)
	}
	rc, err := f.b.GetObject(f.ctx, info, offset, length)
	if err != nil {
		f.t.Fatalf("GetObject(%s/%s) = %v", bucket, key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		f.t.Fatalf("reading %s/%s: %v", bucket, key, err)
	}
	return data
}

// wantErr fails unless errors.Is(err, want).
func (f *fixture) wantErr(what string, err, want error) {
	f.t.Helper()
	if !errors.Is(err, want) {
		f.t.Fatalf("%s: got error %v; want %v", what, err, want)
	}
}

// noErr fails on err.
func (f *fixture) noErr(what string, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("%s: %v", what, err)
	}
}

// del deletes bucket/key's latest version as DELETE without a version id.
func (f *fixture) del(bucket, key string) error {
	_, err := f.b.DeleteObject(f.ctx, bucket, key, "")
	return err
}
